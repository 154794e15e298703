import type { PacketRecord } from '../capture/types';
import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from './packetContext';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow, touchAhead } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { reviveAs } from '../util/transfer';

/**
 * Zeek's conn.log `conn_state` and `history` for every stream, computed the way Zeek computes them: its per-endpoint
 * state machine (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET), its history letters with
 * their once / per-new-seq / logarithmic recording rules, and its originator choice including the role flips that
 * put `^` in the history. Written from Zeek's documented behaviour and the logic of TCPSessionAdapter.cc,
 * TCP_Endpoint.cc and conn/main.zeek; docs/tcp-states.md lists what is approximated.
 *
 * Per-stream state is typed arrays; letters go into a 16-byte inline buffer per stream (almost every history fits;
 * longer ones spill into a small array made once for that stream). Strings are only built when asked for.
 */

export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export const ZEEK_CONN_STATES: readonly ZeekConnState[] = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];

/** Zeek's endpoint states (TCP_Endpoint.h). */
export const enum ZeekEndpointState {
  Inactive = 0,
  SynSent = 1,
  SynAckSent = 2,
  Partial = 3,
  Established = 4,
  Closed = 5,
  Reset = 6,
}

/**
 * Zeek's default `likely_server_ports` for TCP: the ports the protocol analyzers loaded by a default install
 * register. Zeek uses them to pick the originator of a connection whose first packet is not a SYN.
 */
export const ZEEK_LIKELY_SERVER_PORTS: readonly number[] = [
  20000, 53, 79, 21, 2811, 80, 81, 631, 1080, 3128, 8000, 8080, 8888, 143, 6666, 6667, 6668, 6669, 88, 389, 3268, 502,
  1883, 1434, 3306, 5432, 3389, 6379, 139, 445, 25, 587, 22, 443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995,
  5223, 514, 5222, 5269, 135,
];

// History mask bits (TCP_Endpoint.h), orig in the low 16 bits, resp shifted by 16.
const HIST_SYN = 0x1;
const HIST_FIN = 0x2;
const HIST_RST = 0x4;
const HIST_FIN_RST = 0x8;
const HIST_DATA = 0x10;
const HIST_ACK = 0x20;
const HIST_MULTI = 0x40;

const TOO_LARGE_SEQ_DELTA = 1048576;
const INLINE = 16;

// Stream flags.
const Z_STARTED = 0x01;
const Z_PARTIAL = 0x02; // did not start with a pure SYN (Zeek's is_partial, approximately)

// Endpoint flags.
const E_FIN = 0x01; // FIN_cnt > 0
const E_CONTIG = 0x02; // contig is valid
const E_OOO = 0x04; // oooStart/oooEnd hold data seen beyond a hole

const CH_CARET = 0x5e;
const CH_H = 0x48;

const seqDelta = (a: number, b: number) => (a - b) | 0;

function isPow10(n: number): boolean {
  while (n >= 10 && n % 10 === 0) n /= 10;
  return n === 1;
}

export interface ZeekObserverOptions {
  /** Ports treated as likely servers (Zeek's likely_server_ports); defaults to ZEEK_LIKELY_SERVER_PORTS. */
  likelyServerPorts?: Iterable<number>;
}

export class ZeekConnTracker implements TcpPacketObserver {
  private cap: number;
  private streams = 0;
  private readonly likely: Uint8Array;
  // ---- per stream ----
  private zflags: Uint8Array;
  private origSide: Uint8Array;
  private histSeen: Uint32Array;
  private histLen: Uint32Array;
  private hist: Uint8Array;
  private readonly overflow = new Map<number, number[]>();
  // ---- per endpoint (stream * 2 + side) ----
  private st: Uint8Array;
  private prev: Uint8Array;
  private ef: Uint8Array;
  private startSeq: Uint32Array;
  private lastSeq: Uint32Array;
  private ackSeq: Uint32Array;
  private finSeq: Uint32Array;
  private lastSyn: Uint32Array;
  private lastFin: Uint32Array;
  private lastRst: Uint32Array;
  private rxmt: Uint32Array;
  private win0: Uint32Array;
  private gaps: Uint32Array;
  private contig: Uint32Array;
  private oooStart: Uint32Array;
  private oooEnd: Uint32Array;

  /** A tracker that observed a pass in another thread (see src/node/parallel.ts). */
  static revive(cloned: unknown): ZeekConnTracker {
    return reviveAs(cloned, ZeekConnTracker, (o) => o.zflags instanceof Uint8Array && o.overflow instanceof Map);
  }

  constructor(options: ZeekObserverOptions = {}, initialStreams = 1024) {
    this.likely = new Uint8Array(65536);
    for (const p of options.likelyServerPorts ?? ZEEK_LIKELY_SERVER_PORTS) this.likely[p & 0xffff] = 1;
    const c = (this.cap = initialStreams);
    this.zflags = new Uint8Array(c);
    this.origSide = new Uint8Array(c);
    this.histSeen = new Uint32Array(c);
    this.histLen = new Uint32Array(c);
    this.hist = new Uint8Array(c * INLINE);
    this.st = new Uint8Array(c * 2);
    this.prev = new Uint8Array(c * 2);
    this.ef = new Uint8Array(c * 2);
    this.startSeq = new Uint32Array(c * 2);
    this.lastSeq = new Uint32Array(c * 2);
    this.ackSeq = new Uint32Array(c * 2);
    this.finSeq = new Uint32Array(c * 2);
    this.lastSyn = new Uint32Array(c * 2);
    this.lastFin = new Uint32Array(c * 2);
    this.lastRst = new Uint32Array(c * 2);
    this.rxmt = new Uint32Array(c * 2);
    this.win0 = new Uint32Array(c * 2);
    this.gaps = new Uint32Array(c * 2);
    this.contig = new Uint32Array(c * 2);
    this.oooStart = new Uint32Array(c * 2);
    this.oooEnd = new Uint32Array(c * 2);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    if (s >= this.streams) this.streams = s + 1;
    while (s >= this.touched) this.touched = touchAhead(this.perStream(), this.cap, this.touched);
    const f = d.flags;
    const syn = (f & TCP_SYN) !== 0;
    const fin = (f & TCP_FIN) !== 0;
    const rst = (f & TCP_RST) !== 0;
    const ack = (f & TCP_ACK) !== 0;
    const len = d.payloadLength;
    const x = s * 2 + dir;
    const y = x ^ 1;
    const st = this.st;

    if (!(this.zflags[s]! & Z_STARTED)) this.start(s, d);
    // Zeek keeps the value it had before this packet for the rest of its processing, even across a role flip.
    const isOrig = dir === this.origSide[s];

    let segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (rst) segLen -= len;
    const seq = d.seq;
    const seqEnd = (seq + segLen) >>> 0;

    // init_endpoint
    switch (st[x]) {
      case ZeekEndpointState.Inactive:
        if (syn) this.initSeqs(x, seq, seqEnd);
        else this.initSeqs(x, (seq - 1) >>> 0, seq);
        break;
      case ZeekEndpointState.SynSent:
      case ZeekEndpointState.SynAckSent:
        if (syn && seq !== this.startSeq[x]) this.initSeqs(x, seq, seqEnd);
        break;
      case ZeekEndpointState.Established:
      case ZeekEndpointState.Partial:
        if (syn) this.initSeqs(x, seq, seqEnd);
        break;
      case ZeekEndpointState.Reset:
        if (syn && this.prev[x] === ZeekEndpointState.Inactive) this.initSeqs(x, seq, seqEnd);
        break;
      default:
        break;
    }

    // update_history
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.checkHistory(s, x, HIST_FIN_RST, 0x49 /* I */);
      else this.checkHistory(s, x, HIST_MULTI, 0x51 /* Q */);
    } else if (bits === 1) {
      if (syn) {
        const code = ack ? CH_H : 0x53; /* S */
        if (this.checkHistory(s, x, HIST_SYN, code) && seq !== this.lastSyn[x]) this.addHistory(s, x, code);
        this.lastSyn[x] = seq;
      } else if (fin) {
        const end = (seq + len) >>> 0;
        if (this.checkHistory(s, x, HIST_FIN, 0x46 /* F */) && end !== this.lastFin[x]) this.addHistory(s, x, 0x46);
        this.lastFin[x] = end;
      } else {
        if (this.checkHistory(s, x, HIST_RST, 0x52 /* R */) && seq !== this.lastRst[x]) this.addHistory(s, x, 0x52);
        this.lastRst[x] = seq;
      }
    } else if (len > 0) {
      this.checkHistory(s, x, HIST_DATA, 0x44 /* D */);
    } else if (ack) {
      this.checkHistory(s, x, HIST_ACK, 0x41 /* A */);
    }

    // update_window: only the zero-window letter matters here.
    if (d.window === 0 && !rst && st[y] !== ZeekEndpointState.Closed && st[x] !== ZeekEndpointState.Reset) {
      if (isPow10(++this.win0[x]!)) this.addHistory(s, x, 0x57 /* W */);
    }

    if (fin) {
      this.ef[x]! |= E_FIN;
      this.finSeq[x] = seqEnd;
    }

    if (ack) {
      if (st[y] === ZeekEndpointState.Inactive) {
        const a1 = (d.ack - 1) >>> 0;
        this.startSeq[y] = a1;
        this.ackSeq[y] = a1;
        this.lastSeq[y] = a1;
        this.contig[y] = d.ack;
        this.ef[y] = (this.ef[y]! | E_CONTIG) & ~E_OOO;
      } else if (!rst) {
        const delta = seqDelta(d.ack, this.ackSeq[y]!);
        if (!(d.ack === 0 && delta > TOO_LARGE_SEQ_DELTA) && delta > 0) this.ackSeq[y] = d.ack;
      }
    }

    // update_last_seq
    const deltaLast = seqDelta(seqEnd, this.lastSeq[x]!);
    if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted
    } else if (fin && this.lastSeq[x] === ((this.startSeq[x]! + 1) >>> 0)) {
      this.lastSeq[x] = seqEnd;
    } else if (st[x] === ZeekEndpointState.Reset) {
      // nothing after a reset is trusted
    } else if (deltaLast > 0) {
      this.lastSeq[x] = seqEnd;
    } else if (len > 0) {
      if (isPow10(++this.rxmt[x]!)) this.addHistory(s, x, 0x54 /* T */);
    }

    this.stateMachine(s, x, y, d, isOrig);

    if (ack) this.ackReceived(s, y, d.ack);
    // Zeek hands only fully captured payload to its reassembler; a snaplen-cut segment later shows up as a gap.
    if (len > 0 && !rst && d.capturedPayload >= len) this.dataSent(x, syn ? (seq + 1) >>> 0 : seq, len);
  }

  get streamCount(): number {
    return this.streams;
  }

  /** Side (0 = A, 1 = B, as in the flow table) that Zeek calls the originator. */
  originatorSide(stream: number): number {
    return this.origSide[stream]!;
  }

  endpointState(stream: number, side: number): ZeekEndpointState {
    return this.st[stream * 2 + side]! as ZeekEndpointState;
  }

  /** conn_state as Zeek's conn/main.zeek derives it from the two endpoint states (and the history for RSTOS0). */
  connState(stream: number): ZeekConnState {
    const o = stream * 2 + this.origSide[stream]!;
    const r = o ^ 1;
    const os = this.st[o]!;
    const rs = this.st[r]!;
    const oInactive = os === ZeekEndpointState.Inactive || os === ZeekEndpointState.Partial;
    const rInactive = rs === ZeekEndpointState.Inactive || rs === ZeekEndpointState.Partial;
    if (rs === ZeekEndpointState.Reset) {
      if (
        os === ZeekEndpointState.SynSent ||
        os === ZeekEndpointState.SynAckSent ||
        (os === ZeekEndpointState.Reset && this.size(o) === 0 && this.size(r) === 0)
      ) {
        return 'REJ';
      }
      return oInactive ? 'RSTRH' : 'RSTR';
    }
    if (os === ZeekEndpointState.Reset) {
      if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/.test(this.history(stream)) ? 'RSTOS0' : 'OTH';
      return 'RSTO';
    }
    if (rs === ZeekEndpointState.Closed && os === ZeekEndpointState.Closed) return 'SF';
    if (os === ZeekEndpointState.Closed) return rInactive ? 'SH' : 'S2';
    if (rs === ZeekEndpointState.Closed) return oInactive ? 'SHR' : 'S3';
    if (os === ZeekEndpointState.SynSent && rs === ZeekEndpointState.Inactive) return 'S0';
    if (os === ZeekEndpointState.Established && rs === ZeekEndpointState.Established) return 'S1';
    return 'OTH';
  }

  history(stream: number): string {
    const n = this.histLen[stream]!;
    let out = '';
    const base = stream * INLINE;
    for (let i = 0; i < n && i < INLINE; i++) out += String.fromCharCode(this.hist[base + i]!);
    const more = this.overflow.get(stream);
    // One letter at a time: spreading a long history (a flow with many resets) into one call overflows the stack.
    if (more) for (const ch of more) out += String.fromCharCode(ch);
    return out;
  }

  /** Payload bytes by sequence numbers, as conn.log orig_bytes / resp_bytes (TCP_Endpoint::Size, 32-bit). */
  origBytes(stream: number): number {
    return this.size(stream * 2 + this.origSide[stream]!);
  }

  respBytes(stream: number): number {
    return this.size((stream * 2 + this.origSide[stream]!) ^ 1);
  }

  /** Number of streams in each conn_state. */
  connStateCounts(): Record<ZeekConnState, number> {
    const out = Object.fromEntries(ZEEK_CONN_STATES.map((k) => [k, 0])) as Record<ZeekConnState, number>;
    for (let s = 0; s < this.streams; s++) if (this.zflags[s]! & Z_STARTED) out[this.connState(s)]++;
    return out;
  }

  // ---------------------------------------------------------------------------------------------------------------

  private start(s: number, d: DecodedPacket): void {
    this.zflags[s] = Z_STARTED;
    const synOnly = (d.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (!synOnly) {
      this.zflags[s]! |= Z_PARTIAL;
      // Zeek's guess for a connection that does not start with a SYN (WantConnection): the side sending from a
      // likely server port is the responder; when both ports qualify, flip only for a non-SYN going to the higher port.
      if (this.likely[d.srcPort]) {
        const flip = this.likely[d.dstPort] ? !(d.flags & TCP_SYN) && d.srcPort < d.dstPort : true;
        if (flip) this.flip(s);
      }
    }
  }

  private flip(s: number): void {
    this.origSide[s]! ^= 1;
    this.appendHistory(s, CH_CARET);
  }

  private initSeqs(e: number, start: number, last: number): void {
    this.startSeq[e] = start;
    this.ackSeq[e] = start;
    this.lastSeq[e] = last;
    this.contig[e] = (start + 1) >>> 0;
    this.ef[e] = (this.ef[e]! | E_CONTIG) & ~E_OOO;
  }

  private setState(e: number, state: ZeekEndpointState): void {
    if (this.st[e] !== state) {
      this.prev[e] = this.st[e]!;
      this.st[e] = state;
    }
  }

  private stateMachine(s: number, x: number, y: number, d: DecodedPacket, isOrig: boolean): void {
    const f = d.flags;
    const syn = (f & TCP_SYN) !== 0;
    const fin = (f & TCP_FIN) !== 0;
    const rst = (f & TCP_RST) !== 0;
    const ack = (f & TCP_ACK) !== 0;
    const st = this.st;
    switch (st[x]) {
      case ZeekEndpointState.Inactive: {
        if (syn) {
          if (isOrig) {
            this.setState(x, ack ? ZeekEndpointState.SynAckSent : ZeekEndpointState.SynSent);
          } else {
            if (!ack && st[y] === ZeekEndpointState.SynAckSent && d.seq === this.startSeq[x]) {
              // The SYN-ACK came before the SYN it answers: the roles were backwards.
              this.flip(s);
              this.setState(y, ZeekEndpointState.Established);
            }
            if (st[y] === ZeekEndpointState.SynSent) this.setState(y, ZeekEndpointState.Established);
            this.setState(x, ZeekEndpointState.Established);
          }
        }
        if (fin) this.setState(x, ZeekEndpointState.Closed);
        if (rst) this.setState(x, ZeekEndpointState.Reset);
        if (st[x] === ZeekEndpointState.Inactive) {
          const orig = s * 2 + this.origSide[s]!;
          if (!isOrig && d.payloadLength === 0 && st[orig] === ZeekEndpointState.SynSent) {
            // Some stacks ACK a SYN before answering it; that ACK does not make a partial connection.
          } else if (ack && st[y] === ZeekEndpointState.Established) {
            this.setState(x, ZeekEndpointState.Established);
          } else {
            this.setState(x, ZeekEndpointState.Partial);
          }
        }
        break;
      }
      case ZeekEndpointState.SynSent:
      case ZeekEndpointState.SynAckSent:
        if (fin) this.setState(x, ZeekEndpointState.Closed);
        if (rst) this.setState(x, ZeekEndpointState.Reset);
        break;
      case ZeekEndpointState.Established:
      case ZeekEndpointState.Partial:
        if (syn && st[x] === ZeekEndpointState.Partial && st[y] === ZeekEndpointState.Inactive && !ack) {
          this.setState(x, ZeekEndpointState.SynSent);
        }
        if (fin && !rst) {
          this.setState(x, ZeekEndpointState.Closed);
          // A FIN then a RST from the peer, then our FIN: that was a normal close after all.
          if (st[y] === ZeekEndpointState.Reset && this.prev[y] === ZeekEndpointState.Closed) this.setState(y, ZeekEndpointState.Closed);
        }
        if (rst) this.setState(x, ZeekEndpointState.Reset);
        break;
      case ZeekEndpointState.Closed:
        // After a FIN exchange a RST changes nothing.
        if (rst && st[y] !== ZeekEndpointState.Closed) this.setState(x, ZeekEndpointState.Reset);
        break;
      default:
        break;
    }
  }

  /** Content gaps: the peer acknowledges bytes of endpoint `e` that never appeared (Zeek's reassembler Undelivered). */
  private ackReceived(s: number, e: number, ackNum: number): void {
    const ef = this.ef[e]!;
    if (!(ef & E_CONTIG)) return;
    let a = ackNum;
    if (ef & E_FIN && seqDelta(a, this.finSeq[e]!) >= 0) a = (this.finSeq[e]! - 1) >>> 0;
    const c = this.contig[e]!;
    if (seqDelta(a, c) <= 0) return;
    let holes = 0;
    if (ef & E_OOO && seqDelta(this.oooStart[e]!, a) < 0) {
      if (seqDelta(this.oooStart[e]!, c) > 0) holes++;
      if (seqDelta(a, this.oooEnd[e]!) > 0) holes++;
      this.contig[e] = seqDelta(this.oooEnd[e]!, a) > 0 ? this.oooEnd[e]! : a;
      this.ef[e] = ef & ~E_OOO;
    } else {
      holes = 1;
      this.contig[e] = a;
    }
    // A partial connection's first ACK may point one or two bytes past what Zeek pretended was its start.
    if (this.zflags[s]! & Z_PARTIAL && seqDelta(a, this.startSeq[e]!) <= 2) return;
    if (!this.clean(e) || !this.clean(e ^ 1)) return;
    for (let i = 0; i < holes; i++) if (isPow10(++this.gaps[e]!)) this.addHistory(s, e, 0x47 /* G */);
  }

  private clean(e: number): boolean {
    const st = this.st[e]!;
    return st === ZeekEndpointState.Established || (st === ZeekEndpointState.Closed && this.prev[e] === ZeekEndpointState.Established);
  }

  private dataSent(e: number, seq: number, len: number): void {
    const ef = this.ef[e]!;
    if (!(ef & E_CONTIG)) return;
    const end = (seq + len) >>> 0;
    const c = this.contig[e]!;
    if (seqDelta(seq, c) <= 0) {
      if (seqDelta(end, c) > 0) {
        this.contig[e] = end;
        if (ef & E_OOO && seqDelta(this.oooStart[e]!, end) <= 0) {
          if (seqDelta(this.oooEnd[e]!, end) > 0) this.contig[e] = this.oooEnd[e]!;
          this.ef[e] = ef & ~E_OOO;
        }
      }
    } else if (!(ef & E_OOO)) {
      this.oooStart[e] = seq;
      this.oooEnd[e] = end;
      this.ef[e] = ef | E_OOO;
    } else if (seqDelta(seq, this.oooEnd[e]!) <= 0 && seqDelta(end, this.oooStart[e]!) >= 0) {
      // One remembered range past the hole is enough for the usual single loss; overlapping data widens it.
      if (seqDelta(seq, this.oooStart[e]!) < 0) this.oooStart[e] = seq;
      if (seqDelta(end, this.oooEnd[e]!) > 0) this.oooEnd[e] = end;
    }
  }

  private size(e: number): number {
    const p = e ^ 1;
    if (
      this.prev[e] === ZeekEndpointState.SynSent &&
      this.st[e] === ZeekEndpointState.Reset &&
      this.st[p] === ZeekEndpointState.Inactive &&
      this.ackSeq[e] !== this.startSeq[e] &&
      this.ackSeq[e] !== ((this.startSeq[e]! + 1) >>> 0)
    ) {
      // A half-open connection found and aborted: its sequence numbers say nothing about data.

      return 0;
    }
    const start = this.startSeq[e]!;
    let size = seqDelta(this.lastSeq[e]!, this.ackSeq[e]!) > 0 ? (this.lastSeq[e]! - start) >>> 0 : (this.ackSeq[e]! - start) >>> 0;
    if (size !== 0) size--;
    if (this.ef[e]! & E_FIN && size !== 0) size--;
    return size;
  }

  /** Zeek's CheckHistory: records `code` the first time `mask` is seen for that role; true when already seen. */
  private checkHistory(s: number, e: number, mask: number, code: number): boolean {
    if ((code === 0x41 || code === 0x44) && this.histLen[s] === 1 && this.hist[s * INLINE] === CH_H) {
      // A connection that began with a SYN-ACK now carries an ACK or data: it was no stealth scan, so the SYN-ACK
      // sender is the responder after all. Zeek flips and rewrites the history as "^h".
      this.origSide[s]! ^= 1;
      this.histLen[s] = 0;
      this.appendHistory(s, CH_CARET);
      this.appendHistory(s, 0x68 /* h */);
    }
    const orig = (e & 1) === this.origSide[s];
    const m = orig ? mask : mask << 16;
    if ((this.histSeen[s]! & m) === 0) {
      this.histSeen[s]! |= m;
      this.appendHistory(s, orig ? code : code | 0x20);
      return false;
    }
    return true;
  }

  private addHistory(s: number, e: number, code: number): void {
    this.appendHistory(s, (e & 1) === this.origSide[s] ? code : code | 0x20);
  }

  private appendHistory(s: number, ch: number): void {
    const n = this.histLen[s]!;
    if (n < INLINE) this.hist[s * INLINE + n] = ch;
    else {
      let more = this.overflow.get(s);
      if (!more) this.overflow.set(s, (more = []));
      more.push(ch);
    }
    this.histLen[s] = n + 1;
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  /**
   * The arrays nearly every stream writes. The ones only trouble writes (resets, retransmissions, zero windows,
   * gaps, reordering) stay out: their pages are read as the zero page and cost no memory until something happens.
   */
  private perStream() {
    return [this.zflags, this.origSide, this.histSeen, this.histLen, this.hist, this.st, this.prev, this.ef, this.startSeq, this.lastSeq, this.ackSeq, this.finSeq, this.lastSyn, this.lastFin, this.contig];
  }

  private growStreams(min: number): void {
    // min comes from grownCapacity: already at least double, or the size the file suggests.
    const c = Math.max(min, this.cap * 2);
    this.cap = c;
    this.zflags = grow(this.zflags, c);
    this.origSide = grow(this.origSide, c);
    this.histSeen = grow(this.histSeen, c);
    this.histLen = grow(this.histLen, c);
    this.hist = grow(this.hist, c * INLINE);
    this.st = grow(this.st, c * 2);
    this.prev = grow(this.prev, c * 2);
    this.ef = grow(this.ef, c * 2);
    this.startSeq = grow(this.startSeq, c * 2);
    this.lastSeq = grow(this.lastSeq, c * 2);
    this.ackSeq = grow(this.ackSeq, c * 2);
    this.finSeq = grow(this.finSeq, c * 2);
    this.lastSyn = grow(this.lastSyn, c * 2);
    this.lastFin = grow(this.lastFin, c * 2);
    this.lastRst = grow(this.lastRst, c * 2);
    this.rxmt = grow(this.rxmt, c * 2);
    this.win0 = grow(this.win0, c * 2);
    this.gaps = grow(this.gaps, c * 2);
    this.contig = grow(this.contig, c * 2);
    this.oooStart = grow(this.oooStart, c * 2);
    this.oooEnd = grow(this.oooEnd, c * 2);
  }
}
