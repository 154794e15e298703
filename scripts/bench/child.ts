import { analyzeCapture, type CaptureAnalysis } from '../../src/core/analyzeCapture';
import { openFileSource } from '../../src/node/fileSource';
import { PASSES, type PassResult } from './passes';

// Runs one named pass over one file and reports on stdout; a process of its own so maxRSS measures the pass alone.
const [name, file] = process.argv.slice(2);
const pass = name ? PASSES[name] : undefined;
if (!pass || !file) {
  process.stderr.write(`usage: child.js <${Object.keys(PASSES).join('|')}> <capture>\n`);
  process.exit(2);
}
const started = performance.now();
let analysis: CaptureAnalysis;
let afterPassSeconds: number | null = null;
if (pass.run) {
  const r = pass.run(file);
  analysis = r.capture;
  afterPassSeconds = r.afterPassSeconds ?? null;
} else {
  const options = pass.options!();
  const source = openFileSource(file);
  try {
    analysis = analyzeCapture(source, options);
    if (pass.finish) {
      const t = performance.now();
      pass.finish(analysis);
      afterPassSeconds = (performance.now() - t) / 1000;
    }
  } finally {
    source.close();
  }
}
const seconds = (performance.now() - started) / 1000;
const usage = process.resourceUsage();
const result: PassResult = {
  pass: name!,
  seconds,
  packets: analysis.facts.packets,
  tcpPackets: analysis.tcpPackets,
  flows: analysis.flows.count,
  bytesRead: analysis.facts.bytesRead,
  maxRssKB: usage.maxRSS,
  afterPassSeconds,
  userSeconds: usage.userCPUTime / 1e6,
  systemSeconds: usage.systemCPUTime / 1e6,
  captureErrors: analysis.facts.errors.length,
  malformed: analysis.problems.malformed,
  unusable: analysis.facts.unusable?.message ?? null,
};
process.stdout.write(JSON.stringify(result) + '\n');
