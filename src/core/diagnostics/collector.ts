import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from '../analysis/packetContext';
import type { PacketRecord } from '../capture/types';
import { TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { BucketClock, relativeTime } from './captureSide';
import { grow, touchAhead } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, TA_KEEP_ALIVE, type SequenceAnalyzer } from '../analysis/seqAnalysis';

/**
 * Gathers, in the single analysis pass, the facts the population-level rules need that hang on the sequence
 * analysis' verdict for a packet: retransmissions per time bucket, zero-window periods and their probes, and runs
 * of retransmissions nothing answered. What needs only the capture (resets, data segments per bucket, duplicate
 * copies) is the CaptureSideCollector's, which runs first (beside the reader in a parallel pass) and says through
 * `ctx.duplicate` whether this packet is a copy.
 *
 * It runs for every TCP packet, so each direction of a stream keeps one byte of state bits, some mirrored from the
 * peer's direction so a packet never needs the other half; it reads the packet's time only when something happens.
 * Anything rare (open zero-window periods, retransmission runs) lives outside, in maps and event lists: O(events
 * that are themselves problems), never O(packets). It reads nothing from the flow table during the pass, only the
 * packet, its context and the SequenceAnalyzer's verdict for it: it must run after the SequenceAnalyzer.
 */

/** How a zero-window period ended. */
export const enum StallEnd {
  WindowOpened = 0,
  Reset = 1,
  Fin = 2,
  CaptureEnd = 3,
}

/** Retransmissions in one time bucket (a bucket of the CaptureSideCollector's clock). */
export interface Bucket {
  retransmissions: number;
  /** Streams with a retransmission in this bucket (capped). */
  streams: number[];
  firstRetransFrame: number;
}

const BUCKET_STREAMS_CAP = 64;

// A direction's state bits, some mirrored from its peer's.
/** A zero-window period is open: advertised by this direction (SELF) or by its peer (PEER, the mirror). */
const B_ZW_SELF = 1;
const B_ZW_PEER = 2;
/** A run of retransmissions nothing from the peer answered: by this direction (SELF) or its peer (PEER). */
const B_RUN_SELF = 4;
const B_RUN_PEER = 8;

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
  readonly clock: BucketClock;
  /** Retransmissions per time bucket of the clock; buckets without any are not here. */
  readonly buckets = new Map<number, Bucket>();

  // ---- per direction (stream * 2 + dir): state bits, see B_* ----
  private cap = 0;
  private bits!: Uint8Array;
  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;
  // ---- rare per-direction state, keyed by stream * 2 + direction ----
  /** Zero-window periods still open. */
  private readonly openStalls = new Map<number, OpenStall>();
  /** Unanswered retransmission runs still going. */
  private readonly runs = new Map<number, Run>();

  // ---- events ----
  stallCount = 0;
  stallStream = new Int32Array(64);
  stallSide = new Uint8Array(64); // the side that advertised the zero window (the receiver)
  stallStart = new Float64Array(64);
  stallEnd = new Float64Array(64);
  stallStartFrame = new Float64Array(64);
  stallEndFrame = new Float64Array(64);
  stallProbes = new Uint32Array(64);
  stallHow = new Uint8Array(64);

  constructor(
    private readonly seq: SequenceAnalyzer,
    options: { bucketSeconds?: number } = {},
  ) {
    this.clock = new BucketClock(options.bucketSeconds ?? 1);
    this.growStreams(1024);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    while (s >= this.touched) this.touched = touchAhead([this.bits], this.cap, this.touched);
    const f = d.flags;
    const i = s * 2 + dir;
    const u = this.bits;
    const w0 = u[i]!;
    let w = w0;

    // The sequence analysis' verdict matters for data and FIN (retransmissions) and, while the peer's window is
    // shut, for its probes. Only data retransmissions feed storms and silence runs: SYN and SYN-ACK retries are the
    // handshake rules' story. A duplicate copy is the capture's doing, not a retransmission on the wire.
    const len = d.payloadLength;
    let flags = 0;
    if (len > 0 || f & TCP_FIN) flags = ctx.duplicate ? this.seq.lastFlags & ~TA_RETRANSMISSION : this.seq.lastFlags;
    else if (w & B_ZW_PEER) flags = this.seq.lastFlags & ~TA_RETRANSMISSION;

    // Unanswered retransmission runs: a packet from the peer ends the run of this direction's peer.
    if (w & B_RUN_PEER) {
      w &= ~B_RUN_PEER;
      u[i ^ 1]! &= ~B_RUN_SELF;
      this.runs.delete(i ^ 1);
    }
    if (flags & TA_RETRANSMISSION) {
      const t = relativeTime(rec, ctx);
      const frame = rec.frameNumber;
      if (len > 0) {
        const b = this.clock.index(t);
        let bucket = this.buckets.get(b);
        if (!bucket) {
          bucket = { retransmissions: 0, streams: [], firstRetransFrame: frame };
          this.buckets.set(b, bucket);
        }
        bucket.retransmissions++;
        if (bucket.streams.length < BUCKET_STREAMS_CAP && !bucket.streams.includes(s)) bucket.streams.push(s);
      }
      if (w & B_RUN_SELF) {
        const run = this.runs.get(i)!;
        run.length++;
        run.lastTime = t;
      } else {
        w |= B_RUN_SELF;
        u[i ^ 1]! |= B_RUN_PEER;
        this.runs.set(i, { length: 1, firstFrame: frame, firstTime: t, lastTime: t });
      }
    }

    // Zero-window periods, keyed by the advertising side. A packet without a time cannot start one.
    if (!(f & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (d.window === 0) {
        if (!(w & B_ZW_SELF)) {
          const t = relativeTime(rec, ctx);
          if (t === t) {
            w |= B_ZW_SELF;
            u[i ^ 1]! |= B_ZW_PEER;
            this.openStalls.set(i, { start: t, startFrame: rec.frameNumber, probes: 0 });
          }
        }
      } else if (w & B_ZW_SELF) {
        w &= ~B_ZW_SELF;
        u[i ^ 1]! &= ~B_ZW_PEER;
        this.endStall(s, dir, relativeTime(rec, ctx), rec.frameNumber, StallEnd.WindowOpened);
      }
    }
    if (w & B_ZW_PEER && flags & (TA_ZERO_WINDOW_PROBE | TA_KEEP_ALIVE | TA_RETRANSMISSION)) {
      this.openStalls.get(i ^ 1)!.probes++;
    }
    if (f & (TCP_RST | TCP_FIN) && w & (B_ZW_SELF | B_ZW_PEER)) {
      const how = f & TCP_RST ? StallEnd.Reset : StallEnd.Fin;
      const t = relativeTime(rec, ctx);
      if (w & B_ZW_SELF) this.endStall(s, dir, t, rec.frameNumber, how);
      if (w & B_ZW_PEER) this.endStall(s, dir ^ 1, t, rec.frameNumber, how);
      w &= ~(B_ZW_SELF | B_ZW_PEER);
      u[i ^ 1]! &= ~(B_ZW_SELF | B_ZW_PEER);
    }

    if (w !== w0) u[i] = w;
  }

  /** Closes the zero-window periods still open when the capture ends (at its last TCP packet), in stream order. */
  finish(lastTime: number, lastFrame: number): void {
    const open = [...this.openStalls.keys()].sort((a, b) => a - b);
    for (const i of open) {
      this.endStall(i >> 1, i & 1, lastTime, lastFrame, StallEnd.CaptureEnd);
      this.bits[i]! &= ~B_ZW_SELF;
      this.bits[i ^ 1]! &= ~B_ZW_PEER;
    }
  }

  // Reads for the rules (0 / undefined past the streams this collector saw).

  /** Retransmissions in a row from the side that nothing from its peer followed (up to the capture's end). */
  runLength(stream: number, side: number): number {
    return stream < this.cap && this.bits[stream * 2 + side]! & B_RUN_SELF ? this.runs.get(stream * 2 + side)!.length : 0;
  }

  /** First frame and first and last times of that run; undefined when the side has no run going. */
  run(stream: number, side: number): Readonly<Run> | undefined {
    return this.runs.get(stream * 2 + side);
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

  private growStreams(c: number): void {
    const bits = new Uint8Array(c * 2);
    if (this.bits) bits.set(this.bits);
    this.bits = bits;
    this.cap = c;
  }
}
