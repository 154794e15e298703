import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { FlowReporter, zeekConnLog } from '../../src/core/export/flowReport';
import type { FullAnalysis } from '../../src/core/fullAnalysis';
import { analyzeFile, findReaderScript } from '../../src/node/parallel';
import { listCaptures, sharedCapturesDir } from '../support/shared';

// The two-thread analysis must be the single-thread one, bit for bit: every frame's flags, every flow's report
// (states, transitions, Zeek, RTT, counters), the findings. Tiny batches and two slots make the ring wrap and the
// reader wait on every few packets, the cases a large batch would hide.

function fingerprint(full: FullAnalysis): string {
  const reporter = new FlowReporter(full);
  const flows = [];
  for (let s = 0; s < full.capture.flows.count; s++) flows.push(reporter.report(s));
  const frames = [];
  for (let f = 1; f <= full.capture.facts.packets; f++) frames.push(full.seq.flagsOfFrame(f));
  // What the diagnostics' collectors gathered, beyond what the findings show.
  const c = full.collector;
  const w = full.captureSide;
  const collected = {
    buckets: [...c.buckets],
    stalls: Array.from({ length: c.stallCount }, (_, k) => [c.stallStream[k], c.stallSide[k], c.stallStart[k], c.stallEnd[k], c.stallProbes[k], c.stallHow[k]]),
    runs: Array.from({ length: full.capture.flows.count * 2 }, (_, i) => c.runLength(i >> 1, i & 1)),
    dataBuckets: [...w.dataBuckets].map(([b, x]) => [b, x.dataSegments]),
    resets: Array.from(w.rstFrame.subarray(0, w.rstCount)),
    duplicates: [w.duplicates, w.duplicateFrames],
    moved: Array.from({ length: full.capture.flows.count }, (_, s) => w.clientMoved(s)),
  };
  return JSON.stringify({ facts: full.capture.facts, problems: full.capture.problems, flows, frames, findings: full.findings, zeek: zeekConnLog(full), collected });
}

const dir = sharedCapturesDir();
const files = [resolve('media/sample.pcapng'), ...(dir ? listCaptures(dir).map((f) => join(dir, f)) : [])];

test('the reader thread bundle is built beside the tests', () => {
  assert.ok(findReaderScript(), 'readerThread.js not found (npm run build)');
});

test('two threads give the single-thread analysis on every capture', () => {
  let compared = 0;
  for (const [i, file] of files.entries()) {
    const one = analyzeFile(file, { parallel: false, keepPerFrame: true });
    // Trackers may run beside the reader: each file tries one of the placements.
    // With the handshake tracker and the capture side there, the reader also runs the handshake rules.
    const beside = ([[], ['zeek', 'captureSide'], ['handshakes', 'captureSide'], ['captureSide'], ['zeek', 'handshakes'], ['zeek', 'handshakes', 'captureSide']] as const)[i % 6]!;
    const two = analyzeFile(file, { keepPerFrame: true, slots: 2, batchSegments: 3, besideReader: beside });
    assert.equal(one.parallel, false);
    assert.equal(two.parallel, true, file);
    assert.equal(fingerprint(two), fingerprint(one), file);
    compared++;
  }
  assert.ok(compared >= 1);
});

test('a missing file fails with the same error in both modes', () => {
  assert.throws(() => analyzeFile('/nonexistent/x.pcap', { parallel: false }), /ENOENT/);
  assert.throws(() => analyzeFile('/nonexistent/x.pcap'), /ENOENT/);
});

test('cancelling stops the reader and still returns what was analysed', () => {
  const file = files[files.length - 1]!;
  let polls = 0;
  const r = analyzeFile(file, { slots: 2, batchSegments: 1, chunkSize: 4096, shouldStop: () => ++polls > 2 });
  assert.equal(r.parallel, true);
  assert.ok(r.capture.stopped || r.capture.facts.bytesRead < 8192);
});
