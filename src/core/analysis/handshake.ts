import type { PacketRecord } from '../capture/types';
import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from './packetContext';
import { TCP_ACK, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow, touchAhead, typedArray } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { getOffset, growOffsets, isNsOffsets, nsOffsets, setOffset, type NsOffsets } from '../util/nsOffsets';
import { reviveAs } from '../util/transfer';

/**
 * Three-way handshake timing per stream: when the SYN, SYN-ACK and final ACK passed the capture point, how long
 * each leg took, and how often the SYN and the SYN-ACK were sent again (same sequence number = same attempt).
 *
 * Durations are the capture point's view: captured at the client, SYN→SYN-ACK is the full network round trip and
 * SYN-ACK→ACK is the client's own turnaround; captured at the server it is the other way round.
 */

export interface HandshakeTiming {
  stream: number;
  /** Side (0 = A, 1 = B) that sent the SYN. */
  clientSide: number;
  synFrame: number;
  /** Seconds since the capture's reference packet (frame.time_relative) of the first SYN. */
  synTime: number;
  /** SYNs sent again with the same sequence number. */
  synRetries: number;
  synAckFrame?: number;
  synAckTime?: number;
  synAckRetries: number;
  ackFrame?: number;
  ackTime?: number;
  /** From the SYN the SYN-ACK answered (the last one before it) to the first SYN-ACK, in ms. */
  synToSynAckMs?: number;
  /** From the last SYN-ACK before the final ACK to that ACK, in ms. */
  synAckToAckMs?: number;
  /** From the first SYN to the final ACK, in ms: what connect() waited, retries included. */
  connectMs?: number;
}

const H_SYN = 0x01;
const H_SYNACK = 0x02;
const H_ACK = 0x04;

export class HandshakeTracker implements TcpPacketObserver {
  private cap: number;
  private streams = 0;
  private refSec = NaN;
  private refNsec = 0;
  private hflags: Uint8Array;
  private client: Uint8Array;
  private synSeq: Uint32Array;
  private synAckSeq: Uint32Array;
  private synCount_: Uint32Array;
  private synAckCount_: Uint32Array;
  private synFrame_: Uint32Array;
  private synAckFrame: Uint32Array;
  private ackFrame_: Uint32Array;
  // The handshake's times: nanoseconds after baseNs, the stream's first SYN or SYN-ACK (see NsOffsets).
  private baseNs: Float64Array;
  private synFirst: NsOffsets;
  private synLast: NsOffsets;
  private synAnswered: NsOffsets;
  private synAckFirst: NsOffsets;
  private synAckLast: NsOffsets;
  private ack: NsOffsets;
  private synAckAcked: NsOffsets;

  /** A tracker that observed a pass in another thread (see src/node/parallel.ts). */
  static revive(cloned: unknown): HandshakeTracker {
    return reviveAs(cloned, HandshakeTracker, (o) => o.hflags instanceof Uint8Array && o.baseNs instanceof Float64Array && isNsOffsets(o.synFirst) && isNsOffsets(o.synAckAcked));
  }

  /** `shared`: keep the arrays in shared memory (see typedArray). */
  constructor(initialStreams = 1024, options: { shared?: boolean } = {}) {
    const shared = options.shared ?? false;
    const c = (this.cap = initialStreams);
    this.hflags = typedArray(Uint8Array, c, shared);
    this.client = typedArray(Uint8Array, c, shared);
    this.synSeq = typedArray(Uint32Array, c, shared);
    this.synAckSeq = typedArray(Uint32Array, c, shared);
    this.synCount_ = typedArray(Uint32Array, c, shared);
    this.synAckCount_ = typedArray(Uint32Array, c, shared);
    this.synFrame_ = typedArray(Uint32Array, c, shared);
    this.synAckFrame = typedArray(Uint32Array, c, shared);
    this.ackFrame_ = typedArray(Uint32Array, c, shared);
    this.baseNs = typedArray(Float64Array, c, shared);
    this.synFirst = nsOffsets(c, shared);
    this.synLast = nsOffsets(c, shared);
    this.synAnswered = nsOffsets(c, shared);
    this.synAckFirst = nsOffsets(c, shared);
    this.synAckLast = nsOffsets(c, shared);
    this.ack = nsOffsets(c, shared);
    this.synAckAcked = nsOffsets(c, shared);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, s: number, dir: number, ctx: PacketContext): void {
    if (this.refSec !== this.refSec) {
      this.refSec = ctx.refSec === ctx.refSec ? ctx.refSec : rec.tsSec;
      this.refNsec = ctx.refSec === ctx.refSec ? ctx.refNsec : rec.tsNsec;
    }
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    if (s >= this.streams) this.streams = s + 1;
    while (s >= this.touched) {
      const arrays = [this.hflags, this.client, this.synSeq, this.synAckSeq, this.synCount_, this.synAckCount_, this.synFrame_, this.synAckFrame, this.ackFrame_, this.baseNs];
      this.touched = touchAhead(arrays, this.cap, this.touched);
    }
    const f = d.flags;
    if (f & TCP_RST) return;
    const h = this.hflags[s]!;
    if (!(f & TCP_SYN)) {
      // The final ACK: the client's first segment acknowledging the SYN-ACK. Any other segment (nearly all of them)
      // is no part of the handshake and costs nothing more here.
      if ((h & (H_SYNACK | H_ACK)) === H_SYNACK && f & TCP_ACK && dir === this.client[s] && d.ack === ((this.synAckSeq[s]! + 1) >>> 0)) {
        this.hflags[s] = h | H_ACK;
        this.ackFrame_[s] = rec.frameNumber;
        setOffset(this.ack, s, this.nsOf(rec) - this.baseNs[s]!);
        setOffset(this.synAckAcked, s, getOffset(this.synAckLast, s));
      }
      return;
    }
    const now = this.nsOf(rec);
    if (!(h & (H_SYN | H_SYNACK))) this.baseNs[s] = now;
    const ns = now - this.baseNs[s]!;
    if (!(f & TCP_ACK)) {
      if (!(h & H_SYN)) {
        this.hflags[s] = h | H_SYN;
        this.client[s] = dir;
        this.synSeq[s] = d.seq;
        this.synCount_[s] = 1;
        this.synFrame_[s] = rec.frameNumber;
        setOffset(this.synFirst, s, ns);
        setOffset(this.synLast, s, ns);
      } else if (dir === this.client[s] && d.seq === this.synSeq[s] && !(h & H_ACK)) {
        this.synCount_[s]!++;
        setOffset(this.synLast, s, ns);
      }
    } else if (!(h & H_SYN) || dir !== this.client[s]) {
      if (!(h & H_SYNACK)) {
        this.hflags[s] = h | H_SYNACK;
        if (!(h & H_SYN)) this.client[s] = dir ^ 1;
        this.synAckSeq[s] = d.seq;
        this.synAckCount_[s] = 1;
        this.synAckFrame[s] = rec.frameNumber;
        setOffset(this.synAckFirst, s, ns);
        setOffset(this.synAckLast, s, ns);
        setOffset(this.synAnswered, s, getOffset(this.synLast, s));
      } else if (d.seq === this.synAckSeq[s]) {
        // Also after the final ACK: a server whose accept queue is full drops that ACK and sends the SYN-ACK again.
        this.synAckCount_[s]!++;
        setOffset(this.synAckLast, s, ns);
      }
    }
  }

  get streamCount(): number {
    return this.streams;
  }

  /** True when any part of the handshake was seen. */
  has(stream: number): boolean {
    return (this.hflags[stream]! & (H_SYN | H_SYNACK)) !== 0;
  }

  // Non-allocating reads for rules that scan every stream; 0 for a stream with no handshake part seen.
  /** SYNs of the first attempt (same ISN), retransmissions included. */
  synCount(stream: number): number {
    return stream < this.cap ? this.synCount_[stream]! : 0;
  }

  synAckCount(stream: number): number {
    return stream < this.cap ? this.synAckCount_[stream]! : 0;
  }

  synFrame(stream: number): number {
    return stream < this.cap ? this.synFrame_[stream]! : 0;
  }

  /** Seconds since the capture's reference packet. */
  synTime(stream: number): number {
    return stream < this.cap && this.hflags[stream]! & H_SYN ? this.at(this.synFirst, stream) / 1e9 : 0;
  }

  /** Frame of the final ACK (the client's first segment acknowledging the SYN-ACK), 0 when none was seen. */
  ackFrame(stream: number): number {
    return stream < this.cap && this.hflags[stream]! & H_ACK ? this.ackFrame_[stream]! : 0;
  }

  ackTime(stream: number): number {
    return stream < this.cap && this.hflags[stream]! & H_ACK ? this.at(this.ack, stream) / 1e9 : 0;
  }

  /**
   * Nanoseconds from the first SYN to the final ACK (connectMs in ns), -1 without both: for a rule comparing every
   * stream's handshake with a threshold, without the two absolute times and their divisions.
   */
  handshakeNs(stream: number): number {
    if (stream >= this.cap || (this.hflags[stream]! & (H_SYN | H_ACK)) !== (H_SYN | H_ACK)) return -1;
    return getOffset(this.ack, stream) - getOffset(this.synFirst, stream);
  }

  synRetries(stream: number): number {
    return Math.max(0, this.synCount_[stream]! - 1);
  }

  synAckRetries(stream: number): number {
    return Math.max(0, this.synAckCount_[stream]! - 1);
  }

  /** The stream's handshake as a plain object; undefined when no SYN was captured. */
  timing(stream: number): HandshakeTiming | undefined {
    const h = this.hflags[stream]!;
    if (!(h & H_SYN)) return undefined;
    const t: HandshakeTiming = {
      stream,
      clientSide: this.client[stream]!,
      synFrame: this.synFrame_[stream]!,
      synTime: this.at(this.synFirst, stream) / 1e9,
      synRetries: this.synRetries(stream),
      synAckRetries: this.synAckRetries(stream),
    };
    if (h & H_SYNACK) {
      t.synAckFrame = this.synAckFrame[stream]!;
      t.synAckTime = this.at(this.synAckFirst, stream) / 1e9;
      t.synToSynAckMs = (getOffset(this.synAckFirst, stream) - getOffset(this.synAnswered, stream)) / 1e6;
    }
    if (h & H_ACK) {
      t.ackFrame = this.ackFrame_[stream]!;
      t.ackTime = this.at(this.ack, stream) / 1e9;
      t.synAckToAckMs = (getOffset(this.ack, stream) - getOffset(this.synAckAcked, stream)) / 1e6;
      t.connectMs = this.handshakeNs(stream) / 1e6;
    }
    return t;
  }

  private nsOf(rec: PacketRecord): number {
    return (rec.tsSec - this.refSec) * 1e9 + (rec.tsNsec - this.refNsec);
  }

  /** Nanoseconds since the capture's reference packet. */
  private at(o: NsOffsets, stream: number): number {
    return this.baseNs[stream]! + getOffset(o, stream);
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  private growStreams(min: number): void {
    // min comes from grownCapacity: already at least double, or the size the file suggests.
    const c = Math.max(min, this.cap * 2);
    this.cap = c;
    this.hflags = grow(this.hflags, c);
    this.client = grow(this.client, c);
    this.synSeq = grow(this.synSeq, c);
    this.synAckSeq = grow(this.synAckSeq, c);
    this.synCount_ = grow(this.synCount_, c);
    this.synAckCount_ = grow(this.synAckCount_, c);
    this.synFrame_ = grow(this.synFrame_, c);
    this.synAckFrame = grow(this.synAckFrame, c);
    this.ackFrame_ = grow(this.ackFrame_, c);
    this.baseNs = grow(this.baseNs, c);
    growOffsets(this.synFirst, c);
    growOffsets(this.synLast, c);
    growOffsets(this.synAnswered, c);
    growOffsets(this.synAckFirst, c);
    growOffsets(this.synAckLast, c);
    growOffsets(this.ack, c);
    growOffsets(this.synAckAcked, c);
  }
}
