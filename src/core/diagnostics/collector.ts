import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from '../analysis/packetContext';
import type { PacketRecord } from '../capture/types';
import { TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow } from '../util/typed';
import { TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, TA_KEEP_ALIVE, type SequenceAnalyzer } from '../analysis/seqAnalysis';

/**
 * Gathers, in the single analysis pass, the few facts the population-level rules need beyond what the flow
 * table, the sequence analysis, the endpoint states and the handshake tracker keep: per-second retransmission load,
 * resets, zero-window periods, unanswered retransmission runs and duplicate copies of packets.
 *
 * Memory is O(streams) plus O(events that are themselves problems) (resets, stalls), never O(packets).
 * It must run after the SequenceAnalyzer in the observer list: it reads that packet's verdict from it.
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

export class DiagnosticsCollector implements TcpPacketObserver {
  readonly bucketSeconds: number;
  /** Retransmission load per time bucket (bucket index = floor(time / bucketSeconds)). */
  readonly buckets = new Map<number, Bucket>();

  // ---- per stream ----
  private cap = 0;
  /** The client sent something other than a SYN: its connection got past the handshake attempt. */
  clientMoved!: Uint8Array;
  firstRstFrame!: Float64Array;
  /** Side (0 = A, 1 = B) that sent the first RST, 255 when none. */
  firstRstSide!: Uint8Array;
  // zero window, per receiver direction (the side advertising it)
  private zwStart!: Float64Array; // NaN when the window is open
  private zwStartFrame!: Float64Array;
  private zwProbes!: Uint32Array;
  // unanswered retransmission runs, per sending direction
  runLength!: Uint32Array;
  runFirstFrame!: Float64Array;
  runFirstTime!: Float64Array;
  runLastTime!: Float64Array;
  // duplicate detection, per direction
  private dupSig!: Float64Array; // ipId * 2^16 + flags, NaN none
  private dupSeq!: Uint32Array;
  private dupAck!: Uint32Array;
  private dupLen!: Uint32Array;
  private dupTime!: Float64Array;

  // ---- events ----
  rstCount = 0;
  rstTime = new Float64Array(256);
  rstStream = new Int32Array(256);
  rstSide = new Uint8Array(256);
  rstFrame = new Float64Array(256);

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
    if (s >= this.cap) this.growStreams(Math.max(s + 1, this.cap * 2));
    const t = rec.tsSec - ctx.refSec + (rec.tsNsec - ctx.refNsec) / 1e9;
    const frame = rec.frameNumber;
    const i = s * 2 + dir;
    const r = s * 2 + (dir ^ 1);
    const f = d.flags;
    const clientDir = ctx.clientDir;
    this.lastTimeSeen = t;
    this.lastFrameSeen = frame;

    // The client went on past its SYN (the handshake timing itself is the HandshakeTracker's).
    if (dir === clientDir && !(f & TCP_SYN)) this.clientMoved[s] = 1;

    // Resets.
    if (f & TCP_RST) {
      if (this.firstRstSide[s] === 255) {
        this.firstRstSide[s] = dir === 0 ? 0 : 1;
        this.firstRstFrame[s] = frame;
      }
      this.pushRst(t, s, dir, frame);
    }

    // Retransmission load per bucket.
    let isDuplicate = false;
    // The same packet twice (two capture points, SPAN copies): identical IPv4 id, seq, ack, length and flags.
    if (d.ipVersion === 4 && d.ipId !== 0) {
      const sig = d.ipId * 65536 + f;
      if (
        this.dupSig[i] === sig &&
        this.dupSeq[i] === d.seq &&
        this.dupAck[i] === d.ack &&
        this.dupLen[i] === d.payloadLength &&
        t - this.dupTime[i]! < 0.05
      ) {
        isDuplicate = true;
        this.duplicates++;
        if (this.duplicateFrames.length < 50) this.duplicateFrames.push(frame);
        if (this.duplicateStreams.size < 200) this.duplicateStreams.add(s);
      }
      this.dupSig[i] = sig;
      this.dupSeq[i] = d.seq;
      this.dupAck[i] = d.ack;
      this.dupLen[i] = d.payloadLength;
      this.dupTime[i] = t;
    }
    // Only data retransmissions feed storms and silence runs: SYN and SYN-ACK retries are the handshake rules' story.
    // A duplicate copy is the capture's doing, not a retransmission on the wire.
    const flags = (d.payloadLength > 0 || f & TCP_FIN) && !isDuplicate ? this.seq.lastFlags : this.seq.lastFlags & ~TA_RETRANSMISSION;
    if (d.payloadLength > 0) {
      const b = Math.floor(t / this.bucketSeconds);
      let bucket = this.buckets.get(b);
      if (!bucket) {
        bucket = { dataSegments: 0, retransmissions: 0, streams: [], firstRetransFrame: 0 };
        this.buckets.set(b, bucket);
      }
      if (d.payloadLength > 0) bucket.dataSegments++;
      if (flags & TA_RETRANSMISSION) {
        bucket.retransmissions++;
        if (!bucket.firstRetransFrame) bucket.firstRetransFrame = frame;
        if (bucket.streams.length < BUCKET_STREAMS_CAP && !bucket.streams.includes(s)) bucket.streams.push(s);
      }
    }

    // Unanswered retransmission runs: a packet from the peer ends the run of this direction's peer.
    this.runLength[r] = 0;
    if (flags & TA_RETRANSMISSION) {
      if (this.runLength[i]! === 0) {
        this.runFirstFrame[i] = frame;
        this.runFirstTime[i] = t;
      }
      this.runLength[i]!++;
      this.runLastTime[i] = t;
    }

    // Zero-window periods, keyed by the advertising side.
    if (!(f & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (d.window === 0) {
        if (this.zwStart[i] !== this.zwStart[i]) {
          this.zwStart[i] = t;
          this.zwStartFrame[i] = frame;
          this.zwProbes[i] = 0;
        }
      } else if (this.zwStart[i] === this.zwStart[i]) {
        this.endStall(s, dir, t, frame, StallEnd.WindowOpened);
      }
    }
    if (this.zwStart[r] === this.zwStart[r] && flags & (TA_ZERO_WINDOW_PROBE | TA_KEEP_ALIVE | TA_RETRANSMISSION)) {
      this.zwProbes[r]!++;
    }
    if (f & (TCP_RST | TCP_FIN)) {
      const how = f & TCP_RST ? StallEnd.Reset : StallEnd.Fin;
      if (this.zwStart[i] === this.zwStart[i]) this.endStall(s, dir, t, frame, how);
      if (this.zwStart[r] === this.zwStart[r]) this.endStall(s, dir ^ 1, t, frame, how);
    }

  }

  /** Closes the zero-window periods still open when the capture ends. */
  finish(): void {
    const n = this.cap * 2;
    for (let i = 0; i < n; i++) {
      if (this.zwStart[i] === this.zwStart[i]) this.endStall(i >> 1, i & 1, this.lastTimeSeen, this.lastFrameSeen, StallEnd.CaptureEnd);
    }
  }

  get streamCapacity(): number {
    return this.cap;
  }

  private endStall(s: number, side: number, t: number, frame: number, how: StallEnd): void {
    const i = s * 2 + side;
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
    this.stallStart[k] = this.zwStart[i]!;
    this.stallEnd[k] = t;
    this.stallStartFrame[k] = this.zwStartFrame[i]!;
    this.stallEndFrame[k] = frame;
    this.stallProbes[k] = this.zwProbes[i]!;
    this.stallHow[k] = how;
    this.stallCount = k + 1;
    this.zwStart[i] = NaN;
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

  private growStreams(c: number): void {
    const old = this.cap;
    this.clientMoved = this.growU8(this.clientMoved, c, 0, old);
    this.firstRstFrame = this.growF64(this.firstRstFrame, c, 0, old);
    this.firstRstSide = this.growU8(this.firstRstSide, c, 255, old);
    const c2 = c * 2;
    const o2 = old * 2;
    this.zwStart = this.growF64(this.zwStart, c2, NaN, o2);
    this.zwStartFrame = this.growF64(this.zwStartFrame, c2, 0, o2);
    this.zwProbes = this.growU32(this.zwProbes, c2);
    this.runLength = this.growU32(this.runLength, c2);
    this.runFirstFrame = this.growF64(this.runFirstFrame, c2, 0, o2);
    this.runFirstTime = this.growF64(this.runFirstTime, c2, 0, o2);
    this.runLastTime = this.growF64(this.runLastTime, c2, 0, o2);
    this.dupSig = this.growF64(this.dupSig, c2, NaN, o2);
    this.dupSeq = this.growU32(this.dupSeq, c2);
    this.dupAck = this.growU32(this.dupAck, c2);
    this.dupLen = this.growU32(this.dupLen, c2);
    this.dupTime = this.growF64(this.dupTime, c2, 0, o2);
    this.cap = c;
  }

  private growU32(a: Uint32Array | undefined, n: number): Uint32Array {
    return a ? grow(a, n) : new Uint32Array(n);
  }

  private growU8(a: Uint8Array | undefined, n: number, fill: number, from: number): Uint8Array {
    const b = a ? grow(a, n) : new Uint8Array(n);
    if (fill !== 0) b.fill(fill, from);
    return b;
  }

  private growF64(a: Float64Array | undefined, n: number, fill: number, from: number): Float64Array {
    const b = a ? grow(a, n) : new Float64Array(n);
    if (fill !== 0) b.fill(fill, from);
    return b;
  }
}
