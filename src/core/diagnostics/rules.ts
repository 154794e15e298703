import type { CaptureAnalysis } from '../analyzeCapture';
import { TcpState, type EndpointStateTracker } from '../analysis/endpointStates';
import type { HandshakeTracker } from '../analysis/handshake';
import type { SequenceAnalyzer } from '../analysis/seqAnalysis';
import { endpointString, ipString, secondsBetween } from '../util/format';
import { StallEnd, type DiagnosticsCollector } from './collector';
import {
  DEFAULT_DIAGNOSTIC_OPTIONS,
  MAX_FRAMES_LISTED,
  MAX_STREAMS_LISTED,
  SEVERITY_RANK,
  type DiagnosticOptions,
  type Finding,
  type Severity,
} from './types';

/**
 * Population-level rules over one analysed capture. Each rule reads the flow table, the endpoint states, the
 * sequence analysis and the collector's events, and groups what it finds by the endpoint that has the problem,
 * so one sick listener gives one finding, not one per packet.
 */

export interface DiagnosticsInput {
  analysis: CaptureAnalysis;
  seq: SequenceAnalyzer;
  states: EndpointStateTracker;
  handshakes: HandshakeTracker;
  collector: DiagnosticsCollector;
}

interface Ctx {
  in: DiagnosticsInput;
  o: DiagnosticOptions;
  out: Finding[];
  /** Streams already explained by a SYN flood or a port scan: other handshake rules leave them alone. */
  explained: Uint8Array;
  endpointCache: Map<number, string>;
}

export function diagnose(input: DiagnosticsInput, options: Partial<DiagnosticOptions> = {}): Finding[] {
  const o: DiagnosticOptions = { ...DEFAULT_DIAGNOSTIC_OPTIONS, ...options };
  const ctx: Ctx = {
    in: input,
    o,
    out: [],
    explained: new Uint8Array(input.analysis.flows.count),
    endpointCache: new Map(),
  };
  captureQuality(ctx);
  synFloodAndScan(ctx);
  acceptQueueOverflow(ctx);
  handshakeProblems(ctx);
  refusedConnections(ctx);
  closeWait(ctx);
  timeWaitChurn(ctx);
  retransmissionStorms(ctx);
  rstStorms(ctx);
  zeroWindowStalls(ctx);
  halfOpen(ctx);
  return ctx.out.sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.window?.start ?? 0) - (b.window?.start ?? 0),
  );
}

// ---------------------------------------------------------------- helpers

function ep(ctx: Ctx, s: number, side: number): string {
  const key = s * 2 + side;
  let v = ctx.endpointCache.get(key);
  if (v === undefined) {
    const e = ctx.in.analysis.flows.endpoint(s, side);
    v = endpointString(e.version, e.words, e.port);
    ctx.endpointCache.set(key, v);
  }
  return v;
}

function host(ctx: Ctx, s: number, side: number): string {
  const e = ctx.in.analysis.flows.endpoint(s, side);
  return ipString(e.version, e.words);
}

function port(ctx: Ctx, s: number, side: number): number {
  return ctx.in.analysis.flows.port(s, side);
}

function clientSide(ctx: Ctx, s: number): number {
  return ctx.in.analysis.flows.clientDir[s]!;
}

function streamStart(ctx: Ctx, s: number): number {
  const a = ctx.in.analysis;
  return secondsBetween(a.refSec, a.refNsec, a.flows.startSec[s]!, a.flows.startNsec[s]!);
}

function streamEnd(ctx: Ctx, s: number): number {
  const a = ctx.in.analysis;
  return secondsBetween(a.refSec, a.refNsec, a.flows.endSec[s]!, a.flows.endNsec[s]!);
}

function captureEnd(ctx: Ctx): number {
  const a = ctx.in.analysis;
  return secondsBetween(a.refSec, a.refNsec, a.lastSec, a.lastNsec);
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Groups streams by one of their endpoints (`ip:port`) or hosts (`ip`), keyed by numbers so a million streams
 * cost no strings: one string is made per group. IPv6 keys are hashes, so those groups are re-split by the real
 * address text.
 */
function groupByEndpoint(ctx: Ctx, items: number[], side: (s: number) => number, withPort: boolean, minGroup = 1): Map<string, number[]> {
  const f = ctx.in.analysis.flows;
  const keyOf = (s: number) => {
    const x = side(s);
    return withPort ? f.addressKey(s, x) * 65536 + f.port(s, x) : f.addressKey(s, x);
  };
  if (minGroup > 1) {
    // Most groups are small and fail the rule's threshold: count first, keep only members of groups that can pass.
    const counts = new Map<number, number>();
    for (const s of items) {
      const k = keyOf(s);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    items = items.filter((s) => counts.get(keyOf(s))! >= minGroup);
  }
  const byKey = groupBy(items, keyOf);
  const out = new Map<string, number[]>();
  const name = (s: number) => (withPort ? ep(ctx, s, side(s)) : host(ctx, s, side(s)));
  for (const [key, list] of byKey) {
    const groups = key >= (withPort ? 4294967296 * 65536 : 4294967296) ? groupBy(list, name) : new Map([[name(list[0]!), list]]);
    for (const [k, l] of groups) {
      const prev = out.get(k);
      if (prev) prev.push(...l);
      else out.set(k, l);
    }
  }
  return out;
}

function serverSide(ctx: Ctx): (s: number) => number {
  return (s) => clientSide(ctx, s) ^ 1;
}

function groupBy<K>(items: number[], key: (s: number) => K): Map<K, number[]> {
  const m = new Map<K, number[]>();
  for (const s of items) {
    const k = key(s);
    const list = m.get(k);
    if (list) list.push(s);
    else m.set(k, [s]);
  }
  return m;
}

function frames(list: number[]): number[] {
  const out: number[] = [];
  for (const f of list) if (f > 0 && !out.includes(f)) out.push(f);
  return out.slice(0, MAX_FRAMES_LISTED);
}

function push(ctx: Ctx, f: Omit<Finding, 'streams' | 'frames'> & { streams: number[]; frames: number[] }): void {
  ctx.out.push({ ...f, streams: f.streams.slice(0, MAX_STREAMS_LISTED), frames: frames(f.frames) });
}

// Math.max(...xs) throws a RangeError past about 120 000 arguments; a listener can have that many connections.
function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

function windowOf(ctx: Ctx, streams: number[]): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  // A flow's first packet in file order need not be its earliest (clocks step back in merged or damaged files); a
  // window must still run forwards.
  for (const s of streams) {
    const a = streamStart(ctx, s);
    const b = streamEnd(ctx, s);
    start = Math.min(start, a, b);
    end = Math.max(end, a, b);
  }
  return { start: r3(start), end: r3(end) };
}

// ---------------------------------------------------------------- capture quality

function captureQuality(ctx: Ctx): void {
  const a = ctx.in.analysis;
  for (const e of a.facts.errors) {
    if (e.code === 'capture.unusable') continue;
    push(ctx, {
      code: e.code === 'capture.truncated_record' ? 'capture.truncated' : e.code,
      severity: e.fatal ? 'warning' : 'info',
      category: 'capture',
      message: `${e.message} at byte ${e.offset}${e.fatal ? `; the ${a.facts.packets} packets before it were analysed` : ''}`,
      explanation:
        'The capture file itself is damaged (often a capture stopped abruptly, a copy cut short, or a disk that filled up). ' +
        'Nothing after the damage could be read, so connections may look unfinished only because the file ends early.',
      streams: [],
      frames: e.frameNumber ? [e.frameNumber - 1] : [],
      metrics: { offset: e.offset, packetsRead: a.facts.packets },
    });
  }
  for (const i of a.facts.interfaces) {
    const st = i.statistics;
    const dropped = (st?.droppedByInterface ?? 0) + (st?.droppedByOs ?? 0);
    if (dropped > 0) {
      push(ctx, {
        code: 'capture.interface_drops',
        severity: 'warning',
        category: 'capture',
        message: `the capture dropped ${dropped} packets on interface ${i.name || i.index} (${st?.droppedByInterface ?? 0} by the interface, ${st?.droppedByOs ?? 0} by the OS)`,
        explanation:
          'The capturing machine could not keep up and lost packets before writing them. Gaps, "previous segment not captured" ' +
          'and apparent retransmissions near those moments may be artefacts of the capture, not of the network.',
        // An if_name option may be present but empty.
        endpoint: i.name || `interface ${i.index}`,
        streams: [],
        frames: [],
        metrics: { droppedByInterface: st?.droppedByInterface ?? 0, droppedByOs: st?.droppedByOs ?? 0 },
      });
    }
  }
  const p = a.problems;
  if (p.truncated > 0) {
    push(ctx, {
      code: 'capture.snaplen',
      severity: 'info',
      category: 'capture',
      message: `${plural(p.truncated, 'packet')} were cut by the snapshot length before the end of their TCP header`,
      explanation:
        'The capture was taken with a small snapshot length (for example tcpdump -s 60), so headers are incomplete. ' +
        'Lengths still come from the IP header, but checks that need TCP options (SACK, window scale) are weaker.',
      streams: [],
      frames: p.examples.filter((e) => e.kind === 'truncated').map((e) => e.frameNumber),
      metrics: { packets: p.truncated },
    });
  }
  if (p.malformed > 0) {
    const ex = p.examples.filter((e) => e.kind === 'malformed');
    push(ctx, {
      code: 'packet.malformed',
      severity: 'warning',
      category: 'packet',
      message: `${plural(p.malformed, 'packet')} are malformed (first: frame ${ex[0]?.frameNumber}, ${ex[0]?.layer}: ${ex[0]?.reason})`,
      explanation:
        'These packets contradict themselves (a header length that cannot be, a length beyond the data). They were counted and ' +
        'skipped by the TCP analysis; the rest of the capture was analysed normally. Crafted traffic, scanners and broken ' +
        'capture hardware produce them.',
      streams: [],
      frames: ex.map((e) => e.frameNumber),
      metrics: { packets: p.malformed },
    });
  }
  const st = ctx.in.states;
  const joined: number[] = [];
  for (let s = 0; s < a.flows.count; s++) if (st.joinedMidStream(s)) joined.push(s);
  if (joined.length > 0) {
    push(ctx, {
      code: 'capture.joined_mid_stream',
      severity: 'info',
      category: 'capture',
      message: `${plural(joined.length, 'connection')} started before the capture did (no handshake captured)`,
      explanation:
        'Their handshakes happened before the capture started, so their start, RTT and window scaling are unknown. Missing ' +
        'early data makes "ACKed unseen segment" verdicts at their start normal.',
      streams: joined,
      frames: joined.slice(0, MAX_FRAMES_LISTED).map((s) => a.flows.firstFrame[s]!),
      metrics: { connections: joined.length },
    });
  }
  const c = ctx.in.collector;
  if (c.duplicates > 0) {
    push(ctx, {
      code: 'capture.duplicate_packets',
      severity: 'info',
      category: 'capture',
      message: `${plural(c.duplicates, 'packet')} appear twice (same IP id, sequence, ack and length within 50 ms)`,
      explanation:
        'The same packet was recorded twice: a capture on several interfaces, a SPAN port that mirrors both directions, or a ' +
        'capture of a bridge. Such copies are not real retransmissions; do not blame the network for them.',
      streams: [...c.duplicateStreams],
      frames: c.duplicateFrames,
      metrics: { packets: c.duplicates },
    });
  }
}

// ---------------------------------------------------------------- handshakes

/** Streams whose handshake never completed: a SYN, no final ACK, and no RST refusing it. */
function unfinishedHandshakes(ctx: Ctx): number[] {
  const c = ctx.in.collector;
  const hs = ctx.in.handshakes;
  const out: number[] = [];
  const n = Math.min(ctx.in.analysis.flows.count, c.streamCapacity);
  for (let s = 0; s < n; s++) {
    if (hs.synCount(s) > 0 && hs.ackFrame(s) === 0 && !c.clientMoved[s] && !ctx.in.states.refused(s)) out.push(s);
  }
  return out;
}

function synFloodAndScan(ctx: Ctx): void {
  const c = ctx.in.collector;
  const hs = ctx.in.handshakes;
  const o = ctx.o;
  // SYN flood: one listener, many unfinished handshakes from many sources.
  const unfinished = unfinishedHandshakes(ctx);
  const byListener = groupByEndpoint(ctx, unfinished, serverSide(ctx), true, o.synFloodMinHalfOpen);
  for (const [listener, streams] of byListener) {
    if (streams.length < o.synFloodMinHalfOpen) continue;
    const sources = new Set(streams.map((s) => host(ctx, s, clientSide(ctx, s))));
    if (sources.size < o.synFloodMinSources) continue;
    let synAckRetries = 0;
    let answered = 0;
    for (const s of streams) {
      if (hs.synAckCount(s) > 0) answered++;
      synAckRetries += Math.max(0, hs.synAckCount(s) - 1);
    }
    for (const s of streams) ctx.explained[s] = 1;
    push(ctx, {
      code: 'tcp.syn.flood',
      severity: 'error',
      category: 'network',
      message: `SYN flood on ${listener}: ${streams.length} handshakes left half-open from ${sources.size} source addresses (${answered} answered with SYN-ACK, ${synAckRetries} SYN-ACK retransmissions)`,
      explanation:
        'Many clients sent a SYN and never completed the handshake. Each such SYN holds a SYN_RECV slot on the server while it ' +
        'retransmits its SYN-ACK; enough of them fill the SYN queue and real clients are refused or delayed. Many distinct ' +
        'sources with no follow-up is the signature of spoofed SYNs; enable SYN cookies and rate-limit at the edge.',
      endpoint: listener,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { halfOpen: streams.length, sources: sources.size, answeredWithSynAck: answered, synAckRetransmissions: synAckRetries },
    });
  }
  // Port scan: one source probing many ports of one host, mostly answered by RST or nothing.
  const a = ctx.in.analysis;
  const probes: number[] = [];
  for (let s = 0; s < Math.min(a.flows.count, c.streamCapacity); s++) {
    if (hs.synCount(s) > 0 && !(hs.ackFrame(s) > 0 && a.flows.payload[s * 2]! + a.flows.payload[s * 2 + 1]! > 0)) probes.push(s);
  }
  // Only sources with enough probes can be scanners: count them by a numeric address key before making strings.
  const perSource = new Map<number, number>();
  for (const s of probes) {
    const k = a.flows.addressKey(s, clientSide(ctx, s));
    perSource.set(k, (perSource.get(k) ?? 0) + 1);
  }
  const busy = probes.filter((s) => perSource.get(a.flows.addressKey(s, clientSide(ctx, s)))! >= o.portScanMinPorts);
  const byPair = groupBy(busy, (s) => `${host(ctx, s, clientSide(ctx, s))} -> ${host(ctx, s, clientSide(ctx, s) ^ 1)}`);
  for (const [pair, streams] of byPair) {
    const ports = new Set(streams.map((s) => port(ctx, s, clientSide(ctx, s) ^ 1)));
    if (ports.size < o.portScanMinPorts) continue;
    let refused = 0;
    let open = 0;
    for (const s of streams) {
      if (ctx.in.states.refused(s)) refused++;
      else if (hs.synAckCount(s) > 0) open++;
      ctx.explained[s] = 1;
    }
    const [src, dst] = pair.split(' -> ');
    push(ctx, {
      code: 'tcp.port_scan',
      severity: 'warning',
      category: 'network',
      message: `port scan from ${src} against ${dst}: ${ports.size} ports probed, ${refused} refused with RST, ${open} answered with SYN-ACK`,
      explanation:
        'One source opened connections to many ports of one host without using them: a port scanner (nmap -sS and the like) or ' +
        'a misconfigured health check. Open ports are the ones answering SYN-ACK.',
      endpoint: src!,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { ports: ports.size, refused, open, probes: streams.length, target: dst! },
    });
  }
}

function acceptQueueOverflow(ctx: Ctx): void {
  const c = ctx.in.collector;
  const hs = ctx.in.handshakes;
  const a = ctx.in.analysis;
  // A listener that answers (it is alive) but whose clients must resend SYNs, or whose handshakes take seconds.
  const affected: number[] = [];
  for (let s = 0; s < Math.min(a.flows.count, c.streamCapacity); s++) {
    if (ctx.explained[s] || hs.synCount(s) === 0 || ctx.in.states.refused(s)) continue;
    const synRetries = hs.synCount(s) - 1;
    const slow = hs.ackFrame(s) > 0 && hs.ackTime(s) - hs.synTime(s) >= ctx.o.slowHandshakeSeconds;
    const synAckRetries = hs.synAckCount(s) - 1;
    if (synRetries > 0 || slow || (hs.ackFrame(s) > 0 && synAckRetries > 0)) affected.push(s);
  }
  const byListener = groupByEndpoint(ctx, affected, serverSide(ctx), true);
  // Alive: the listener answered at least one SYN, on any connection. Only candidate listeners are looked up, by
  // port first, so a million healthy connections cost no strings.
  const candidates = [...byListener].filter(([, l]) => l.length >= ctx.o.acceptQueueMinAffected);
  const f = a.flows;
  const keyOf = (s: number) => f.addressKey(s, clientSide(ctx, s) ^ 1) * 65536 + f.port(s, clientSide(ctx, s) ^ 1);
  const candidateKeys = new Map(candidates.map(([listener, l]) => [keyOf(l[0]!), listener]));
  const alive = new Set<string>();
  for (let s = 0; candidateKeys.size && s < Math.min(f.count, c.streamCapacity); s++) {
    if (hs.synAckCount(s) === 0) continue;
    const listener = candidateKeys.get(keyOf(s));
    // IPv6 keys are hashes: confirm with the real endpoint before believing a match.
    if (listener !== undefined && !alive.has(listener) && ep(ctx, s, clientSide(ctx, s) ^ 1) === listener) alive.add(listener);
  }
  for (const [listener, streams] of candidates) {
    if (!alive.has(listener)) continue;
    let synRetries = 0;
    let synAckRetries = 0;
    let maxHandshake = 0;
    for (const s of streams) {
      synRetries += hs.synCount(s) - 1;
      synAckRetries += Math.max(0, hs.synAckCount(s) - 1);
      if (hs.ackFrame(s) > 0) maxHandshake = Math.max(maxHandshake, hs.ackTime(s) - hs.synTime(s));
      ctx.explained[s] = 1;
    }
    push(ctx, {
      code: 'tcp.accept_queue.overflow',
      severity: 'warning',
      category: 'network',
      message: `${listener} is alive but overloaded: ${streams.length} connections needed ${synRetries} SYN retransmissions and ${synAckRetries} SYN-ACK retransmissions ${maxHandshake > 0 ? ` (slowest completed handshake ${r3(maxHandshake)} s)` : ', and none of them completed'}`,
      explanation:
        'The listener answers, yet clients have to resend their SYN (or the server resends its SYN-ACK after the final ACK), ' +
        'which is what Linux does when the accept queue or SYN backlog is full: the application does not call accept() fast ' +
        'enough (a stuck or overloaded worker, a listen() backlog that is too small). Check the listen backlog, ' +
        'net.core.somaxconn and the accept loop.',
      endpoint: listener,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, synRetransmissions: synRetries, synAckRetransmissions: synAckRetries, slowestHandshakeSeconds: r3(maxHandshake) },
    });
  }
}

function handshakeProblems(ctx: Ctx): void {
  const c = ctx.in.collector;
  const hs = ctx.in.handshakes;
  const a = ctx.in.analysis;
  const slow: number[] = [];
  const failed: number[] = [];
  for (let s = 0; s < Math.min(a.flows.count, c.streamCapacity); s++) {
    if (ctx.explained[s] || hs.synCount(s) === 0) continue;
    if (hs.ackFrame(s) > 0) {
      if (hs.ackTime(s) - hs.synTime(s) >= ctx.o.slowHandshakeSeconds) slow.push(s);
    } else if (!c.clientMoved[s] && !ctx.in.states.refused(s) && c.firstRstSide[s] === 255) {
      failed.push(s);
    }
  }
  for (const [listener, streams] of groupByEndpoint(ctx, slow, serverSide(ctx), true)) {
    const times = streams.map((s) => hs.ackTime(s) - hs.synTime(s));
    push(ctx, {
      code: 'tcp.handshake.slow',
      severity: 'warning',
      category: 'network',
      message: `${plural(streams.length, 'handshake')} with ${listener} took at least ${ctx.o.slowHandshakeSeconds} s (slowest ${r3(maxOf(times))} s)`,
      explanation:
        'The three-way handshake normally takes one round trip. Seconds mean a SYN or SYN-ACK was lost and resent after a ' +
        'timeout (1 s, then 3 s... on Linux), or the server was slow to answer.',
      endpoint: listener,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, slowestSeconds: r3(maxOf(times)) },
    });
  }
  for (const [listener, streams] of groupByEndpoint(ctx, failed, serverSide(ctx), true)) {
    if (streams.length < ctx.o.failedHandshakeMinConnections) continue;
    const answered = streams.filter((s) => hs.synAckCount(s) > 0).length;
    push(ctx, {
      code: 'tcp.handshake.failed',
      severity: 'warning',
      category: 'network',
      message: `${plural(streams.length, 'connection attempt')} to ${listener} never completed (${answered} got a SYN-ACK, ${streams.length - answered} got no answer)`,
      explanation:
        'A SYN went out and the handshake never finished: no answer at all means a firewall dropping packets, a host that is ' +
        'down, or a route that goes nowhere; a SYN-ACK without the final ACK means the answer did not reach the client or ' +
        'the capture missed it.',
      endpoint: listener,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, answeredWithSynAck: answered },
    });
  }
}

function refusedConnections(ctx: Ctx): void {
  const a = ctx.in.analysis;
  const refused: number[] = [];
  for (let s = 0; s < a.flows.count; s++) if (!ctx.explained[s] && ctx.in.states.refused(s)) refused.push(s);
  for (const [server, streams] of groupByEndpoint(ctx, refused, serverSide(ctx), false)) {
    const ports = [...new Set(streams.map((s) => port(ctx, s, clientSide(ctx, s) ^ 1)))].sort((x, y) => x - y);
    push(ctx, {
      code: 'tcp.connection.refused',
      severity: 'info',
      category: 'network',
      message: `${plural(streams.length, 'connection')} to ${server} refused with RST (port${ports.length > 1 ? 's' : ''} ${ports.slice(0, 10).join(', ')}${ports.length > 10 ? ', ...' : ''})`,
      explanation:
        'The server answered the SYN with a RST: nothing listens on that port (the service is down or on another port), or a ' +
        'firewall rejects the connection. Clients see ECONNREFUSED.',
      endpoint: ports.length === 1 ? ep(ctx, streams[0]!, clientSide(ctx, streams[0]!) ^ 1) : server,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => ctx.in.collector.firstRstFrame[s]!),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, ports: ports.length },
    });
  }
}

// ---------------------------------------------------------------- teardown

function closeWait(ctx: Ctx): void {
  const a = ctx.in.analysis;
  const st = ctx.in.states;
  const hits: number[] = [];
  const side = new Uint8Array(a.flows.count);
  const seconds = new Float64Array(a.flows.count);
  for (let s = 0; s < a.flows.count; s++) {
    for (let x = 0; x < 2; x++) {
      if (st.stateOf(s, x) === TcpState.CloseWait) {
        side[s] = x;
        seconds[s] = st.timeInState(s, x)[TcpState.CloseWait]! / 1000;
        hits.push(s);
        break;
      }
    }
  }
  for (const [endpoint, streams] of groupByEndpoint(ctx, hits, (s) => side[s]!, true)) {
    const longest = maxOf(streams.map((s) => seconds[s]!));
    if (streams.length < ctx.o.closeWaitMinConnections && longest < ctx.o.closeWaitMinSeconds) continue;
    const peersFinWait2 = streams.filter((s) => st.stateOf(s, side[s]! ^ 1) === TcpState.FinWait2).length;
    const severity: Severity = streams.length >= ctx.o.closeWaitErrorConnections ? 'error' : 'warning';
    push(ctx, {
      code: 'tcp.close_wait.excess',
      severity,
      category: 'network',
      message: `${endpoint} left ${plural(streams.length, 'connection')} in CLOSE_WAIT: the peer closed, ${endpoint} acknowledged the FIN and never closed its side (longest ${r3(longest)} s; ${peersFinWait2} peers wait in FIN_WAIT_2)`,
      explanation:
        'CLOSE_WAIT means the peer has closed its side (its FIN was received and acknowledged) and the local application has ' +
        'not called close() on the socket. It is never a network problem: a leaked socket, a missing close() on an error path, ' +
        'or a worker stuck before it closes. The sockets hold file descriptors until the process closes them or exits; the ' +
        'peers meanwhile sit in FIN_WAIT_2.',
      endpoint,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => a.flows.lastFrame[s]!),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, longestSeconds: r3(longest), peersInFinWait2: peersFinWait2 },
    });
  }
}

function timeWaitChurn(ctx: Ctx): void {
  const a = ctx.in.analysis;
  const st = ctx.in.states;
  const closers: number[] = [];
  const side = new Uint8Array(a.flows.count);
  for (let s = 0; s < a.flows.count; s++) {
    for (let x = 0; x < 2; x++) {
      if (st.stateOf(s, x) === TcpState.TimeWait) {
        side[s] = x;
        closers.push(s);
        break;
      }
    }
  }
  for (const [closer, streams] of groupByEndpoint(ctx, closers, (s) => side[s]!, false, ctx.o.timeWaitMinConnections)) {
    if (streams.length < ctx.o.timeWaitMinConnections) continue;
    // Each closed connection stays in TIME_WAIT for timeWaitSeconds from (about) its last packet: sweep for the peak.
    const ends = streams.map((s) => streamEnd(ctx, s)).sort((x, y) => x - y);
    let peak = 0;
    let j = 0;
    for (let i = 0; i < ends.length; i++) {
      while (ends[j]! + ctx.o.timeWaitSeconds <= ends[i]!) j++;
      peak = Math.max(peak, i - j + 1);
    }
    const asClient = streams.filter((s) => side[s] === clientSide(ctx, s)).length;
    // Ports run out per destination (ip:port): the busiest destination bounds the risk.
    const perDest = groupByEndpoint(ctx, streams, (s) => side[s]! ^ 1, true);
    const busiest = maxOf([...perDest.values()].map((l) => l.length));
    const share = peak / ctx.o.ephemeralPorts;
    const durations = streams.map((s) => streamEnd(ctx, s) - streamStart(ctx, s)).sort((x, y) => x - y);
    push(ctx, {
      code: 'tcp.time_wait.churn',
      severity: asClient > 0 && share >= 0.5 ? 'warning' : 'info',
      category: 'network',
      message: `${closer} actively closed ${streams.length} short connections (median ${r3(durations[durations.length >> 1]!)} s): about ${peak} sockets at once in TIME_WAIT (assuming ${ctx.o.timeWaitSeconds} s), ${Math.round(share * 1000) / 10}% of ${ctx.o.ephemeralPorts} ephemeral ports`,
      explanation:
        'The side that sends the first FIN keeps each connection in TIME_WAIT for 2*MSL (60 s on Linux) after closing. A ' +
        'client that opens and closes many short connections to the same server piles them up; when they approach the ' +
        'ephemeral port range, new connect() calls fail with EADDRNOTAVAIL. Reuse connections (keep-alive, pooling) or let ' +
        'the server close first.',
      endpoint: closer,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => a.flows.lastFrame[s]!),
      window: windowOf(ctx, streams),
      metrics: {
        connections: streams.length,
        peakTimeWait: peak,
        assumedTimeWaitSeconds: ctx.o.timeWaitSeconds,
        ephemeralPortShare: Math.round(share * 10000) / 10000,
        asClient,
        busiestDestinationConnections: busiest,
      },
    });
  }
}

// ---------------------------------------------------------------- data transfer

function retransmissionStorms(ctx: Ctx): void {
  const c = ctx.in.collector;
  const o = ctx.o;
  const hot = [...c.buckets.entries()]
    .filter(([, b]) => b.retransmissions >= o.stormMinRetransmissions && b.retransmissions >= o.stormMinShare * b.dataSegments)
    .map(([k]) => k)
    .sort((x, y) => x - y);
  // Merge hot buckets separated by at most one quiet bucket into one storm.
  let i = 0;
  while (i < hot.length) {
    let j = i;
    while (j + 1 < hot.length && hot[j + 1]! - hot[j]! <= 2) j++;
    let retrans = 0;
    let data = 0;
    const streams = new Set<number>();
    const fr: number[] = [];
    for (let k = hot[i]!; k <= hot[j]!; k++) {
      const b = c.buckets.get(k);
      if (!b) continue;
      retrans += b.retransmissions;
      data += b.dataSegments;
      for (const s of b.streams) streams.add(s);
      if (b.firstRetransFrame) fr.push(b.firstRetransFrame);
    }
    const start = hot[i]! * c.bucketSeconds;
    const end = (hot[j]! + 1) * c.bucketSeconds;
    const share = data ? retrans / data : 1;
    const list = [...streams];
    push(ctx, {
      code: 'tcp.retransmission.storm',
      severity: share >= 0.2 ? 'error' : 'warning',
      category: 'network',
      message: `retransmission storm from ${r3(start)} s to ${r3(end)} s: ${retrans} retransmissions (${Math.round(share * 1000) / 10}% of ${data} data segments) in ${plural(list.length, 'flow')}`,
      explanation:
        'Many segments had to be sent again in a short time: packet loss on the path (congestion, a full queue, a bad link or ' +
        'a policer), or a receiver that stopped acknowledging. Retransmissions cost a round trip or a timeout each and shrink ' +
        'the congestion window, so throughput drops. Compare with a capture taken at the other end to locate the loss.',
      streams: list,
      frames: fr,
      window: { start: r3(start), end: r3(end) },
      metrics: { retransmissions: retrans, dataSegments: data, share: Math.round(share * 10000) / 10000, flows: list.length },
    });
    i = j + 1;
  }
}

function rstStorms(ctx: Ctx): void {
  const c = ctx.in.collector;
  const o = ctx.o;
  // Count resets per (sending host, bucket); a storm is a run of hot buckets of one host. Hosts are keyed by number
  // (addressKey); only hosts with a hot bucket get their text, and IPv6 hash keys are re-split by it.
  const f = ctx.in.analysis.flows;
  const perKey = new Map<number, Map<number, number[]>>();
  for (let k = 0; k < c.rstCount; k++) {
    const s = c.rstStream[k]!;
    if (ctx.explained[s]) continue; // a scan's RST answers are the scan's story
    const key = f.addressKey(s, c.rstSide[k]!);
    const b = Math.floor(c.rstTime[k]! / o.rstStormBucketSeconds);
    let m = perKey.get(key);
    if (!m) perKey.set(key, (m = new Map()));
    const l = m.get(b);
    if (l) l.push(k);
    else m.set(b, [k]);
  }
  const perHost = new Map<string, Map<number, number[]>>();
  for (const [key, buckets] of perKey) {
    if (![...buckets.values()].some((l) => l.length >= o.rstStormMinResets)) continue;
    for (const [b, list] of buckets) {
      const parts = key >= 4294967296 ? groupBy(list, (k) => host(ctx, c.rstStream[k]!, c.rstSide[k]!)) : new Map([[host(ctx, c.rstStream[list[0]!]!, c.rstSide[list[0]!]!), list]]);
      for (const [h, l] of parts) {
        let m = perHost.get(h);
        if (!m) perHost.set(h, (m = new Map()));
        m.set(b, l);
      }
    }
  }
  for (const [h, buckets] of perHost) {
    const hot = [...buckets.entries()].filter(([, l]) => l.length >= o.rstStormMinResets).sort((x, y) => x[0] - y[0]);
    if (hot.length === 0) continue;
    const events = hot.flatMap(([, l]) => l);
    const streams = [...new Set(events.map((k) => c.rstStream[k]!))];
    const start = hot[0]![0] * o.rstStormBucketSeconds;
    const end = (hot[hot.length - 1]![0] + 1) * o.rstStormBucketSeconds;
    push(ctx, {
      code: 'tcp.rst.storm',
      severity: 'warning',
      category: 'network',
      message: `${h} sent ${events.length} resets between ${r3(start)} s and ${r3(end)} s across ${plural(streams.length, 'connection')}`,
      explanation:
        'A burst of resets from one host: a service crashing or restarting and aborting its connections, a load balancer or ' +
        'firewall killing idle or unknown flows, connections refused en masse, or injected resets.',
      endpoint: h,
      streams,
      frames: events.slice(0, MAX_FRAMES_LISTED).map((k) => c.rstFrame[k]!),
      window: { start: r3(start), end: r3(end) },
      metrics: { resets: events.length, connections: streams.length },
    });
  }
}

function zeroWindowStalls(ctx: Ctx): void {
  const c = ctx.in.collector;
  const how = ['the window reopened', 'a reset ended it', 'a FIN ended it', 'it lasted until the capture ended'];
  const byReceiver = new Map<string, number[]>();
  for (let k = 0; k < c.stallCount; k++) {
    if (c.stallEnd[k]! - c.stallStart[k]! < ctx.o.zeroWindowMinSeconds) continue;
    const e = ep(ctx, c.stallStream[k]!, c.stallSide[k]!);
    const l = byReceiver.get(e);
    if (l) l.push(k);
    else byReceiver.set(e, [k]);
  }
  for (const [receiver, list] of byReceiver) {
    const longest = list.reduce((m, k) => (c.stallEnd[k]! - c.stallStart[k]! > c.stallEnd[m]! - c.stallStart[m]! ? k : m), list[0]!);
    const total = list.reduce((sum, k) => sum + c.stallEnd[k]! - c.stallStart[k]!, 0);
    const probes = list.reduce((sum, k) => sum + c.stallProbes[k]!, 0);
    const unrecovered = list.filter((k) => c.stallHow[k] !== StallEnd.WindowOpened).length;
    const streams = [...new Set(list.map((k) => c.stallStream[k]!))];
    push(ctx, {
      code: 'tcp.zero_window.stall',
      severity: unrecovered > 0 ? 'error' : 'warning',
      category: 'network',
      message: `${receiver} advertised a zero window for ${r3(total)} s in ${plural(list.length, 'stall')} (longest ${r3(c.stallEnd[longest]! - c.stallStart[longest]!)} s, ${probes} probes; ${how[c.stallHow[longest]!]})`,
      explanation:
        'A receiver whose buffer is full advertises a zero window and the sender must stop and probe until it reopens. The ' +
        'receiving application is not reading fast enough (busy, blocked, or too small a receive buffer); the network is ' +
        'not at fault. A stall that never reopens ends in a timeout or reset.',
      endpoint: receiver,
      streams,
      frames: list.flatMap((k) => [c.stallStartFrame[k]!, c.stallEndFrame[k]!]),
      window: { start: r3(minOf(list.flatMap((k) => [c.stallStart[k]!, c.stallEnd[k]!]))), end: r3(maxOf(list.flatMap((k) => [c.stallStart[k]!, c.stallEnd[k]!]))) },
      metrics: { stalls: list.length, totalSeconds: r3(total), probes, unrecovered },
    });
  }
}

function halfOpen(ctx: Ctx): void {
  const c = ctx.in.collector;
  const a = ctx.in.analysis;
  const hits: number[] = [];
  const side = new Uint8Array(a.flows.count);
  for (let s = 0; s < Math.min(a.flows.count, c.streamCapacity); s++) {
    if (ctx.explained[s]) continue;
    for (let x = 0; x < 2; x++) {
      const i = s * 2 + x;
      if (c.runLength[i]! < ctx.o.halfOpenMinRetransmissions) continue;
      // Silence: nothing from the peer after the run began (a peer packet resets the run), so it ran into the void.
      side[s] = x;
      hits.push(s);
      break;
    }
  }
  for (const [peer, streams] of groupByEndpoint(ctx, hits, (s) => side[s]! ^ 1, true)) {
    const retrans = streams.reduce((sum, s) => sum + c.runLength[s * 2 + side[s]!]!, 0);
    const endedByRst = streams.filter((s) => c.firstRstSide[s] !== 255).length;
    push(ctx, {
      code: 'tcp.half_open',
      severity: 'warning',
      category: 'network',
      message: `${peer} went silent: ${plural(streams.length, 'connection')} kept retransmitting to it (${retrans} unanswered retransmissions; ${endedByRst} ended with a reset, the rest at capture end)`,
      explanation:
        'One side kept retransmitting with growing back-off and the other never answered: the peer crashed or rebooted, a ' +
        'NAT or firewall dropped the connection state, or the path broke. The sender gives up after its retry limit ' +
        '(tcp_retries2, about 15 minutes on Linux) unless a user timeout or keep-alive ends it sooner.',
      endpoint: peer,
      streams,
      frames: streams.slice(0, MAX_FRAMES_LISTED).map((s) => c.runFirstFrame[s * 2 + side[s]!]!),
      window: {
        // Run times follow file order, which may step back in time: take both ends so the window runs forwards.
        start: r3(minOf(streams.flatMap((s) => [c.runFirstTime[s * 2 + side[s]!]!, c.runLastTime[s * 2 + side[s]!]!]))),
        end: r3(maxOf(streams.flatMap((s) => [c.runFirstTime[s * 2 + side[s]!]!, c.runLastTime[s * 2 + side[s]!]!]))),
      },
      metrics: { connections: streams.length, unansweredRetransmissions: retrans, endedByReset: endedByRst, captureEnd: r3(captureEnd(ctx)) },
    });
  }
}
