import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PacketRecord } from '../../src/core/capture/types';
import { newPacketRecord } from '../../src/core/capture/reader';
import { newDecodedPacket, type DecodedPacket } from '../../src/core/decode/packet';
import { newPacketContext, type PacketContext } from '../../src/core/analysis/packetContext';
import { SegmentReplayer, SegmentWriter, segmentBatch, segmentBatchBytes, type SegmentBatch } from '../../src/core/analysis/segments';

// A segment record keeps the common values in one 64-byte line and the rest in a side area read back in order.
// Every field of the contract must come back exactly, whichever path it took: SACK blocks, cut payloads and times
// that do not fit 32 bits mixed with plain segments, across batch boundaries of a two-slot ring.

interface Seen {
  frame: number;
  tsSec: number;
  tsNsec: number;
  stream: number;
  dir: number;
  d: Record<string, unknown>;
  ctx: Record<string, unknown>;
}

function snapshot(rec: PacketRecord, d: DecodedPacket, stream: number, dir: number, ctx: PacketContext): Seen {
  return {
    frame: rec.frameNumber,
    tsSec: rec.tsSec,
    tsNsec: rec.tsNsec,
    stream,
    dir,
    d: {
      flags: d.flags,
      seq: d.seq,
      ack: d.ack,
      window: d.window,
      windowScale: Math.min(d.windowScale, 14), // Wireshark's cap, which is all the analysis reads
      payloadLength: d.payloadLength,
      capturedPayload: d.capturedPayload,
      sacks: [...d.sackLeft.slice(0, d.sackCount)].map((l, k) => [l, d.sackRight[k]]),
      tcpOptionsTruncated: d.tcpOptionsTruncated,
      mptcp: d.mptcp,
      mptcpSubtype: d.mptcpSubtype,
      ipVersion: d.ipVersion,
      ipId: d.ipId,
      srcPort: d.srcPort,
      dstPort: d.dstPort,
    },
    ctx: {
      startSec: ctx.startSec,
      startNsec: ctx.startNsec,
      tuple: ctx.tuple,
      isNew: ctx.isNew,
      reused: ctx.reused,
      baseSeq: ctx.baseSeq,
      peerBaseSeq: ctx.peerBaseSeq,
      clientDir: ctx.clientDir,
      seqLength: ctx.seqLength,
      duplicate: ctx.duplicate,
    },
  };
}

/** A deterministic generator, so a failure names a reproducible segment. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const ODD_SECONDS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 40, -1, -86400, 1.7e9];

function fill(i: number, r: () => number, rec: PacketRecord, d: DecodedPacket, ctx: PacketContext): { stream: number; dir: number } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  rec.frameNumber = i + 1 + (i % 5 === 0 ? 0x80000000 : 0);
  rec.tsSec = r() < 0.3 ? pick(ODD_SECONDS) : 1_700_000_000 + i;
  rec.tsNsec = Math.floor(r() * 1e9);
  rec.fileOffset = 24 + i * 100;
  d.flags = Math.floor(r() * 0x200);
  d.seq = Math.floor(r() * 2 ** 32);
  d.ack = Math.floor(r() * 2 ** 32);
  d.window = Math.floor(r() * 0x10000);
  d.windowScale = Math.floor(r() * 257) - 1;
  d.payloadLength = r() < 0.2 ? 0 : Math.floor(r() * 70000);
  d.capturedPayload = r() < 0.2 ? Math.floor(r() * (d.payloadLength + 1)) : d.payloadLength;
  d.sackCount = r() < 0.3 ? Math.floor(r() * 5) : 0;
  for (let k = 0; k < d.sackCount; k++) {
    d.sackLeft[k] = Math.floor(r() * 2 ** 32);
    d.sackRight[k] = Math.floor(r() * 2 ** 32);
  }
  d.tcpOptionsTruncated = r() < 0.1;
  d.mptcp = r() < 0.1;
  d.mptcpSubtype = Math.floor(r() * 17) - 1;
  d.ipVersion = r() < 0.5 ? 4 : 6;
  d.ipId = Math.floor(r() * 0x10000);
  d.srcPort = Math.floor(r() * 0x10000);
  d.dstPort = Math.floor(r() * 0x10000);
  ctx.startSec = r() < 0.3 ? pick(ODD_SECONDS) : rec.tsSec - Math.floor(r() * 1000);
  ctx.startNsec = Math.floor(r() * 1e9);
  ctx.tuple = Math.floor(r() * 1e6);
  ctx.isNew = r() < 0.5;
  ctx.reused = r() < 0.5;
  ctx.baseSeq = Math.floor(r() * 2 ** 32);
  ctx.peerBaseSeq = Math.floor(r() * 2 ** 32);
  ctx.clientDir = r() < 0.5 ? 0 : 1;
  ctx.seqLength = r() < 0.1 ? -1 : Math.floor(r() * 70000);
  ctx.duplicate = r() < 0.3;
  return { stream: Math.floor(r() * 3e6), dir: r() < 0.5 ? 0 : 1 };
}

test('every contract field survives the segment record, the side area and the ring', () => {
  const capacity = 7;
  const slots = 2;
  const bytes = segmentBatchBytes(capacity);
  assert.equal(bytes % 64, 0, 'batches stay cache-line aligned in the ring');
  const ring = new SharedArrayBuffer(slots * bytes);
  const batches = [0, 1].map((k) => segmentBatch(ring, k * bytes, capacity));
  const seen: Seen[] = [];
  const ctxOut = newPacketContext();
  const replayer = new SegmentReplayer([{ onTcpPacket: (rec, d, s, dir, ctx) => seen.push(snapshot(rec, d, s, dir, ctx)) }], ctxOut);
  let handed = 0;
  const offsets: number[] = [];
  // The replay runs as each batch fills, before its slot is handed out again, as the two threads do.
  const writer = new SegmentWriter(
    () => batches[handed % slots]!,
    (b: SegmentBatch, count: number) => {
      handed++;
      offsets.push(b.head[0]!);
      replayer.replay(b, count);
    },
  );
  const r = rng(7);
  const rec = newPacketRecord();
  const d = newDecodedPacket();
  const ctx = newPacketContext();
  ctx.refSec = 0;
  const expected: Seen[] = [];
  const n = 3000;
  for (let i = 0; i < n; i++) {
    const { stream, dir } = fill(i, r, rec, d, ctx);
    expected.push(snapshot(rec, d, stream, dir, ctx));
    writer.onTcpPacket(rec, d, stream, dir, ctx);
  }
  writer.flush();
  assert.equal(seen.length, n);
  for (let i = 0; i < n; i++) assert.deepEqual(seen[i], expected[i], `segment ${i}`);
  // The file offset is the batch's last packet's: a progress hint, never a packet's own.
  assert.deepEqual(offsets.slice(0, 3), [24 + 6 * 100, 24 + 13 * 100, 24 + 20 * 100]);
});
