import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable } from '../../src/core/analysis/flowTable';
import { newDecodedPacket, TCP_ACK, type DecodedPacket } from '../../src/core/decode/packet';

// The 4-tuple lookup has three paths: the IPv4 recent-tuple cache, the hash table behind it (with its slots'
// hash fingerprints while tuple ids fit in 24 bits), and IPv6. A tuple must find its stream whichever answers.

function tuple(d: DecodedPacket, i: number, reverse: boolean): void {
  const v6 = i % 7 === 3;
  d.ipVersion = v6 ? 6 : 4;
  // Addresses on both sides of 2^31 (unsigned words), several tuples per address pair (ports differ).
  const a = (0x0a000000 + (i >>> 3)) >>> 0;
  const b = (0xc0a80000 + ((i * 2654435761) >>> 12)) >>> 0;
  const words = (x: number) => (v6 ? [0x20010db8, 0, x, 1] : [x, 0, 0, 0]);
  const [s, t] = reverse ? [words(b), words(a)] : [words(a), words(b)];
  [d.src0, d.src1, d.src2, d.src3] = s as [number, number, number, number];
  [d.dst0, d.dst1, d.dst2, d.dst3] = t as [number, number, number, number];
  const cport = 1024 + (i & 7) * 1000 + (i % 13);
  d.srcPort = reverse ? 443 : cport;
  d.dstPort = reverse ? cport : 443;
  d.flags = TCP_ACK;
  d.seq = 1000 + i;
  d.ack = 2000 + i;
  d.payloadLength = 10;
}

function run(table: FlowTable, n: number): void {
  const d = newDecodedPacket();
  const first = new Int32Array(n);
  let frame = 1;
  for (let i = 0; i < n; i++) {
    tuple(d, i, false);
    first[i] = table.add(d, frame++, 1, 0, 60);
  }
  assert.equal(table.count, n);
  // The replies come long after: far more tuples than the recent cache holds were seen in between, so they are
  // found through the hash table, and then again through the cache.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < n; i++) {
      tuple(d, i, true);
      const s = table.add(d, frame++, 2, 0, 60);
      assert.equal(s, first[i], `tuple ${i} reply`);
      assert.equal(table.lastDir, 1);
      assert.equal(table.lastNew, false);
    }
  }
  assert.equal(table.count, n);
  assert.equal(table.tupleCount, n);
  for (let i = 0; i < n; i += 997) assert.equal(table.packets[first[i]! * 2 + 1], 2);
}

test('flow table: 60 000 tuples, IPv4 and IPv6, each found again through the hash table', () => {
  run(new FlowTable(16), 60_000);
});

test('flow table: tuples keep their streams when the slot fingerprints are turned off mid-capture', () => {
  // The limit is 16 M tuples in real use; lowered, the switch (and the rehash it forces) happens after 500.
  run(new FlowTable(16, { fingerprintIdLimit: 500 }), 20_000);
});

test('flow table: in shared memory it stays there as it grows, and finds the same streams', () => {
  const table = new FlowTable(16, { shared: true });
  run(table, 20_000);
  for (const [name, v] of Object.entries(table)) {
    // The two small caches of recent tuples are the table's own; everything per stream or per tuple is shared.
    if (ArrayBuffer.isView(v) && name !== 'recent' && name !== 'recent4') assert.ok(v.buffer instanceof SharedArrayBuffer, name);
  }
});
