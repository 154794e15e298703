import { analyzeFile } from '../../src/node/parallel';
import { diagnose } from '../../src/core/diagnostics/rules';

// How much of the diagnostics' rules' time after the pass is their first run (V8 compiling them mid-run):
//   node out/scripts/dev/rules-warm.js <capture> [runs]
// runs a two-thread full analysis (its rules cold, split over both threads: finishMs), then the same rules again
// on this thread's result, all of them on this thread, `runs` times (default 4): the later runs are warm.
const file = process.argv[2];
if (!file) {
  console.error('usage: rules-warm.js <capture> [runs]');
  process.exit(2);
}
const runs = Number(process.argv[3] ?? 4);
const r = analyzeFile(file, { parallel: true });
console.log(`cold, split over two threads: finishMs ${Math.round(r.waits?.finishMs ?? NaN)}`);
const input = { analysis: r.capture, seq: r.seq, states: r.states, handshakes: r.handshakes, captureSide: r.captureSide, collector: r.collector };
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const findings = diagnose(input, {});
  console.log(`again on one thread, run ${i + 1}: ${Math.round(performance.now() - t0)} ms, ${findings.length} findings`);
}
