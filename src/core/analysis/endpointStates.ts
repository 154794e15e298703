import type { PacketRecord } from '../capture/types';
import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from './packetContext';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import type { FlowTable } from './flowTable';
import { getOffset, growOffsets, nsOffsets, setOffset, type NsOffsets } from '../util/nsOffsets';
import { grow, touchAhead } from '../util/typed';
import { grownCapacity } from '../util/capacity';

/**
 * Per-endpoint TCP state inferred from a capture: for both ends of every stream, the RFC 793 state over time as far
 * as the packets on the wire show it, each transition with its frame and time, the time spent in each state (what
 * Linux `tcpstates` prints, but reconstructed from the capture) and the state at capture end.
 *
 * The rules and their limits are written up in docs/tcp-states.md. In short: a transition caused by an endpoint's
 * own segment (SYN, SYN-ACK, FIN, RST) is placed at that segment; a transition an endpoint makes on *receiving*
 * something is placed at the first segment that proves it happened — its own ACK of the peer's SYN-ACK or FIN —
 * except where no such proof can follow (the peer's ACK of our FIN or SYN-ACK, a RST), which is placed at the
 * segment that causes it. The capture point sees segments before or after the endpoint does, so times are the
 * capture point's view, off by up to one path delay.
 *
 * Memory: current state lives in typed arrays indexed by stream (and by stream * 2 + side for endpoints);
 * transitions are records in one shared growable struct-of-arrays, linked per stream. Nothing is allocated per
 * packet; objects are only made when a caller asks for a stream's timeline.
 */

export const enum TcpState {
  Closed = 0,
  Listen = 1,
  SynSent = 2,
  SynReceived = 3,
  Established = 4,
  FinWait1 = 5,
  FinWait2 = 6,
  CloseWait = 7,
  Closing = 8,
  LastAck = 9,
  TimeWait = 10,
}

export const TCP_STATE_COUNT = 11;

export const TCP_STATE_NAMES = [
  'CLOSED',
  'LISTEN',
  'SYN_SENT',
  'SYN_RECEIVED',
  'ESTABLISHED',
  'FIN_WAIT_1',
  'FIN_WAIT_2',
  'CLOSE_WAIT',
  'CLOSING',
  'LAST_ACK',
  'TIME_WAIT',
] as const;

export type TcpStateName = (typeof TCP_STATE_NAMES)[number];

/** One state change of one endpoint. `side` 0 is endpoint A (sender of the stream's first packet), 1 is B. */
export interface StateTransition {
  side: 0 | 1;
  role: 'client' | 'server';
  from: TcpStateName;
  to: TcpStateName;
  frame: number;
  /** Seconds since the capture's reference packet (Wireshark's frame.time_relative). */
  time: number;
  /** Milliseconds spent in `from` before this transition, as tcpstates' MS column. */
  msInFrom: number;
}

export interface EndpointTimeline {
  side: 0 | 1;
  role: 'client' | 'server';
  initial: TcpStateName;
  /** State when the capture ends. */
  final: TcpStateName;
  /** Milliseconds in each state between the stream's first packet and the end of the capture (states never entered are absent). */
  msInState: Partial<Record<TcpStateName, number>>;
}

export interface StreamStates {
  stream: number;
  /** The handshake was not captured: both ends start ESTABLISHED (their real earlier states are unknown). */
  joinedMidStream: boolean;
  /** The first packet was a SYN-ACK: the client's SYN was not captured (its SYN_SENT is assumed). */
  synMissing: boolean;
  /** The SYN was answered by a RST: nothing listened on the port, so the server side never existed. */
  refused: boolean;
  /** Transitions of both endpoints in capture order. */
  transitions: StateTransition[];
  endpoints: [EndpointTimeline, EndpointTimeline];
}

// Endpoint flags.
const EP_SEEN = 0x01; // sent at least one packet
const EP_SYN = 0x02; // sent a SYN or SYN-ACK: isn is valid
const EP_FIN = 0x04; // sent a FIN: finSeq is valid
const EP_FIN_ACKED = 0x08; // the peer acknowledged our FIN
const EP_ACKED_PEER_FIN = 0x10; // we acknowledged the peer's FIN
const EP_NON_SYN = 0x20; // sent a segment without SYN (evidence it left the handshake)

// Stream flags.
const ST_STARTED = 0x01;
const ST_JOINED = 0x02;
const ST_SYN_MISSING = 0x04;
const ST_REFUSED = 0x08;

// Transition record: bits 0-3 from, 4-7 to, 8 side, 9 retracted.
const T_SIDE = 0x100;
const T_RETRACTED = 0x200;

const seqGE = (a: number, b: number) => ((a - b) | 0) >= 0;

export class EndpointStateTracker implements TcpPacketObserver {
  private cap: number;
  // ---- per stream ----
  private sflags: Uint8Array;
  // The stream's first and last transitions, plus one (0 = none yet): zero is the value of memory never written.
  private head: Int32Array;
  private tail: Int32Array;
  private startNs: Float64Array;
  // ---- per endpoint (stream * 2 + side) ----
  private state: Uint8Array;
  private initState: Uint8Array;
  private eflags: Uint8Array;
  private isn: Uint32Array;
  private finSeq: Uint32Array;
  // ---- transitions ----
  private tCap: number;
  private tCount = 0;
  private tNext: Int32Array;
  private tFrame: Uint32Array;
  private tAt: NsOffsets; // after the stream's startNs
  private tInfo: Uint16Array;

  private streams = 0;
  private refSec = NaN;
  private refNsec = 0;
  private endNs = NaN;
  /** The flow table's client side per stream (0 = A), as of the stream's latest packet. */
  private cdir: Uint8Array;
  /** Where the pass is in the file, to size the transition arrays (see grownCapacity). */
  private fileOffset = 0;
  private fileSize = 0;
  /** Latest stream of each flow-table tuple, to end an earlier stream's TIME_WAIT when its 4-tuple is reused. */
  private tupleLast = new Int32Array(1024).fill(-1);

  constructor(initialStreams = 1024) {
    this.cap = initialStreams;
    this.sflags = new Uint8Array(this.cap);
    this.cdir = new Uint8Array(this.cap);
    this.head = new Int32Array(this.cap);
    this.tail = new Int32Array(this.cap);
    this.startNs = new Float64Array(this.cap);
    this.state = new Uint8Array(this.cap * 2);
    this.initState = new Uint8Array(this.cap * 2);
    this.eflags = new Uint8Array(this.cap * 2);
    this.isn = new Uint32Array(this.cap * 2);
    this.finSeq = new Uint32Array(this.cap * 2);
    this.tCap = initialStreams * 4;
    this.tNext = new Int32Array(this.tCap);
    this.tFrame = new Uint32Array(this.tCap);
    this.tAt = nsOffsets(this.tCap);
    this.tInfo = new Uint16Array(this.tCap);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (this.refSec !== this.refSec) {
      this.refSec = ctx.refSec === ctx.refSec ? ctx.refSec : rec.tsSec;
      this.refNsec = ctx.refSec === ctx.refSec ? ctx.refNsec : rec.tsNsec;
    }
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    if (s >= this.streams) this.streams = s + 1;
    // Only the arrays every stream writes are touched ahead: head and tail wait for a transition (see touchAhead).
    while (s >= this.touched) this.touched = touchAhead([this.sflags, this.cdir, this.startNs, this.state, this.initState, this.eflags, this.isn, this.finSeq], this.cap, this.touched);
    const ns = (rec.tsSec - this.refSec) * 1e9 + (rec.tsNsec - this.refNsec);
    const frame = rec.frameNumber;
    const f = d.flags;
    this.cdir[s] = ctx.clientDir;
    this.fileOffset = rec.fileOffset;
    this.fileSize = ctx.fileSize;
    const x = s * 2 + dir;
    const y = x ^ 1;
    const state = this.state;
    const eflags = this.eflags;

    if (!(this.sflags[s]! & ST_STARTED)) {
      this.start(s, x, y, f, ns);
      this.reuse(ctx.tuple, s, frame, ns);
    }
    const wasSeen = (eflags[x]! & EP_SEEN) !== 0;
    eflags[x]! |= EP_SEEN;

    if (f & TCP_RST) {
      // A RST needs no answer, so the receiver's CLOSED is placed at the RST itself.
      if (!wasSeen && state[x] === TcpState.Listen && !(eflags[x]! & EP_SYN)) {
        // The "server" answered the SYN with a RST: no listener, the connection never existed on that host.
        this.initState[x] = TcpState.Closed;
        state[x] = TcpState.Closed;
        if (state[y] === TcpState.SynSent) this.sflags[s]! |= ST_REFUSED;
      } else if (state[x] !== TcpState.Closed) {
        this.move(s, x, TcpState.Closed, frame, ns);
      }
      // A listener stays a listener; TIME_WAIT is killed by a RST on Linux (tcp_rfc1337=0), as any other state.
      if (state[y] !== TcpState.Closed && state[y] !== TcpState.Listen) this.move(s, y, TcpState.Closed, frame, ns);
      return;
    }

    if (f & TCP_SYN) {
      if (f & TCP_ACK) {
        const st = state[x]!;
        if (st === TcpState.Listen || st === TcpState.SynSent || st === TcpState.Closed) {
          this.isn[x] = d.seq;
          eflags[x]! |= EP_SYN;
          this.move(s, x, TcpState.SynReceived, frame, ns);
        } else if (st === TcpState.Established && !(eflags[x]! & EP_NON_SYN) && d.seq === this.isn[x]) {
          // A SYN-ACK retransmitted after the "final" ACK: that ACK never reached the server (full accept queue,
          // loss after the capture point). Take back the ESTABLISHED it seemed to cause.
          this.retract(s, x);
        }
      } else {
        const st = state[x]!;
        if (st === TcpState.Closed || st === TcpState.Listen) {
          this.isn[x] = d.seq;
          eflags[x]! |= EP_SYN;
          this.move(s, x, TcpState.SynSent, frame, ns);
        }
      }
    } else {
      eflags[x]! |= EP_NON_SYN;
    }

    if (f & TCP_ACK) {
      const a = d.ack;
      const sx = state[x]!;
      if (!(f & TCP_SYN)) {
        // The sender's own handshake end: its ACK of the peer's SYN-ACK (or any later segment) proves ESTABLISHED.
        if (sx === TcpState.SynSent && (!(eflags[y]! & EP_SYN) || a === ((this.isn[y]! + 1) >>> 0))) {
          this.move(s, x, TcpState.Established, frame, ns);
        } else if (sx === TcpState.SynReceived || sx === TcpState.Listen) {
          // A server sending a non-SYN segment is past its handshake (its SYN-ACK may simply not be captured).
          this.move(s, x, TcpState.Established, frame, ns);
        }
      }
      if (state[y] === TcpState.SynReceived && a === ((this.isn[y]! + 1) >>> 0)) {
        this.move(s, y, TcpState.Established, frame, ns);
      }
      const fy = eflags[y]!;
      if (fy & EP_FIN && !(eflags[x]! & EP_ACKED_PEER_FIN) && seqGE(a, (this.finSeq[y]! + 1) >>> 0)) {
        // The sender proves it received the peer's FIN; the peer's FIN is acknowledged.
        const ownFinEarlier = (eflags[x]! & EP_FIN) !== 0; // the sender's FIN went out before this ACK
        eflags[x]! |= EP_ACKED_PEER_FIN;
        switch (state[x]) {
          case TcpState.Established:
          case TcpState.SynReceived:
          case TcpState.SynSent:
            this.move(s, x, TcpState.CloseWait, frame, ns);
            break;
          case TcpState.FinWait1:
            this.move(s, x, TcpState.Closing, frame, ns);
            break;
          case TcpState.FinWait2:
            this.move(s, x, TcpState.TimeWait, frame, ns);
            break;
          default:
            break;
        }
        eflags[y]! |= EP_FIN_ACKED;
        switch (state[y]) {
          case TcpState.FinWait1:
            if (ownFinEarlier && !(fy & EP_ACKED_PEER_FIN)) {
              // Simultaneous close: our FIN reached the peer before this ACK did (in-order delivery), so the peer
              // went through CLOSING; when exactly is not on the wire, so it is given no time.
              this.move(s, y, TcpState.Closing, frame, ns);
              this.move(s, y, TcpState.TimeWait, frame, ns);
            } else {
              this.move(s, y, TcpState.FinWait2, frame, ns);
            }
            break;
          case TcpState.Closing:
            this.move(s, y, TcpState.TimeWait, frame, ns);
            break;
          case TcpState.LastAck:
            this.move(s, y, TcpState.Closed, frame, ns);
            break;
          default:
            break;
        }
      }
    }

    if (f & TCP_FIN) {
      const fs = (d.seq + d.payloadLength + (f & TCP_SYN ? 1 : 0)) >>> 0;
      if (!(eflags[x]! & EP_FIN)) {
        eflags[x]! |= EP_FIN;
        this.finSeq[x] = fs;
        switch (state[x]) {
          case TcpState.Established:
          case TcpState.SynReceived:
          case TcpState.SynSent:
            this.move(s, x, TcpState.FinWait1, frame, ns);
            break;
          case TcpState.CloseWait:
            this.move(s, x, TcpState.LastAck, frame, ns);
            break;
          default:
            break;
        }
      } else if (((fs - this.finSeq[x]!) | 0) > 0) {
        this.finSeq[x] = fs;
      }
    }
  }

  /** Sets the end of the capture (its latest packet time): the final states last until then. */
  /** `flows`: the finished flow table, whose client sides then win (packets the analysis skipped can move them). */
  finish(endSec: number, endNsec: number, flows?: FlowTable): void {
    if (flows) this.cdir.set(flows.clientDir.subarray(0, Math.min(this.streams, flows.count)));
    this.endNs = this.refSec === this.refSec ? (endSec - this.refSec) * 1e9 + (endNsec - this.refNsec) : 0;
  }

  get streamCount(): number {
    return this.streams;
  }

  /** Current state (the state at capture end once the capture has been read). */
  stateOf(stream: number, side: number): TcpState {
    return this.state[stream * 2 + side]! as TcpState;
  }

  initialStateOf(stream: number, side: number): TcpState {
    return this.initState[stream * 2 + side]! as TcpState;
  }

  /** Side (0 = A, 1 = B) of the client: the SYN sender, else the flow table's guess. */
  clientSide(stream: number): number {
    return this.cdir[stream]!;
  }

  /** Final state of the client (role 'client') or server of a stream. */
  finalState(stream: number, role: 'client' | 'server'): TcpState {
    const c = this.clientSide(stream);
    return this.stateOf(stream, role === 'client' ? c : c ^ 1);
  }

  joinedMidStream(stream: number): boolean {
    return (this.sflags[stream]! & ST_JOINED) !== 0;
  }

  refused(stream: number): boolean {
    return (this.sflags[stream]! & ST_REFUSED) !== 0;
  }

  /** 1 for each of the first `count` streams that refused(), else 0: for rules run in another thread. */
  refusedStreams(count: number): Uint8Array {
    const out = new Uint8Array(count);
    const n = Math.min(count, this.streams);
    for (let s = 0; s < n; s++) if (this.sflags[s]! & ST_REFUSED) out[s] = 1;
    return out;
  }

  /** Number of endpoints in each final state, by role: counts[role][state]. */
  finalStateCounts(): { client: number[]; server: number[] } {
    const client = new Array<number>(TCP_STATE_COUNT).fill(0);
    const server = new Array<number>(TCP_STATE_COUNT).fill(0);
    for (let s = 0; s < this.streams; s++) {
      if (!(this.sflags[s]! & ST_STARTED)) continue;
      client[this.finalState(s, 'client')]!++;
      server[this.finalState(s, 'server')]!++;
    }
    return { client, server };
  }

  /**
   * Milliseconds each endpoint of a stream spent in each state, from the stream's first packet to the end of the
   * capture (finish()), or to the last transition when finish() was not called.
   */
  timeInState(stream: number, side: number): Float64Array {
    const out = new Float64Array(TCP_STATE_COUNT);
    const e = stream * 2 + side;
    let cur = this.initState[e]!;
    const since0 = this.startNs[stream]!;
    let since = since0;
    let last = since;
    for (let t = this.head[stream]! - 1; t >= 0; t = this.tNext[t]!) {
      const info = this.tInfo[t]!;
      if (info & T_RETRACTED || ((info & T_SIDE) !== 0) !== (side === 1)) continue;
      const at = since0 + getOffset(this.tAt, t);
      out[cur]! += (at - since) / 1e6;
      cur = (info >> 4) & 0xf;
      since = at;
      last = at;
    }
    const end = this.endNs === this.endNs ? Math.max(this.endNs, last) : last;
    out[cur]! += (end - since) / 1e6;
    return out;
  }

  /** The whole picture of one stream, as plain objects (made on request only). */
  streamStates(stream: number): StreamStates {
    const c = this.clientSide(stream);
    const roleOf = (side: number): 'client' | 'server' => (side === c ? 'client' : 'server');
    const transitions: StateTransition[] = [];
    const entered0 = this.startNs[stream]!;
    const entered = [entered0, entered0];
    for (let t = this.head[stream]! - 1; t >= 0; t = this.tNext[t]!) {
      const info = this.tInfo[t]!;
      if (info & T_RETRACTED) continue;
      const side = info & T_SIDE ? 1 : 0;
      const at = entered0 + getOffset(this.tAt, t);
      transitions.push({
        side,
        role: roleOf(side),
        from: TCP_STATE_NAMES[info & 0xf]!,
        to: TCP_STATE_NAMES[(info >> 4) & 0xf]!,
        frame: this.tFrame[t]!,
        time: at / 1e9,
        msInFrom: (at - entered[side]!) / 1e6,
      });
      entered[side] = at;
    }
    const endpoint = (side: 0 | 1): EndpointTimeline => {
      const ms = this.timeInState(stream, side);
      const msInState: Partial<Record<TcpStateName, number>> = {};
      const init = this.initState[stream * 2 + side]!;
      for (let i = 0; i < TCP_STATE_COUNT; i++) {
        if (ms[i]! > 0 || i === init || transitions.some((t) => t.side === side && t.to === TCP_STATE_NAMES[i])) {
          msInState[TCP_STATE_NAMES[i]!] = ms[i]!;
        }
      }
      return {
        side,
        role: roleOf(side),
        initial: TCP_STATE_NAMES[init]!,
        final: TCP_STATE_NAMES[this.state[stream * 2 + side]!]!,
        msInState,
      };
    };
    const f = this.sflags[stream]!;
    return {
      stream,
      joinedMidStream: (f & ST_JOINED) !== 0,
      synMissing: (f & ST_SYN_MISSING) !== 0,
      refused: (f & ST_REFUSED) !== 0,
      transitions,
      endpoints: [endpoint(0), endpoint(1)],
    };
  }

  // ---------------------------------------------------------------------------------------------------------------

  private start(s: number, x: number, y: number, f: number, ns: number): void {
    this.sflags[s] = ST_STARTED;
    this.startNs[s] = ns;
    let ix: TcpState;
    let iy: TcpState;
    if ((f & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN) {
      ix = TcpState.Closed;
      iy = TcpState.Listen; // assumed: a silent or filtered host looks the same from here
    } else if ((f & (TCP_SYN | TCP_ACK | TCP_RST)) === (TCP_SYN | TCP_ACK)) {
      ix = TcpState.Listen;
      iy = TcpState.SynSent;
      this.sflags[s]! |= ST_SYN_MISSING;
    } else {
      ix = iy = TcpState.Established;
      this.sflags[s]! |= ST_JOINED;
    }
    this.initState[x] = this.state[x] = ix;
    this.initState[y] = this.state[y] = iy;
  }

  /**
   * A SYN that opens a new stream on a 4-tuple still held by an earlier stream ends that stream's TIME_WAIT: the
   * endpoint in TIME_WAIT accepted the new connection (or its host reused the port), so that socket is gone.
   */
  private reuse(t: number, s: number, frame: number, ns: number): void {
    if (t >= this.tupleLast.length) {
      let n = this.tupleLast.length;
      while (n <= t) n *= 2;
      const old = this.tupleLast.length;
      this.tupleLast = grow(this.tupleLast, n);
      this.tupleLast.fill(-1, old);
    }
    const prev = this.tupleLast[t]!;
    this.tupleLast[t] = s;
    if (prev < 0 || prev === s) return;
    for (let side = 0; side < 2; side++) {
      if (this.state[prev * 2 + side] === TcpState.TimeWait) this.move(prev, prev * 2 + side, TcpState.Closed, frame, ns);
    }
  }

  private move(s: number, e: number, to: TcpState, frame: number, ns: number): void {
    const from = this.state[e]!;
    if (from === to) return;
    this.state[e] = to;
    if (this.tCount === this.tCap) this.growTransitions(grownCapacity(this.tCount + 1, this.tCap, this.fileOffset, this.fileSize));
    const t = this.tCount++;
    this.tNext[t] = -1;
    this.tFrame[t] = frame;
    setOffset(this.tAt, t, ns - this.startNs[s]!);
    this.tInfo[t] = from | (to << 4) | (e & 1 ? T_SIDE : 0);
    if (this.tail[s]! > 0) this.tNext[this.tail[s]! - 1] = t;
    else this.head[s] = t + 1;
    this.tail[s] = t + 1;
  }

  /**
   * Undoes an endpoint's latest transition (rare: only when a later packet contradicts it). Found by walking the
   * stream's few transitions rather than kept per endpoint, which cost 8 bytes of every stream for a rare event.
   */
  private retract(s: number, e: number): void {
    const wantSide = e & 1 ? T_SIDE : 0;
    let t = -1;
    for (let i = this.head[s]! - 1; i >= 0; i = this.tNext[i]!) {
      const info = this.tInfo[i]!;
      if (!(info & T_RETRACTED) && (info & T_SIDE) === wantSide) t = i;
    }
    if (t < 0) return;
    this.tInfo[t]! |= T_RETRACTED;
    this.state[e] = this.tInfo[t]! & 0xf;
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  private growStreams(min: number): void {
    // min comes from grownCapacity: already at least double, or the size the file suggests.
    const c = Math.max(min, this.cap * 2);
    this.cap = c;
    this.sflags = grow(this.sflags, c);
    this.cdir = grow(this.cdir, c);
    this.head = grow(this.head, c);
    this.tail = grow(this.tail, c);
    this.startNs = grow(this.startNs, c);
    this.state = grow(this.state, c * 2);
    this.initState = grow(this.initState, c * 2);
    this.eflags = grow(this.eflags, c * 2);
    this.isn = grow(this.isn, c * 2);
    this.finSeq = grow(this.finSeq, c * 2);
  }

  private growTransitions(c: number): void {
    this.tCap = c;
    this.tNext = grow(this.tNext, c);
    this.tFrame = grow(this.tFrame, c);
    growOffsets(this.tAt, c);
    this.tInfo = grow(this.tInfo, c);
  }
}
