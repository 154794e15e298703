import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureSideCollector } from '../../src/core/diagnostics/captureSide';
import { groupBy, TupleIds } from '../../src/core/diagnostics/ids';
import { newPacketContext } from '../../src/core/analysis/packetContext';
import { newDecodedPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/core/decode/packet';
import { DiagnosticsCollector, FILTER_BUCKETS, StallEnd } from '../../src/core/diagnostics/collector';
import { TA_KEEP_ALIVE, TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, type SequenceAnalyzer } from '../../src/core/analysis/seqAnalysis';
import type { PacketRecord } from '../../src/core/capture/types';

/**
 * The diagnostics' own machinery, below the rules: the time buckets storms are counted in (which skip the division
 * for packets that surely fall in the current bucket) and the dense numbering the rules group streams by.
 */

test('time buckets agree with floor(time / width) at every boundary, for awkward widths too', () => {
  for (const width of [1, 0.1, 0.3, 2.5, 1e-3]) {
    const c = new CaptureSideCollector({ bucketSeconds: width });
    const ctx = newPacketContext();
    ctx.refSec = 1_700_000_000;
    ctx.refNsec = 123_456_789;
    const d = newDecodedPacket();
    d.ipVersion = 6; // no duplicate check: every packet counts
    d.flags = 0x10;
    d.payloadLength = 100;
    d.window = 1000;
    const rec = { tsSec: 0, tsNsec: 0, frameNumber: 0 } as PacketRecord;
    const expected = new Map<number, number>();
    let frame = 0;
    // Times on and around bucket edges (a nanosecond either side), in order, plus a step back in time.
    const times: Array<[number, number]> = [];
    for (let k = 0; k < 40; k++) {
      const edgeNs = Math.round(k * width * 1e9);
      for (const delta of [-1, 0, 1]) {
        const ns = 123_456_789 + edgeNs + delta;
        times.push([ctx.refSec + Math.floor(ns / 1e9), ns % 1e9]);
      }
    }
    times.push([ctx.refSec, 123_456_789]);
    for (const [sec, nsec] of times) {
      rec.tsSec = sec;
      rec.tsNsec = nsec;
      rec.frameNumber = ++frame;
      c.onTcpPacket(rec, d, 0, 0, ctx);
      const t = sec - ctx.refSec + (nsec - ctx.refNsec) / 1e9;
      const b = Math.floor(t / width);
      expected.set(b, (expected.get(b) ?? 0) + 1);
    }
    const got = new Map([...c.dataBuckets].map(([b, x]) => [b, x.dataSegments]));
    assert.deepEqual(got, expected, `width ${width}`);
  }
});

test('TupleIds numbers equal tuples alike and different ones apart, across growth', () => {
  const ids = new TupleIds(5);
  const intern = (...w: number[]) => {
    ids.key.set(w);
    return ids.intern();
  };
  const n = 20_000;
  for (let i = 0; i < n; i++) assert.equal(intern(6, 0x20010db8, 0, i >> 8, i), i);
  // Near misses (one word differs) are new tuples; the first ones keep their numbers.
  assert.equal(intern(6, 0x20010db8, 0, 0, 1), 1);
  assert.equal(intern(4, 0x20010db8, 0, 0, 1), n);
  assert.equal(intern(6, 0x20010db8, 1, 0, 1), n + 1);
  for (let i = 0; i < n; i += 997) assert.equal(intern(6, 0x20010db8, 0, i >> 8, i), i);
  assert.equal(ids.count, n + 2);
  assert.equal(ids.word(n + 1, 2), 1);
});

test('the duplicate check takes a packet for a copy only when every field matches, within 50 ms', () => {
  const c = new CaptureSideCollector();
  const ctx = newPacketContext();
  ctx.refSec = 1_700_000_000;
  ctx.clientDir = 0;
  const base = { s: 3, dir: 0, ipId: 4321, flags: TCP_ACK, seq: 0xfffffff0, ack: 0x80000001, len: 1448, ms: 0 };
  let frame = 0;
  const see = (p: typeof base): boolean => {
    const d = newDecodedPacket();
    d.ipVersion = 4;
    d.ipId = p.ipId;
    d.flags = p.flags;
    d.seq = p.seq;
    d.ack = p.ack;
    d.payloadLength = p.len;
    const rec = { tsSec: ctx.refSec + Math.floor(p.ms / 1000), tsNsec: (p.ms % 1000) * 1_000_000, frameNumber: ++frame } as PacketRecord;
    c.onTcpPacket(rec, d, p.s, p.dir, ctx);
    return ctx.duplicate;
  };
  assert.equal(see(base), false);
  assert.equal(see({ ...base, ms: 1 }), true, 'the same packet 1 ms later');
  // Each field on its own makes another packet (the original is seen again first, so it is in the table).
  const others: Array<Partial<typeof base>> = [{ s: 4 }, { dir: 1 }, { ipId: 4322 }, { flags: TCP_ACK | TCP_FIN }, { seq: 0xfffffff1 }, { ack: 0x80000002 }, { len: 1447 }];
  for (const change of others) {
    see({ ...base, ms: 2 });
    assert.equal(see({ ...base, ...change, ms: 3 }), false, JSON.stringify(change));
  }
  // The same packet in any other stream, even one whose packets share the table's slot with this one's.
  // (Each round 100 ms after the last, so nothing earlier is still a candidate.)
  for (let other = 10; other < 40_000; other++) {
    see({ ...base, ms: 100 * other });
    if (see({ ...base, s: other, ms: 100 * other + 1 })) assert.fail(`stream ${other} taken for stream ${base.s}`);
  }
  const later = 100 * 40_000;
  see({ ...base, ms: later });
  assert.equal(see({ ...base, ms: later + 49 }), true, '49 ms apart');
  assert.equal(see({ ...base, ms: later + 110 }), false, '61 ms apart');
  // IPv4 id 0 (not set by the sender) says nothing: never a copy.
  see({ ...base, ipId: 0, ms: later + 200 });
  assert.equal(see({ ...base, ipId: 0, ms: later + 201 }), false);
});

test('groupBy keeps groups in order of their first item and items in their order; small groups can be left out', () => {
  const list = [10, 11, 12, 13, 14, 15, 16];
  const idOf = (x: number) => [2, 0, 2, 1, 0, 2, 3][x - 10]!;
  const g = groupBy(list, idOf, () => 4);
  assert.equal(g.count, 4);
  assert.deepEqual([...g.key], [2, 0, 1, 3]);
  assert.deepEqual([...g.items.subarray(g.start[0]!, g.start[1]!)], [10, 12, 15]);
  assert.deepEqual([...g.items.subarray(g.start[1]!, g.start[2]!)], [11, 14]);
  const big = groupBy(list, idOf, () => 4, 2);
  assert.deepEqual([...big.key], [2, 0]);
  assert.deepEqual([...big.items], [10, 12, 15, 11, 14]);
  assert.deepEqual([...big.groupOf], [0, 1, 0, -1, 1, 0, -1]);
});

test('the diagnostics collector agrees with a plain model of its rules, streams sharing its filter buckets too', () => {
  // The collector reads a direction's state bits only when its stream's filter bucket (stream % FILTER_BUCKETS)
  // counts some: streams that far apart share a bucket, so a count kept wrong would let one stream's open period or
  // run be skipped, or another's be read. A model with no filter, fed the same random packets, must end with the
  // same facts.
  const b = FILTER_BUCKETS;
  const streams = [3, 3 + b, 3 + 2 * b, 7, 7 + b, b - 1];
  let seed = 7;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  let withSilent = 0;
  for (let trial = 0; trial < 40; trial++) {
    const seq = { lastFlags: 0 };
    const c = new DiagnosticsCollector(seq as unknown as SequenceAnalyzer, { bucketSeconds: 1 });
    const m = new CollectorModel();
    const ctx = newPacketContext();
    ctx.refSec = 0;
    const d = newDecodedPacket();
    const rec = { tsSec: 0, tsNsec: 0, frameNumber: 0 } as PacketRecord;
    for (let k = 0; k < 400; k++) {
      const s = streams[rand(streams.length)]!;
      const dir = rand(2);
      rec.tsSec = k >> 3;
      rec.tsNsec = (k & 7) * 1e8;
      rec.frameNumber = k + 1;
      d.payloadLength = rand(3) === 0 ? 0 : 100;
      const r = rand(20);
      d.flags = r === 0 ? TCP_FIN | TCP_ACK : r === 1 ? TCP_RST : r === 2 ? TCP_SYN : TCP_ACK;
      d.window = rand(4) === 0 ? 0 : 1000;
      seq.lastFlags = [0, 0, TA_RETRANSMISSION, TA_ZERO_WINDOW_PROBE, TA_KEEP_ALIVE][rand(5)]!;
      ctx.duplicate = rand(10) === 0;
      c.onTcpPacket(rec, d, s, dir, ctx);
      m.onPacket(s, dir, rec.tsSec + rec.tsNsec / 1e9, rec.frameNumber, d.payloadLength, d.flags, d.window, seq.lastFlags, ctx.duplicate);
    }
    for (const s of streams) for (const side of [0, 1]) {
      assert.equal(c.runLength(s, side), m.runs.get(s * 2 + side)?.length ?? 0, `trial ${trial} run of ${s}/${side}`);
      assert.deepEqual(c.run(s, side), m.runs.get(s * 2 + side), `trial ${trial} run of ${s}/${side}`);
    }
    c.finish(99, 999);
    m.finish(99, 999);
    const stalls = Array.from({ length: c.stallCount }, (_, k) => [c.stallStream[k], c.stallSide[k], c.stallStart[k], c.stallEnd[k], c.stallStartFrame[k], c.stallEndFrame[k], c.stallProbes[k], c.stallHow[k]]);
    assert.deepEqual(stalls, m.stalls, `trial ${trial} stalls`);
    assert.deepEqual([...c.buckets.entries()], [...m.buckets.entries()], `trial ${trial} buckets`);
    assert.ok(m.stalls.length > 0 && m.runsStarted > 0, 'the packets open stalls and runs');
    const silent = c.silentStreams(2);
    const expect = streams.filter((s) => (m.runs.get(s * 2)?.length ?? 0) >= 2 || (m.runs.get(s * 2 + 1)?.length ?? 0) >= 2).sort((a, b) => a - b);
    assert.deepEqual(silent.streams, expect);
    assert.deepEqual(silent.sides, expect.map((s) => ((m.runs.get(s * 2)?.length ?? 0) >= 2 ? 0 : 1)));
    withSilent += expect.length > 0 ? 1 : 0;
  }
  assert.ok(withSilent > 0, 'some trials end with runs still going');
});

/** The collector's rules written plainly: per-direction state in maps, every packet looks at its stream's state. */
class CollectorModel {
  runs = new Map<number, { length: number; firstFrame: number; firstTime: number; lastTime: number }>();
  /** Runs a reset ended: kept, but no longer extended or answered. */
  ended = new Set<number>();
  open = new Map<number, { start: number; startFrame: number; probes: number }>();
  stalls: number[][] = [];
  runsStarted = 0;
  buckets = new Map<number, { retransmissions: number; streams: number[]; firstRetransFrame: number }>();

  onPacket(s: number, dir: number, t: number, frame: number, len: number, f: number, window: number, seqFlags: number, duplicate: boolean): void {
    const i = s * 2 + dir;
    let flags = 0;
    if (len > 0 || f & TCP_FIN) flags = duplicate ? seqFlags & ~TA_RETRANSMISSION : seqFlags;
    else if (this.open.has(i ^ 1)) flags = seqFlags & ~TA_RETRANSMISSION;
    // A peer's packet answers a run; a peer's reset ends it unanswered, and the run stays as it was.
    if (!this.ended.has(i ^ 1)) {
      if (f & TCP_RST && this.runs.has(i ^ 1)) this.ended.add(i ^ 1);
      else this.runs.delete(i ^ 1);
    }
    if (flags & TA_RETRANSMISSION) {
      if (len > 0) {
        const b = Math.floor(t);
        const bucket = this.buckets.get(b) ?? { retransmissions: 0, streams: [], firstRetransFrame: frame };
        this.buckets.set(b, bucket);
        bucket.retransmissions++;
        if (!bucket.streams.includes(s)) bucket.streams.push(s);
      }
      const run = this.ended.has(i) ? undefined : this.runs.get(i);
      if (run) {
        run.length++;
        run.lastTime = t;
      } else {
        this.ended.delete(i);
        this.runs.set(i, { length: 1, firstFrame: frame, firstTime: t, lastTime: t });
        this.runsStarted++;
      }
    }
    if (!(f & (TCP_SYN | TCP_FIN | TCP_RST))) {
      if (window === 0) {
        if (!this.open.has(i)) this.open.set(i, { start: t, startFrame: frame, probes: 0 });
      } else if (this.open.has(i)) this.end(i, t, frame, StallEnd.WindowOpened);
    }
    if (this.open.has(i ^ 1) && flags & (TA_ZERO_WINDOW_PROBE | TA_KEEP_ALIVE | TA_RETRANSMISSION)) this.open.get(i ^ 1)!.probes++;
    if (f & (TCP_RST | TCP_FIN)) {
      const how = f & TCP_RST ? StallEnd.Reset : StallEnd.Fin;
      if (this.open.has(i)) this.end(i, t, frame, how);
      if (this.open.has(i ^ 1)) this.end(i ^ 1, t, frame, how);
    }
  }

  end(i: number, t: number, frame: number, how: StallEnd): void {
    const o = this.open.get(i)!;
    this.open.delete(i);
    this.stalls.push([i >> 1, i & 1, o.start, t, o.startFrame, frame, o.probes, how]);
  }

  finish(t: number, frame: number): void {
    for (const i of [...this.open.keys()].sort((a, b) => a - b)) this.end(i, t, frame, StallEnd.CaptureEnd);
  }
}
