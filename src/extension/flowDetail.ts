import type { StreamStates } from '../core/analysis/endpointStates';
import { analysisFlagNames } from '../core/analysis/seqAnalysis';
import type { ZeekConnState } from '../core/analysis/zeek';
import { TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../core/decode/packet';
import type { FullAnalysis } from '../core/fullAnalysis';
import { secondsBetween } from '../core/util/format';
import type {
  EndpointStateTimeline,
  FindingWindow,
  FlowDetail,
  FlowOutcome,
  LadderPacket,
  LadderPage,
  LadderRole,
  TimelinePage,
  TimelineRow,
  TimelineSummary,
} from '../protocol/messages';
import { MAX_LADDER_PAGE, MAX_TIMELINE_BINS, MAX_TIMELINE_PAGE } from '../protocol/messages';

/**
 * Builders for the flow detail (ladder diagram, endpoint state timelines) and the capture timeline, computed from
 * what the CaptureModel keeps: the per-packet store, the full analysis (flow table, state tracker, handshake and
 * Zeek trackers, findings). Runs in the analysis worker; only pages cross to the webview.
 */

/** The per-packet facts the ladder reads (the CaptureModel's packet store has these, struct-of-arrays). */
export interface PacketArrays {
  frame: ArrayLike<number>;
  dir: ArrayLike<number>;
  tsSec: ArrayLike<number>;
  tsNsec: ArrayLike<number>;
  flags: ArrayLike<number>;
  /** Relative sequence number (sender's ISN = 0), as the packet list shows it. */
  seq: ArrayLike<number>;
  /** Relative acknowledgment number when the ACK flag is set. */
  ack: ArrayLike<number>;
  len: ArrayLike<number>;
  win: ArrayLike<number>;
  analysis: ArrayLike<number>;
}

export interface FlowPackets {
  store: PacketArrays;
  /** Store indexes of the flow's packets, in frame order. */
  positions: ArrayLike<number>;
  /** False when the flow has more packets than the store kept. */
  complete: boolean;
}

export interface FlowDetailSource {
  full: FullAnalysis;
  packetsOf(stream: number): FlowPackets;
  /** Client and server as text. */
  clientServer(stream: number): [string, string];
}

/** Packets shown from each end of a long flow: the handshake and the teardown are what the ladder is for. */
export const LADDER_HEAD = 40;
export const LADDER_TAIL = 40;

const ROLE_CODES: (LadderRole | undefined)[] = [
  undefined,
  'syn',
  'syn-retry',
  'syn-ack',
  'syn-ack-retry',
  'handshake-ack',
  'fin-active',
  'fin-passive',
  'fin-simultaneous',
  'fin-retry',
  'close-ack',
  'rst',
  'rst-refused',
];
const roleCode = (r: LadderRole) => ROLE_CODES.indexOf(r);

const FLAG_NAMES: [number, string][] = [
  [TCP_SYN, 'SYN'],
  [TCP_FIN, 'FIN'],
  [TCP_RST, 'RST'],
  [TCP_PSH, 'PSH'],
  [TCP_ACK, 'ACK'],
  [TCP_URG, 'URG'],
  [TCP_ECE, 'ECE'],
  [TCP_CWR, 'CWR'],
  [TCP_AE, 'AE'],
];

export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
}

const seqGE = (a: number, b: number) => ((a - b) | 0) >= 0;

/** Zeek conn_state families, the colours of the timeline. */
export function outcomeOf(state: ZeekConnState): FlowOutcome {
  switch (state) {
    case 'SF':
      return 'normal';
    case 'REJ':
    case 'RSTO':
    case 'RSTR':
    case 'RSTOS0':
    case 'RSTRH':
      return 'reset';
    case 'S0':
    case 'SH':
      return 'unanswered';
    case 'S1':
      return 'open';
    case 'S2':
    case 'S3':
      return 'half-closed';
    default:
      return 'other';
  }
}

export const FLOW_OUTCOMES: readonly FlowOutcome[] = ['normal', 'reset', 'unanswered', 'open', 'half-closed', 'other'];

const round9 = (x: number) => Math.round(x * 1e9) / 1e9;
const clampInt = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(Number.isFinite(x) ? x : 0)));

interface RoleCache {
  stream: number;
  flow: FlowPackets;
  roles: Uint8Array;
  retries: Uint8Array;
  states: StreamStates;
  /** Transitions by frame, for the arrows. */
  statesByFrame: Map<number, { client: boolean; to: string }[]>;
}

export class FlowDetailBuilder {
  private cache: RoleCache | null = null;
  private timelineOrder: Int32Array | null | undefined;
  /** Inverse of timelineOrder (stream -> row), built the first time a selected flow is looked up. */
  private timelineRowOf: Int32Array | null = null;
  private outcomes: Uint8Array | null = null;

  constructor(private readonly src: FlowDetailSource) {}

  // ---------- flow detail ----------

  detail(stream: number): FlowDetail {
    const full = this.src.full;
    const a = full.capture;
    const fl = a.flows;
    if (!Number.isInteger(stream) || stream < 0 || stream >= fl.count) throw new Error(`no TCP stream ${stream}`);
    const c = this.roles(stream);
    const total = c.flow.positions.length;
    const packets: LadderPacket[] = [];
    let omitted = 0;
    if (total <= LADDER_HEAD + LADDER_TAIL) {
      for (let k = 0; k < total; k++) packets.push(this.ladderPacket(c, k));
    } else {
      for (let k = 0; k < LADDER_HEAD; k++) packets.push(this.ladderPacket(c, k));
      for (let k = total - LADDER_TAIL; k < total; k++) packets.push(this.ladderPacket(c, k));
      omitted = total - LADDER_HEAD - LADDER_TAIL;
    }
    const [client, server] = this.src.clientServer(stream);
    const flowStart = secondsBetween(a.refSec, a.refNsec, fl.startSec[stream]!, fl.startNsec[stream]!);
    const st = c.states;
    const clientSide = fl.clientDir[stream]!;
    const endpoint = (side: 0 | 1): EndpointStateTimeline => {
      const e = st.endpoints[side];
      const msInState: Record<string, number> = {};
      for (const [k, v] of Object.entries(e.msInState)) msInState[k] = Math.round(v! * 1e6) / 1e6;
      return {
        role: side === clientSide ? 'client' : 'server',
        address: side === clientSide ? client : server,
        initial: e.initial,
        final: e.final,
        transitions: st.transitions
          .filter((t) => t.side === side)
          .map((t) => ({ from: t.from, to: t.to, frameNumber: t.frame, timeSeconds: round9(t.time - flowStart), msInFrom: Math.round(t.msInFrom * 1e6) / 1e6 })),
        msInState,
      };
    };
    const hs = full.handshakes.timing(stream);
    return {
      stream,
      client,
      server,
      startSeconds: round9(flowStart),
      durationSeconds: round9(secondsBetween(fl.startSec[stream]!, fl.startNsec[stream]!, fl.endSec[stream]!, fl.endNsec[stream]!)),
      captureEndSeconds: round9(secondsBetween(fl.startSec[stream]!, fl.startNsec[stream]!, a.lastSec, a.lastNsec)),
      connState: full.zeek.connState(stream),
      history: full.zeek.history(stream),
      total,
      complete: c.flow.complete,
      packets,
      omitted,
      joinedMidStream: st.joinedMidStream,
      synMissing: st.synMissing,
      refused: st.refused,
      // Client first: the webview draws the client's column and band on the left.
      endpoints: clientSide === 0 ? [endpoint(0), endpoint(1)] : [endpoint(1), endpoint(0)],
      handshake: hs
        ? {
            synFrame: hs.synFrame,
            synRetries: hs.synRetries,
            synAckRetries: hs.synAckRetries,
            ...(hs.synAckFrame !== undefined ? { synAckFrame: hs.synAckFrame } : {}),
            ...(hs.ackFrame !== undefined ? { ackFrame: hs.ackFrame } : {}),
            ...(hs.synToSynAckMs !== undefined ? { synToSynAckMs: Math.round(hs.synToSynAckMs * 1e6) / 1e6 } : {}),
            ...(hs.synAckToAckMs !== undefined ? { synAckToAckMs: Math.round(hs.synAckToAckMs * 1e6) / 1e6 } : {}),
            ...(hs.connectMs !== undefined ? { connectMs: Math.round(hs.connectMs * 1e6) / 1e6 } : {}),
          }
        : null,
    };
  }

  ladder(stream: number, offset: number, count: number): LadderPage {
    if (!Number.isInteger(stream) || stream < 0 || stream >= this.src.full.capture.flows.count) throw new Error(`no TCP stream ${stream}`);
    const c = this.roles(stream);
    const total = c.flow.positions.length;
    const start = clampInt(offset, 0, total);
    const end = Math.min(total, start + clampInt(count, 0, MAX_LADDER_PAGE));
    const packets: LadderPacket[] = [];
    for (let k = start; k < end; k++) packets.push(this.ladderPacket(c, k));
    return { total, offset: start, packets };
  }

  private ladderPacket(c: RoleCache, k: number): LadderPacket {
    const { store, positions } = c.flow;
    const fl = this.src.full.capture.flows;
    const i = positions[k]!;
    const f = store.flags[i]!;
    const frame = store.frame[i]!;
    const role = ROLE_CODES[c.roles[k]!];
    const retry = c.retries[k]!;
    return {
      index: k,
      frameNumber: frame,
      fromClient: store.dir[i] === fl.clientDir[c.stream],
      timeSeconds: round9(secondsBetween(fl.startSec[c.stream]!, fl.startNsec[c.stream]!, store.tsSec[i]!, store.tsNsec[i]!)),
      flags: flagNames(f),
      seq: store.seq[i]!,
      ...(f & TCP_ACK ? { ack: store.ack[i]! } : {}),
      len: store.len[i]!,
      win: store.win[i]!,
      analysis: analysisFlagNames(store.analysis[i]!),
      ...(role ? { role } : {}),
      ...(retry ? { retry } : {}),
      states: c.statesByFrame.get(frame) ?? [],
    };
  }

  /**
   * The role of every packet of a flow, computed over the whole flow in one walk (a FIN is "passive" only after
   * the peer's FIN, a SYN is a retry only after the first): cached for the last stream asked, as the webview pages
   * through one flow at a time.
   */
  private roles(stream: number): RoleCache {
    if (this.cache?.stream === stream) return this.cache;
    const full = this.src.full;
    const fl = full.capture.flows;
    const flow = this.src.packetsOf(stream);
    const { store, positions } = flow;
    const n = positions.length;
    const roles = new Uint8Array(n);
    const retries = new Uint8Array(n);
    const client = fl.clientDir[stream]!;
    const ackFrame = full.handshakes.timing(stream)?.ackFrame ?? -1;
    const refused = full.states.refused(stream);
    const synCount = [0, 0];
    let synAckCount = 0;
    let rstSeen = false;
    const finSent = [false, false];
    let firstFinDir = -1;
    let firstFinEnd = 0;
    let secondFinEnd = 0;
    let secondFinSeen = false;
    let closeAcked = false;
    for (let k = 0; k < n; k++) {
      const i = positions[k]!;
      const f = store.flags[i]!;
      const dir = store.dir[i]!;
      let role: LadderRole | undefined;
      if (f & TCP_RST) {
        // Only a RST answering the SYN is a refusal; later ones abort (or repeat the abort).
        role = !rstSeen && refused && dir !== client ? 'rst-refused' : 'rst';
        rstSeen = true;
      } else if (f & TCP_SYN && !(f & TCP_ACK)) {
        const retry = synCount[dir]!++;
        role = retry ? 'syn-retry' : 'syn';
        retries[k] = Math.min(255, retry);
      } else if (f & TCP_SYN) {
        const retry = synAckCount++;
        role = retry ? 'syn-ack-retry' : 'syn-ack';
        retries[k] = Math.min(255, retry);
      } else if (f & TCP_FIN) {
        const end = (store.seq[i]! + store.len[i]! + 1) >>> 0;
        if (finSent[dir]) role = 'fin-retry';
        else if (firstFinDir < 0) {
          role = 'fin-active';
          firstFinDir = dir;
          firstFinEnd = end;
        } else {
          // The second FIN answers the first when it acknowledges it; otherwise the two FINs crossed.
          role = f & TCP_ACK && seqGE(store.ack[i]!, firstFinEnd) ? 'fin-passive' : 'fin-simultaneous';
          secondFinEnd = end;
          secondFinSeen = true;
        }
        finSent[dir] = true;
      } else if (store.frame[i] === ackFrame) {
        role = 'handshake-ack';
      } else if (secondFinSeen && !closeAcked && dir === firstFinDir && f & TCP_ACK && seqGE(store.ack[i]!, secondFinEnd)) {
        role = 'close-ack';
        closeAcked = true;
      }
      if (role) roles[k] = roleCode(role);
    }
    const states = full.states.streamStates(stream);
    const statesByFrame = new Map<number, { client: boolean; to: string }[]>();
    for (const t of states.transitions) {
      let list = statesByFrame.get(t.frame);
      if (!list) statesByFrame.set(t.frame, (list = []));
      list.push({ client: t.side === client, to: t.to });
    }
    this.cache = { stream, flow, roles, retries, states, statesByFrame };
    return this.cache;
  }

  // ---------- capture timeline ----------

  /** Stream ids by start time (stable by stream); null when stream order already is time order (the usual case). */
  private order(): Int32Array | null {
    if (this.timelineOrder !== undefined) return this.timelineOrder;
    const fl = this.src.full.capture.flows;
    const n = fl.count;
    const key = (s: number) => (fl.startSec[s]! - fl.startSec[0]!) + fl.startNsec[s]! / 1e9;
    let sorted = true;
    for (let s = 1; s < n && sorted; s++) if (key(s) < key(s - 1)) sorted = false;
    if (sorted) return (this.timelineOrder = null);
    const keys = new Float64Array(n);
    for (let s = 0; s < n; s++) keys[s] = key(s);
    const ids = Int32Array.from({ length: n }, (_, i) => i);
    ids.sort((x, y) => keys[x]! - keys[y]! || x - y);
    return (this.timelineOrder = ids);
  }

  private outcome(s: number): FlowOutcome {
    if (!this.outcomes) {
      const n = this.src.full.capture.flows.count;
      const z = this.src.full.zeek;
      this.outcomes = new Uint8Array(n);
      for (let i = 0; i < n; i++) this.outcomes[i] = FLOW_OUTCOMES.indexOf(outcomeOf(z.connState(i)));
    }
    return FLOW_OUTCOMES[this.outcomes[s]!]!;
  }

  private span(s: number): [number, number] {
    const a = this.src.full.capture;
    const fl = a.flows;
    return [
      round9(secondsBetween(a.refSec, a.refNsec, fl.startSec[s]!, fl.startNsec[s]!)),
      round9(secondsBetween(a.refSec, a.refNsec, fl.endSec[s]!, fl.endNsec[s]!)),
    ];
  }

  timeline(offset: number, count: number): TimelinePage {
    const fl = this.src.full.capture.flows;
    const total = fl.count;
    const order = this.order();
    const start = clampInt(offset, 0, total);
    const end = Math.min(total, start + clampInt(count, 0, MAX_TIMELINE_PAGE));
    const rows: TimelineRow[] = [];
    for (let k = start; k < end; k++) {
      const s = order ? order[k]! : k;
      const [client, server] = this.src.clientServer(s);
      const [startSeconds, endSeconds] = this.span(s);
      rows.push({ stream: s, client, server, startSeconds, endSeconds, connState: this.src.full.zeek.connState(s), outcome: this.outcome(s) });
    }
    return { total, offset: start, rows };
  }

  /** Row of a stream in timeline order (the selected flow's mark), -1 for no such stream. */
  timelineIndexOf(stream: number): number {
    const n = this.src.full.capture.flows.count;
    if (!Number.isInteger(stream) || stream < 0 || stream >= n) return -1;
    const order = this.order();
    if (!order) return stream;
    if (!this.timelineRowOf) {
      const rows = new Int32Array(n);
      for (let i = 0; i < n; i++) rows[order[i]!] = i;
      this.timelineRowOf = rows;
    }
    return this.timelineRowOf[stream]!;
  }

  /** Position (in timeline order) of the first flow starting at or after `seconds`. */
  locateTime(seconds: number): number {
    const n = this.src.full.capture.flows.count;
    const order = this.order();
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.span(order ? order[mid]! : mid)[0] < seconds) lo = mid + 1;
      else hi = mid;
    }
    return Math.min(lo, Math.max(0, n - 1));
  }

  summary(binsAsked: number): TimelineSummary {
    const a = this.src.full.capture;
    const n = a.flows.count;
    const bins = clampInt(binsAsked, 1, MAX_TIMELINE_BINS);
    let lo = 0;
    let hi = a.facts.packets ? secondsBetween(a.refSec, a.refNsec, a.lastSec, a.lastNsec) : 0;
    for (let s = 0; s < n; s++) {
      const [st, en] = this.span(s);
      if (st < lo) lo = st;
      if (en > hi) hi = en;
    }
    const width = hi - lo || 1;
    // Difference arrays: +1 at a flow's first bin, -1 after its last, then a running sum: O(flows + bins).
    const diff = FLOW_OUTCOMES.map(() => new Float64Array(bins + 1));
    const outcomes = Object.fromEntries(FLOW_OUTCOMES.map((o) => [o, 0])) as Record<FlowOutcome, number>;
    for (let s = 0; s < n; s++) {
      const [st, en] = this.span(s);
      const o = this.outcome(s);
      outcomes[o]++;
      const b0 = Math.min(bins - 1, Math.max(0, Math.floor(((st - lo) / width) * bins)));
      const b1 = Math.min(bins - 1, Math.max(b0, Math.floor(((en - lo) / width) * bins)));
      const d = diff[FLOW_OUTCOMES.indexOf(o)]!;
      d[b0]!++;
      d[b1 + 1]!--;
    }
    const density = {} as Record<FlowOutcome, number[]>;
    FLOW_OUTCOMES.forEach((o, j) => {
      const d = diff[j]!;
      const out = new Array<number>(bins);
      let run = 0;
      for (let b = 0; b < bins; b++) out[b] = run += d[b]!;
      density[o] = out;
    });
    const findings: FindingWindow[] = [];
    for (const f of this.src.full.findings) {
      if (!f.window) continue;
      findings.push({ code: f.code, severity: f.severity, message: f.message, startSeconds: f.window.start, endSeconds: f.window.end });
    }
    return { flows: n, startSeconds: round9(lo), endSeconds: round9(hi), bins, density, outcomes, findings };
  }
}
