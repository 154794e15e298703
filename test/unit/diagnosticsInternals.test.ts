import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureSideCollector } from '../../src/core/diagnostics/captureSide';
import { groupBy, TupleIds } from '../../src/core/diagnostics/ids';
import { newPacketContext } from '../../src/core/analysis/packetContext';
import { newDecodedPacket } from '../../src/core/decode/packet';
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
