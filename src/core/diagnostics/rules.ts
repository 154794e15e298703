import type { CaptureAnalysis } from '../analyzeCapture';
import { TcpState, type EndpointStateTracker } from '../analysis/endpointStates';
import type { HandshakeTracker } from '../analysis/handshake';
import type { SequenceAnalyzer } from '../analysis/seqAnalysis';
import { secondsBetween } from '../util/format';
import type { CaptureSideCollector } from './captureSide';
import { StallEnd, type DiagnosticsCollector } from './collector';
import { groupBy, groupByIds, sketchCell, SKETCH_CELLS, StreamIds, type Groups } from './ids';
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
 * sequence analysis and the collectors' events, and groups what it finds by the endpoint that has the problem,
 * so one sick listener gives one finding, not one per packet.
 *
 * A capture can hold a million streams: rules scan typed arrays, group streams by dense numbers (StreamIds) and
 * make text only for the groups that become findings.
 */

export interface DiagnosticsInput {
  analysis: CaptureAnalysis;
  seq: SequenceAnalyzer;
  states: EndpointStateTracker;
  handshakes: HandshakeTracker;
  captureSide: CaptureSideCollector;
  collector: DiagnosticsCollector;
}

/**
 * What the handshake rules read: what the reader thread of a parallel pass holds (src/node/readerThread.ts). They
 * also need which streams the state machine saw refused, which only the analysis thread knows: HandshakeRules.explain
 * takes it.
 */
export interface HandshakeRulesInput {
  analysis: CaptureAnalysis;
  handshakes: HandshakeTracker;
  captureSide: CaptureSideCollector;
}

/** What the other rules read: what the analysis thread of a parallel pass holds, with the reader's capture side. */
export type StateRulesInput = Omit<DiagnosticsInput, 'handshakes'>;

/**
 * The rules in the order their findings are listed before the final sort (which is stable, so this order breaks
 * its ties): the same whether the rules ran in one thread or two.
 */
const RULE_ORDER = [
  'captureQuality',
  'synFloodAndScan',
  'acceptQueueOverflow',
  'handshakeProblems',
  'refusedConnections',
  'closeWait',
  'timeWaitChurn',
  'retransmissionStorms',
  'rstStorms',
  'zeroWindowStalls',
  'halfOpen',
] as const;
type RuleName = (typeof RULE_ORDER)[number];
/** Findings by the rule that made them. Plain data: it crosses threads. */
export type RuleFindings = Partial<Record<RuleName, Finding[]>>;

interface Ctx {
  in: { analysis: CaptureAnalysis };
  o: DiagnosticOptions;
  /** Where push() puts findings: the list of the rule at hand (see run). */
  out: Finding[];
  /** Streams already explained by a SYN flood, a port scan or an overloaded listener: later rules leave them alone. */
  explained: Uint8Array;
  ids: StreamIds;
}

interface HandshakeCtx extends Ctx {
  in: HandshakeRulesInput;
  census: HandshakeCensus;
  /** 1 for each stream refused with a RST (EndpointStateTracker.refusedStreams). */
  refused: Uint8Array;
}

interface StateCtx extends Ctx {
  in: StateRulesInput;
  census: EndStateCensus;
}

/** What RST storms read: the capture side's resets. */
interface ResetCtx extends Ctx {
  in: { analysis: CaptureAnalysis; captureSide: CaptureSideCollector };
}

function run<C extends Ctx>(ctx: C, into: RuleFindings, name: RuleName, rule: (ctx: C) => void): void {
  ctx.out = into[name] = [];
  rule(ctx);
}

/**
 * The streams each rule starts from, found in one pass over all streams (a capture can hold millions; one pass
 * reads each stream's facts once). Lists are in stream order; rules drop the streams `explained` meanwhile.
 */
interface HandshakeCensus {
  refused: number[];
  /** A SYN, no final ACK, the client sent nothing else, not refused. */
  unfinished: number[];
  /** A SYN and no data exchanged after a completed handshake. */
  probes: number[];
  /** SYN retransmitted, handshake slow, or SYN-ACK retransmitted after the final ACK; not refused. */
  queued: number[];
  slow: number[];
  /** Unfinished and no RST at all. */
  failed: number[];
}

interface EndStateCensus {
  joined: number[];
  /** Streams with a side in CLOSE_WAIT at the end; `closeWaitSide` says which. */
  closeWait: number[];
  closeWaitSide: number[];
  /** Streams with a side in TIME_WAIT at the end (side 0 first): typically most of them. */
  timeWait: Int32Array;
  timeWaitSide: Uint8Array;
  /**
   * Counts of TIME_WAIT streams per hashed closing address (sketchCell), and each one's cell: the TIME_WAIT rule only
   * numbers the addresses of cells that reach its threshold, not the many clients that closed a few connections.
   */
  timeWaitCells: Int32Array;
  timeWaitCell: Int32Array;
  /** Streams with a side whose retransmissions nothing answered, at least halfOpenMinRetransmissions of them. */
  silent: number[];
  silentSide: number[];
}

/**
 * The handshake lists, from the handshake tracker and the capture side, before it is known which streams were
 * refused: in a parallel pass the reader thread gathers them while the analysis thread finishes its share of the
 * pass. `unfinished` and `queued` still hold refused streams, `refused` is empty (see refusedCensus).
 */
function handshakeCensus(input: HandshakeRulesInput, o: DiagnosticOptions): HandshakeCensus {
  const k: HandshakeCensus = { refused: [], unfinished: [], probes: [], queued: [], slow: [], failed: [] };
  const w = input.captureSide;
  const hs = input.handshakes;
  const flows = input.analysis.flows;
  const n = flows.count;
  const slowNs = o.slowHandshakeSeconds * 1e9;
  for (let s = 0; s < n; s++) {
    const syns = hs.synCount(s);
    if (syns > 0) {
      const acked = hs.ackFrame(s) > 0;
      const slow = acked && hs.handshakeNs(s) >= slowNs;
      if (!acked && !w.clientMoved(s)) k.unfinished.push(s);
      if (!(acked && flows.payload[s * 2]! + flows.payload[s * 2 + 1]! > 0)) k.probes.push(s);
      if (syns > 1 || slow || (acked && hs.synAckCount(s) > 1)) k.queued.push(s);
      if (slow) k.slow.push(s);
    }
  }
  return k;
}

/** The census completed with the refused streams: listed, and left out of `unfinished`, `failed` and `queued`. */
function refusedCensus(k: HandshakeCensus, refused: Uint8Array, w: CaptureSideCollector): void {
  for (let s = 0; s < refused.length; s++) if (refused[s] === 1) k.refused.push(s);
  const unfinished = k.unfinished;
  k.unfinished = [];
  for (const s of unfinished) {
    if (refused[s] === 1) continue;
    k.unfinished.push(s);
    if (!w.hasRst(s)) k.failed.push(s);
  }
  k.queued = k.queued.filter((s) => refused[s] !== 1);
}

/** The end-state lists, from the state machine and the diagnostics collector. */
function endStateCensus(input: StateRulesInput, o: DiagnosticOptions): EndStateCensus {
  const c = input.collector;
  const st = input.states;
  const flows = input.analysis.flows;
  const n = flows.count;
  const silent = c.silentStreams(o.halfOpenMinRetransmissions);
  const k: EndStateCensus = {
    joined: [],
    closeWait: [],
    closeWaitSide: [],
    timeWait: new Int32Array(n),
    timeWaitSide: new Uint8Array(n),
    timeWaitCells: new Int32Array(SKETCH_CELLS),
    timeWaitCell: new Int32Array(n),
    silent: silent.streams,
    silentSide: silent.sides,
  };
  let timeWait = 0;
  for (let s = 0; s < n; s++) {
    if (st.joinedMidStream(s)) k.joined.push(s);
    const s0 = st.stateOf(s, 0);
    const s1 = st.stateOf(s, 1);
    if (s0 === TcpState.CloseWait || s1 === TcpState.CloseWait) {
      k.closeWait.push(s);
      k.closeWaitSide.push(s0 === TcpState.CloseWait ? 0 : 1);
    }
    if (s0 === TcpState.TimeWait || s1 === TcpState.TimeWait) {
      const x = s0 === TcpState.TimeWait ? 0 : 1;
      const cell = sketchCell(flows, s, x, false);
      k.timeWaitSide[s] = x;
      k.timeWaitCell[timeWait] = cell;
      k.timeWaitCells[cell]!++;
      k.timeWait[timeWait++] = s;
    }
  }
  k.timeWait = k.timeWait.subarray(0, timeWait);
  k.timeWaitCell = k.timeWaitCell.subarray(0, timeWait);
  return k;
}

function unexplained(ctx: Ctx, list: number[]): number[] {
  const explained = ctx.explained;
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) if (!explained[list[i]!]) out.push(list[i]!);
  return out;
}

/**
 * The rules about opening connections: everything they read is in the reader thread of a parallel pass, which runs
 * them while the analysis thread runs StateRules. `explain` goes first: refused connections, RST storms and half-open
 * connections leave alone the streams it explained.
 */
export class HandshakeRules {
  private readonly ctx: HandshakeCtx;

  /** Gathers the streams the rules start from (the census) right away. */
  constructor(input: HandshakeRulesInput, options: Partial<DiagnosticOptions> = {}) {
    const o: DiagnosticOptions = { ...DEFAULT_DIAGNOSTIC_OPTIONS, ...options };
    const n = input.analysis.flows.count;
    const census = handshakeCensus(input, o);
    // `refused` comes with explain.
    this.ctx = { in: input, o, out: [], explained: new Uint8Array(n), ids: new StreamIds(input.analysis.flows), census, refused: new Uint8Array(0) };
  }

  /**
   * SYN floods, port scans, overloaded listeners, slow and failed handshakes; and the streams they explain.
   * `refused`: 1 for each stream refused with a RST (EndpointStateTracker.refusedStreams).
   */
  explain(refused: Uint8Array): { findings: RuleFindings; explained: Uint8Array } {
    this.ctx.refused = refused;
    refusedCensus(this.ctx.census, refused, this.ctx.in.captureSide);
    const findings: RuleFindings = {};
    run(this.ctx, findings, 'synFloodAndScan', synFloodAndScan);
    run(this.ctx, findings, 'acceptQueueOverflow', acceptQueueOverflow);
    run(this.ctx, findings, 'handshakeProblems', handshakeProblems);
    return { findings, explained: this.ctx.explained };
  }

  /** Refused connections (after explain). */
  rest(): RuleFindings {
    const findings: RuleFindings = {};
    run(this.ctx, findings, 'refusedConnections', refusedConnections);
    return findings;
  }
}

/** The rules about the capture, the end states, the data, resets, and those that wait for HandshakeRules.explain. */
export class StateRules {
  private readonly ctx: StateCtx;

  constructor(input: StateRulesInput, options: Partial<DiagnosticOptions> = {}) {
    const o: DiagnosticOptions = { ...DEFAULT_DIAGNOSTIC_OPTIONS, ...options };
    // `explained` comes from HandshakeRules.explain, for afterHandshakes.
    this.ctx = { in: input, o, out: [], explained: new Uint8Array(0), ids: new StreamIds(input.analysis.flows), census: endStateCensus(input, o) };
  }

  /** Capture quality, CLOSE_WAIT, TIME_WAIT churn, retransmission storms, zero-window stalls. */
  run(): RuleFindings {
    const findings: RuleFindings = {};
    run(this.ctx, findings, 'captureQuality', captureQuality);
    run(this.ctx, findings, 'closeWait', closeWait);
    run(this.ctx, findings, 'timeWaitChurn', timeWaitChurn);
    run(this.ctx, findings, 'retransmissionStorms', retransmissionStorms);
    run(this.ctx, findings, 'zeroWindowStalls', zeroWindowStalls);
    return findings;
  }

  /** RST storms and half-open connections, leaving alone the streams `explained` (HandshakeRules.explain). */
  afterHandshakes(explained: Uint8Array): RuleFindings {
    this.ctx.explained = explained;
    const findings: RuleFindings = {};
    run(this.ctx, findings, 'rstStorms', rstStorms);
    run(this.ctx, findings, 'halfOpen', halfOpen);
    return findings;
  }
}

/** Every rule's findings in RULE_ORDER, most severe first, then by the start of their window. */
export function mergeFindings(parts: readonly RuleFindings[]): Finding[] {
  const out: Finding[] = [];
  for (const name of RULE_ORDER) for (const p of parts) if (p[name]) out.push(...p[name]!);
  return out.sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || (a.window?.start ?? 0) - (b.window?.start ?? 0),
  );
}

/**
 * HandshakeRules run somewhere else (the reader thread of a parallel pass: src/node/parallel.ts). Each call
 * blocks until that part's findings are in.
 */
export interface HandshakeRulesElsewhere {
  /** Hands over which streams were refused (see HandshakeRules.explain). */
  start(refused: Uint8Array): void;
  explain(): ReturnType<HandshakeRules['explain']>;
  rest(): RuleFindings;
}

/**
 * All the rules: the handshake half here, or `elsewhere` while this thread runs the other half. Either way the
 * halves meet at the same points (explain before half-open connections, refused connections and RST storms) and
 * the findings are merged in one order, so they are the same.
 */
export function diagnose(input: DiagnosticsInput, options: Partial<DiagnosticOptions> = {}, elsewhere?: HandshakeRulesElsewhere): Finding[] {
  const refused = input.states.refusedStreams(input.analysis.flows.count);
  let handshakes: HandshakeRulesElsewhere;
  if (elsewhere) {
    handshakes = elsewhere;
  } else {
    const here = new HandshakeRules(input, options);
    handshakes = { start: () => {}, explain: () => here.explain(refused), rest: () => here.rest() };
  }
  handshakes.start(refused);
  const states = new StateRules(input, options);
  const early = states.run();
  const { findings, explained } = handshakes.explain();
  return mergeFindings([early, findings, states.afterHandshakes(explained), handshakes.rest()]);
}

// ---------------------------------------------------------------- helpers

function port(ctx: Ctx, s: number, side: number): number {
  return ctx.in.analysis.flows.port(s, side);
}

function clientSide(ctx: Ctx, s: number): number {
  return ctx.in.analysis.flows.clientDir[s]!;
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
 * The side `side(s)` of each of `streams`, with its address key, (when `withPort`) its port and (when `withOther`)
 * the other side's address key, read from the flow table once: sketching the groups, numbering their members and
 * the rules' own reads all need them, and a stream of a sparse list is a random place in the table.
 */
function sidesAndKeys(ctx: Ctx, streams: ArrayLike<number>, side: (s: number) => number, withPort: boolean, withOther = false): SidesAndKeys {
  const flows = ctx.in.analysis.flows;
  const n = streams.length;
  const sides = new Uint8Array(n);
  const keys = new Float64Array(n);
  const ports = withPort ? new Int32Array(n) : null;
  const others = withOther ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    const s = streams[i]!;
    const x = side(s);
    sides[i] = x;
    keys[i] = flows.addressKey(s, x);
    if (ports !== null) ports[i] = flows.port(s, x);
    if (others !== null) others[i] = flows.addressKey(s, x ^ 1);
  }
  return { sides, keys, ports, others };
}

interface SidesAndKeys {
  sides: Uint8Array;
  keys: Float64Array;
  ports: Int32Array | null;
  /** The other side's address keys (withOther). */
  others: Float64Array | null;
}

/** Streams grouped by the endpoint (`ip:port`) of the side `side(s)`, optionally only groups of `minGroup`. */
function byEndpoint(ctx: Ctx, streams: ArrayLike<number>, side: (s: number) => number, minGroup = 1): Groups {
  const { list, id } = numberedBig(ctx, streams, side, true, minGroup);
  return groupByIds(list, id, ctx.ids.endpointCount, minGroup);
}

/**
 * The streams of `streams`, in order, whose address (with its port when `withPort`) at the side `side(s)` may be
 * shared by at least `minGroup` of them (ids.maybeInBigGroups), each with that side and its host (or endpoint)
 * number, and (when `withOther`) the other side's address key.
 */
function numberedBig(ctx: Ctx, streams: ArrayLike<number>, side: (s: number) => number, withPort: boolean, minGroup: number, withOther = false): { list: Int32Array; id: Int32Array; sides: Uint8Array; others: Float64Array } {
  const ids = ctx.ids;
  const { sides, keys, ports, others } = sidesAndKeys(ctx, streams, side, withPort, withOther);
  const big = ids.maybeInBigGroups(keys, ports, minGroup);
  const list = new Int32Array(big.length);
  const id = new Int32Array(big.length);
  const bigSides = new Uint8Array(big.length);
  const bigOthers = new Float64Array(others === null ? 0 : big.length);
  for (let j = 0; j < big.length; j++) {
    const i = big[j]!;
    const s = streams[i]!;
    list[j] = s;
    bigSides[j] = sides[i]!;
    if (others !== null) bigOthers[j] = others[i]!;
    id[j] = ports === null ? ids.hostOfKey(keys[i]!, s, sides[i]!) : ids.endpointOfKey(keys[i]!, ports[i]!, s, sides[i]!);
  }
  return { list, id, sides: bigSides, others: bigOthers };
}

/** For each place of `g.items`, the index in the list grouped of the item there. */
function itemIndex(g: Groups): Int32Array {
  const out = new Int32Array(g.items.length);
  const at = g.start.slice(0, g.count);
  const groupOf = g.groupOf;
  for (let k = 0; k < groupOf.length; k++) {
    const x = groupOf[k]!;
    if (x >= 0) out[at[x]!++] = k;
  }
  return out;
}

function members(g: Groups, k: number): Int32Array {
  return g.items.subarray(g.start[k]!, g.start[k + 1]!);
}

function serverSide(ctx: Ctx): (s: number) => number {
  const client = ctx.in.analysis.flows.clientDir;
  return (s) => client[s]! ^ 1;
}

/** The first `max` items as a plain array (findings are JSON). */
function listOf(xs: ArrayLike<number>, max = Infinity): number[] {
  const n = Math.min(xs.length, max);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = xs[i]!;
  return out;
}

/** `frameOf` for the first MAX_FRAMES_LISTED streams. */
function framesOf(streams: ArrayLike<number>, frameOf: (s: number) => number): number[] {
  const n = Math.min(streams.length, MAX_FRAMES_LISTED);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = frameOf(streams[i]!);
  return out;
}

function frames(list: number[]): number[] {
  const out: number[] = [];
  for (const f of list) if (f > 0 && !out.includes(f)) out.push(f);
  return out.slice(0, MAX_FRAMES_LISTED);
}

function push(ctx: Ctx, f: Omit<Finding, 'streams' | 'frames'> & { streams: ArrayLike<number>; frames: number[] }): void {
  ctx.out.push({ ...f, streams: listOf(f.streams, MAX_STREAMS_LISTED), frames: frames(f.frames) });
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

function windowOf(ctx: Ctx, streams: ArrayLike<number>): { start: number; end: number } {
  let start = Infinity;
  let end = -Infinity;
  // Every array in a local (see churnReads).
  const { refSec, refNsec, flows } = ctx.in.analysis;
  const { startSec, startNsec, endSec, endNsec } = flows;
  // A flow's first packet in file order need not be its earliest (clocks step back in merged or damaged files); a
  // window must still run forwards.
  for (let i = 0; i < streams.length; i++) {
    const s = streams[i]!;
    const a = secondsBetween(refSec, refNsec, startSec[s]!, startNsec[s]!);
    const b = secondsBetween(refSec, refNsec, endSec[s]!, endNsec[s]!);
    start = Math.min(start, a, b);
    end = Math.max(end, a, b);
  }
  return { start: r3(start), end: r3(end) };
}

// ---------------------------------------------------------------- capture quality

function captureQuality(ctx: StateCtx): void {
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
  // Cut inside the TCP options counts too (the fixed header whole, the packet analysed): a SYN's window scale or
  // SACK permission cut off changes what the analysis can tell about the whole connection.
  const cut = p.truncated + p.optionsCut;
  if (cut > 0) {
    push(ctx, {
      code: 'capture.snaplen',
      severity: 'info',
      category: 'capture',
      message: `${plural(cut, 'packet')} ${cut === 1 ? 'was' : 'were'} cut by the snapshot length before the end of their TCP header (${p.truncated} before the end of the fixed header, ${p.optionsCut} inside the options)`,
      explanation:
        'The capture was taken with a small snapshot length (for example tcpdump -s 60), so headers are incomplete. ' +
        'Lengths still come from the IP header, but checks that need TCP options (SACK, window scale) are weaker.',
      streams: [],
      frames: [...p.examples.filter((e) => e.kind === 'truncated').map((e) => e.frameNumber), ...p.optionsCutFrames].sort((x, y) => x - y),
      metrics: { packets: cut, headerCut: p.truncated, optionsCut: p.optionsCut },
    });
  }
  if (p.malformed > 0) {
    const ex = p.examples.filter((e) => e.kind === 'malformed');
    push(ctx, {
      code: 'packet.malformed',
      severity: 'warning',
      category: 'packet',
      message: `${plural(p.malformed, 'packet')} ${p.malformed === 1 ? 'is' : 'are'} malformed (first: frame ${ex[0]?.frameNumber}, ${ex[0]?.layer}: ${ex[0]?.reason})`,
      explanation:
        'These packets contradict themselves (a header length that cannot be, a length beyond the data). They were counted and ' +
        'skipped by the TCP analysis; the rest of the capture was analysed normally. Crafted traffic, scanners and broken ' +
        'capture hardware produce them.',
      streams: [],
      frames: ex.map((e) => e.frameNumber),
      metrics: { packets: p.malformed },
    });
  }
  const joined = ctx.census.joined;
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
  const c = ctx.in.captureSide;
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

function synFloodAndScan(ctx: HandshakeCtx): void {
  const hs = ctx.in.handshakes;
  const o = ctx.o;
  const ids = ctx.ids;
  // SYN flood: one listener, many unfinished handshakes from many sources.
  // The clients' addresses are read with the listeners', in stream order (see sidesAndKeys).
  const flood = numberedBig(ctx, ctx.census.unfinished, serverSide(ctx), true, o.synFloodMinHalfOpen, true);
  const byListener = groupByIds(flood.list, flood.id, ids.endpointCount, o.synFloodMinHalfOpen);
  const floodIndex = itemIndex(byListener);
  for (let g = 0; g < byListener.count; g++) {
    const streams = members(byListener, g);
    const sourceSet = new Set<number>();
    for (let i = byListener.start[g]!; i < byListener.start[g + 1]!; i++) {
      const j = floodIndex[i]!;
      sourceSet.add(ids.hostOfKey(flood.others[j]!, flood.list[j]!, flood.sides[j]! ^ 1));
    }
    const sources = sourceSet.size;
    if (sources < o.synFloodMinSources) continue;
    let synAckRetries = 0;
    let answered = 0;
    for (const s of streams) {
      if (hs.synAckCount(s) > 0) answered++;
      synAckRetries += Math.max(0, hs.synAckCount(s) - 1);
    }
    for (const s of streams) ctx.explained[s] = 1;
    const listener = ids.endpointName(byListener.key[g]!);
    push(ctx, {
      code: 'tcp.syn.flood',
      severity: 'error',
      category: 'network',
      message: `SYN flood on ${listener}: ${streams.length} handshakes left half-open from ${sources} source addresses (${answered} answered with SYN-ACK, ${synAckRetries} SYN-ACK retransmissions)`,
      explanation:
        'Many clients sent a SYN and never completed the handshake. Each such SYN holds a SYN_RECV slot on the server while it ' +
        'retransmits its SYN-ACK; enough of them fill the SYN queue and real clients are refused or delayed. Many distinct ' +
        'sources with no follow-up is the signature of spoofed SYNs; enable SYN cookies and rate-limit at the edge.',
      endpoint: listener,
      streams,
      frames: framesOf(streams, (s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { halfOpen: streams.length, sources, answeredWithSynAck: answered, synAckRetransmissions: synAckRetries },
    });
  }
  // Port scan: one source probing many ports of one host, mostly answered by RST or nothing.
  const probes = ctx.census.probes;
  // Only sources with enough probes can be scanners; then one group per (source, target) pair.
  const { list: candidates, id: sourceOf, sides, others: targets } = numberedBig(ctx, probes, (s) => clientSide(ctx, s), false, o.portScanMinPorts, true);
  const busy = sourcesWithProbes(ids.hostCount, sourceOf, o.portScanMinPorts);
  const busyStreams = new Int32Array(busy.length);
  const pairOf = new Int32Array(busy.length);
  for (let b = 0; b < busy.length; b++) {
    const j = busy[b]!;
    const s = candidates[j]!;
    busyStreams[b] = s;
    pairOf[b] = ids.pair(sourceOf[j]!, ids.hostOfKey(targets[j]!, s, sides[j]! ^ 1));
  }
  const byPair = groupByIds(busyStreams, pairOf, ids.pairCount);
  for (let g = 0; g < byPair.count; g++) {
    const streams = members(byPair, g);
    const ports = new Set<number>();
    for (const s of streams) ports.add(port(ctx, s, clientSide(ctx, s) ^ 1));
    if (ports.size < o.portScanMinPorts) continue;
    let refused = 0;
    let open = 0;
    for (const s of streams) {
      if (ctx.refused[s] === 1) refused++;
      else if (hs.synAckCount(s) > 0) open++;
      ctx.explained[s] = 1;
    }
    const src = ids.hostName(ids.pairFirst(byPair.key[g]!));
    const dst = ids.hostName(ids.pairSecond(byPair.key[g]!));
    push(ctx, {
      code: 'tcp.port_scan',
      severity: 'warning',
      category: 'network',
      message: `port scan from ${src} against ${dst}: ${ports.size} ports probed, ${refused} refused with RST, ${open} answered with SYN-ACK`,
      explanation:
        'One source opened connections to many ports of one host without using them: a port scanner (nmap -sS and the like) or ' +
        'a misconfigured health check. Open ports are the ones answering SYN-ACK.',
      endpoint: src,
      streams,
      frames: framesOf(streams, (s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { ports: ports.size, refused, open, probes: streams.length, target: dst },
    });
  }
}

/** Indexes j, in order, whose source `sourceOf[j]` (a host number below `hostCount`) has at least `min` of them. */
function sourcesWithProbes(hostCount: number, sourceOf: Int32Array, min: number): Int32Array {
  const size = new Int32Array(hostCount);
  for (let j = 0; j < sourceOf.length; j++) size[sourceOf[j]!]!++;
  const out = new Int32Array(sourceOf.length);
  let n = 0;
  for (let j = 0; j < sourceOf.length; j++) if (size[sourceOf[j]!]! >= min) out[n++] = j;
  return out.subarray(0, n);
}

/** Whether any of `streams` got a SYN-ACK. */
function answeredAny(hs: HandshakeTracker, streams: Int32Array): boolean {
  for (let i = 0; i < streams.length; i++) if (hs.synAckCount(streams[i]!) > 0) return true;
  return false;
}

function acceptQueueOverflow(ctx: HandshakeCtx): void {
  const hs = ctx.in.handshakes;
  const f = ctx.in.analysis.flows;
  const ids = ctx.ids;
  // A listener that answers (it is alive) but whose clients must resend SYNs, or whose handshakes take seconds.
  const affected = unexplained(ctx, ctx.census.queued);
  const server = serverSide(ctx);
  const byListener = byEndpoint(ctx, affected, server, ctx.o.acceptQueueMinAffected);
  if (byListener.count === 0) return;
  // Alive: the listener answered at least one SYN, on any connection. Its own affected connections usually show it
  // (they got their SYN-ACK, late); only listeners none of whose affected connections got one need the scan of
  // every stream (10 of the bench's 179; the scan then took 1.5-3.4 ms). The scan checks the port first, then the
  // address key, and numbers only the candidates' endpoints: most streams go to the same few ports, so numbering
  // every listener it passes would grow the endpoint table for nothing. It stops once every candidate is known
  // alive.
  const alive = new Uint8Array(ids.endpointCount);
  const candidate = new Uint8Array(ids.endpointCount);
  const candidatePort = new Uint8Array(65536);
  const candidateKeys = new Set<number>();
  let unknown = 0;
  for (let g = 0; g < byListener.count; g++) {
    const e = byListener.key[g]!;
    if (answeredAny(hs, members(byListener, g))) {
      alive[e] = 1;
      continue;
    }
    const s = byListener.items[byListener.start[g]!]!;
    candidate[e] = 1;
    candidatePort[ids.portOfEndpoint(e)] = 1;
    candidateKeys.add(f.addressKey(s, server(s)));
    unknown++;
  }
  for (let s = 0; unknown > 0 && s < f.count; s++) {
    if (hs.synAckCount(s) === 0) continue;
    const x = server(s);
    const p = f.port(s, x);
    if (!candidatePort[p]) continue;
    const key = f.addressKey(s, x);
    if (!candidateKeys.has(key)) continue;
    const e = ids.endpointOfKey(key, p, s, x);
    if (e < candidate.length && candidate[e] && !alive[e]) {
      alive[e] = 1;
      unknown--;
    }
  }
  for (let g = 0; g < byListener.count; g++) {
    if (!alive[byListener.key[g]!]) continue;
    const streams = members(byListener, g);
    let synRetries = 0;
    let synAckRetries = 0;
    let maxHandshake = 0;
    for (const s of streams) {
      synRetries += hs.synCount(s) - 1;
      synAckRetries += Math.max(0, hs.synAckCount(s) - 1);
      if (hs.ackFrame(s) > 0) maxHandshake = Math.max(maxHandshake, hs.ackTime(s) - hs.synTime(s));
      ctx.explained[s] = 1;
    }
    const listener = ids.endpointName(byListener.key[g]!);
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
      frames: framesOf(streams, (s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, synRetransmissions: synRetries, synAckRetransmissions: synAckRetries, slowestHandshakeSeconds: r3(maxHandshake) },
    });
  }
}

function handshakeProblems(ctx: HandshakeCtx): void {
  const hs = ctx.in.handshakes;
  const ids = ctx.ids;
  const slow = unexplained(ctx, ctx.census.slow);
  const failed = unexplained(ctx, ctx.census.failed);
  const slowGroups = byEndpoint(ctx, slow, serverSide(ctx));
  for (let g = 0; g < slowGroups.count; g++) {
    const streams = members(slowGroups, g);
    const listener = ids.endpointName(slowGroups.key[g]!);
    let slowest = -Infinity;
    for (const s of streams) if (hs.ackTime(s) - hs.synTime(s) > slowest) slowest = hs.ackTime(s) - hs.synTime(s);
    push(ctx, {
      code: 'tcp.handshake.slow',
      severity: 'warning',
      category: 'network',
      message: `${plural(streams.length, 'handshake')} with ${listener} took at least ${ctx.o.slowHandshakeSeconds} s (slowest ${r3(slowest)} s)`,
      explanation:
        'The three-way handshake normally takes one round trip. Seconds mean a SYN or SYN-ACK was lost and resent after a ' +
        'timeout (1 s, then 3 s... on Linux), or the server was slow to answer.',
      endpoint: listener,
      streams,
      frames: framesOf(streams, (s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, slowestSeconds: r3(slowest) },
    });
  }
  const failedGroups = byEndpoint(ctx, failed, serverSide(ctx), ctx.o.failedHandshakeMinConnections);
  for (let g = 0; g < failedGroups.count; g++) {
    const streams = members(failedGroups, g);
    const listener = ids.endpointName(failedGroups.key[g]!);
    let answered = 0;
    for (const s of streams) if (hs.synAckCount(s) > 0) answered++;
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
      frames: framesOf(streams, (s) => hs.synFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, answeredWithSynAck: answered },
    });
  }
}

function refusedConnections(ctx: HandshakeCtx): void {
  const ids = ctx.ids;
  const server = serverSide(ctx);
  const refused = unexplained(ctx, ctx.census.refused);
  // Each stream's server port is read with its address, in stream order: read again group by group, the members
  // are random places of the flow table (31 ms of the rule in a profile of the bench's 40 000 refused streams).
  const { sides, keys, ports: portOfItem } = sidesAndKeys(ctx, refused, server, true);
  const list = Int32Array.from(refused); // groupByIds sees typed lists only: a second array kind deoptimises it
  const hostOf = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) hostOf[i] = ids.hostOfKey(keys[i]!, list[i]!, sides[i]!);
  const groups = groupByIds(list, hostOf, ids.hostCount);
  const where = itemIndex(groups);
  const portSeen = new Uint8Array(65536); // the ports of the group at hand, cleared after each
  for (let g = 0; g < groups.count; g++) {
    const streams = members(groups, g);
    const ports: number[] = [];
    for (let i = groups.start[g]!; i < groups.start[g + 1]!; i++) {
      const p = portOfItem![where[i]!]!;
      if (!portSeen[p]) {
        portSeen[p] = 1;
        ports.push(p);
      }
    }
    for (const p of ports) portSeen[p] = 0;
    ports.sort((x, y) => x - y);
    const host = ids.hostName(groups.key[g]!);
    push(ctx, {
      code: 'tcp.connection.refused',
      severity: 'info',
      category: 'network',
      message: `${plural(streams.length, 'connection')} to ${host} refused with RST (port${ports.length > 1 ? 's' : ''} ${ports.slice(0, 10).join(', ')}${ports.length > 10 ? ', ...' : ''})`,
      explanation:
        'The server answered the SYN with a RST: nothing listens on that port (the service is down or on another port), or a ' +
        'firewall rejects the connection. Clients see ECONNREFUSED.',
      endpoint: ports.length === 1 ? ids.endpointName(ids.endpoint(streams[0]!, server(streams[0]!))) : host,
      streams,
      frames: framesOf(streams, (s) => ctx.in.captureSide.firstRstFrame(s)),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, ports: ports.length },
    });
  }
}

// ---------------------------------------------------------------- teardown

function closeWait(ctx: StateCtx): void {
  const a = ctx.in.analysis;
  const st = ctx.in.states;
  const { closeWait: hits, closeWaitSide } = ctx.census;
  const side = new Map<number, number>();
  const seconds = new Map<number, number>();
  for (let i = 0; i < hits.length; i++) {
    const s = hits[i]!;
    const x = closeWaitSide[i]!;
    side.set(s, x);
    seconds.set(s, st.timeInState(s, x)[TcpState.CloseWait]! / 1000);
  }
  const groups = byEndpoint(ctx, hits, (s) => side.get(s)!);
  for (let g = 0; g < groups.count; g++) {
    const streams = members(groups, g);
    let longest = -Infinity;
    for (const s of streams) if (seconds.get(s)! > longest) longest = seconds.get(s)!;
    if (streams.length < ctx.o.closeWaitMinConnections && longest < ctx.o.closeWaitMinSeconds) continue;
    let peersFinWait2 = 0;
    for (const s of streams) if (st.stateOf(s, side.get(s)! ^ 1) === TcpState.FinWait2) peersFinWait2++;
    const severity: Severity = streams.length >= ctx.o.closeWaitErrorConnections ? 'error' : 'warning';
    const endpoint = ctx.ids.endpointName(groups.key[g]!);
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
      frames: framesOf(streams, (s) => a.flows.lastFrame[s]!),
      window: windowOf(ctx, streams),
      metrics: { connections: streams.length, longestSeconds: r3(longest), peersInFinWait2: peersFinWait2 },
    });
  }
}

// The rules run once each, on data big enough that V8 compiles their loops mid-run (on-stack replacement) and drops
// the compiled code at the first line after a loop that has not run yet: a rule with several big loops in one
// function is compiled once per loop. So each big loop is a small function of its own.

/** Members of `list` whose sketch cell (`cellOf[i]`, counted in `cells`) holds at least `min` of them. */
function inBigCells(list: Int32Array, cellOf: Int32Array, cells: Int32Array, min: number): Int32Array {
  const out = new Int32Array(list.length);
  let n = 0;
  for (let i = 0; i < list.length; i++) if (cells[cellOf[i]!]! >= min) out[n++] = list[i]!;
  return out.subarray(0, n);
}

/** What each TIME_WAIT stream of `big` contributes to its closer's group, read in one pass in stream order. */
interface ChurnFacts {
  ends: Float64Array;
  durations: Float64Array;
  destAddress: Float64Array;
  destPort: Int32Array;
  asClients: Int32Array;
  starts: Float64Array;
  finals: Float64Array;
}

/** What churnFacts reads of each stream of `big`, in its order, with the host number of its closer. */
interface ChurnReads {
  host: Int32Array;
  start: Float64Array;
  end: Float64Array;
  destAddress: Float64Array;
  destPort: Int32Array;
  asClient: Uint8Array;
}

/**
 * One pass over `big` in stream order reads both sides' addresses of each stream: the closer's for its host number
 * (in that order, as groupBy would number them) and the peer's for its destination. A grouping pass and a facts
 * pass read each stream's tuple twice, at random places of the table.
 */
function churnReads(ctx: StateCtx, big: Int32Array, side: Uint8Array): ChurnReads {
  const an = ctx.in.analysis;
  const flows = an.flows;
  const ids = ctx.ids;
  const n = big.length;
  const r: ChurnReads = {
    host: new Int32Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    destAddress: new Float64Array(n),
    destPort: new Int32Array(n),
    asClient: new Uint8Array(n),
  };
  const { host, start, end, destAddress, destPort, asClient } = r;
  // Every array in a local: written with a helper for each stream's times and with a result object's fields, the
  // facts loop took 45-58 ms on the bench against 23-44 (four alternating runs).
  const { startSec, startNsec, endSec, endNsec, clientDir } = flows;
  const refSec = an.refSec;
  const refNsec = an.refNsec;
  for (let k = 0; k < n; k++) {
    const s = big[k]!;
    const x = side[s]!;
    host[k] = ids.host(s, x);
    start[k] = secondsBetween(refSec, refNsec, startSec[s]!, startNsec[s]!);
    end[k] = secondsBetween(refSec, refNsec, endSec[s]!, endNsec[s]!);
    destAddress[k] = flows.addressKey(s, x ^ 1);
    destPort[k] = flows.port(s, x ^ 1);
    if (x === clientDir[s]) asClient[k] = 1;
  }
  return r;
}

function churnFacts(read: ChurnReads, groups: Groups): ChurnFacts {
  const total = groups.items.length;
  const ends = new Float64Array(total);
  const durations = new Float64Array(total);
  const destAddress = new Float64Array(total);
  const destPort = new Int32Array(total);
  const asClients = new Int32Array(groups.count);
  const starts = new Float64Array(groups.count).fill(Infinity);
  const finals = new Float64Array(groups.count).fill(-Infinity);
  const at = groups.start.slice(0, groups.count);
  const groupOf = groups.groupOf;
  const { start, end, destAddress: address, destPort: port, asClient } = read;
  for (let k = 0; k < groupOf.length; k++) {
    const g = groupOf[k]!;
    if (g < 0) continue;
    const i = at[g]!++;
    const a = start[k]!;
    const b = end[k]!;
    ends[i] = b;
    durations[i] = b - a;
    asClients[g]! += asClient[k]!;
    // As windowOf: the window runs forwards even where clocks stepped back.
    starts[g] = Math.min(starts[g]!, a, b);
    finals[g] = Math.max(finals[g]!, a, b);
    destAddress[i] = address[k]!;
    destPort[i] = port[k]!;
  }
  return { ends, durations, destAddress, destPort, asClients, starts, finals };
}

/** Most of the sorted times `ends` within `seconds` of one another: sockets at once in TIME_WAIT at the peak. */
function peakWithin(ends: Float64Array, seconds: number): number {
  let peak = 0;
  let j = 0;
  for (let i = 0; i < ends.length; i++) {
    while (ends[j]! + seconds <= ends[i]!) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

function timeWaitChurn(ctx: StateCtx): void {
  const flows = ctx.in.analysis.flows;
  const ids = ctx.ids;
  const { timeWait: closers, timeWaitSide: side, timeWaitCell: cell, timeWaitCells: cells } = ctx.census;
  const big = inBigCells(closers, cell, cells, ctx.o.timeWaitMinConnections);
  // Each stream's closer and facts are read in one pass in stream order (group by group, the members would be
  // scattered over the flow table), then laid out like groups.items.
  const read = churnReads(ctx, big, side);
  const groups = groupByIds(big, read.host, ids.hostCount, ctx.o.timeWaitMinConnections);
  if (groups.count === 0) return;
  const { ends: endsAll, durations: durationsAll, destAddress: destAddressAll, destPort: destPortAll, asClients, starts, finals } = churnFacts(read, groups);
  const busiest = new BusiestDestination(ctx);
  for (let g = 0; g < groups.count; g++) {
    const streams = members(groups, g);
    const n = streams.length;
    const from = groups.start[g]!;
    const ends = endsAll.subarray(from, from + n);
    const durations = durationsAll.subarray(from, from + n);
    const destAddress = destAddressAll.subarray(from, from + n);
    const destPort = destPortAll.subarray(from, from + n);
    const asClient = asClients[g]!;
    const start = starts[g]!;
    const end = finals[g]!;
    // Each closed connection stays in TIME_WAIT for timeWaitSeconds from (about) its last packet: sweep for the peak.
    ends.sort();
    const peak = peakWithin(ends, ctx.o.timeWaitSeconds);
    // Ports run out per destination (ip:port): the busiest destination bounds the risk.
    const busiestConnections = busiest.count(streams, destAddress, destPort, (s) => side[s]! ^ 1);
    const share = peak / ctx.o.ephemeralPorts;
    const closer = ids.hostName(groups.key[g]!);
    push(ctx, {
      code: 'tcp.time_wait.churn',
      severity: asClient > 0 && share >= 0.5 ? 'warning' : 'info',
      category: 'network',
      message: `${closer} actively closed ${n} short connections (median ${r3(kthSmallest(durations, n >> 1))} s): about ${peak} sockets at once in TIME_WAIT (assuming ${ctx.o.timeWaitSeconds} s), ${Math.round(share * 1000) / 10}% of ${ctx.o.ephemeralPorts} ephemeral ports`,
      explanation:
        'The side that sends the first FIN keeps each connection in TIME_WAIT for 2*MSL (60 s on Linux) after closing. A ' +
        'client that opens and closes many short connections to the same server piles them up; when they approach the ' +
        'ephemeral port range, new connect() calls fail with EADDRNOTAVAIL. Reuse connections (keep-alive, pooling) or let ' +
        'the server close first.',
      endpoint: closer,
      streams,
      frames: framesOf(streams, (s) => flows.lastFrame[s]!),
      window: { start: r3(start), end: r3(end) },
      metrics: {
        connections: n,
        peakTimeWait: peak,
        assumedTimeWaitSeconds: ctx.o.timeWaitSeconds,
        ephemeralPortShare: Math.round(share * 10000) / 10000,
        asClient,
        busiestDestinationConnections: busiestConnections,
      },
    });
  }
}

/** The k-th smallest value of xs (0-based): what xs sorted ascending holds at k. Reorders xs; O(n), no sort. */
function kthSmallest(xs: Float64Array, k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k]!;
  }
  return xs[k]!;
}

const V4_KEYS = 4294967296;

/** The distinct values of `port`, in order of first use, each counted in `perPort` (all zero before). */
function portsCounted(port: Int32Array, perPort: Int32Array): number[] {
  const ports: number[] = [];
  for (let i = 0; i < port.length; i++) if (perPort[port[i]!]!++ === 0) ports.push(port[i]!);
  return ports;
}

/** The indexes of `port`, bucketed by port in the order of `ports` (a counting sort); leaves in `at` each bucket's end. */
function bucketedByPort(port: Int32Array, ports: readonly number[], perPort: Int32Array, at: Int32Array): Int32Array {
  let offset = 0;
  for (let j = 0; j < ports.length; j++) {
    at[ports[j]!] = offset;
    offset += perPort[ports[j]!]!;
  }
  const byPort = new Int32Array(port.length);
  for (let i = 0; i < port.length; i++) byPort[at[port[i]!]!++] = i;
  return byPort;
}

/**
 * The most connections a group of streams has to one destination (`ip:port`). Destinations are often all distinct
 * (a server's clients, each on its own port), so they are not numbered: members are bucketed by destination port
 * (a counting sort), and addresses (flow-table address keys, exact for IPv4) are compared only within the port
 * buckets big enough to beat the best so far.
 */
class BusiestDestination {
  private readonly perPort = new Int32Array(65536);
  private readonly at = new Int32Array(65536);

  constructor(private readonly ctx: Ctx) {}

  /** `address[i]` and `port[i]` are the destination of `streams[i]`, at the side `side(s)`. */
  count(streams: Int32Array, address: Float64Array, port: Int32Array, side: (s: number) => number): number {
    const { perPort, at } = this;
    // Each loop is a function of its own (see inBigCells): with the loops in this method, V8 threw its compiled
    // code away 11 times over the bench's 32 groups in one pass (node --trace-deopt), mostly at the first line after
    // a loop; 3-4 times since.
    const ports = portsCounted(port, perPort);
    const byPort = bucketedByPort(port, ports, perPort, at);
    let best = 0;
    for (const p of ports) {
      const size = perPort[p]!;
      const end = at[p]!;
      perPort[p] = 0;
      if (size > best) best = Math.max(best, this.commonestAddress(byPort, end - size, end, streams, address, side));
    }
    return best;
  }

  /** How many of the members `members[from .. to)` share the commonest address. */
  private commonestAddress(members: Int32Array, from: number, to: number, streams: Int32Array, address: Float64Array, side: (s: number) => number): number {
    const same = (i: number, j: number) => address[i] === address[j] && (address[i]! < V4_KEYS || this.sameIpv6(streams[i]!, streams[j]!, side));
    if (to - from <= 8) {
      let best = 1;
      for (let a = from; a < to; a++) {
        let count = 1;
        for (let b = a + 1; b < to; b++) if (same(members[a]!, members[b]!)) count++;
        if (count > best) best = count;
      }
      return best;
    }
    // A big bucket (many connections to one port, a server's): few distinct addresses, numbered exactly. They are
    // counted in a short list searched in turn, and in a Map only if more than 16 turn up.
    const ids = this.ctx.ids;
    const keys: number[] = [];
    const counts: number[] = [];
    let many: Map<number, number> | undefined;
    let best = 0;
    for (let a = from; a < to; a++) {
      const i = members[a]!;
      const key = address[i]! < V4_KEYS ? address[i]! : V4_KEYS * 2 + ids.host(streams[i]!, side(streams[i]!));
      let c: number;
      if (many === undefined) {
        let j = 0;
        while (j < keys.length && keys[j] !== key) j++;
        if (j < keys.length) {
          c = ++counts[j]!;
        } else if (keys.length < 16) {
          keys.push(key);
          counts.push(1);
          c = 1;
        } else {
          many = new Map(keys.map((k, x) => [k, counts[x]!]));
          many.set(key, (c = 1));
        }
      } else {
        c = (many.get(key) ?? 0) + 1;
        many.set(key, c);
      }
      if (c > best) best = c;
    }
    return best;
  }

  private sameIpv6(s1: number, s2: number, side: (s: number) => number): boolean {
    const ids = this.ctx.ids;
    return ids.host(s1, side(s1)) === ids.host(s2, side(s2));
  }
}

// ---------------------------------------------------------------- data transfer

function retransmissionStorms(ctx: StateCtx): void {
  const c = ctx.in.collector;
  const data = ctx.in.captureSide;
  const o = ctx.o;
  const hot = [...c.buckets.entries()]
    .filter(([k, b]) => b.retransmissions >= o.stormMinRetransmissions && b.retransmissions >= o.stormMinShare * data.dataSegments(k))
    .map(([k]) => k)
    .sort((x, y) => x - y);
  // Merge hot buckets separated by at most one quiet bucket into one storm.
  let i = 0;
  while (i < hot.length) {
    let j = i;
    while (j + 1 < hot.length && hot[j + 1]! - hot[j]! <= 2) j++;
    let retrans = 0;
    let segments = 0;
    const streams = new Set<number>();
    const fr: number[] = [];
    for (let k = hot[i]!; k <= hot[j]!; k++) {
      segments += data.dataSegments(k);
      const b = c.buckets.get(k);
      if (!b) continue;
      retrans += b.retransmissions;
      for (const s of b.streams) streams.add(s);
      fr.push(b.firstRetransFrame);
    }
    const start = hot[i]! * c.clock.width;
    const end = (hot[j]! + 1) * c.clock.width;
    const share = segments ? retrans / segments : 1;
    const list = [...streams];
    push(ctx, {
      code: 'tcp.retransmission.storm',
      severity: share >= 0.2 ? 'error' : 'warning',
      category: 'network',
      message: `retransmission storm from ${r3(start)} s to ${r3(end)} s: ${retrans} retransmissions (${Math.round(share * 1000) / 10}% of ${segments} data segments) in ${plural(list.length, 'flow')}`,
      explanation:
        'Many segments had to be sent again in a short time: packet loss on the path (congestion, a full queue, a bad link or ' +
        'a policer), or a receiver that stopped acknowledging. Retransmissions cost a round trip or a timeout each and shrink ' +
        'the congestion window, so throughput drops. Compare with a capture taken at the other end to locate the loss.',
      streams: list,
      frames: fr,
      window: { start: r3(start), end: r3(end) },
      metrics: { retransmissions: retrans, dataSegments: segments, share: Math.round(share * 10000) / 10000, flows: list.length },
    });
    i = j + 1;
  }
}

/** The resets (indexes of the capture side's RST events) whose streams no earlier rule explained. */
function unexplainedResets(ctx: ResetCtx): Int32Array {
  const c = ctx.in.captureSide;
  const explained = ctx.explained;
  const out = new Int32Array(c.rstCount);
  let m = 0;
  for (let k = 0; k < c.rstCount; k++) if (!explained[c.rstStream[k]!]) out[m++] = k;
  return out.subarray(0, m);
}

/**
 * The number of the host that sent each reset (-1 for resets left out), for the resets of `resets` whose senders
 * may have sent at least `min`: as ids.maybeInBigGroups then ids.host, from the sender's address key the capture
 * side kept with each reset (a reset's stream is a random place in the flow table).
 */
function resetSenders(ctx: ResetCtx, resets: Int32Array, min: number): Int32Array {
  const c = ctx.in.captureSide;
  const m = resets.length;
  const keys = new Float64Array(m);
  for (let i = 0; i < m; i++) keys[i] = c.rstKey[resets[i]!]!;
  const hostOf = new Int32Array(c.rstCount).fill(-1);
  numberSenders(ctx, resets, keys, ctx.ids.maybeInBigGroups(keys, null, min), hostOf);
  return hostOf;
}

function numberSenders(ctx: ResetCtx, resets: Int32Array, keys: Float64Array, big: Int32Array, hostOf: Int32Array): void {
  const c = ctx.in.captureSide;
  const ids = ctx.ids;
  for (let j = 0; j < big.length; j++) {
    const i = big[j]!;
    const k = resets[i]!;
    hostOf[k] = ids.hostOfKey(keys[i]!, c.rstStream[k]!, c.rstSide[k]!);
  }
}

/** Resets per host number, and the hosts in the order of their first reset. */
function resetsPerHost(hostOf: Int32Array, hostCount: number): { total: Int32Array; hosts: number[] } {
  const total = new Int32Array(hostCount);
  const hosts: number[] = [];
  for (let k = 0; k < hostOf.length; k++) {
    const h = hostOf[k]!;
    if (h >= 0 && total[h]!++ === 0) hosts.push(h);
  }
  return { total, hosts };
}

function rstStorms(ctx: ResetCtx): void {
  const c = ctx.in.captureSide;
  const o = ctx.o;
  const ids = ctx.ids;
  // Count resets per (sending host, bucket); a storm is a run of hot buckets of one host. Only hosts that sent
  // enough resets in all can have a hot bucket: the others are never bucketed. A scan's RST answers are the
  // scan's story.
  const hostOf = resetSenders(ctx, unexplainedResets(ctx), o.rstStormMinResets);
  const { total, hosts } = resetsPerHost(hostOf, ids.hostCount);
  // Resets per bucket of each host that sent enough in all (counted first: no list per bucket).
  const perHost = new Map<number, Map<number, number>>();
  for (const h of hosts) if (total[h]! >= o.rstStormMinResets) perHost.set(h, new Map());
  if (perHost.size === 0) return;
  const width = o.rstStormBucketSeconds;
  for (let k = 0; k < c.rstCount; k++) {
    const h = hostOf[k]!;
    if (h < 0 || total[h]! < o.rstStormMinResets) continue;
    const buckets = perHost.get(h)!;
    const b = Math.floor(c.rstTime[k]! / width);
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }
  // Each host's resets in its hot buckets, in capture order, with the bucket's rank among the host's hot ones.
  const hotOf = new Map<number, { hot: number[]; rank: Map<number, number>; events: number[]; eventRank: number[] }>();
  for (const [h, buckets] of perHost) {
    const hot = [...buckets.entries()].filter(([, n]) => n >= o.rstStormMinResets).map(([b]) => b).sort((x, y) => x - y);
    if (hot.length > 0) hotOf.set(h, { hot, rank: new Map(hot.map((b, i) => [b, i])), events: [], eventRank: [] });
  }
  if (hotOf.size === 0) return;
  for (let k = 0; k < c.rstCount; k++) {
    const h = hostOf[k]!;
    if (h < 0) continue;
    const x = hotOf.get(h);
    const r = x?.rank.get(Math.floor(c.rstTime[k]! / width));
    if (r === undefined) continue;
    x!.events.push(k);
    x!.eventRank.push(r);
  }
  // Marks of the streams already counted for the host at hand, cleared after each host.
  const seen = new Uint8Array(ctx.in.analysis.flows.count);
  for (const [h, { hot, events, eventRank }] of hotOf) {
    // Bucket by bucket, in capture order within a bucket (as a stable sort by bucket would give).
    let sorted = true;
    for (let i = 1; i < eventRank.length && sorted; i++) sorted = eventRank[i - 1]! <= eventRank[i]!;
    if (!sorted) {
      const order = events.map((_, i) => i).sort((x, y) => eventRank[x]! - eventRank[y]! || x - y);
      const copy = events.slice();
      for (let i = 0; i < order.length; i++) events[i] = copy[order[i]!]!;
    }
    const streams: number[] = [];
    for (const k of events) {
      const st = c.rstStream[k]!;
      if (!seen[st]) {
        seen[st] = 1;
        streams.push(st);
      }
    }
    for (const st of streams) seen[st] = 0;
    const start = hot[0]! * width;
    const end = (hot[hot.length - 1]! + 1) * width;
    const host = ids.hostName(h);
    push(ctx, {
      code: 'tcp.rst.storm',
      severity: 'warning',
      category: 'network',
      message: `${host} sent ${events.length} resets between ${r3(start)} s and ${r3(end)} s across ${plural(streams.length, 'connection')}`,
      explanation:
        'A burst of resets from one host: a service crashing or restarting and aborting its connections, a load balancer or ' +
        'firewall killing idle or unknown flows, connections refused en masse, or injected resets.',
      endpoint: host,
      streams,
      frames: events.slice(0, MAX_FRAMES_LISTED).map((k) => c.rstFrame[k]!),
      window: { start: r3(start), end: r3(end) },
      metrics: { resets: events.length, connections: streams.length },
    });
  }
}

function zeroWindowStalls(ctx: StateCtx): void {
  const c = ctx.in.collector;
  const how = ['the window reopened', 'a reset ended it', 'a FIN ended it', 'it lasted until the capture ended'];
  const long: number[] = [];
  for (let k = 0; k < c.stallCount; k++) if (c.stallEnd[k]! - c.stallStart[k]! >= ctx.o.zeroWindowMinSeconds) long.push(k);
  const ids = ctx.ids;
  const byReceiver = groupBy(long, (k) => ids.endpoint(c.stallStream[k]!, c.stallSide[k]!), () => ids.endpointCount);
  for (let g = 0; g < byReceiver.count; g++) {
    const list = [...members(byReceiver, g)];
    const receiver = ids.endpointName(byReceiver.key[g]!);
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

function halfOpen(ctx: StateCtx): void {
  const c = ctx.in.collector;
  const hits: number[] = [];
  const side = new Map<number, number>();
  const { silent, silentSide } = ctx.census;
  for (let i = 0; i < silent.length; i++) {
    // Silence: nothing from the peer after the run began (a peer packet resets the run), so it ran into the void.
    if (ctx.explained[silent[i]!]) continue;
    hits.push(silent[i]!);
    side.set(silent[i]!, silentSide[i]!);
  }
  const groups = byEndpoint(ctx, hits, (s) => side.get(s)! ^ 1);
  for (let g = 0; g < groups.count; g++) {
    const streams = members(groups, g);
    const peer = ctx.ids.endpointName(groups.key[g]!);
    let retrans = 0;
    let endedByRst = 0;
    let start = Infinity;
    let end = -Infinity;
    for (const s of streams) {
      retrans += c.runLength(s, side.get(s)!);
      if (ctx.in.captureSide.hasRst(s)) endedByRst++;
      // Run times follow file order, which may step back in time: take both ends so the window runs forwards.
      const run = c.run(s, side.get(s)!)!;
      if (run.firstTime < start) start = run.firstTime;
      if (run.lastTime < start) start = run.lastTime;
      if (run.firstTime > end) end = run.firstTime;
      if (run.lastTime > end) end = run.lastTime;
    }
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
      frames: framesOf(streams, (s) => c.run(s, side.get(s)!)!.firstFrame),
      window: { start: r3(start), end: r3(end) },
      metrics: { connections: streams.length, unansweredRetransmissions: retrans, endedByReset: endedByRst, captureEnd: r3(captureEnd(ctx)) },
    });
  }
}
