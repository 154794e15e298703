import { readFileSync } from 'node:fs';
import { median, medianInterval, verdictAtMost } from './stats';

// The diagnostics' share over several bench runs at once:
//   node out/scripts/bench/pool.js [--pass full-2t|full] RESULTS.json...
// Each file is a copy of a run's last-results.json (npm run bench -- --passes full-2t-nodiag,full-2t ...), and
// --pass says which pass' share to read (the two-thread one unless told: a run of every pass has both). A single
// run sees one phase of the VM; rounds pooled from runs at different times estimate the share across its phases,
// with a narrower interval. Prints each run's median, interval and verdict, then the same for all rounds pooled.

interface DiagShare {
  pass: string;
  pairs: number[];
}

const TARGET = 0.15;
const args = process.argv.slice(2);
const at = args.indexOf('--pass');
const pass = at >= 0 ? args[at + 1] : 'full-2t';
const files = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
if (files.length === 0 || !pass) {
  console.error('usage: pool.js [--pass full-2t|full] RESULTS.json...');
  process.exit(2);
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const line = (name: string, pairs: number[]) => {
  const ci = medianInterval(pairs);
  const range = ci ? `${pct(ci.low)}..${pct(ci.high)}` : 'too few rounds for an interval';
  console.log(`${name}: ${pairs.length} rounds, median ${pct(median(pairs))}, 95% interval ${range}, ${verdictAtMost(pairs, TARGET)}`);
};

const all: number[] = [];
for (const file of files) {
  const result = JSON.parse(readFileSync(file, 'utf8')) as { date?: string; rows?: Array<{ detail?: { diagShare?: DiagShare } }> };
  const share = result.rows?.map((r) => r.detail?.diagShare).find((d) => d?.pass === pass);
  if (!share || !Array.isArray(share.pairs)) {
    console.error(`${file}: no diagnostics' share for ${pass} (run the bench with both ${pass}-nodiag and ${pass})`);
    process.exit(2);
  }
  line(`${file} (${result.date ?? 'no date'})`, share.pairs);
  all.push(...share.pairs);
}
if (files.length > 1) line('pooled', all);
