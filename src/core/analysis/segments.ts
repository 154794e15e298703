import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketRecord } from '../capture/types';
import { newDecodedPacket, type DecodedPacket } from '../decode/packet';
import type { PacketContext } from './packetContext';

/**
 * A TCP segment as the analysis sees it, packed into 128 bytes: what the flow table decided about the packet plus
 * the header fields the analysers read. The reader thread writes these into shared batches and the analysis thread
 * replays them (src/node/parallel.ts), so the two halves of a full analysis run on two cores without sharing
 * objects. The layout is the contract: the analysers may only read, from `rec`, `d` and `ctx`, the fields replayed
 * here (rec.frameNumber/tsSec/tsNsec/fileOffset; d.flags, seq, ack, window, windowScale, payloadLength,
 * capturedPayload, sackCount/sackLeft/sackRight, tcpOptionsTruncated, mptcp, mptcpSubtype, ipVersion, ipId,
 * srcPort, dstPort; every PacketContext field). test/unit/segments.test.ts replays a real capture both ways.
 */
export const SEGMENT_WORDS = 32;
export const SEGMENT_BYTES = SEGMENT_WORDS * 4;

const W_FRAME = 0;
const W_STREAM = 1;
const W_BITS = 2;
const W_SEQ = 3;
const W_ACK = 4;
const W_WIN_IPID = 5;
const W_PAYLOAD = 6;
const W_CAPTURED = 7;
const W_SEQLEN = 8;
const W_TS_NSEC = 9;
const W_START_NSEC = 10;
const W_BASE = 11;
const W_PEER_BASE = 12;
const W_TUPLE = 13;
const W_PORTS = 14;
const W_SACK = 16; // 4 x (left, right)
// Float64 slots (index in 8-byte units within the record).
const F_TS_SEC = 12;
const F_START_SEC = 13;
const F_FILE_OFFSET = 14;

const B_DIR = 1 << 9;
const B_NEW = 1 << 10;
const B_REUSED = 1 << 11;
const B_CLIENT_DIR = 1 << 12;
const B_OPTS_CUT = 1 << 13;
const B_MPTCP = 1 << 14;
const B_IPV6 = 1 << 15;
const S_WSCALE = 16; // windowScale + 1, 5 bits
const S_SACKS = 21; // 3 bits
const S_MPTCP_SUB = 24; // mptcpSubtype + 1, 8 bits

/** A batch of segments: two views over the same bytes. */
export interface SegmentBatch {
  i32: Int32Array;
  f64: Float64Array;
  /** Capacity in segments. */
  capacity: number;
}

export function segmentBatch(buffer: ArrayBufferLike, byteOffset: number, capacity: number): SegmentBatch {
  return {
    i32: new Int32Array(buffer, byteOffset, capacity * SEGMENT_WORDS),
    f64: new Float64Array(buffer, byteOffset, capacity * (SEGMENT_WORDS / 2)),
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
      (((d.windowScale + 1) & 0x1f) << S_WSCALE) |
      (sacks << S_SACKS) |
      (((d.mptcpSubtype + 1) & 0xff) << S_MPTCP_SUB);
    i32[w + W_SEQ] = d.seq;
    i32[w + W_ACK] = d.ack;
    i32[w + W_WIN_IPID] = (d.window & 0xffff) | (d.ipId << 16);
    i32[w + W_PAYLOAD] = d.payloadLength;
    i32[w + W_CAPTURED] = d.capturedPayload;
    i32[w + W_SEQLEN] = ctx.seqLength;
    i32[w + W_TS_NSEC] = rec.tsNsec;
    i32[w + W_START_NSEC] = ctx.startNsec;
    i32[w + W_BASE] = ctx.baseSeq;
    i32[w + W_PEER_BASE] = ctx.peerBaseSeq;
    i32[w + W_TUPLE] = ctx.tuple;
    i32[w + W_PORTS] = d.srcPort | (d.dstPort << 16);
    for (let k = 0; k < sacks; k++) {
      i32[w + W_SACK + 2 * k] = d.sackLeft[k]!;
      i32[w + W_SACK + 2 * k + 1] = d.sackRight[k]!;
    }
    const f = this.n * (SEGMENT_WORDS / 2);
    b.f64[f + F_TS_SEC] = rec.tsSec;
    b.f64[f + F_START_SEC] = ctx.startSec;
    b.f64[f + F_FILE_OFFSET] = rec.fileOffset;
    if (++this.n === b.capacity) {
      this.full(b, this.n);
      this.n = 0;
      this.batch = this.next();
    }
  }

  /** Hands over the last, partial batch (if any). */
  flush(): void {
    if (this.n > 0) this.full(this.batch, this.n);
    this.n = 0;
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
    this.rec = {
      frameNumber: 0,
      kind: 'packet',
      interfaceIndex: 0,
      linkType: 0,
      tsSec: 0,
      tsNsec: 0,
      hasTimestamp: true,
      capturedLength: 0,
      originalLength: 0,
      fcsLength: 0,
      buffer: new Uint8Array(0),
      dataOffset: 0,
      data: new Uint8Array(0),
      fileOffset: 0,
      epbFlags: 0,
    } as unknown as PacketRecord;
    this.d.status = 0;
  }

  replay(batch: SegmentBatch, count: number): void {
    const { i32, f64 } = batch;
    const rec = this.rec as { -readonly [K in keyof PacketRecord]: PacketRecord[K] };
    const d = this.d;
    const ctx = this.ctx;
    const observers = this.observers;
    const nObs = observers.length;
    for (let n = 0; n < count; n++) {
      const w = n * SEGMENT_WORDS;
      const f = n * (SEGMENT_WORDS / 2);
      const bits = i32[w + W_BITS]!;
      const stream = i32[w + W_STREAM]!;
      const dir = bits & B_DIR ? 1 : 0;
      rec.frameNumber = i32[w + W_FRAME]! >>> 0;
      rec.tsSec = f64[f + F_TS_SEC]!;
      rec.tsNsec = i32[w + W_TS_NSEC]!;
      rec.fileOffset = f64[f + F_FILE_OFFSET]!;
      d.flags = bits & 0x1ff;
      d.seq = i32[w + W_SEQ]! >>> 0;
      d.ack = i32[w + W_ACK]! >>> 0;
      const winId = i32[w + W_WIN_IPID]!;
      d.window = winId & 0xffff;
      d.ipId = winId >>> 16;
      d.payloadLength = i32[w + W_PAYLOAD]!;
      d.capturedPayload = i32[w + W_CAPTURED]!;
      d.windowScale = ((bits >>> S_WSCALE) & 0x1f) - 1;
      d.mptcpSubtype = ((bits >>> S_MPTCP_SUB) & 0xff) - 1;
      d.tcpOptionsTruncated = (bits & B_OPTS_CUT) !== 0;
      d.mptcp = (bits & B_MPTCP) !== 0;
      d.ipVersion = bits & B_IPV6 ? 6 : 4;
      const ports = i32[w + W_PORTS]!;
      d.srcPort = ports & 0xffff;
      d.dstPort = ports >>> 16;
      const sacks = (bits >>> S_SACKS) & 7;
      d.sackCount = sacks;
      for (let k = 0; k < sacks; k++) {
        d.sackLeft[k] = i32[w + W_SACK + 2 * k]!;
        d.sackRight[k] = i32[w + W_SACK + 2 * k + 1]!;
      }
      ctx.startSec = f64[f + F_START_SEC]!;
      ctx.startNsec = i32[w + W_START_NSEC]!;
      ctx.tuple = i32[w + W_TUPLE]!;
      ctx.isNew = (bits & B_NEW) !== 0;
      ctx.reused = (bits & B_REUSED) !== 0;
      ctx.baseSeq = i32[w + W_BASE]! >>> 0;
      ctx.peerBaseSeq = i32[w + W_PEER_BASE]! >>> 0;
      ctx.clientDir = bits & B_CLIENT_DIR ? 1 : 0;
      ctx.seqLength = i32[w + W_SEQLEN]!;
      for (let o = 0; o < nObs; o++) observers[o]!.onTcpPacket(rec as PacketRecord, d, stream, dir, ctx);
    }
  }
}
