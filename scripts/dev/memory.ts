import { analyzeFile } from '../../src/node/parallel';

// Where a parallel full analysis' memory goes: V8 heap vs typed arrays, at the end of the pass.
const file = process.argv[2]!;
const r = analyzeFile(file, { withoutDiagnostics: process.argv.includes('--nodiag'), besideReader: (process.argv.find((a) => a.startsWith('--beside='))?.slice(9).split(',').filter(Boolean) ?? undefined) as never });
const m = process.memoryUsage();
const mb = (n: number) => (n / 1048576).toFixed(0);
console.log(`waits ${JSON.stringify(r.waits)}, flows ${r.capture.flows.count}: rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
