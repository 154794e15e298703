import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from '../analysis/packetContext';
import type { PacketRecord } from '../capture/types';
import { TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow, touchAhead } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, TA_KEEP_ALIVE, type SequenceAnalyzer } from '../analysis/seqAnalysis';

/**
 * Gathers, in the single analysis pass, the few facts the population-level rules need beyond what the flow
 * table, the sequence analysis, the endpoint states and the handshake tracker keep: per-second retransmission load,
 * resets, zero-window periods, unanswered retransmission runs and duplicate copies of packets.
 *
 * It runs for every TCP packet, so each direction of a stream keeps 16 bytes that a packet reads and writes in one
 * cache line: the last IPv4 packet's id, flags and time, a hash of its seq, ack and length (to spot its copy), and
 * a few state bits, some mirrored from the peer's direction so a packet never needs the other half. Anything rare
 * (open zero-window periods, retransmission runs, resets) lives outside, in maps and event lists: O(events that are
 * themselves problems), never O(packets). It reads nothing from the flow table during the pass, only the packet,
 * its context and the SequenceAnalyzer's verdict for it: it must run after the SequenceAnalyzer in the observer list.
 */

/** How a zero-window period ended. */
export const enum StallEnd {
  WindowOpened = 0,
  Reset = 1,
  Fin = 2,
  CaptureEnd = 3,
}

export interface Bucket {
  dataSegments: number;
  retransmissions: number;
  /** Streams with a retransmission in this bucket (capped). */
  streams: number[];
  firstRetransFrame: number;
}

const BUCKET_STREAMS_CAP = 64;

// Word 0 of a direction's block: IPv4 id << 16 | TCP flags (bits 0-8) of its last packet with an IP id (0 = none
// yet), and in bits 9-14 the state bits below. Word 1: the hash of that packet's seq, ack and length. Words 2-3: its
// time (a float64).
const SIG_MASK = 0xffff01ff;
/** The direction was the client's when it sent something other than a SYN: the connection got past its SYN. */
const B_CLIENT_MOVED = 1 << 9;
/** The direction sent a RST. */
const B_RST = 1 << 10;
/** A zero-window period is open: advertised by this direction (SELF) or by its peer (PEER, the mirror). */
const B_ZW_SELF = 1 << 11;
const B_ZW_PEER = 1 << 12;
/** A run of retransmissions nothing from the peer answered: by this direction (SELF) or its peer (PEER). */
const B_RUN_SELF = 1 << 13;
const B_RUN_PEER = 1 << 14;

interface OpenStall {
  start: number;
  startFrame: number;
  probes: number;
}

interface Run {
  length: number;
  firstFrame: number;
  firstTime: number;
  lastTime: number;
}

export class DiagnosticsCollector implements TcpPacketObserver {
  readonly bucketSeconds: number;
  /** Retransmission load per time bucket (bucket index = floor(time / bucketSeconds)). */
  readonly buckets = new Map<number, Bucket>();
  // The bucket of the previous data segment and times surely inside it: packets come in time order, so the map
  // (and the division) are seldom needed.
  private cur: Bucket = { dataSegments: 0, retransmissions: 0, streams: [], firstRetransFrame: 0 };
  private curLo = Infinity;
  private curHi = -Infinity;

  // ---- per direction (stream * 2 + dir): a 16-byte block, see B_* ----
  private cap = 0;
  private u32!: Uint32Array;
  private f64!: Float64Array;
  // ---- rare per-direction state, keyed by stream * 2 + direction ----
  /** Zero-window periods still open. */
  private readonly openStalls = new Map<number, OpenStall>();
  /** Unanswered retransmission runs still going. */
  private readonly runs = new Map<number, Run>();
  private firstRsts: { count: number; frame: Uint32Array } | undefined;

  // ---- events ----
  rstCount = 0;
  rstTime = new Float64Array(256);
  rstStream = new Int32Array(256);
  rstSide = new Uint8Array(256);
  rstFrame = new Uint32Array(256);

  stallCount = 0;
  stallStream = new Int32Array(64);
  stallSide = new Uint8Array(64); // the side that advertised the zero window (the receiver)
  stallStart = new Float64Array(64);
  stallEnd = new Float64Array(64);
  stallStartFrame = new Float64Array(64);
  stallEndFrame = new Float64Array(64);
  stallProbes = new Uint32Array(64);
  stallHow = new Uint8Array(64);

  duplicates = 0;
  duplicateFrames: number[] = [];
  duplicateStreams = new Set<number>();

  lastTimeSeen = 0;
  lastFrameSeen = 0;

  constructor(
    private readonly seq: SequenceAnalyzer,
    options: { bucketSeconds?: number } = {},
  ) {
    this.bucketSeconds = options.bucketSeconds ?? 1;
    this.growStreams(1024);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    while (s >= this.touched) this.touched = touchAhead([this.u32], this.cap, this.touched);
    const t = rec.tsSec - ctx.refSec + (rec.tsNsec - ctx.refNsec) / 1e9;
    const frame = rec.frameNumber;
    const f = d.flags;
    const i = s * 2 + dir;
    const u = this.u32;
    const k = i * 4;
    const peer = (i ^ 1) * 4;
    const w0 = u[k]!;
    let w = w0;
    this.lastTimeSeen = t;
    this.lastFrameSeen = frame;

    // The client went on past its SYN (the handshake timing itself is the HandshakeTracker's).
    if (!(w & B_CLIENT_MOVED) && dir === ctx.clientDir && !(f & TCP_SYN)) w |= B_CLIENT_MOVED;

    if (f & TCP_RST) {
      w |= B_RST;
      this.pushRst(t, s, dir, frame);
    }

    // The same packet twice (two capture points, SPAN copies): identical IPv4 id and flags, and seq, ack and length
    // (compared through a 32-bit hash: a false match needs a collision on top of the same id within 50 ms).
    let isDuplicate = false;
    if (d.ipVersion === 4 && d.ipId !== 0) {
      const sig = (d.ipId << 16) | f;
      let h = Math.imul(d.seq ^ 0x2545f491, 0x9e3779b1);
      h = Math.imul(h ^ (h >>> 15) ^ d.ack, 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13) ^ d.payloadLength, 0xc2b2ae35);
      h = (h ^ (h >>> 16)) >>> 0;
      if ((w & SIG_MASK) === sig && u[k + 1] === h && t - this.f64[i * 2 + 1]! < 0.05) {
        isDuplicate = true;
        this.duplicates++;
        if (this.duplicateFrames.length < 50) this.duplicateFrames.push(frame);
        if (this.duplicateStreams.size < 200) this.duplicateStreams.add(s);
      }
      w = (w & ~SIG_MASK) | sig;
      u[k + 1] = h;
      this.f64[i * 2 + 1] = t;
    }

    // The sequence analysis' verdict matters for data and FIN (retransmissions) and, while the peer's window is
    // shut, for its probes. Only data retransmissions feed storms and silence runs: SYN and SYN-ACK retries are the
    // handshake rules' story. A duplicate copy is the capture's doing, not a retransmission on the wire.
    const len = d.payloadLength;
    let flags = 0;
    if (len > 0 || f & TCP_FIN) flags = isDuplicate ? this.seq.lastFlags & ~TA_RETRANSMISSION : this.seq.lastFlags;
    else if (w & B_ZW_PEER) flags = this.seq.lastFlags & ~TA_RETRANSMISSION;

    // Retransmission load per bucket.
    if (len > 0) {
      const bucket = t >= this.curLo && t <= this.curHi ? this.cur : this.bucketAt(t);
      bucket.dataSegments++;
      if (flags & TA_RETRANSMISSION) {
        bucket.retransmissions++;
        if (!bucket.firstRetransFrame) bucket.firstRetransFrame = frame;
        if (bucket.streams.length < BUCKET_STREAMS_CAP && !bucket.streams.includes(s)) bucket.streams.push(s);
      }
    }

    // Unanswered retransmission runs: a packet from the peer ends the run of this direction's peer.
    if (w & B_RUN_PEER) {
      w &= ~B_RUN_PEER;
      u[peer]! &= ~B_RUN_SELF;
      this.runs.delete(i ^ 1);
    }
    if (flags & TA_RETRANSMISSION) {
      if (w & B_RUN_SELF) {
        const run = this.runs.get(i)!;
        run.length++;
        run.lastTime = t;
      } else {
        w |= B_RUN_SELF;
        u[peer]! |= B_RUN_PEER;
        this.runs.set(i, { length: 1, firstFrame: frame, firstTime: t, lastTime: t });
      }
    }

    // Zero-window periods, keyed by the advertising side. A packet without a time cannot start one.
    if (!(f & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (d.window === 0) {
        if (!(w & B_ZW_SELF) && t === t) {
          w |= B_ZW_SELF;
          u[peer]! |= B_ZW_PEER;
          this.openStalls.set(i, { start: t, startFrame: frame, probes: 0 });
        }
      } else if (w & B_ZW_SELF) {
        w &= ~B_ZW_SELF;
        u[peer]! &= ~B_ZW_PEER;
        this.endStall(s, dir, t, frame, StallEnd.WindowOpened);
      }
    }
    if (w & B_ZW_PEER && flags & (TA_ZERO_WINDOW_PROBE | TA_KEEP_ALIVE | TA_RETRANSMISSION)) {
      this.openStalls.get(i ^ 1)!.probes++;
    }
    if (f & (TCP_RST | TCP_FIN) && w & (B_ZW_SELF | B_ZW_PEER)) {
      const how = f & TCP_RST ? StallEnd.Reset : StallEnd.Fin;
      if (w & B_ZW_SELF) this.endStall(s, dir, t, frame, how);
      if (w & B_ZW_PEER) this.endStall(s, dir ^ 1, t, frame, how);
      w &= ~(B_ZW_SELF | B_ZW_PEER);
      u[peer]! &= ~(B_ZW_SELF | B_ZW_PEER);
    }

    if (w !== w0) u[k] = w;
  }

  /** Closes the zero-window periods still open when the capture ends, in stream order. */
  finish(): void {
    const open = [...this.openStalls.keys()].sort((a, b) => a - b);
    for (const i of open) {
      this.endStall(i >> 1, i & 1, this.lastTimeSeen, this.lastFrameSeen, StallEnd.CaptureEnd);
      this.u32[i * 4]! &= ~B_ZW_SELF;
      this.u32[(i ^ 1) * 4]! &= ~B_ZW_PEER;
    }
  }

  get streamCapacity(): number {
    return this.cap;
  }

  /** Bytes kept per stream (the reserve the arrays grow into not counted). */
  static readonly BYTES_PER_STREAM = 2 * 16;

  // Reads for the rules (0 / false past the streams this collector saw).

  /** The client sent something other than a SYN (as the flow table named the client when it sent it). */
  clientMoved(stream: number): boolean {
    return stream < this.cap && ((this.u32[stream * 8]! | this.u32[stream * 8 + 4]!) & B_CLIENT_MOVED) !== 0;
  }

  hasRst(stream: number): boolean {
    return stream < this.cap && ((this.u32[stream * 8]! | this.u32[stream * 8 + 4]!) & B_RST) !== 0;
  }

  /** Frame of the stream's first RST, 0 when none. */
  firstRstFrame(stream: number): number {
    if (!this.hasRst(stream)) return 0;
    // Read from the RST events, indexed once on first use (rules ask after the pass).
    if (this.firstRsts?.count !== this.rstCount) {
      const frame = new Uint32Array(this.cap);
      for (let k = this.rstCount - 1; k >= 0; k--) frame[this.rstStream[k]!] = this.rstFrame[k]!;
      this.firstRsts = { count: this.rstCount, frame };
    }
    return this.firstRsts.frame[stream]!;
  }

  /** Retransmissions in a row from the side that nothing from its peer followed (up to the capture's end). */
  runLength(stream: number, side: number): number {
    return stream < this.cap && this.u32[(stream * 2 + side) * 4]! & B_RUN_SELF ? this.runs.get(stream * 2 + side)!.length : 0;
  }

  /** First frame and first and last times of that run; undefined when the side has no run going. */
  run(stream: number, side: number): Readonly<Run> | undefined {
    return this.runs.get(stream * 2 + side);
  }

  private bucketAt(t: number): Bucket {
    const bs = this.bucketSeconds;
    const b = Math.floor(t / bs);
    let bucket = this.buckets.get(b);
    if (!bucket) {
      bucket = { dataSegments: 0, retransmissions: 0, streams: [], firstRetransFrame: 0 };
      this.buckets.set(b, bucket);
    }
    this.cur = bucket;
    // Times from lo to hi surely fall in bucket b: floor(x / bs) is monotonic in x, so checking both ends makes the
    // fast path agree with the division exactly. Where rounding makes that awkward, there is no fast path.
    let lo = b * bs;
    let hi = (b + 1) * bs;
    for (let k = 0; k < 4 && Math.floor(lo / bs) < b; k++) lo += Math.max(Math.abs(lo) * Number.EPSILON, Number.MIN_VALUE);
    for (let k = 0; k < 4 && Math.floor(hi / bs) > b; k++) hi -= Math.max(Math.abs(hi) * Number.EPSILON, Number.MIN_VALUE);
    const ok = Math.floor(lo / bs) === b && Math.floor(hi / bs) === b && lo <= hi;
    this.curLo = ok ? lo : Infinity;
    this.curHi = ok ? hi : -Infinity;
    return bucket;
  }

  private endStall(s: number, side: number, t: number, frame: number, how: StallEnd): void {
    const i = s * 2 + side;
    const open = this.openStalls.get(i)!;
    this.openStalls.delete(i);
    const k = this.stallCount;
    if (k === this.stallStream.length) {
      const c = k * 2;
      this.stallStream = grow(this.stallStream, c);
      this.stallSide = grow(this.stallSide, c);
      this.stallStart = grow(this.stallStart, c);
      this.stallEnd = grow(this.stallEnd, c);
      this.stallStartFrame = grow(this.stallStartFrame, c);
      this.stallEndFrame = grow(this.stallEndFrame, c);
      this.stallProbes = grow(this.stallProbes, c);
      this.stallHow = grow(this.stallHow, c);
    }
    this.stallStream[k] = s;
    this.stallSide[k] = side;
    this.stallStart[k] = open.start;
    this.stallEnd[k] = t;
    this.stallStartFrame[k] = open.startFrame;
    this.stallEndFrame[k] = frame;
    this.stallProbes[k] = open.probes;
    this.stallHow[k] = how;
    this.stallCount = k + 1;
  }

  private pushRst(t: number, s: number, dir: number, frame: number): void {
    const k = this.rstCount;
    if (k === this.rstTime.length) {
      this.rstTime = grow(this.rstTime, k * 2);
      this.rstStream = grow(this.rstStream, k * 2);
      this.rstSide = grow(this.rstSide, k * 2);
      this.rstFrame = grow(this.rstFrame, k * 2);
    }
    this.rstTime[k] = t;
    this.rstStream[k] = s;
    this.rstSide[k] = dir;
    this.rstFrame[k] = frame;
    this.rstCount = k + 1;
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  private growStreams(c: number): void {
    const buf = new ArrayBuffer(c * 2 * 16);
    const u = new Uint32Array(buf);
    if (this.u32) u.set(this.u32);
    this.u32 = u;
    this.f64 = new Float64Array(buf);
    this.cap = c;
  }
}
