import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSeeds, checkInput, findingProblems, makeInput, serialize, violationKey } from '../fuzz/fuzzer';
import type { Finding } from '../../src/core/diagnostics/types';

/**
 * A fixed slice of the mutation fuzzer (npm run fuzz runs as many as you like): every input must go through the
 * whole core without an exception, within time and memory, with well-formed findings and no lost frames.
 */

const SEED = 20240611;
const RUNS = 1500;

test('the seeds read cleanly and cover the formats and link types', () => {
  const seeds = buildSeeds();
  assert.ok(seeds.some((s) => s.format === 'pcap') && seeds.some((s) => s.format === 'pcapng'));
  for (const s of seeds) {
    const r = checkInput({ bytes: serialize(s.parts), framesInPrefix: s.parts.filter((p) => p.frame).length, intactPrefix: Infinity });
    assert.deepEqual(r.violations, [], s.name);
  }
});

test('inputs depend only on (seed, iteration)', () => {
  for (const i of [0, 7, 999]) {
    const a = makeInput(SEED, i);
    const b = makeInput(SEED, i);
    assert.deepEqual([a.mutations, a.bytes], [b.mutations, b.bytes]);
  }
  assert.notDeepEqual(makeInput(SEED, 1).bytes, makeInput(SEED + 1, 1).bytes);
});

test('the checker rejects malformed findings', () => {
  const bad = {
    code: 'NoDots',
    severity: 'fatal',
    category: 'network',
    message: 'took NaN s',
    explanation: '',
    streams: [0, 5, 1.5],
    frames: [0],
    window: { start: 2, end: 1 },
    metrics: { x: Infinity, y: 'ok' },
  } as unknown as Finding;
  const p = findingProblems(bad, 3, 10).map(violationKey).join('\n');
  for (const what of ['not dotted', 'severity', 'message shows a non-value', 'empty explanation', 'streams out of range', 'frames out of range', 'window', 'metric x']) {
    assert.match(p, new RegExp(what), what);
  }
});

test(`fuzz slice: ${RUNS} mutated captures through the whole core (seed ${SEED})`, () => {
  const failures: string[] = [];
  const kinds = new Map<string, number>();
  let maxMs = 0;
  let truncations = 0;
  for (let i = 0; i < RUNS; i++) {
    const input = makeInput(SEED, i);
    if (input.truncation) truncations++;
    for (const m of input.mutations) {
      const k = m.split(/[ @:]/)[0]!;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    const r = checkInput(input);
    maxMs = Math.max(maxMs, r.ms);
    if (r.violations.length) failures.push(`--seed ${SEED} --only ${i} (${input.mutations.join('; ')}): ${r.violations.join(' | ')}`);
  }
  // The slice is only worth its time if it mixes every kind of damage.
  for (const k of ['truncate', 'length', 'type', 'linktype', 'duplicate', 'swap', 'shuffle', 'splice', 'bitflip', 'byterun', 'splice-bytes']) {
    assert.ok((kinds.get(k) ?? 0) > 0, `mutation kind ${k} was drawn`);
  }
  assert.ok(truncations > RUNS / 20, 'pure truncations were drawn');
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failing inputs (max ${maxMs.toFixed(0)} ms per input)`);
});
