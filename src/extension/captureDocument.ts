import * as vscode from 'vscode';
import type { CaptureState, HostNotificationMap } from '../protocol/messages';
import { AnalysisClient } from './analysisClient';
import { packetLimitSetting } from './settings';

/** Files above this size get a cancellable notification while they are parsed (the panel always shows progress). */
const NOTIFY_PROGRESS_BYTES = 16 * 1024 * 1024;

type Broadcast = <M extends keyof HostNotificationMap>(method: M, params: HostNotificationMap[M]) => void;

/**
 * One capture file and its one analysis, shared by every view of it: all capture editors, the packet list
 * documents and the diagnostics. Reference counted: the custom editor holds one reference for all its panels
 * (VS Code calls openCustomDocument once per resource), each open packet list document holds one.
 */
export class CaptureDocument implements vscode.CustomDocument {
  private client: AnalysisClient | null = null;
  private _state: CaptureState;
  private refs = 0;
  private generation = 0;
  /** The flow last selected in a panel: the default for "copy Wireshark filter" and friends. */
  selectedStream = -1;
  private readonly views = new Set<Broadcast>();
  private readonly onDidChangeStateEmitter = new vscode.EventEmitter<CaptureState>();
  /** Fires on every state change, progress included. */
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  private readonly onDidAnalyzeEmitter = new vscode.EventEmitter<void>();
  /** Fires when an analysis finished (or failed): packet lists and diagnostics recompute. */
  readonly onDidAnalyze = this.onDidAnalyzeEmitter.event;
  private readyPromise: Promise<void> = Promise.resolve();

  constructor(
    readonly uri: vscode.Uri,
    private readonly workerScript: string,
    private readonly onDisposed: (doc: CaptureDocument) => void,
  ) {
    this._state = { state: 'loading', fileName: fileName(uri), bytesRead: 0, totalBytes: 0 };
  }

  get state(): CaptureState {
    return this._state;
  }

  /** Resolves when the current analysis has settled, whatever its outcome. */
  whenSettled(): Promise<void> {
    return this.readyPromise;
  }

  acquire(): this {
    this.refs++;
    return this;
  }

  /** Called by VS Code when the last editor of the capture closes, and by packet lists when they close. */
  dispose(): void {
    if (--this.refs > 0) return;
    this.client?.terminate('closed');
    this.client = null;
    this.onDidChangeStateEmitter.dispose();
    this.onDidAnalyzeEmitter.dispose();
    this.onDisposed(this);
  }

  addView(post: Broadcast): vscode.Disposable {
    this.views.add(post);
    return new vscode.Disposable(() => this.views.delete(post));
  }

  notifyViews: Broadcast = (method, params) => {
    for (const post of this.views) post(method, params);
  };

  /** The running analysis; throws when there is none, so a webview request gets a clear error reply. */
  analysis(): AnalysisClient {
    if (this._state.state !== 'ready' || !this.client) throw new Error('the capture is not analysed (yet)');
    return this.client;
  }

  /** Starts (or restarts) the analysis in a fresh worker. */
  analyze(): Promise<void> {
    this.client?.terminate('restarted');
    const gen = ++this.generation;
    const path = this.uri.fsPath;
    this.setState({ state: 'loading', fileName: fileName(this.uri), bytesRead: 0, totalBytes: 0 });
    const client = new AnalysisClient(this.workerScript, { path, packetLimit: packetLimitSetting() }, (bytesRead, totalBytes) => {
      if (gen === this.generation) this.setState({ state: 'loading', fileName: fileName(this.uri), bytesRead, totalBytes });
    });
    this.client = client;
    const run = async () => {
      const o = await client.outcome;
      if (gen !== this.generation) return;
      if (o.kind === 'done') this.setState({ state: 'ready', overview: o.overview });
      else this.setState({ state: 'failed', fileName: fileName(this.uri), reason: o.reason, unusable: o.kind === 'unusable' });
      this.onDidAnalyzeEmitter.fire();
    };
    this.readyPromise = run();
    void this.showProgressIfLarge(gen, client);
    return this.readyPromise;
  }

  cancel(): void {
    this.client?.terminate('cancelled');
  }

  private async showProgressIfLarge(gen: number, client: AnalysisClient): Promise<void> {
    let size = 0;
    try {
      size = (await vscode.workspace.fs.stat(this.uri)).size;
    } catch {
      return; // the worker reports the missing file
    }
    if (size < NOTIFY_PROGRESS_BYTES || gen !== this.generation) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `tcpscope: analysing ${fileName(this.uri)}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => client.terminate('cancelled'));
        let reported = 0;
        const sub = this.onDidChangeState((s) => {
          if (s.state !== 'loading' || !s.totalBytes) return;
          const pct = (100 * s.bytesRead) / s.totalBytes;
          progress.report({ increment: pct - reported, message: `${Math.floor(pct)} %` });
          reported = pct;
        });
        try {
          await client.outcome;
        } finally {
          sub.dispose();
        }
      },
    );
  }

  private setState(s: CaptureState): void {
    this._state = s;
    this.onDidChangeStateEmitter.fire(s);
    this.notifyViews('capture/changed', s);
  }
}

export function fileName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}
