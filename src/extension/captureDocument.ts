import { statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { CaptureState, HostNotificationMap } from '../protocol/messages';
import { AnalysisClient } from './analysisClient';
import { diagnosticsSettings, packetLimitSetting } from './settings';

/** Files above this size get a cancellable notification while they are parsed (the panel always shows progress). */
const NOTIFY_PROGRESS_BYTES = 16 * 1024 * 1024;
/** A changed file is analysed again once it has been quiet this long: a copy or a capture tool writes in many steps. */
const CHANGE_SETTLE_MS = 300;

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
  /** How many analyses this document started (one per open, change on disk or re-analyse; never one per view). */
  analysesStarted = 0;
  private disposed = false;
  private readonly watcher: vscode.Disposable | undefined;
  private changeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Size and mtime of the file when the current analysis started ('' when unknown). */
  private analysedStamp = '';

  constructor(
    readonly uri: vscode.Uri,
    private readonly workerScript: string,
    private readonly onDisposed: (doc: CaptureDocument) => void,
  ) {
    this._state = { state: 'loading', fileName: fileName(uri), bytesRead: 0, totalBytes: 0 };
    this.watcher = watchFile(uri, () => this.fileChanged());
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
    this.disposed = true;
    clearTimeout(this.changeTimer);
    this.watcher?.dispose();
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
    if (this.disposed) return Promise.resolve();
    this.analysesStarted++;
    this.client?.terminate('restarted');
    const gen = ++this.generation;
    const path = this.uri.fsPath;
    this.analysedStamp = fileStamp(this.uri);
    this.setState({ state: 'loading', fileName: fileName(this.uri), bytesRead: 0, totalBytes: 0 });
    const client = new AnalysisClient(this.workerScript, { path, packetLimit: packetLimitSetting(), diagnostics: diagnosticsSettings() }, (bytesRead, totalBytes) => {
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

  /** The file was written, replaced or deleted: what every view shows is out of date, so analyse it again. */
  private fileChanged(): void {
    if (this.disposed) return;
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      // The watcher reports writes late: the write that made a file just before it was opened can arrive after its
      // analysis started. Those bytes are the ones being analysed; only a different file is worth a new analysis.
      const now = fileStamp(this.uri);
      if (!now || now !== this.analysedStamp) void this.analyze();
    }, CHANGE_SETTLE_MS);
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

/**
 * Watches one file through VS Code's watcher (so it works for remote and WSL workspaces too). The pattern is the
 * whole folder, non-recursive, filtered to the file here: a file name used as a glob would misfire on names holding
 * glob syntax such as `[1]` or `{a,b}`.
 */
function watchFile(uri: vscode.Uri, onChange: () => void): vscode.Disposable | undefined {
  if (uri.scheme !== 'file') return undefined;
  const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), '*'));
  const mine = (e: vscode.Uri) => {
    if (e.fsPath === uri.fsPath) onChange();
  };
  return vscode.Disposable.from(w, w.onDidChange(mine), w.onDidCreate(mine), w.onDidDelete(mine));
}

/** Size and modification time of a local file ('' when it cannot be read, or is not local). */
function fileStamp(uri: vscode.Uri): string {
  if (uri.scheme !== 'file') return '';
  try {
    const s = statSync(uri.fsPath);
    return `${s.size}:${Math.trunc(s.mtimeMs)}`;
  } catch {
    return '';
  }
}

export function fileName(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}
