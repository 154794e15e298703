// Lifecycle and load in a real extension host: the worker ends with its editor, a capture rewritten on disk is
// analysed again, editors of one file share one analysis, one bad file spoils nothing else, and the host's event
// loop keeps turning while a large capture loads (the parse must stay in the worker).
import * as assert from 'node:assert/strict';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as VSCode from 'vscode';
import { handshakes } from '../fixtures';
import { harness, sleep, until, workersOf } from './harness';

/**
 * The longest the extension host's event loop may stall while a large capture loads. Parsing this file on the host
 * thread would stall it for the whole analysis (2.4-4.4 s measured). With the parse in the worker, stalls measured
 * 70-80 ms on a quiet machine; with a load average of 9 on 2 cores the OS and the garbage collector alone reached
 * 300 ms, hence the margin.
 */
const MAX_STALL_MS = 500;

async function measureLoop(ms: number): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  await sleep(ms);
  loop.disable();
  return loop.max / 1e6;
}

/** Timer gaps above 40 ms with the capture state they happened in, to tell a parse on this thread from OS noise. */
function stallSampler(phase: () => string): { stop(): string } {
  const gaps: { ms: number; phase: string }[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 40) gaps.push({ ms: now - last, phase: phase() });
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return gaps.sort((x, y) => y.ms - x.ms).slice(0, 6).map((g) => `${g.ms.toFixed(0)} ms (${g.phase})`).join(', ') || 'none';
    },
  };
}

export function lifecycleSuite(vscode: typeof VSCode): void {
  const h = harness(vscode);
  suite('lifecycle and load', () => {
    const large = h.workspaceFile('large.pcap');

    teardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    test('the extension host stays responsive while a large capture loads', async () => {
      const meta = JSON.parse(readFileSync(h.workspaceFile('large.json').fsPath, 'utf8')) as { packets: number; flows: number; bytes: number };
      const a = await h.api();
      // The same host, idle, for comparison: on a loaded machine the OS alone delays the loop.
      const idle = await measureLoop(2000);
      const loop = monitorEventLoopDelay({ resolution: 10 });
      const phases = stallSampler(() => a.captureState(large)?.state ?? 'opening');
      loop.enable();
      const t0 = Date.now();
      await h.open(large);
      const s = await a.settledState(large);
      const analysed = Date.now() - t0;
      // Publishing diagnostics reads the packet list from the worker after the analysis: measure that too.
      await sleep(1500);
      loop.disable();
      const worst = phases.stop();
      assert.equal(s?.state, 'ready', JSON.stringify(s));
      const o = a.captureState(large)!.overview;
      assert.equal(o.packets, meta.packets);
      assert.equal(o.flows, meta.flows);
      const maxMs = loop.max / 1e6;
      console.log(
        `      event loop while loading ${(meta.bytes / 1e6).toFixed(0)} MB / ${meta.packets} packets (analysed in ${(analysed / 1000).toFixed(1)} s): ` +
          `longest stall ${maxMs.toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, mean ${(loop.mean / 1e6).toFixed(1)} ms; ` +
          `idle host: longest ${idle.toFixed(1)} ms; worst gaps by phase: ${worst}`,
      );
      assert.ok(maxMs < MAX_STALL_MS, `the extension host stalled ${maxMs.toFixed(0)} ms (limit ${MAX_STALL_MS} ms)`);
    });

    test('closing the editor mid-analysis terminates the worker', async () => {
      const a = await h.api();
      await until('the large capture of the previous test to close', () => a.captureState(large) === undefined && workersOf(a, large) === 0);
      await h.open(large);
      // Wait for the parse to be under way: a progress report with bytes read.
      await until('progress', () => {
        const s = a.captureState(large);
        return s?.state === 'loading' && (s.bytesRead ?? 0) > 0;
      });
      assert.equal(workersOf(a, large), 1);
      const settled = a.settledState(large);
      await h.close(large);
      const t = Date.now();
      await until('the worker thread to exit', () => workersOf(a, large) === 0, 5000);
      console.log(`      worker exited ${Date.now() - t} ms after the editor closed`);
      assert.deepEqual(await settled, { state: 'failed', fileName: 'large.pcap', reason: 'closed', unusable: false });
      assert.equal(a.captureState(large), undefined, 'the document is gone');
    });

    test('a capture changed on disk is analysed again', async () => {
      const uri = h.workspaceFile('changing.pcap');
      writeFileSync(uri.fsPath, handshakes(2));
      const s = await h.openAnalysed(uri);
      assert.equal(s.overview.flows, 2);
      const a = await h.api();
      assert.equal(a.analysesStarted(uri), 1);
      const opened = await vscode.commands.executeCommand<string>('tcpscope.openPacketList', uri);
      const list = await vscode.workspace.openTextDocument(vscode.Uri.parse(opened, true));
      assert.match(list.getText(), /^# changing\.pcap: 6 packets/);

      writeFileSync(uri.fsPath, handshakes(5));
      await until('the new analysis', () => a.captureState(uri)?.overview?.flows === 5, 20_000);
      assert.equal(a.captureState(uri)!.overview.packets, 15);
      assert.ok(a.analysesStarted(uri)! >= 2);
      // Views of the capture follow: the open packet list is recomputed.
      await until('the packet list to change', () => /^# changing\.pcap: 15 packets/.test(list.getText()));
    });

    test('a change event for the bytes already analysed does not analyse again', async () => {
      const uri = h.workspaceFile('written-then-opened.pcap');
      const bytes = handshakes(2);
      // Written just before it is opened: the watcher's event for this write may arrive after the analysis began.
      writeFileSync(uri.fsPath, bytes);
      // A whole-second time, which utimes sets back exactly below.
      const time = Math.floor(Date.now() / 1000) - 60;
      utimesSync(uri.fsPath, time, time);
      await h.openAnalysed(uri);
      const a = await h.api();
      await sleep(1500);
      assert.equal(a.analysesStarted(uri), 1, 'the late event of the write before opening');
      // The same bytes copied over it with their time kept (cp -p): nothing to analyse either.
      writeFileSync(uri.fsPath, bytes);
      utimesSync(uri.fsPath, time, time);
      assert.equal(statSync(uri.fsPath).mtimeMs, time * 1000);
      await sleep(1500);
      assert.equal(a.analysesStarted(uri), 1, 'the same file written again');
      assert.equal(a.captureState(uri)?.state, 'ready');
      await h.close(uri);
    });

    test('two editors on the same file share one analysis', async () => {
      const uri = h.workspaceFile('shared.pcap');
      writeFileSync(uri.fsPath, handshakes(3));
      const a = await h.api();
      await h.openAnalysed(uri, vscode.ViewColumn.One);
      await h.openAnalysed(uri, vscode.ViewColumn.Two);
      await until('two editors of the file', () => h.tabsOf(uri).length === 2);
      assert.equal(a.analysesStarted(uri), 1);
      assert.equal(workersOf(a, uri), 1);
      // Closing one keeps the analysis for the other; closing both ends it.
      await vscode.window.tabGroups.close(h.tabsOf(uri)[0]!);
      await sleep(300);
      assert.equal(a.captureState(uri)?.state, 'ready');
      assert.equal(workersOf(a, uri), 1);
      await h.close(uri);
      await until('the worker to exit', () => workersOf(a, uri) === 0, 5000);
    });

    test('an unusable file in one editor does not affect a good capture in another', async () => {
      const good = h.workspaceFile('problems.pcap');
      const bad = h.workspaceFile('not-a-capture.pcap');
      const before = await h.openAnalysed(good, vscode.ViewColumn.One);
      assert.equal(before.state, 'ready');
      const a = await h.api();
      const started = a.analysesStarted(good);
      const s = await h.openAnalysed(bad, vscode.ViewColumn.Two);
      assert.equal(s.state, 'failed');
      assert.equal(s.unusable, true);
      const after = a.captureState(good)!;
      assert.equal(after.state, 'ready');
      assert.deepEqual(after.overview, before.overview);
      assert.equal(a.analysesStarted(good), started);
      // The good capture's worker still answers.
      const opened = await vscode.commands.executeCommand<string>('tcpscope.openFlowPacketList', 1, good);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(opened, true));
      assert.match(doc.getText(), /TCP stream 1 /);
    });
  });
}
