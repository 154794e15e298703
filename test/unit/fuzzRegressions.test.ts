import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInput } from '../fuzz/fuzzer';

/**
 * Every input the fuzzer ever failed on (test/fixtures/fuzz-regressions/<hash>.bin, written by npm run fuzz) goes
 * through the whole core again and must now pass every invariant.
 */

const dir = join(process.cwd(), 'test', 'fixtures', 'fuzz-regressions');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.bin')).sort() : [];

test('the regression corpus is there', () => {
  assert.ok(files.length > 0, `no fixtures in ${dir} (run the tests from the repository root)`);
});

for (const f of files) {
  test(`fuzz regression ${f}`, () => {
    const bytes = new Uint8Array(readFileSync(join(dir, f)));
    const r = checkInput({ bytes });
    assert.deepEqual(r.violations, []);
  });
}
