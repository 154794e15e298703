import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  MAX_FLOW_PAGE,
  MAX_PACKET_PAGE,
  MAX_LADDER_PAGE,
  MAX_TIMELINE_BINS,
  MAX_TIMELINE_PAGE,
  type FlowsWhere,
  type HostNotificationMap,
  type HostToWebview,
  type RequestMap,
  type RequestMethod,
  type WebviewToHost,
} from '../protocol/messages';
import type { CaptureDocument } from './captureDocument';
import { timeFormatSetting } from './settings';
import { webviewHtml } from './webviewHtml';

/** What the panels need from the rest of the extension (kept narrow so the provider stays about panels). */
export interface CaptureServices {
  acquire(uri: vscode.Uri): CaptureDocument;
  reveal(doc: CaptureDocument, stream: number, frameNumber?: number): Promise<boolean>;
  exportFlows(doc: CaptureDocument, format?: 'csv' | 'json' | 'zeek'): Promise<boolean>;
  copyFilter(stream: number): Promise<string>;
  setActive(doc: CaptureDocument): void;
}

type Handlers = { [M in RequestMethod]: (params: RequestMap[M]['params']) => Promise<RequestMap[M]['result']> | RequestMap[M]['result'] };

export class CaptureEditorProvider implements vscode.CustomReadonlyEditorProvider<CaptureDocument> {
  static readonly viewType = 'tcpscope.captureEditor';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly distDir: string,
    private readonly services: CaptureServices,
  ) {}

  openCustomDocument(uri: vscode.Uri): CaptureDocument {
    return this.services.acquire(uri);
  }

  resolveCustomEditor(doc: CaptureDocument, panel: vscode.WebviewPanel): void {
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, this.distDir, 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [webviewRoot] };
    panel.webview.html = webviewHtml({
      cspSource: panel.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'main.css')).toString(),
      title: doc.uri.path.slice(doc.uri.path.lastIndexOf('/') + 1),
    });

    let ready = false;
    // A request can settle after its panel closed (the worker was terminated with it): that answer has nowhere to
    // go, and touching a disposed panel's webview throws.
    let disposed = false;
    const post = (m: HostToWebview) => {
      if (!disposed) void panel.webview.postMessage(m).then(undefined, () => undefined);
    };
    const notify = <M extends keyof HostNotificationMap>(method: M, params: HostNotificationMap[M]) => {
      // The webview is not listening before it said ready: posting earlier would be lost.
      if (ready) post({ kind: 'notification', method, params } as HostToWebview);
    };
    const handlers = this.handlers(doc);
    const subscriptions: vscode.Disposable[] = [
      // Only a panel on screen turns to its Flows tab for the packet list's cursor; a hidden one keeps its tab.
      doc.addView((method, params) =>
        method === 'selection/changed' ? notify('selection/changed', { ...(params as HostNotificationMap['selection/changed']), show: panel.visible }) : notify(method, params),
      ),
      panel.webview.onDidReceiveMessage(async (m: WebviewToHost) => {
        if (!m || typeof m !== 'object') return;
        if (m.kind === 'notification') {
          if (m.method === 'ready') {
            ready = true;
            notify('settings/changed', { timeFormat: timeFormatSetting() });
            notify('capture/changed', doc.state);
          } else if (m.method === 'flow/selected') {
            doc.selectedStream = m.params.stream;
          }
          return;
        }
        if (m.kind !== 'request') return;
        try {
          const handler = handlers[m.method] as (p: unknown) => unknown;
          if (!handler) throw new Error(`unknown request ${String(m.method)}`);
          const result = await handler(m.params ?? {});
          post({ kind: 'response', id: m.id, ok: true, result });
        } catch (e) {
          post({ kind: 'response', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
        }
      }),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) this.services.setActive(doc);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('tcpscope.packetList.timeFormat')) notify('settings/changed', { timeFormat: timeFormatSetting() });
      }),
    ];
    this.services.setActive(doc);
    panel.onDidDispose(() => {
      disposed = true;
      subscriptions.forEach((s) => s.dispose());
    });
  }

  private handlers(doc: CaptureDocument): Handlers {
    return {
      'capture/get': () => doc.state,
      'flows/get': (p) =>
        doc.analysis().request('flows', { offset: p.offset, count: Math.min(p.count, MAX_FLOW_PAGE), sort: p.sort, filter: String(p.filter ?? ''), where: flowsWhere(p.where) }),
      'flows/locate': async (p) => ({
        index: await doc.analysis().request('locateFlow', { stream: p.stream, sort: p.sort, filter: String(p.filter ?? ''), where: flowsWhere(p.where) }),
      }),
      'flows/facets': () => doc.analysis().request('flowFacets', {}),
      'findings/get': () => doc.analysis().request('findings', {}),
      'packets/get': (p) => doc.analysis().request('packets', { stream: p.stream, offset: p.offset, count: Math.min(p.count, MAX_PACKET_PAGE) }),
      'flow/reveal': async (p) => ({ revealed: await this.services.reveal(doc, p.stream, p.frameNumber) }),
      'flow/detail': (p) => doc.analysis().request('flowDetail', { stream: Number(p.stream) }),
      'flow/ladder': (p) =>
        doc.analysis().request('ladder', { stream: Number(p.stream), offset: Number(p.offset), count: Math.min(Number(p.count), MAX_LADDER_PAGE) }),
      'timeline/get': (p) => doc.analysis().request('timeline', { offset: Number(p.offset), count: Math.min(Number(p.count), MAX_TIMELINE_PAGE) }),
      'timeline/locate': async (p) => ({ index: await doc.analysis().request('timelineLocate', { seconds: Number(p.seconds) }) }),
      'timeline/indexOf': async (p) => ({ index: await doc.analysis().request('timelineIndexOf', { stream: Number(p.stream) }) }),
      'timeline/summary': (p) => doc.analysis().request('timelineSummary', { bins: Math.min(Number(p.bins), MAX_TIMELINE_BINS) }),
      'flow/copyFilter': async (p) => ({ filter: await this.services.copyFilter(p.stream) }),
      'flows/export': async (p) => ({ saved: await this.services.exportFlows(doc, p.format) }),
      'capture/reanalyze': async () => {
        void doc.analyze();
        return {};
      },
      'capture/cancel': () => {
        doc.cancel();
        return {};
      },
      'capture/reopenWith': async () => {
        await vscode.commands.executeCommand('vscode.openWith', doc.uri, 'default');
        return {};
      },
    };
  }
}

/** Only string conditions cross to the worker, whatever the webview sent. */
function flowsWhere(w: unknown): FlowsWhere {
  const out: FlowsWhere = {};
  if (!w || typeof w !== 'object') return out;
  for (const k of ['endpoint', 'clientState', 'serverState', 'connState', 'finding'] as const) {
    const v = (w as Record<string, unknown>)[k];
    if (typeof v === 'string' && v) out[k] = v.slice(0, 200);
  }
  return out;
}
