// The host's side of the analysis worker, with the real worker bundle in a real worker thread: progress arrives
// while a large file is parsed, cancelling mid-parse ends the thread and settles everything pending, and a finished
// analysis answers requests until it is terminated. (The VS Code progress notification's Cancel button calls the
// same terminate; the UI test clicks it.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureCapture } from '../../scripts/bench/generate';
import { AnalysisClient } from '../../src/extension/analysisClient';
import { problemCapture } from '../e2e/fixtures';

const workerScript = resolve(process.env.TCPSCOPE_DIST || 'dist', 'worker.js');
const missing = existsSync(workerScript) ? '' : `no worker bundle at ${workerScript} (npm run build)`;

describe('AnalysisClient with a real worker thread', { skip: missing || undefined, timeout: 180_000 }, () => {
  let dir: string;
  let large: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcpscope-client-'));
    // About 180 MB and half a million packets: long enough to be caught mid-parse, quick to write.
    large = ensureCapture(dir, 'flows', 0.05).path;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reports progress while parsing; terminate() mid-parse cancels and the thread exits', async () => {
    const progress: [number, number][] = [];
    let client!: AnalysisClient;
    const caught = new Promise<void>((resolveCaught) => {
      client = new AnalysisClient(workerScript, { path: large, packetLimit: 100_000, diagnostics: {} }, (bytesRead, totalBytes) => {
        progress.push([bytesRead, totalBytes]);
        if (progress.length === 2) resolveCaught();
      });
    });
    assert.ok(AnalysisClient.live.has(client));
    // An analysis that ends before its second progress report fails the test with its outcome, never hangs it.
    const first = await Promise.race([caught.then(() => 'progress'), client.outcome.then((o) => `ended first: ${JSON.stringify(o)}`)]);
    assert.equal(first, 'progress', JSON.stringify(progress));
    const size = statSync(large).size;
    assert.ok(progress.every(([, total]) => total === size));
    assert.ok(progress[0]![0] > 0 && progress[1]![0] > progress[0]![0] && progress[1]![0] < size, JSON.stringify(progress));
    // A request sent before the analysis finished is refused when it is cancelled, never left hanging.
    const pending = client.request('flows', { offset: 0, count: 10, sort: { column: 'stream', descending: false }, filter: '' });
    const t = performance.now();
    client.terminate('cancelled');
    assert.deepEqual(await client.outcome, { kind: 'failed', reason: 'cancelled' });
    await assert.rejects(pending, /cancelled/);
    assert.equal(await client.exited, 1);
    assert.ok(!AnalysisClient.live.has(client));
    const ms = performance.now() - t;
    assert.ok(ms < 2000, `thread ended ${ms.toFixed(0)} ms after terminate`);
    await assert.rejects(client.request('flows', { offset: 0, count: 1, sort: { column: 'stream', descending: false }, filter: '' }), /no longer running/);
  });

  test('nothing the worker posted before terminate() reaches the host after it', async () => {
    // A worker that floods progress: once terminated, the messages still queued must not report progress (a late
    // report would put a cancelled editor back to "Analysing…").
    const chatty = join(dir, 'chatty.js');
    writeFileSync(chatty, "const { parentPort } = require('node:worker_threads');\nfor (;;) parentPort.postMessage({ type: 'progress', bytesRead: 1, totalBytes: 2 });\n");
    let late = 0;
    let client!: AnalysisClient;
    let cancelled = false;
    await new Promise<void>((resolveFirst) => {
      client = new AnalysisClient(chatty, { path: large, packetLimit: 1, diagnostics: {} }, () => {
        if (cancelled) {
          late++;
          return;
        }
        cancelled = true;
        client.terminate('cancelled');
        resolveFirst();
      });
    });
    assert.deepEqual(await client.outcome, { kind: 'failed', reason: 'cancelled' });
    await client.exited;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(late, 0);
  });

  test('a finished analysis answers requests until it is terminated', async () => {
    const path = join(dir, 'problems.pcap');
    writeFileSync(path, problemCapture());
    const client = new AnalysisClient(workerScript, { path, packetLimit: 1000, diagnostics: {} }, () => undefined);
    const o = await client.outcome;
    assert.equal(o.kind, 'done');
    assert.equal(o.kind === 'done' && o.overview.flows, 2);
    const page = await client.request('flows', { offset: 0, count: 10, sort: { column: 'stream', descending: false }, filter: '' });
    assert.equal(page.total, 2);
    client.terminate('closed');
    await client.exited;
    assert.ok(!AnalysisClient.live.has(client));
  });

  test('an unusable file settles as unusable; the worker keeps no model', async () => {
    const path = join(dir, 'text.pcap');
    writeFileSync(path, 'not a capture\n');
    const client = new AnalysisClient(workerScript, { path, packetLimit: 1000, diagnostics: {} }, () => undefined);
    const o = await client.outcome;
    assert.equal(o.kind, 'unusable');
    await assert.rejects(client.request('flows', { offset: 0, count: 1, sort: { column: 'stream', descending: false }, filter: '' }), /not analysed/);
    client.terminate();
    await client.exited;
  });
});
