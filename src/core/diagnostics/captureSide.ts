import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from '../analysis/packetContext';
import type { PacketRecord } from '../capture/types';
import { TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow, touchAhead, typedArray } from '../util/typed';
import { packetAddressKey } from '../analysis/flowTable';
import { grownCapacity } from '../util/capacity';
import { reviveAs } from '../util/transfer';

/**
 * The half of the diagnostics' per-packet facts that needs nothing but the capture: resets, data segments per time
 * bucket, whether the client got past its SYN, and copies of the same packet. None of it waits for the sequence
 * analysis' verdict, so in a parallel pass it runs beside the reader (src/node/readerThread.ts) and the analysis
 * thread keeps only the verdict-bound half (DiagnosticsCollector). It must run before the DiagnosticsCollector,
 * and before the segment writer in the reader thread: it tells them whether the packet is a duplicate copy through
 * `ctx.duplicate`, which the segment record carries across.
 *
 * Per packet it touches, for the client's packets, one byte of the stream's (two state bits) and, for the duplicate
 * check, one slot of a small table of recent packets that stays in cache: the per-stream state is a million bytes
 * for a million streams, not a block per direction that would cost the reader a cache miss on most packets.
 */

/** The client sent something other than a SYN (as the flow table named the client then): it got past its SYN. */
const B_CLIENT_MOVED = 1;
/** The stream had a RST. */
const B_RST = 2;

/**
 * Slots of the table of recent packets the duplicate check looks in. A copy k packets behind its original misses it
 * only when one of the k packets between landed in its slot: about 1% at 40 packets apart, 9% at 400. Copies from
 * two capture points of one link usually come within a few packets; at 100 000 packets a second, one 50 ms behind
 * (5 000 packets) would be found less often than not.
 */
const RECENT_SLOTS = 4096;

/** How long apart two identical packets may be and still be one packet seen twice. */
const DUPLICATE_SECONDS = 0.05;

/**
 * Time buckets of `width` seconds, numbered floor(t / width). Packets come in time order, so the bucket of the
 * last time asked about usually answers the next, without the division: `lo` and `hi` are times surely inside it.
 */
export class BucketClock {
  private b = NaN;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(readonly width: number) {}

  index(t: number): number {
    if (t >= this.lo && t <= this.hi) return this.b;
    const bs = this.width;
    const b = Math.floor(t / bs);
    this.b = b;
    // floor(x / bs) is monotonic in x, so checking both ends makes the fast path agree with the division exactly.
    // Where rounding makes that awkward, there is no fast path.
    let lo = b * bs;
    let hi = (b + 1) * bs;
    for (let k = 0; k < 4 && Math.floor(lo / bs) < b; k++) lo += Math.max(Math.abs(lo) * Number.EPSILON, Number.MIN_VALUE);
    for (let k = 0; k < 4 && Math.floor(hi / bs) > b; k++) hi -= Math.max(Math.abs(hi) * Number.EPSILON, Number.MIN_VALUE);
    const ok = Math.floor(lo / bs) === b && Math.floor(hi / bs) === b && lo <= hi;
    this.lo = ok ? lo : Infinity;
    this.hi = ok ? hi : -Infinity;
    return b;
  }
}

/** Seconds from the capture's reference packet to this one (frame.time_relative). */
export function relativeTime(rec: PacketRecord, ctx: PacketContext): number {
  return rec.tsSec - ctx.refSec + (rec.tsNsec - ctx.refNsec) / 1e9;
}

export class CaptureSideCollector implements TcpPacketObserver {
  readonly clock: BucketClock;
  /** Data segments (payload > 0) per time bucket of the clock, duplicate copies included. */
  readonly dataBuckets = new Map<number, { dataSegments: number }>();
  private curBucket = NaN;
  private cur = { dataSegments: 0 };

  // ---- per stream: state bits, see B_* ----
  private cap = 0;
  private bits: Uint8Array;
  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;
  // ---- recent packets, for the duplicate check: per slot, two words naming the packet, then its time ----
  private readonly recentU32: Uint32Array;
  private readonly recentF64: Float64Array;
  private firstRsts: { count: number; frame: Uint32Array } | undefined;

  // ---- events ----
  rstCount = 0;
  rstTime: Float64Array;
  rstStream: Int32Array;
  rstSide: Uint8Array;
  rstFrame: Uint32Array;
  /**
   * The sender's address key (FlowTable.addressKey), from the packet: the rules group resets by sender, and reading
   * it back from the flow table after the pass, reset by reset, was a random place in the table each time (58 ms
   * of resetSenders in a profile of the bench's analysis thread, on the path the pass waits for).
   */
  rstKey: Float64Array;

  duplicates = 0;
  duplicateFrames: number[] = [];
  duplicateStreams = new Set<number>();

  /** Time and frame of the last TCP packet (in file order). */
  lastTimeSeen = 0;
  lastFrameSeen = 0;

  static revive(cloned: unknown): CaptureSideCollector {
    const c = reviveAs(cloned, CaptureSideCollector, (o) => o.bits instanceof Uint8Array && o.recentU32 instanceof Uint32Array && o.recentF64?.buffer === o.recentU32.buffer && o.rstTime instanceof Float64Array && o.rstKey instanceof Float64Array && o.dataBuckets instanceof Map);
    Object.setPrototypeOf(c.clock, BucketClock.prototype);
    return c;
  }

  /** `shared`: keep the per-stream and per-reset arrays in shared memory (see typedArray). */
  constructor(options: { bucketSeconds?: number; shared?: boolean } = {}) {
    this.clock = new BucketClock(options.bucketSeconds ?? 1);
    const shared = options.shared ?? false;
    this.rstTime = typedArray(Float64Array, 256, shared);
    this.rstStream = typedArray(Int32Array, 256, shared);
    this.rstSide = typedArray(Uint8Array, 256, shared);
    this.rstFrame = typedArray(Uint32Array, 256, shared);
    this.rstKey = typedArray(Float64Array, 256, shared);
    this.bits = typedArray(Uint8Array, 0, shared);
    const recent = new ArrayBuffer(RECENT_SLOTS * 16);
    this.recentU32 = new Uint32Array(recent);
    this.recentF64 = new Float64Array(recent);
    this.growStreams(1024);
  }

  // What is rare (growth, resets, a copy found, a new time bucket) is in methods of its own, out of the hot path.
  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (s >= this.touched) this.room(s, rec, ctx);
    const t = relativeTime(rec, ctx);
    const f = d.flags;
    this.lastTimeSeen = t;
    this.lastFrameSeen = rec.frameNumber;

    // The client went on past its SYN (the handshake timing itself is the HandshakeTracker's): only its packets
    // need the stream's byte.
    if (dir === ctx.clientDir && !(f & TCP_SYN)) {
      const w = this.bits[s]!;
      if (!(w & B_CLIENT_MOVED)) this.bits[s] = w | B_CLIENT_MOVED;
    }
    if (f & TCP_RST) this.pushRst(t, s, dir, rec.frameNumber, d);

    // The same packet twice (two capture points, SPAN copies): the same direction of the same stream, the same IPv4
    // id and flags, and the same seq, ack and length within 50 ms (the id and flags compared exactly, the rest
    // through a 32-bit hash: a false match needs a hash collision on top of the same id within 50 ms).
    let isDuplicate = false;
    if (d.ipVersion === 4 && d.ipId !== 0) {
      const sig = ((d.ipId << 16) | (f << 1) | dir) >>> 0;
      let h = Math.imul(d.seq ^ 0x2545f491, 0x9e3779b1);
      h = Math.imul(h ^ (h >>> 15) ^ d.ack, 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13) ^ d.payloadLength, 0xc2b2ae35);
      h = Math.imul(h ^ (h >>> 16) ^ s, 0x27d4eb2f);
      h = (h ^ (h >>> 15)) >>> 0;
      const slot = ((h ^ sig ^ (sig >>> 16)) & (RECENT_SLOTS - 1)) * 4;
      const u = this.recentU32;
      if (u[slot] === sig && u[slot + 1] === h && t - this.recentF64[(slot >> 1) + 1]! < DUPLICATE_SECONDS) {
        isDuplicate = true;
        this.sawDuplicate(s, rec.frameNumber);
      }
      u[slot] = sig;
      u[slot + 1] = h;
      this.recentF64[(slot >> 1) + 1] = t;
    }
    ctx.duplicate = isDuplicate;

    if (d.payloadLength > 0) {
      const b = this.clock.index(t);
      if (b !== this.curBucket) this.switchBucket(b);
      this.cur.dataSegments++;
    }
  }

  // Reads for the rules (0 / false past the streams this collector saw).

  /** The client sent something other than a SYN (as the flow table named the client when it sent it). */
  clientMoved(stream: number): boolean {
    return stream < this.cap && (this.bits[stream]! & B_CLIENT_MOVED) !== 0;
  }

  hasRst(stream: number): boolean {
    return stream < this.cap && (this.bits[stream]! & B_RST) !== 0;
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

  /** Data segments in time bucket `b` of the clock. */
  dataSegments(b: number): number {
    return this.dataBuckets.get(b)?.dataSegments ?? 0;
  }

  private switchBucket(b: number): void {
    let bucket = this.dataBuckets.get(b);
    if (!bucket) {
      bucket = { dataSegments: 0 };
      this.dataBuckets.set(b, bucket);
    }
    this.cur = bucket;
    this.curBucket = b;
  }

  private room(s: number, rec: PacketRecord, ctx: PacketContext): void {
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    while (s >= this.touched) this.touched = touchAhead([this.bits], this.cap, this.touched);
  }

  private sawDuplicate(s: number, frame: number): void {
    this.duplicates++;
    if (this.duplicateFrames.length < 50) this.duplicateFrames.push(frame);
    if (this.duplicateStreams.size < 200) this.duplicateStreams.add(s);
  }

  private pushRst(t: number, s: number, dir: number, frame: number, d: DecodedPacket): void {
    this.bits[s]! |= B_RST;
    const k = this.rstCount;
    if (k === this.rstTime.length) {
      this.rstTime = grow(this.rstTime, k * 2);
      this.rstStream = grow(this.rstStream, k * 2);
      this.rstSide = grow(this.rstSide, k * 2);
      this.rstFrame = grow(this.rstFrame, k * 2);
      this.rstKey = grow(this.rstKey, k * 2);
    }
    this.rstTime[k] = t;
    this.rstStream[k] = s;
    this.rstSide[k] = dir;
    this.rstFrame[k] = frame;
    this.rstKey[k] = packetAddressKey(d.ipVersion, d.src0, d.src1, d.src2, d.src3);
    this.rstCount = k + 1;
  }

  private growStreams(c: number): void {
    this.bits = grow(this.bits, c);
    this.cap = c;
  }
}
