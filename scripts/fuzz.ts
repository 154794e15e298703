import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInput, inputHash, makeInput, violationKey } from '../test/fuzz/fuzzer';

/**
 * npm run fuzz -- [--runs N] [--seed S] [--only I] [--no-save]
 *
 * Mutates built seed captures and drives the whole core over each input (see test/fuzz/fuzzer.ts). Prints every new
 * kind of invariant violation with the seed and iteration that reproduce it (--seed S --only I), saves the failing
 * inputs as regression fixtures (test/fixtures/fuzz-regressions/<hash>.bin, replayed by a unit test), and ends with
 * a summary. Exits 1 when anything failed.
 */

const USAGE = `usage: fuzz [--runs N] [--seed S] [--only I] [--no-save] [--keep] [--max-ms M]
  --runs N     inputs to try (default 10000)
  --seed S     run seed (default 1); iteration I of seed S is always the same input
  --only I     run just iteration I (reproduce a failure)
  --no-save    do not write failing inputs to test/fixtures/fuzz-regressions
  --keep       with --only: write the input there even when it passes (to pin a fixed bug)
  --max-ms M   time limit per input under 1 MB (default 2000)`;

interface Args {
  runs: number;
  seed: number;
  only?: number;
  save: boolean;
  keep: boolean;
  maxMs: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 10000, seed: 1, save: true, keep: false, maxMs: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a non-negative integer`);
      return v;
    };
    if (flag === '--runs') a.runs = num();
    else if (flag === '--seed') a.seed = num();
    else if (flag === '--only') a.only = num();
    else if (flag === '--max-ms') a.maxMs = num();
    else if (flag === '--no-save') a.save = false;
    else if (flag === '--keep') a.keep = true;
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  return a;
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const dir = join(process.cwd(), 'test', 'fixtures', 'fuzz-regressions');
  const from = args.only ?? 0;
  const to = args.only !== undefined ? args.only + 1 : args.runs;
  const unique = new Map<string, { count: number; first: string }>();
  let failedInputs = 0;
  let maxMs = 0;
  let maxMsAt = -1;
  let peakRss = 0;
  let bytes = 0;
  const t0 = Date.now();
  let lastProgress = t0;
  console.log(`fuzz: seed ${args.seed}, iterations ${from}..${to - 1}`);
  for (let i = from; i < to; i++) {
    const input = makeInput(args.seed, i);
    bytes += input.bytes.length;
    const r = checkInput(input, { maxMs: args.maxMs });
    if (r.ms > maxMs) {
      maxMs = r.ms;
      maxMsAt = i;
    }
    peakRss = Math.max(peakRss, r.rss);
    if (args.keep && args.only !== undefined) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${inputHash(input.bytes)}.bin`), input.bytes);
      console.log(`kept ${inputHash(input.bytes)}.bin: '${input.seedName}', ${input.mutations.join('; ')}`);
    }
    if (r.violations.length) {
      failedInputs++;
      let saved = '';
      if (args.save) {
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${inputHash(input.bytes)}.bin`);
        if (!existsSync(file)) writeFileSync(file, input.bytes);
        saved = ` saved ${file}`;
      }
      for (const v of r.violations) {
        const key = violationKey(v);
        const u = unique.get(key);
        if (u) {
          u.count++;
          continue;
        }
        const repro = `--seed ${args.seed} --only ${i}`;
        unique.set(key, { count: 1, first: repro });
        console.log(`FAIL [${repro}] seed capture '${input.seedName}', ${input.mutations.join('; ')} (${input.bytes.length} bytes)\n  ${v}${saved}`);
      }
    }
    const now = Date.now();
    if (now - lastProgress > 10000) {
      lastProgress = now;
      const done = i - from + 1;
      console.log(`  ${done}/${to - from} inputs, ${((now - t0) / 1000).toFixed(0)} s, ${failedInputs} failing, ${unique.size} unique, max ${maxMs.toFixed(0)} ms/input, rss ${(peakRss / 1048576).toFixed(0)} MiB`);
    }
  }
  const secs = (Date.now() - t0) / 1000;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(`\nfuzz summary: seed ${args.seed}, ${to - from} inputs (${(bytes / 1048576).toFixed(1)} MiB) in ${secs.toFixed(1)} s`);
  console.log(`  failing inputs: ${failedInputs}, unique failures: ${unique.size}`);
  for (const [k, u] of unique) console.log(`    ${u.count} x ${k}  (first: ${u.first})`);
  console.log(`  max time per input: ${maxMs.toFixed(1)} ms (iteration ${maxMsAt})`);
  console.log(`  peak RSS: ${(Math.max(peakRss, maxRss) / 1048576).toFixed(0)} MiB`);
  return failedInputs ? 1 : 0;
}

process.exitCode = main();
