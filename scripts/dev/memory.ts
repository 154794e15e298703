import { analyzeFile } from '../../src/node/parallel';

// Where a parallel full analysis' memory goes: V8 heap vs typed arrays, at the end of the pass.
const file = process.argv[2]!;
const r = analyzeFile(file, { withoutDiagnostics: process.argv.includes('--nodiag'), slots: Number(process.argv.find((a) => a.startsWith('--slots='))?.slice(8) ?? 8), batchSegments: Number(process.argv.find((a) => a.startsWith('--batch='))?.slice(8) ?? 4096), besideReader: (process.argv.find((a) => a.startsWith('--beside='))?.slice(9).split(',').filter(Boolean) ?? undefined) as never });
const m = process.memoryUsage();
const mb = (n: number) => (n / 1048576).toFixed(0);
console.log(`waits ${JSON.stringify(r.waits)}, flows ${r.capture.flows.count}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
// With --expose-gc, what is still live once the garbage left by growth and hand-over is collected.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  gc();
  const g = process.memoryUsage();
  console.log(`after gc: rss ${mb(g.rss)} external ${mb(g.external)} arrayBuffers ${mb(g.arrayBuffers)} (result kept: ${r.capture.flows.count > 0})`);
}
