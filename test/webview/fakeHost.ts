/**
 * A stand-in for the extension host, installed into the page before the webview bundle runs. It defines
 * acquireVsCodeApi (the one seam webview/host.ts uses) and answers the protocol from generated data, so the real
 * bundle can be driven in a plain browser.
 *
 * This function is serialized with Function.prototype.toString and evaluated in the page: it must not reference
 * anything outside its own body.
 */
export interface FakeHostConfig {
  flows: number;
  /** Streams whose endpoints are hostile markup. */
  hostileStreams: number[];
  fileName: string;
  failed?: { reason: string; unusable: boolean };
  initialState?: unknown;
  /** A real capture's answers (from CaptureModel in the test process) instead of generated flows. */
  capture?: { overview: unknown; flows: unknown[]; packets: Record<number, unknown[]>; facets?: unknown; findings?: unknown };
  /** Answer flows/get for pages at or past this offset only after `ms` (a host busy with a far page). */
  slowFlowPages?: { fromOffset: number; ms: number };
}

export function installFakeHost(config: FakeHostConfig): void {
  type Msg = { kind: string; id?: number; method: string; params: Record<string, unknown> };
  const w = window as unknown as Record<string, unknown>;
  const log: Msg[] = [];
  const violations: string[] = [];
  let state: unknown = config.initialState ?? null;
  let ready = false;
  document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));

  const hostile = new Set(config.hostileStreams);
  const client = (i: number) => (hostile.has(i) ? `<img src=x onerror="window.__pwned=1">` : `10.0.${(i >> 8) & 255}.${i & 255}:${40000 + (i % 20000)}`);
  const server = (i: number) => (hostile.has(i) ? `<script>window.__pwned=2</script>` : `192.168.1.1:443`);
  const packetsOf = (i: number) => 3 + ((i * 7919) % 1000);
  const flow = (i: number) => ({
    stream: i,
    client: client(i),
    server: server(i),
    packets: packetsOf(i),
    bytes: packetsOf(i) * 100,
    clientPackets: 1,
    serverPackets: 2,
    startSeconds: i / 1000,
    durationSeconds: 0.5,
    completeness: 31,
    firstFrame: i + 1,
    lastFrame: i + 10,
    ...fate(i),
  });
  // ---- flow fates (end states, conn_state, findings): stream % 5 picks one ----
  const FATES = [
    { clientState: 'ESTABLISHED', serverState: 'ESTABLISHED', connState: 'S1', history: 'ShADad' },
    { clientState: 'TIME_WAIT', serverState: 'CLOSED', connState: 'SF', history: 'ShADadFf' },
    { clientState: 'FIN_WAIT_2', serverState: 'CLOSE_WAIT', connState: 'S2', history: 'ShADadF' },
    { clientState: 'CLOSED', serverState: 'CLOSED', connState: 'REJ', history: 'Sr' },
    { clientState: 'SYN_SENT', serverState: 'LISTEN', connState: 'S0', history: 'S' },
  ];
  const HOSTILE_CODE = '<i>tcp.evil</i>';
  const fate = (i: number) => ({
    ...FATES[i % 5]!,
    ...(hostile.has(i) ? { history: '<b>ShA</b><script>window.__pwned=7</script>' } : {}),
    retransmissions: i % 7 === 0 ? i % 13 : 0,
    rttMs: i % 5 === 4 ? null : (i % 97) / 10 + 0.5,
    irttMs: i % 5 === 4 ? null : (i % 89) / 10 + 0.25,
    findings: hostile.has(i) ? [HOSTILE_CODE] : i % 5 === 2 ? ['tcp.close_wait.excess'] : [],
    joinedMidStream: i % 50 === 49,
  });
  const findingsList = [
    {
      code: 'tcp.close_wait.excess',
      severity: 'error',
      category: 'network',
      message: `192.168.1.1:443: ${Math.ceil((config.flows - 2) / 5)} connections left in CLOSE_WAIT`,
      explanation: 'The server ACKed its peers\' FIN and never closed: the application leaks sockets.',
      endpoint: '192.168.1.1:443',
      streams: [2, 12, 22, 32],
      frames: [3, 13, 23],
      window: { start: 0.002, end: 99.5 },
      metrics: { connections: Math.ceil((config.flows - 2) / 5), peersInFinWait2: 4 },
    },
    {
      code: 'tcp.connection.refused',
      severity: 'info',
      category: 'network',
      message: '192.168.1.1 refused 20 connections',
      explanation: 'SYNs answered by RST: nothing listens on the port.',
      endpoint: '192.168.1.1',
      streams: [3, 8],
      frames: [4],
      metrics: { connections: 20 },
    },
    ...config.hostileStreams.map((s) => ({
      code: HOSTILE_CODE,
      severity: 'warning',
      category: 'network',
      message: `<script>window.__pwned=6</script> stream ${s}`,
      explanation: '<b>bold</b> <img src=x onerror="window.__pwned=8">',
      endpoint: '<img src=x onerror="window.__pwned=5">:80',
      streams: [s],
      frames: [s + 1],
      metrics: { '<u>k</u>': '<u>v</u>' },
    })),
  ];
  type Where = Record<string, string | undefined>;
  const matchesWhere = (i: number, w: Where) => {
    const f = fate(i);
    if (w['clientState'] && f.clientState !== w['clientState']) return false;
    if (w['serverState'] && f.serverState !== w['serverState']) return false;
    if (w['connState'] && f.connState !== w['connState']) return false;
    if (w['finding'] && !f.findings.includes(w['finding'])) return false;
    const ep = w['endpoint'];
    if (ep) {
      const sides = [client(i), server(i)];
      if (!sides.some((x) => x === ep || x.startsWith(`${ep}:`))) return false;
    }
    return true;
  };
  const facets = () => {
    const count = (key: (i: number) => string[]) => {
      const m = new Map<string, number>();
      for (let i = 0; i < config.flows; i++) for (const v of key(i)) m.set(v, (m.get(v) ?? 0) + 1);
      return [...m].map(([value, n]) => ({ value, count: n })).sort((a, b) => b.count - a.count);
    };
    return {
      flows: config.flows,
      clientState: count((i) => [fate(i).clientState]),
      serverState: count((i) => [fate(i).serverState]),
      connState: count((i) => [fate(i).connState]),
      finding: count((i) => fate(i).findings),
      endpoint: [
        { value: '192.168.1.1', count: config.flows },
        { value: '192.168.1.1:443', count: config.flows - config.hostileStreams.length },
        { value: '10.0.0.42', count: 2 },
      ],
    };
  };
  // ---- flow detail (ladder) and timeline, generated: stream % 4 picks a story ----
  // 0: handshake, data, FIN teardown (10 packets); 1: the same with a retransmission and a dup ACK;
  // 2: data then a RST abort (8 packets); 3: a long flow (300 packets) whose middle is paged.
  const ladderTotal = (i: number) => (i % 4 === 3 ? 300 : i % 4 === 2 ? 8 : 10);
  const ladderFrame = (i: number, k: number) => i + 1 + k * 3;
  const ladderPacket = (i: number, k: number) => {
    const n = ladderTotal(i);
    const rst = i % 4 === 2;
    const tail = rst ? n - 1 : n - 3;
    const clientData = Math.ceil((tail - 3) / 2);
    const cNext = 1 + 100 * clientData;
    let fromClient = true;
    let flags = ['ACK'];
    let seq = 1;
    let ack: number | undefined = 1;
    let len = 0;
    let role: string | undefined;
    let states: { client: boolean; to: string }[] = [];
    const analysis: string[] = [];
    if (k === 0) {
      flags = ['SYN'];
      seq = 0;
      ack = undefined;
      role = 'syn';
      states = [{ client: true, to: 'SYN_SENT' }];
    } else if (k === 1) {
      fromClient = false;
      flags = ['SYN', 'ACK'];
      seq = 0;
      role = 'syn-ack';
      states = [{ client: false, to: 'SYN_RECEIVED' }];
    } else if (k === 2) {
      role = 'handshake-ack';
      states = [
        { client: true, to: 'ESTABLISHED' },
        { client: false, to: 'ESTABLISHED' },
      ];
    } else if (k < tail) {
      const m = k - 3;
      if (m % 2 === 0) {
        flags = ['PSH', 'ACK'];
        seq = 1 + 100 * (m / 2);
        len = 100;
      } else {
        fromClient = false;
        ack = 1 + 100 * ((m + 1) / 2);
      }
    } else if (rst) {
      flags = ['RST', 'ACK'];
      seq = cNext;
      role = 'rst';
      states = [
        { client: true, to: 'CLOSED' },
        { client: false, to: 'CLOSED' },
      ];
    } else if (k === tail) {
      flags = ['FIN', 'ACK'];
      seq = cNext;
      role = 'fin-active';
      states = [{ client: true, to: 'FIN_WAIT_1' }];
    } else if (k === tail + 1) {
      fromClient = false;
      flags = ['FIN', 'ACK'];
      ack = cNext + 1;
      role = 'fin-passive';
      states = [
        { client: false, to: 'CLOSE_WAIT' },
        { client: true, to: 'FIN_WAIT_2' },
        { client: false, to: 'LAST_ACK' },
      ];
    } else {
      seq = cNext + 1;
      ack = 2;
      role = 'close-ack';
      states = [
        { client: true, to: 'TIME_WAIT' },
        { client: false, to: 'CLOSED' },
      ];
    }
    if (i % 4 === 1 && k === 5) {
      seq = 1;
      analysis.push('retransmission');
    }
    if (i % 4 === 1 && k === 6) analysis.push('duplicate_ack');
    if (hostile.has(i) && k === 4) analysis.push('<img src=x onerror="window.__pwned=5">');
    return {
      index: k,
      frameNumber: ladderFrame(i, k),
      fromClient,
      timeSeconds: k / 1000,
      flags,
      seq,
      ...(ack !== undefined ? { ack } : {}),
      len,
      win: 512,
      analysis,
      ...(role ? { role } : {}),
      states,
    };
  };
  const flowDetail = (i: number) => {
    const n = ladderTotal(i);
    const ks = n > 80 ? [...Array(40).keys(), ...Array.from({ length: 40 }, (_, j) => n - 40 + j)] : [...Array(n).keys()];
    const packets = ks.map((k) => ladderPacket(i, k));
    const all = Array.from({ length: n }, (_, k) => ladderPacket(i, k));
    const endpoint = (isClient: boolean) => {
      const transitions: { from: string; to: string; frameNumber: number; timeSeconds: number; msInFrom: number }[] = [];
      let cur = isClient ? 'CLOSED' : 'LISTEN';
      let since = 0;
      const msInState: Record<string, number> = {};
      for (const p of all) {
        for (const st of p.states) {
          if (st.client !== isClient) continue;
          msInState[cur] = (msInState[cur] ?? 0) + (p.timeSeconds - since) * 1000;
          transitions.push({ from: cur, to: st.to, frameNumber: p.frameNumber, timeSeconds: p.timeSeconds, msInFrom: (p.timeSeconds - since) * 1000 });
          cur = st.to;
          since = p.timeSeconds;
        }
      }
      msInState[cur] = (msInState[cur] ?? 0) + (n / 1000 + 1 - since) * 1000;
      return { role: isClient ? 'client' : 'server', address: isClient ? client(i) : server(i), initial: isClient ? 'CLOSED' : 'LISTEN', final: cur, transitions, msInState };
    };
    return {
      stream: i,
      client: client(i),
      server: server(i),
      startSeconds: i / 1000,
      durationSeconds: (n - 1) / 1000,
      captureEndSeconds: n / 1000 + 1,
      connState: i % 4 === 2 ? 'RSTO' : 'SF',
      history: i % 4 === 2 ? 'ShADadR' : 'ShADadFf',
      total: n,
      complete: true,
      packets,
      omitted: n - packets.length,
      joinedMidStream: false,
      synMissing: false,
      refused: false,
      endpoints: [endpoint(true), endpoint(false)],
      handshake: { synFrame: ladderFrame(i, 0), synAckFrame: ladderFrame(i, 1), ackFrame: ladderFrame(i, 2), synRetries: 0, synAckRetries: 0, synToSynAckMs: 1, synAckToAckMs: 1, connectMs: 2 },
    };
  };
  const OUTCOME_OF = ['normal', 'reset', 'unanswered', 'open', 'half-closed', 'other'];
  const CONN_OF = ['SF', 'RSTO', 'S0', 'S1', 'S2', 'OTH'];
  const tlEnd = (i: number) => i / 1000 + 0.05 + (i % 7) * 0.1;
  const tlRow = (i: number) => ({ stream: i, client: client(i), server: server(i), startSeconds: i / 1000, endSeconds: tlEnd(i), connState: CONN_OF[i % 6], outcome: OUTCOME_OF[i % 6] });
  const tlSummary = (binsAsked: number) => {
    const bins = Math.max(1, Math.min(4096, Math.floor(binsAsked)));
    const end = (config.flows - 1) / 1000 + 0.65;
    const density: Record<string, number[]> = {};
    const outcomes: Record<string, number> = {};
    const diff = OUTCOME_OF.map(() => new Float64Array(bins + 1));
    for (let i = 0; i < config.flows; i++) {
      const o = i % 6;
      outcomes[OUTCOME_OF[o]!] = (outcomes[OUTCOME_OF[o]!] ?? 0) + 1;
      const b0 = Math.min(bins - 1, Math.floor((i / 1000 / end) * bins));
      const b1 = Math.min(bins - 1, Math.max(b0, Math.floor((tlEnd(i) / end) * bins)));
      diff[o]![b0]!++;
      diff[o]![b1 + 1]!--;
    }
    OUTCOME_OF.forEach((name, o) => {
      let run = 0;
      density[name] = Array.from({ length: bins }, (_, b) => (run += diff[o]![b]!));
    });
    const findings = [
      { code: 'tcp.retransmission.storm', severity: 'warning', message: 'retransmissions peaked <b>here</b>', startSeconds: end * 0.1, endSeconds: end * 0.12 },
      { code: 'tcp.rst.storm', severity: 'error', message: '<img src=x onerror="window.__pwned=6">', startSeconds: end * 0.5, endSeconds: end * 0.51 },
    ];
    return { flows: config.flows, startSeconds: 0, endSeconds: end, bins, density, outcomes, findings };
  };
  let viewKey = '';
  let view: number[] | null = null;
  const order = (sort: { column: string; descending: boolean }, filter: string, where: Where = {}): number[] | null => {
    const key = `${sort.column}/${sort.descending}/${filter}/${JSON.stringify(where)}`;
    if (key === viewKey) return view;
    let ids: number[] = [];
    const needle = filter.trim().toLowerCase();
    for (let i = 0; i < config.flows; i++) if ((!needle || `${i} ${client(i)} ${server(i)}`.toLowerCase().includes(needle)) && matchesWhere(i, where)) ids.push(i);
    if (sort.column !== 'stream') {
      // The real model ranks every column; here any FlowRow field sorts (null last), ties by stream.
      const value = (i: number) => {
        const v = (flow(i) as Record<string, unknown>)[sort.column];
        return v === null ? Infinity : Array.isArray(v) ? v.join(' ') : typeof v === 'boolean' ? Number(v) : (v as number | string);
      };
      const keys = new Map(ids.map((i) => [i, value(i)]));
      ids.sort((a, b) => {
        const x = keys.get(a)!;
        const y = keys.get(b)!;
        return (x < y ? -1 : x > y ? 1 : 0) || a - b;
      });
    }
    if (sort.descending) ids = ids.reverse();
    viewKey = key;
    view = ids;
    return ids;
  };
  const overview = {
    fileName: config.fileName,
    fileBytes: 123456,
    format: 'pcapng',
    version: '1.0',
    byteOrder: 'little',
    sections: 1,
    interfaces: 1,
    linkTypes: [{ linkType: 1, name: 'ether', packets: 5 * config.flows }],
    packets: 5 * config.flows,
    tcpPackets: 5 * config.flows,
    flows: config.flows,
    ipFragments: 0,
    firstEpochSeconds: 1700000000,
    lastEpochSeconds: 1700000100,
    durationSeconds: 100,
    errors: [{ code: 'capture.truncated_record', message: 'cut <b>here</b> <img src=y onerror="window.__pwned=3">', offset: 99, fatal: true }],
    problems: { malformed: 1, truncated: 0, unsupportedLink: 0 },
    packetWindow: { listed: 5 * config.flows, total: 5 * config.flows, limit: 100000 },
  };
  const real = config.capture;
  const captureState = real
    ? { state: 'ready', overview: real.overview }
    : config.failed
    ? { state: 'failed', fileName: config.fileName, reason: config.failed.reason, unusable: config.failed.unusable }
    : { state: 'ready', overview };

  const reply = (m: unknown) => window.postMessage(m, '*');
  const notify = (method: string, params: unknown) => {
    if (!ready) throw new Error('fake host: the webview has not said ready');
    reply({ kind: 'notification', method, params });
  };
  const handle = (m: Msg) => {
    log.push(m);
    if (m.kind === 'notification') {
      if (m.method === 'ready') {
        ready = true;
        notify('settings/changed', { timeFormat: 'relative' });
        notify('capture/changed', captureState);
      }
      return;
    }
    const p = m.params;
    if (real && (m.method === 'flows/get' || m.method === 'packets/get')) {
      const all = m.method === 'flows/get' ? real.flows : (real.packets[Number(p['stream'])] ?? []);
      const offset = Math.min(Number(p['offset']), all.length);
      const rows = all.slice(offset, offset + Math.min(Number(p['count']), 500));
      reply({ kind: 'response', id: m.id, ok: true, result: { total: all.length, offset, rows, complete: true } });
      return;
    }
    if (real && m.method === 'flows/locate') {
      const index = (real.flows as { stream: number }[]).findIndex((f) => f.stream === Number(p['stream']));
      return reply({ kind: 'response', id: m.id, ok: true, result: { index } });
    }
    if (real && m.method === 'flows/facets' && real.facets) return reply({ kind: 'response', id: m.id, ok: true, result: real.facets });
    if (real && m.method === 'findings/get' && real.findings) return reply({ kind: 'response', id: m.id, ok: true, result: real.findings });
    try {
      let result: unknown;
      switch (m.method) {
        case 'capture/get':
          result = captureState;
          break;
        case 'flows/get': {
          const ids = order(p['sort'] as { column: string; descending: boolean }, String(p['filter']), (p['where'] ?? {}) as Where);
          const total = ids ? ids.length : config.flows;
          const offset = Math.min(Number(p['offset']), total);
          const end = Math.min(total, offset + Math.min(Number(p['count']), 500));
          const rows = [];
          for (let i = offset; i < end; i++) rows.push(flow(ids ? ids[i]! : i));
          result = { total, offset, rows };
          if (config.slowFlowPages && offset >= config.slowFlowPages.fromOffset) {
            const answer = { kind: 'response', id: m.id, ok: true, result };
            setTimeout(() => reply(answer), config.slowFlowPages.ms);
            return;
          }
          break;
        }
        case 'flows/locate': {
          const ids = order(p['sort'] as { column: string; descending: boolean }, String(p['filter']), (p['where'] ?? {}) as Where);
          result = { index: ids ? ids.indexOf(Number(p['stream'])) : Number(p['stream']) };
          break;
        }
        case 'packets/get': {
          const s = Number(p['stream']);
          const total = 5;
          const offset = Math.min(Number(p['offset']), total);
          const rows = [];
          for (let i = offset; i < Math.min(total, offset + Number(p['count'])); i++) {
            rows.push({ frameNumber: s + 1 + i * 3, stream: s, dir: i % 2, timeSeconds: i / 10, src: client(s), dst: server(s), flags: 'A', seq: i, ack: 1, len: 0, win: 512, analysis: i === 2 ? ['retransmission'] : [] });
          }
          result = { total, offset, rows, complete: true };
          break;
        }
        case 'flow/detail':
          result = flowDetail(Number(p['stream']));
          break;
        case 'flow/ladder': {
          const i = Number(p['stream']);
          const n = ladderTotal(i);
          const offset = Math.max(0, Math.min(n, Number(p['offset'])));
          const count = Math.min(200, Number(p['count']));
          result = { total: n, offset, packets: Array.from({ length: Math.max(0, Math.min(n, offset + count) - offset) }, (_, j) => ladderPacket(i, offset + j)) };
          break;
        }
        case 'timeline/get': {
          const offset = Math.max(0, Math.min(config.flows, Number(p['offset'])));
          const end = Math.min(config.flows, offset + Math.min(2000, Number(p['count'])));
          const rows = [];
          for (let i = offset; i < end; i++) rows.push(tlRow(i));
          result = { total: config.flows, offset, rows };
          break;
        }
        case 'timeline/locate':
          result = { index: Math.max(0, Math.min(config.flows - 1, Math.ceil(Number(p['seconds']) * 1000))) };
          break;
        case 'timeline/indexOf': {
          const s = Number(p['stream']);
          result = { index: Number.isInteger(s) && s >= 0 && s < config.flows ? s : -1 };
          break;
        }
        case 'timeline/summary':
          result = tlSummary(Number(p['bins']));
          break;
        case 'flows/facets':
          result = facets();
          break;
        case 'findings/get':
          {
            // As the model answers: most severe first, stable within a severity.
            const rank: Record<string, number> = { error: 3, warning: 2, info: 1 };
            const sorted = findingsList.map((f, i) => ({ f, i })).sort((a, b) => rank[b.f.severity]! - rank[a.f.severity]! || a.i - b.i);
            result = { total: findingsList.length, findings: sorted.map((x) => x.f) };
          }
          break;
        case 'flow/reveal':
          result = { revealed: true };
          break;
        case 'flow/copyFilter':
          result = { filter: `tcp.stream eq ${p['stream']}` };
          break;
        case 'flows/export':
          result = { saved: true };
          break;
        case 'capture/reanalyze':
        case 'capture/cancel':
        case 'capture/reopenWith':
          result = {};
          break;
        default:
          throw new Error(`unknown request ${m.method}`);
      }
      reply({ kind: 'response', id: m.id, ok: true, result });
    } catch (e) {
      reply({ kind: 'response', id: m.id, ok: false, error: String(e) });
    }
  };

  let acquired = false;
  w['acquireVsCodeApi'] = () => {
    // VS Code allows one call per page; so does the fake, to catch a second caller.
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage: (m: Msg) => setTimeout(() => handle(JSON.parse(JSON.stringify(m)) as Msg), 0),
      getState: () => state,
      setState: (s: unknown) => {
        state = s;
      },
    };
  };
  w['__fakeHost'] = { log, violations, notify, getState: () => state, captureState };
}
