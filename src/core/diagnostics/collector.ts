import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from '../analysis/packetContext';
import type { PacketRecord } from '../capture/types';
import { TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { BucketClock, relativeTime } from './captureSide';
import { grow } from '../util/typed';
import { TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, TA_KEEP_ALIVE, type SequenceAnalyzer } from '../analysis/seqAnalysis';

/**
 * Gathers, in the single analysis pass, the facts the population-level rules need that hang on the sequence
 * analysis' verdict for a packet: retransmissions per time bucket, zero-window periods and their probes, and runs
 * of retransmissions nothing answered. What needs only the capture (resets, data segments per bucket, duplicate
 * copies) is the CaptureSideCollector's, which runs first (beside the reader in a parallel pass) and says through
 * `ctx.duplicate` whether this packet is a copy.
 *
 * It runs for every TCP packet on the thread the pass waits for, so the common packet costs a few branches and one
 * read of a small filter that stays in cache: a direction has state bits (one byte, some mirrored from the peer's
 * direction so a packet never needs the other half) only while one of its rare states is open, and the byte is read
 * only when the filter says its stream may have some. It reads the packet's time only when something happens.
 * The rare state itself (open zero-window periods, retransmission runs) lives in maps and event lists: O(events
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

/**
 * Buckets of the filter that says which streams may have state bits set (stream & FILTER_MASK). A direction has bits
 * only while a zero-window period or an unanswered retransmission run is open, on it or its peer: a handful at a
 * time (at most 3 at once on the bench's million streams, counted by a throwaway script), so almost every packet
 * finds its bucket empty and skips the per-direction byte, a cache miss on the analysis thread's hottest path.
 * 16 KB of counts stays in cache.
 */
export const FILTER_BUCKETS = 4096;
const FILTER_MASK = FILTER_BUCKETS - 1;

export class DiagnosticsCollector implements TcpPacketObserver {
  readonly clock: BucketClock;
  /** Retransmissions per time bucket of the clock; buckets without any are not here. */
  readonly buckets = new Map<number, Bucket>();

  // ---- per direction (stream * 2 + dir): state bits, see B_*; grown when a bit is first set ----
  private cap = 0;
  private bits = new Uint8Array(0);
  /** Per filter bucket, how many directions of its streams have bits set. */
  private readonly pending = new Uint32Array(FILTER_BUCKETS);
  // ---- rare per-direction state, keyed by stream * 2 + direction ----
  /** Zero-window periods still open. */
  private readonly openStalls = new Map<number, OpenStall>();
  /** Unanswered retransmission runs: still going, or ended by the peer's reset (kept, no longer extended). */
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
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    const f = d.flags;
    const i = s * 2 + dir;
    const w = this.pending[s & FILTER_MASK] !== 0 && s < this.cap ? this.bits[i]! : 0;

    // The sequence analysis' verdict matters for data and FIN (retransmissions) and, while the peer's window is
    // shut, for its probes. Only data retransmissions feed storms and silence runs: SYN and SYN-ACK retries are the
    // handshake rules' story. A duplicate copy is the capture's doing, not a retransmission on the wire.
    let flags = 0;
    if (d.payloadLength > 0 || f & TCP_FIN) flags = ctx.duplicate ? this.seq.lastFlags & ~TA_RETRANSMISSION : this.seq.lastFlags;
    else if (w & B_ZW_PEER) flags = this.seq.lastFlags & ~TA_RETRANSMISSION;
    // Nearly every packet: no open period or run on its stream, not a retransmission, not a zero window.
    if (w === 0 && !(flags & TA_RETRANSMISSION) && (d.window !== 0 || f & (TCP_SYN | TCP_FIN | TCP_RST))) return;
    this.eventful(rec, d, s, dir, ctx, w, flags);
  }

  private eventful(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext, w0: number, flags: number): void {
    const f = d.flags;
    const i = s * 2 + dir;
    let w = w0;
    const len = d.payloadLength;

    // Unanswered retransmission runs: a packet from the peer ends the run of this direction's peer. A reset ends it
    // without answering it: the peer came back with no state for the connection (a host that crashed and
    // rebooted, a NAT or firewall that forgot the flow) and refused the next retransmission, which is how a
    // half-open connection usually ends. The run is kept as it stands; a later retransmission starts a new one.
    if (w & B_RUN_PEER) {
      w &= ~B_RUN_PEER;
      this.clear(i ^ 1, B_RUN_SELF);
      if (!(f & TCP_RST)) this.runs.delete(i ^ 1);
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
        this.set(i ^ 1, B_RUN_PEER);
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
            this.set(i ^ 1, B_ZW_PEER);
            this.openStalls.set(i, { start: t, startFrame: rec.frameNumber, probes: 0 });
          }
        }
      } else if (w & B_ZW_SELF) {
        w &= ~B_ZW_SELF;
        this.clear(i ^ 1, B_ZW_PEER);
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
      this.clear(i ^ 1, B_ZW_SELF | B_ZW_PEER);
    }

    if (w !== w0) this.write(i, w);
  }

  /** Sets direction `i`'s bits to `w`, growing the array and keeping the filter's count of its bucket. */
  private write(i: number, w: number): void {
    const s = i >> 1;
    if (s >= this.cap) {
      if (w === 0) return;
      this.growStreams(Math.max(s + 1, this.cap * 2, 1024));
    }
    const old = this.bits[i]!;
    if ((old === 0) !== (w === 0)) this.pending[s & FILTER_MASK]! += w === 0 ? -1 : 1;
    this.bits[i] = w;
  }

  private set(i: number, bit: number): void {
    this.write(i, ((i >> 1) < this.cap ? this.bits[i]! : 0) | bit);
  }

  private clear(i: number, bit: number): void {
    if (i >> 1 < this.cap) this.write(i, this.bits[i]! & ~bit);
  }

  /** Closes the zero-window periods still open when the capture ends (at its last TCP packet), in stream order. */
  finish(lastTime: number, lastFrame: number): void {
    const open = [...this.openStalls.keys()].sort((a, b) => a - b);
    for (const i of open) {
      this.endStall(i >> 1, i & 1, lastTime, lastFrame, StallEnd.CaptureEnd);
      this.clear(i, B_ZW_SELF);
      this.clear(i ^ 1, B_ZW_PEER);
    }
  }

  // Reads for the rules (0 / undefined past the streams this collector saw).

  /**
   * Retransmissions in a row from the side that nothing from its peer answered: followed by nothing up to the
   * capture's end, or by the peer's reset.
   */
  runLength(stream: number, side: number): number {
    return this.runs.get(stream * 2 + side)?.length ?? 0;
  }

  /**
   * The streams with a run of at least `min` on either side, in stream order, each with the side of its run (side 0
   * where both have one): from the runs themselves, which are few, rather than asking every stream.
   */
  silentStreams(min: number): { streams: number[]; sides: number[] } {
    const sideOf = new Map<number, number>();
    for (const [i, run] of this.runs) {
      if (run.length < min) continue;
      const side = sideOf.get(i >> 1);
      if (side === undefined || (i & 1) < side) sideOf.set(i >> 1, i & 1);
    }
    const streams = [...sideOf.keys()].sort((a, b) => a - b);
    return { streams, sides: streams.map((st) => sideOf.get(st)!) };
  }

  /** First frame and first and last times of that run (see runLength); undefined when the side has none. */
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
    this.bits = grow(this.bits, c * 2);
    this.cap = c;
  }
}
