import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketRecord } from '../capture/types';
import { newPacketRecord } from '../capture/reader';
import { newDecodedPacket, type DecodedPacket } from '../decode/packet';
import type { PacketContext } from './packetContext';

/**
 * A TCP segment as the analysis sees it, packed into one 64-byte cache line: what the flow table decided about the
 * packet plus the header fields the analysers read. The reader thread writes these into shared batches and the
 * analysis thread replays them (src/node/parallel.ts), so the two halves of a full analysis run on two cores without
 * sharing objects. Values most segments do not have (SACK blocks, a snaplen-cut payload's captured length, times
 * that do not fit 32 bits) go to a side area the replay reads in the same order, so the common segment costs one
 * line to write and one to read.
 *
 * The layout is the contract: the analysers may only read, from `rec`, `d` and `ctx`, the fields replayed here
 * (rec.frameNumber/tsSec/tsNsec; d.flags, seq, ack, window, windowScale (capped at 14), payloadLength, capturedPayload,
 * sackCount/sackLeft/sackRight, tcpOptionsTruncated, mptcp, mptcpSubtype, ipVersion, ipId, srcPort, dstPort; every
 * PacketContext field) and rec.fileOffset only as a progress hint: it is the offset of the batch's last packet.
 * test/unit/segments.test.ts replays odd values both ways; test/conformance/parallel.test.ts whole captures.
 */
export const SEGMENT_WORDS = 16;
export const SEGMENT_BYTES = SEGMENT_WORDS * 4;

const W_FRAME = 0;
const W_STREAM = 1;
const W_BITS = 2;
const W_SEQ = 3;
const W_ACK = 4;
const W_WIN_IPID = 5;
const W_PAYLOAD = 6;
const W_SEQLEN = 7;
const W_TS_NSEC = 8;
const W_START_NSEC = 9;
const W_BASE = 10;
const W_PEER_BASE = 11;
const W_TUPLE = 12;
const W_PORTS = 13;
const W_TS_SEC = 14; // unsigned, unless B_SIDE_TIME
const W_START_AGO = 15; // tsSec - startSec, signed, unless B_SIDE_TIME

const B_DIR = 1 << 9;
const B_NEW = 1 << 10;
const B_REUSED = 1 << 11;
const B_CLIENT_DIR = 1 << 12;
const B_OPTS_CUT = 1 << 13;
const B_MPTCP = 1 << 14;
const B_IPV6 = 1 << 15;
const S_WSCALE = 16; // windowScale + 1, 4 bits: the shift as the analysis uses it, capped at 14 like Wireshark's
const S_SACKS = 20; // 3 bits; the blocks are in the side words
const S_MPTCP_SUB = 23; // mptcpSubtype + 1, 5 bits (the option's subtype is 4 bits, -1 for none)
const B_SIDE_CAPTURED = 1 << 28; // capturedPayload differs from payloadLength (a cut segment): it is a side word
const B_SIDE_TIME = 1 << 29; // tsSec and startSec are side floats
const B_DUPLICATE = 1 << 30; // ctx.duplicate

/** Side words and floats a segment may need at most: 4 SACK blocks and the captured length; two times. */
const SIDE_WORDS = 9;
const SIDE_FLOATS = 2;

/** Bytes of one batch of `capacity` segments: a 64-byte head, the records, the side floats and words. */
export function segmentBatchBytes(capacity: number): number {
  const side = capacity * (SIDE_FLOATS * 8 + SIDE_WORDS * 4);
  return 64 + capacity * SEGMENT_BYTES + Math.ceil(side / 64) * 64;
}

/** A batch of segments, views over one batch's bytes. Pages of the side area that no segment needs are never touched. */
export interface SegmentBatch {
  i32: Int32Array;
  /** f64[0]: the file offset of the batch's last packet. */
  head: Float64Array;
  sideF64: Float64Array;
  sideI32: Int32Array;
  /** Capacity in segments. */
  capacity: number;
}

export function segmentBatch(buffer: ArrayBufferLike, byteOffset: number, capacity: number): SegmentBatch {
  const records = byteOffset + 64;
  const floats = records + capacity * SEGMENT_BYTES;
  const words = floats + capacity * SIDE_FLOATS * 8;
  return {
    head: new Float64Array(buffer, byteOffset, 8),
    i32: new Int32Array(buffer, records, capacity * SEGMENT_WORDS),
    sideF64: new Float64Array(buffer, floats, capacity * SIDE_FLOATS),
    sideI32: new Int32Array(buffer, words, capacity * SIDE_WORDS),
    capacity,
  };
}

/**
 * Packs every TCP packet it observes into batches. `next()` hands out an empty batch; `full(batch, count)` is
 * called when one is full and by `flush()` for the last, partial one.
 */
export class SegmentWriter implements TcpPacketObserver {
  private batch: SegmentBatch;
  private n = 0;
  private sideWords = 0;
  private sideFloats = 0;
  /** The capture's time reference, as the pass set it before the first TCP packet. */
  refSec = NaN;
  refNsec = 0;

  constructor(
    private readonly next: () => SegmentBatch,
    private readonly full: (batch: SegmentBatch, count: number) => void,
  ) {
    this.batch = next();
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, stream: number, dir: number, ctx: PacketContext): void {
    if (this.refSec !== this.refSec) {
      this.refSec = ctx.refSec;
      this.refNsec = ctx.refNsec;
    }
    const b = this.batch;
    const w = this.n * SEGMENT_WORDS;
    const i32 = b.i32;
    const sacks = d.sackCount > 4 ? 4 : d.sackCount;
    const payload = d.payloadLength;
    const tsSec = rec.tsSec;
    const ago = tsSec - ctx.startSec;
    // Seconds are whole numbers from both formats; anything else (a negative offset, a 64-bit pcapng clock past
    // 2106, a stream that started decades earlier) keeps its exact value in the side floats.
    const sideTime = !(tsSec >= 0 && tsSec <= 0xffffffff && ago >= -0x80000000 && ago <= 0x7fffffff && ago === Math.floor(ago));
    const cut = d.capturedPayload !== payload;
    i32[w + W_FRAME] = rec.frameNumber;
    i32[w + W_STREAM] = stream;
    i32[w + W_BITS] =
      (d.flags & 0x1ff) |
      (dir ? B_DIR : 0) |
      (ctx.isNew ? B_NEW : 0) |
      (ctx.reused ? B_REUSED : 0) |
      (ctx.clientDir ? B_CLIENT_DIR : 0) |
      (d.tcpOptionsTruncated ? B_OPTS_CUT : 0) |
      (d.mptcp ? B_MPTCP : 0) |
      (d.ipVersion === 6 ? B_IPV6 : 0) |
      ((d.windowScale > 14 ? 15 : d.windowScale + 1) << S_WSCALE) |
      (sacks << S_SACKS) |
      (((d.mptcpSubtype + 1) & 0x1f) << S_MPTCP_SUB) |
      (cut ? B_SIDE_CAPTURED : 0) |
      (sideTime ? B_SIDE_TIME : 0) |
      (ctx.duplicate ? B_DUPLICATE : 0);
    i32[w + W_SEQ] = d.seq;
    i32[w + W_ACK] = d.ack;
    i32[w + W_WIN_IPID] = (d.window & 0xffff) | (d.ipId << 16);
    i32[w + W_PAYLOAD] = payload;
    i32[w + W_SEQLEN] = ctx.seqLength;
    i32[w + W_TS_NSEC] = rec.tsNsec;
    i32[w + W_START_NSEC] = ctx.startNsec;
    i32[w + W_BASE] = ctx.baseSeq;
    i32[w + W_PEER_BASE] = ctx.peerBaseSeq;
    i32[w + W_TUPLE] = ctx.tuple;
    i32[w + W_PORTS] = d.srcPort | (d.dstPort << 16);
    if (sideTime) {
      b.sideF64[this.sideFloats++] = tsSec;
      b.sideF64[this.sideFloats++] = ctx.startSec;
    } else {
      i32[w + W_TS_SEC] = tsSec;
      i32[w + W_START_AGO] = ago;
    }
    if (sacks !== 0 || cut) {
      const side = b.sideI32;
      let o = this.sideWords;
      for (let k = 0; k < sacks; k++) {
        side[o++] = d.sackLeft[k]!;
        side[o++] = d.sackRight[k]!;
      }
      if (cut) side[o++] = d.capturedPayload;
      this.sideWords = o;
    }
    b.head[0] = rec.fileOffset;
    if (++this.n === b.capacity) {
      this.full(b, this.n);
      this.n = this.sideWords = this.sideFloats = 0;
      this.batch = this.next();
    }
  }

  /** Hands over the last, partial batch (if any). */
  flush(): void {
    if (this.n > 0) this.full(this.batch, this.n);
    this.n = this.sideWords = this.sideFloats = 0;
  }
}

/**
 * Replays batches into observers, through one reused record, decoded packet and context (refSec/refNsec of the
 * context are the caller's to set before the first batch).
 */
export class SegmentReplayer {
  readonly rec: PacketRecord;
  readonly d: DecodedPacket = newDecodedPacket();

  constructor(
    private readonly observers: TcpPacketObserver[],
    readonly ctx: PacketContext,
  ) {
    // Only the fields listed at the top of this file are meaningful: the bytes stay with the reader.
    this.rec = newPacketRecord();
    this.d.status = 0;
  }

  replay(batch: SegmentBatch, count: number): void {
    const { i32, sideI32, sideF64 } = batch;
    const rec = this.rec;
    const d = this.d;
    const ctx = this.ctx;
    const observers = this.observers;
    const nObs = observers.length;
    let sw = 0;
    let sf = 0;
    rec.fileOffset = batch.head[0]!;
    for (let n = 0; n < count; n++) {
      const w = n * SEGMENT_WORDS;
      const bits = i32[w + W_BITS]!;
      const stream = i32[w + W_STREAM]!;
      const dir = bits & B_DIR ? 1 : 0;
      rec.frameNumber = i32[w + W_FRAME]! >>> 0;
      rec.tsNsec = i32[w + W_TS_NSEC]!;
      if (bits & B_SIDE_TIME) {
        rec.tsSec = sideF64[sf++]!;
        ctx.startSec = sideF64[sf++]!;
      } else {
        const sec = i32[w + W_TS_SEC]! >>> 0;
        rec.tsSec = sec;
        ctx.startSec = sec - i32[w + W_START_AGO]!;
      }
      d.flags = bits & 0x1ff;
      d.seq = i32[w + W_SEQ]! >>> 0;
      d.ack = i32[w + W_ACK]! >>> 0;
      const winId = i32[w + W_WIN_IPID]!;
      d.window = winId & 0xffff;
      d.ipId = winId >>> 16;
      const payload = i32[w + W_PAYLOAD]!;
      d.payloadLength = payload;
      d.windowScale = ((bits >>> S_WSCALE) & 0xf) - 1;
      d.mptcpSubtype = ((bits >>> S_MPTCP_SUB) & 0x1f) - 1;
      d.tcpOptionsTruncated = (bits & B_OPTS_CUT) !== 0;
      d.mptcp = (bits & B_MPTCP) !== 0;
      d.ipVersion = bits & B_IPV6 ? 6 : 4;
      const ports = i32[w + W_PORTS]!;
      d.srcPort = ports & 0xffff;
      d.dstPort = ports >>> 16;
      const sacks = (bits >>> S_SACKS) & 7;
      d.sackCount = sacks;
      for (let k = 0; k < sacks; k++) {
        d.sackLeft[k] = sideI32[sw++]!;
        d.sackRight[k] = sideI32[sw++]!;
      }
      d.capturedPayload = bits & B_SIDE_CAPTURED ? sideI32[sw++]! : payload;
      ctx.startNsec = i32[w + W_START_NSEC]!;
      ctx.tuple = i32[w + W_TUPLE]!;
      ctx.isNew = (bits & B_NEW) !== 0;
      ctx.reused = (bits & B_REUSED) !== 0;
      ctx.baseSeq = i32[w + W_BASE]! >>> 0;
      ctx.peerBaseSeq = i32[w + W_PEER_BASE]! >>> 0;
      ctx.clientDir = bits & B_CLIENT_DIR ? 1 : 0;
      ctx.seqLength = i32[w + W_SEQLEN]!;
      ctx.duplicate = (bits & B_DUPLICATE) !== 0;
      for (let o = 0; o < nObs; o++) observers[o]!.onTcpPacket(rec, d, stream, dir, ctx);
    }
  }
}
