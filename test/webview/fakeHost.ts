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
  });
  let viewKey = '';
  let view: number[] | null = null;
  const order = (sort: { column: string; descending: boolean }, filter: string): number[] | null => {
    const key = `${sort.column}/${sort.descending}/${filter}`;
    if (key === viewKey) return view;
    let ids: number[] = [];
    const needle = filter.trim().toLowerCase();
    for (let i = 0; i < config.flows; i++) if (!needle || `${i} ${client(i)} ${server(i)}`.toLowerCase().includes(needle)) ids.push(i);
    if (sort.column === 'packets') ids.sort((a, b) => packetsOf(a) - packetsOf(b) || a - b);
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
  const captureState = config.failed
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
    try {
      let result: unknown;
      switch (m.method) {
        case 'capture/get':
          result = captureState;
          break;
        case 'flows/get': {
          const ids = order(p['sort'] as { column: string; descending: boolean }, String(p['filter']));
          const total = ids ? ids.length : config.flows;
          const offset = Math.min(Number(p['offset']), total);
          const end = Math.min(total, offset + Math.min(Number(p['count']), 500));
          const rows = [];
          for (let i = offset; i < end; i++) rows.push(flow(ids ? ids[i]! : i));
          result = { total, offset, rows };
          break;
        }
        case 'flows/locate': {
          const ids = order(p['sort'] as { column: string; descending: boolean }, String(p['filter']));
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
  w['__fakeHost'] = { log, violations, notify, getState: () => state };
}
