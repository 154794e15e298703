import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { getOffset, growOffsets, nsOffsets, setOffset } from '../../src/core/util/nsOffsets';

test('NsOffsets keeps every offset exact while it widens from 32 bits to 48 to Float64', () => {
  const o = nsOffsets(4);
  const want = new Map<number, number>();
  const put = (i: number, v: number) => {
    setOffset(o, i, v);
    want.set(i, v);
    for (const [j, w] of want) assert.equal(getOffset(o, j), w, `row ${j} after setting row ${i} to ${v}`);
  };
  put(0, 0);
  put(1, 4294967295);
  assert.equal(o.hi, null, 'offsets that fit 32 bits need no second word');
  put(2, 4294967296);
  assert.ok((o.hi as unknown) instanceof Int16Array);
  put(3, -1); // a clock that stepped back
  growOffsets(o, 9);
  put(8, 3600e9 * 30 + 123456789); // 30 hours after the base
  put(4, -(86400e9 * 1.5) + 7);
  assert.equal(o.wide, null);
  put(5, 2 ** 53 - 1); // past +/-39 h: Float64 rows
  assert.ok((o.wide as unknown) instanceof Float64Array);
  put(6, 17);
  growOffsets(o, 20);
  put(19, -(2 ** 52) + 1);
  assert.equal(getOffset(o, 7), 0, 'rows never set read 0');
});
