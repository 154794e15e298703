import { relative } from 'node:path';
import * as vscode from 'vscode';
import { AnalysisClient } from './analysisClient';
import { CaptureDocument } from './captureDocument';
import { CaptureEditorProvider, type CaptureServices } from './captureEditorProvider';
import { CaptureDiagnostics } from './diagnostics';
import { PACKETS_SCHEME, PacketListProvider, packetListUri, parsePacketListUri } from './packetList';
import type { WorkerMethod, WorkerRequestMap } from './workerProtocol';

/**
 * Activation wires four things around one registry of live captures: the capture editor (webview panels), the
 * packet list documents, the diagnostics, and the commands. Every capture is analysed once, in a worker thread,
 * whatever number of views show it.
 */
export function activate(context: vscode.ExtensionContext): TcpscopeApi {
  // The bundles sit next to this file: dist/ when packaged, another folder for side-by-side dev builds.
  const distDir = relative(context.extensionPath, __dirname) || '.';
  const workerScript = vscode.Uri.joinPath(context.extensionUri, distDir, 'worker.js').fsPath;
  const live = new Map<string, CaptureDocument>();
  let active: CaptureDocument | undefined;

  const acquire = (uri: vscode.Uri): CaptureDocument => {
    const key = uri.toString();
    let doc = live.get(key);
    if (!doc) {
      const created = new CaptureDocument(uri, workerScript, (d) => {
        live.delete(key);
        if (active === d) active = undefined;
        diagnostics.clear(d);
      });
      created.onDidAnalyze(() => {
        packetLists.refreshCapture(created.uri);
        void diagnostics.publish(created).catch((e) => console.error('tcpscope: diagnostics failed', e));
      });
      live.set(key, created);
      doc = created;
      void created.analyze();
    }
    return doc.acquire();
  };

  const packetLists = new PacketListProvider({ acquire });
  const diagnostics = new CaptureDiagnostics(packetLists);

  /** Shows a flow (or frame) in a packet list: the whole-capture list when it holds the line, else the flow's own. */
  const reveal = async (doc: CaptureDocument, stream: number, frameNumber?: number): Promise<boolean> => {
    await doc.whenSettled();
    let uri = packetListUri(doc.uri);
    let map = await packetLists.lineMap(uri, doc);
    let line = frameNumber ? map.lineOfFrame(frameNumber) : map.firstLineOfStream(stream);
    if (line < 0 && stream >= 0) {
      uri = packetListUri(doc.uri, stream);
      map = await packetLists.lineMap(uri, doc);
      line = frameNumber ? map.lineOfFrame(frameNumber) : map.firstLineOfStream(stream);
    }
    if (line < 0) return false;
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const range = new vscode.Range(line, 0, line, 0);
    const editor = await vscode.window.showTextDocument(uri, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.Beside,
      preserveFocus: true,
      preview: false,
      selection: range,
    });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  };

  const exportFlows = async (doc: CaptureDocument, format?: 'csv' | 'json' | 'zeek', target?: vscode.Uri): Promise<boolean> => {
    await doc.whenSettled();
    const analysis = doc.analysis();
    if (!target) {
      const base = doc.uri.path.replace(/\.[^./]*$/, '');
      target = await vscode.window.showSaveDialog({
        title: 'Export TCP flows',
        defaultUri: doc.uri.with({ path: format === 'zeek' ? `${base}.conn.log` : `${base}.flows.${format ?? 'csv'}` }),
        filters: format === 'json' ? { JSON: ['json'] } : format === 'csv' ? { CSV: ['csv'] } : format === 'zeek' ? { 'Zeek conn.log': ['log'] } : { CSV: ['csv'], JSON: ['json'], 'Zeek conn.log': ['log'] },
      });
      if (!target) return false;
    }
    const lower = target.path.toLowerCase();
    const chosen = format ?? (lower.endsWith('.json') ? 'json' : lower.endsWith('.log') ? 'zeek' : 'csv');
    if (target.scheme !== 'file') throw new Error('flows can only be exported to a local file');
    await analysis.request('exportFlows', { format: chosen, target: target.fsPath });
    return true;
  };

  const copyFilter = async (stream: number): Promise<string> => {
    const filter = `tcp.stream eq ${stream}`;
    await vscode.env.clipboard.writeText(filter);
    void vscode.window.setStatusBarMessage(`Copied Wireshark filter: ${filter}`, 4000);
    return filter;
  };

  const services: CaptureServices = {
    acquire,
    reveal,
    exportFlows: (doc, format) => exportFlows(doc, format),
    copyFilter,
    setActive: (doc) => (active = doc),
  };

  /** The capture a command applies to: its argument, the active capture editor, or the active packet list's. */
  const captureFor = (arg: unknown): vscode.Uri | undefined => {
    if (arg instanceof vscode.Uri) return parsePacketListUri(arg)?.capture ?? arg;
    const editorUri = vscode.window.activeTextEditor?.document.uri;
    const fromList = editorUri && parsePacketListUri(editorUri)?.capture;
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (tab instanceof vscode.TabInputCustom && tab.viewType === CaptureEditorProvider.viewType) return tab.uri;
    return fromList ?? active?.uri;
  };

  /** Runs `fn` with the capture's document held, so a command on a capture no editor shows still works. */
  const withCapture = async <T>(arg: unknown, fn: (doc: CaptureDocument) => Promise<T>): Promise<T | undefined> => {
    const uri = captureFor(arg);
    if (!uri) {
      void vscode.window.showInformationMessage('tcpscope: open a capture (.pcap, .pcapng) first.');
      return undefined;
    }
    const doc = acquire(uri);
    try {
      return await fn(doc);
    } finally {
      doc.dispose();
    }
  };

  const askStream = async (doc: CaptureDocument, arg: unknown): Promise<number | undefined> => {
    if (typeof arg === 'number' && Number.isInteger(arg) && arg >= 0) return arg;
    const editorUri = vscode.window.activeTextEditor?.document.uri;
    if (editorUri?.scheme === PACKETS_SCHEME) {
      const map = await packetLists.knownLineMap(editorUri);
      const s = map?.at(vscode.window.activeTextEditor!.selection.active.line).stream ?? -1;
      if (s >= 0) return s;
    }
    if (doc.selectedStream >= 0) return doc.selectedStream;
    const input = await vscode.window.showInputBox({ title: 'TCP stream number', validateInput: (v) => (/^\d+$/.test(v) ? null : 'a stream number (tcp.stream)') });
    return input === undefined ? undefined : Number(input);
  };

  const showList = async (uri: vscode.Uri) => {
    const editor = await vscode.window.showTextDocument(uri, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    return editor.document.uri.toString();
  };

  context.subscriptions.push(
    packetLists,
    diagnostics,
    vscode.workspace.registerTextDocumentContentProvider(PACKETS_SCHEME, packetLists),
    vscode.window.registerCustomEditorProvider(CaptureEditorProvider.viewType, new CaptureEditorProvider(context.extensionUri, distDir, services), {
      // One analysis feeds every panel, so hidden panels keep nothing heavy; retaining context keeps scroll and
      // selection without a reload when a tab is switched.
      webviewOptions: { retainContextWhenHidden: true },
      supportsMultipleEditorsPerDocument: true,
    }),
    vscode.window.onDidChangeTextEditorSelection(async (e) => {
      const uri = e.textEditor.document.uri;
      const parsed = parsePacketListUri(uri);
      if (!parsed) return;
      const map = await packetLists.knownLineMap(uri);
      if (!map) return;
      const at = map.at(e.selections[0]!.active.line);
      if (at.stream < 0) return;
      const doc = live.get(parsed.capture.toString());
      if (!doc) return;
      doc.selectedStream = at.stream;
      doc.notifyViews('selection/changed', { stream: at.stream, frameNumber: at.frameNumber });
    }),
    vscode.commands.registerCommand('tcpscope.openPacketList', (arg?: unknown) =>
      withCapture(arg, async (doc) => showList(packetListUri(doc.uri))),
    ),
    vscode.commands.registerCommand('tcpscope.openFlowPacketList', (stream?: unknown, arg?: unknown) =>
      withCapture(arg, async (doc) => {
        await doc.whenSettled();
        const s = await askStream(doc, stream);
        return s === undefined ? undefined : showList(packetListUri(doc.uri, s));
      }),
    ),
    vscode.commands.registerCommand('tcpscope.exportFlows', (arg?: unknown, options?: { format?: 'csv' | 'json' | 'zeek'; target?: vscode.Uri }) =>
      withCapture(arg, (doc) => exportFlows(doc, options?.format, options?.target)),
    ),
    vscode.commands.registerCommand('tcpscope.copyWiresharkFilter', (stream?: unknown, arg?: unknown) =>
      withCapture(arg, async (doc) => {
        await doc.whenSettled();
        const s = await askStream(doc, stream);
        return s === undefined ? undefined : copyFilter(s);
      }),
    ),
    vscode.commands.registerCommand('tcpscope.reanalyze', (arg?: unknown) => withCapture(arg, (doc) => doc.analyze())),
    // Findings depend on the thresholds: every open capture is analysed again with the new ones.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('tcpscope.diagnostics')) return;
      for (const doc of live.values()) void doc.analyze();
    }),
  );

  return {
    captureState: (uri) => live.get(uri.toString())?.state,
    whenAnalyzed: async (uri) => {
      await live.get(uri.toString())?.whenSettled();
    },
    settledState: async (uri) => {
      const doc = live.get(uri.toString());
      await doc?.whenSettled();
      return doc?.state;
    },
    analysesStarted: (uri) => live.get(uri.toString())?.analysesStarted,
    liveWorkers: () => [...AnalysisClient.live].map((c) => c.path),
    workerRequest: async (uri, method, params) => {
      const doc = live.get(uri.toString());
      if (!doc) throw new Error(`${uri.toString()} is not open`);
      return doc.analysis().request(method, params);
    },
  };
}

/** Returned from activate() for the extension-host tests; not a public API. */
export interface TcpscopeApi {
  captureState(uri: vscode.Uri): CaptureDocument['state'] | undefined;
  whenAnalyzed(uri: vscode.Uri): Promise<void>;
  /** The state the current analysis of a capture ends in (kept even when the capture is closed meanwhile). */
  settledState(uri: vscode.Uri): Promise<CaptureDocument['state'] | undefined>;
  /** Analyses the live document of a capture started (undefined when no view holds it). */
  analysesStarted(uri: vscode.Uri): number | undefined;
  /** The files of the analysis worker threads that have not exited yet, over all captures. */
  liveWorkers(): string[];
  /** Asks a capture's analysis worker what a webview request would (flow detail, timeline pages...). */
  workerRequest<M extends WorkerMethod>(uri: vscode.Uri, method: M, params: WorkerRequestMap[M]['params']): Promise<WorkerRequestMap[M]['result']>;
}

export function deactivate(): void {
  // Workers end with their documents; VS Code disposes the subscriptions.
}
