// Runs inside a real VS Code extension host, with the extension under development loaded.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type * as VSCode from 'vscode';

const EXTENSION_ID = 'tcpscope.tcpscope';

// The extension host hands 'vscode' in (index.ts): a module-level import would make this file fail to load where
// there is none, and `node --test out/test/` loads every file under out/test.
let vscode: typeof VSCode;

interface Api {
  captureState(uri: VSCode.Uri): { state: string; overview?: any; reason?: string; unusable?: boolean } | undefined;
  whenAnalyzed(uri: VSCode.Uri): Promise<void>;
  workerRequest(uri: VSCode.Uri, method: string, params: unknown): Promise<any>;
}

function workspaceFile(name: string): VSCode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workbench opens a folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function api(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

async function openCapture(uri: VSCode.Uri) {
  await vscode.commands.executeCommand('vscode.openWith', uri, 'tcpscope.captureEditor');
  const a = await api();
  for (let i = 0; i < 200 && !a.captureState(uri); i++) await sleep(50);
  await a.whenAnalyzed(uri);
  return a.captureState(uri)!;
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function captureEditorSuite(api: typeof VSCode): void {
  vscode = api;
  suite('capture editor', defineTests);
}

function defineTests(): void {
  const capture = workspaceFile('problems.pcap');
  let listUri: VSCode.Uri;

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('opens a capture and analyses it in the worker', async () => {
    const s = await openCapture(capture);
    assert.equal(s.state, 'ready');
    assert.equal(s.overview.flows, 2);
    assert.equal(s.overview.packets, 11);
    assert.equal(s.overview.problems.malformed, 1);
    assert.equal(s.overview.errors[0].code, 'capture.truncated_record');
  });

  test('lists packets one per line', async () => {
    const opened = await vscode.commands.executeCommand<string>('tcpscope.openPacketList', capture);
    listUri = vscode.Uri.parse(opened, true);
    assert.equal(listUri.scheme, 'tcpscope-packets');
    const doc = await vscode.workspace.openTextDocument(listUri);
    const lines = doc.getText().split('\n');
    assert.match(lines[0]!, /^# problems\.pcap: 11 packets, \d+ TCP packets in 2 flows$/);
    const frame1 = lines.find((l) => /^\s+1\s/.test(l));
    assert.match(frame1!, /^\s+1\s+0\.000000 {2}10\.0\.0\.1:40000 -> 10\.0\.0\.2:80 {2}\[S\] seq=0 ack=0 len=0 win=65535 {2}stream 0$/);
    assert.match(lines.find((l) => /^\s+4\s/.test(l))!, /\[PA\] seq=1 ack=1 len=10 win=65535 {2}stream 0$/);
    assert.match(lines.find((l) => /^\s+11\s/.test(l))!, /10\.0\.0\.3:443 -> 10\.0\.0\.1:40001 {2}\[RA\] .* stream 1$/);
    assert.match(lines.find((l) => /^\s+5\s/.test(l))!, /! malformed tcp: /);
    assert.match(lines.find((l) => l.includes('capture error'))!, /capture error at byte \d+: .*packet record/);
  });

  test('publishes capture errors and packet problems on packet lines', async () => {
    const diags = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(listUri);
      return d.length >= 2 && d;
    });
    const doc = await vscode.workspace.openTextDocument(listUri);
    const byCode = new Map(diags.map((d) => [String(d.code), d]));
    const truncated = byCode.get('capture.truncated_record');
    assert.ok(truncated, 'truncated record diagnostic');
    assert.equal(truncated.severity, vscode.DiagnosticSeverity.Error);
    assert.match(doc.lineAt(truncated.range.start.line).text, /capture error at byte/);
    const related = truncated.relatedInformation?.[0];
    assert.ok(related);
    assert.equal(related.location.uri.toString(), listUri.toString());
    assert.match(doc.lineAt(related.location.range.start.line).text, /^\s+11\s/);
    const malformed = byCode.get('packet.malformed');
    assert.ok(malformed, 'malformed packet diagnostic');
    assert.equal(malformed.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(doc.lineAt(malformed.range.start.line).text, /^\s+5\s.*malformed/);
    assert.equal(malformed.source, 'tcpscope');
  });

  test('lists one flow in its own document', async () => {
    const opened = await vscode.commands.executeCommand<string>('tcpscope.openFlowPacketList', 1, capture);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(opened, true));
    const lines = doc.getText().trimEnd().split('\n');
    assert.match(lines[0]!, /TCP stream 1 \(10\.0\.0\.1:40001 -> 10\.0\.0\.3:443\), 2 packets {2}\[Wireshark: tcp\.stream eq 1\]/);
    assert.equal(lines.length, 4);
  });

  test('exports flows exactly as the CLI prints them', async () => {
    for (const format of ['csv', 'json'] as const) {
      const target = workspaceFile(`flows-export.${format}`);
      const saved = await vscode.commands.executeCommand<boolean>('tcpscope.exportFlows', capture, { format, target });
      assert.equal(saved, true);
      const written = readFileSync(target.fsPath, 'utf8');
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const cli = `${ext.extensionPath}/dist/cli.js`;
      if (existsSync(cli)) {
        const expected = execFileSync(process.execPath, [cli, 'flows', '--format', format, capture.fsPath], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'], // its warning about the cut record is expected
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        });
        assert.equal(written, expected);
      }
      if (format === 'csv') assert.match(written.split('\n')[1]!, /^0,10\.0\.0\.1:40000,10\.0\.0\.2:80,syn,/);
    }
  });

  test('the worker answers the ladder and the timeline of a flow', async () => {
    const a = await api();
    const d = await a.workerRequest(capture, 'flowDetail', { stream: 0 });
    // Frame 5's TCP header is damaged: counted in the flow, but not a packet of the ladder (as in the packet list).
    assert.deepEqual(
      d.packets.map((p: any) => `${p.frameNumber}:${p.flags.join('+')}:${p.seq}:${p.ack ?? '-'}:${p.role ?? ''}`),
      ['1:SYN:0:-:syn', '2:SYN+ACK:0:1:syn-ack', '3:ACK:1:1:handshake-ack', '4:PSH+ACK:1:1:', '6:ACK:1:11:', '7:FIN+ACK:11:1:fin-active', '8:FIN+ACK:1:12:fin-passive', '9:ACK:12:2:close-ack'],
    );
    assert.deepEqual(d.endpoints.map((e: any) => `${e.role} ${e.final}`), ['client TIME_WAIT', 'server CLOSED']);
    const refused = await a.workerRequest(capture, 'flowDetail', { stream: 1 });
    assert.deepEqual(refused.packets.map((p: any) => p.role), ['syn', 'rst-refused']);
    const page = await a.workerRequest(capture, 'timeline', { offset: 0, count: 10 });
    assert.deepEqual(page.rows.map((r: any) => `${r.stream} ${r.connState} ${r.outcome}`), ['0 SF normal', '1 REJ reset']);
    const sum = await a.workerRequest(capture, 'timelineSummary', { bins: 8 });
    assert.equal(sum.flows, 2);
    await assert.rejects(a.workerRequest(capture, 'flowDetail', { stream: 9 }), /no TCP stream 9/);
  });

  test('copies the Wireshark filter of a flow', async () => {
    const filter = await vscode.commands.executeCommand<string>('tcpscope.copyWiresharkFilter', 1, capture);
    assert.equal(filter, 'tcp.stream eq 1');
  });

  test('shows absolute times when the setting says so', async () => {
    const doc = await vscode.workspace.openTextDocument(listUri);
    const config = vscode.workspace.getConfiguration('tcpscope');
    const changed = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === listUri.toString()) {
          sub.dispose();
          resolve();
        }
      });
    });
    await config.update('packetList.timeFormat', 'absolute', vscode.ConfigurationTarget.Global);
    try {
      await changed;
      const frame1 = doc.getText().split('\n').find((l) => /^\s+1\s/.test(l));
      assert.match(frame1!, /^\s+1 2023-11-14T22:13:20\.000000000Z {2}10\.0\.0\.1:40000/);
    } finally {
      await config.update('packetList.timeFormat', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a diagnostics threshold setting re-analyses the capture with it', async () => {
    const a = await api();
    const codes = async () => ((await a.workerRequest(capture, 'findings', {})).findings as { code: string }[]).map((f) => f.code);
    assert.ok(!(await codes()).includes('tcp.handshake.slow'), 'a 2 ms handshake is not slow by default');
    const rows = await a.workerRequest(capture, 'flows', { offset: 0, count: 10, sort: { column: 'stream', descending: false }, filter: '', where: { connState: 'REJ' } });
    assert.deepEqual(rows.rows.map((r: any) => [r.stream, r.clientState, r.serverState, r.connState]), [[1, 'CLOSED', 'CLOSED', 'REJ']]);
    const config = vscode.workspace.getConfiguration('tcpscope.diagnostics');
    await config.update('slowHandshakeSeconds', 0.001, vscode.ConfigurationTarget.Global);
    try {
      // The change restarts the analysis (requests fail while it loads); wait for findings made with the new value.
      const end = Date.now() + 20_000;
      let seen: string[] = [];
      while (!seen.includes('tcp.handshake.slow') && Date.now() < end) {
        await sleep(50);
        seen = await codes().catch(() => []);
      }
      assert.ok(seen.includes('tcp.handshake.slow'), `the new threshold reached the rules: ${seen.join(', ')}`);
    } finally {
      await config.update('slowHandshakeSeconds', undefined, vscode.ConfigurationTarget.Global);
      const end = Date.now() + 20_000;
      while ((await codes().catch(() => ['tcp.handshake.slow'])).includes('tcp.handshake.slow') && Date.now() < end) await sleep(50);
    }
  });

  test('re-analyses on demand', async () => {
    const a = await api();
    await vscode.commands.executeCommand('tcpscope.reanalyze', capture);
    await a.whenAnalyzed(capture);
    assert.equal(a.captureState(capture)?.state, 'ready');
  });

  test('an unusable file says why', async () => {
    const bad = workspaceFile('not-a-capture.pcap');
    const s = await openCapture(bad);
    assert.equal(s.state, 'failed');
    assert.equal(s.unusable, true);
    assert.ok(s.reason && s.reason.length > 5, s.reason);
    const d = await until('unusable diagnostic', () => vscode.languages.getDiagnostics(bad)[0]);
    assert.equal(d.code, 'capture.unusable');
  });
}
