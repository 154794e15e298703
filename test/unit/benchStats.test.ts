import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, medianInterval, verdictAtMost } from '../../scripts/bench/stats';

test('median of odd and even samples', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('the median interval is the sign test one: ranks and exact coverage from the binomial', () => {
  assert.equal(medianInterval([1, 2, 3, 4, 5]), null, 'five values cannot give 95%: P(all on one side) = 1/16');
  const six = medianInterval([6, 5, 4, 3, 2, 1])!;
  assert.deepEqual([six.low, six.high], [1, 6]);
  assert.ok(Math.abs(six.coverage - (1 - 2 / 64)) < 1e-12);
  // n = 21: P(Bin(21, 1/2) <= 5) = 0.0133 <= 0.025 < P(<= 6) = 0.0392, so ranks 6 and 16.
  const xs = Array.from({ length: 21 }, (_, i) => 20 - i);
  const ci = medianInterval(xs)!;
  assert.deepEqual([ci.low, ci.high], [5, 15]);
  assert.ok(ci.coverage >= 0.95 && ci.coverage < 0.98, String(ci.coverage));
  // A looser level narrows it.
  const ci80 = medianInterval(xs, 0.8)!;
  assert.ok(ci80.low > ci.low && ci80.high < ci.high);
});

test('the interval covers the true median about as often as it says', () => {
  // A seeded uniform sample's median is 0.5; count misses over many samples of 15.
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let misses = 0;
  const trials = 4000;
  for (let t = 0; t < trials; t++) {
    const ci = medianInterval(Array.from({ length: 15 }, rand))!;
    if (ci.low > 0.5 || ci.high < 0.5) misses++;
  }
  assert.ok(misses / trials < 0.05 && misses / trials > 0.005, `missed ${misses} of ${trials}`);
});

test('verdicts: ok only when the whole interval is under the limit', () => {
  const under = [0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11];
  assert.equal(verdictAtMost(under, 0.15), 'ok');
  assert.equal(verdictAtMost([...under.slice(0, 6), 0.3], 0.15), 'unsure', 'the top of the interval is over');
  assert.equal(verdictAtMost([0.1, 0.2, 0.2, 0.2, 0.3, 0.3], 0.15), 'MISS');
  assert.equal(verdictAtMost([0.01, 0.02, 0.03], 0.15), 'unsure', 'three rounds are too few to be sure');
});
