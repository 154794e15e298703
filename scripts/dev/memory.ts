import { readFileSync } from 'node:fs';
import { analyzeFile } from '../../src/node/parallel';

// Where a parallel full analysis' memory goes: V8 heap vs typed arrays, at the end of the pass.
const file = process.argv[2]!;
const t0 = performance.now();
const r = analyzeFile(file, { parallel: !process.argv.includes('--one-thread'), withoutDiagnostics: process.argv.includes('--nodiag'), rulesBesideReader: !process.argv.includes('--rules-here'), slots: Number(process.argv.find((a) => a.startsWith('--slots='))?.slice(8) ?? 8), batchSegments: Number(process.argv.find((a) => a.startsWith('--batch='))?.slice(8) ?? 4096), besideReader: (process.argv.find((a) => a.startsWith('--beside='))?.slice(9).split(',').filter(Boolean) ?? undefined) as never });
const wallMs = performance.now() - t0;
const m = process.memoryUsage();
const mb = (n: number) => (n / 1048576).toFixed(0);
console.log(`wall ${wallMs.toFixed(0)} ms, waits ${JSON.stringify(r.waits, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}, flows ${r.capture.flows.count}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
// With --expose-gc, what is still live once the garbage left by growth and hand-over is collected.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  const g = process.memoryUsage();
  console.log(`after gc: rss ${mb(g.rss)} external ${mb(g.external)} arrayBuffers ${mb(g.arrayBuffers)} (result kept: ${r.capture.flows.count > 0})`);
}
// With --smaps, the biggest mappings by resident size (what the process holds besides the typed arrays).
if (process.argv.includes('--smaps')) {
  const text = readFileSync('/proc/self/smaps', 'utf8');
  const maps: { name: string; size: number; rss: number }[] = [];
  let cur: { name: string; size: number; rss: number } | undefined;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) maps.push((cur = { name: head[1] || '[anon]', size: 0, rss: 0 }));
    else if (cur && line.startsWith('Size:')) cur.size = parseInt(line.slice(5), 10);
    else if (cur && line.startsWith('Rss:')) cur.rss = parseInt(line.slice(4), 10);
  }
  maps.sort((a, b) => b.rss - a.rss);
  for (const m of maps.slice(0, 25)) console.log(`${(m.rss / 1024).toFixed(1).padStart(8)} MiB rss of ${(m.size / 1024).toFixed(1).padStart(8)} MiB  ${m.name}`);
  console.log('anon total', (maps.filter((m) => m.name === '[anon]').reduce((x, m) => x + m.rss, 0) / 1024).toFixed(0), 'MiB in', maps.length, 'maps');
}
