// What the lifecycle and injection suites share: the extension's test API and waiting helpers. The extension host
// hands 'vscode' in (see index.ts); nothing here imports it at module level.
import * as assert from 'node:assert/strict';
import type * as VSCode from 'vscode';

export const EXTENSION_ID = 'tcpscope.tcpscope';
export const VIEW_TYPE = 'tcpscope.captureEditor';

/** The shape of TcpscopeApi (src/extension/extension.ts) as the tests use it. */
export interface Api {
  captureState(uri: VSCode.Uri): { state: string; overview?: any; reason?: string; unusable?: boolean; bytesRead?: number } | undefined;
  whenAnalyzed(uri: VSCode.Uri): Promise<void>;
  settledState(uri: VSCode.Uri): Promise<{ state: string; reason?: string } | undefined>;
  analysesStarted(uri: VSCode.Uri): number | undefined;
  liveWorkers(): string[];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Worker threads alive for this file (an ended one leaves the list only when its thread has really exited). */
export function workersOf(a: Api, uri: VSCode.Uri): number {
  return a.liveWorkers().filter((p) => p === uri.fsPath).length;
}

export function harness(vscode: typeof VSCode) {
  const api = async (): Promise<Api> => {
    const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    return ext.isActive ? ext.exports : ext.activate();
  };
  const workspaceFile = (name: string): VSCode.Uri => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the test workbench opens a folder');
    return vscode.Uri.joinPath(folder.uri, name);
  };
  /** Opens the capture editor and waits until its document exists (not until it is analysed). */
  const open = async (uri: VSCode.Uri, column: VSCode.ViewColumn = vscode.ViewColumn.Active) => {
    await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE, column);
    const a = await api();
    await until(`a document for ${uri.path}`, () => a.captureState(uri));
    return a;
  };
  const openAnalysed = async (uri: VSCode.Uri, column?: VSCode.ViewColumn) => {
    const a = await open(uri, column);
    await a.whenAnalyzed(uri);
    return a.captureState(uri)!;
  };
  const tabsOf = (uri: VSCode.Uri) =>
    vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputCustom && t.input.uri.toString() === uri.toString());
  const close = async (uri: VSCode.Uri) => {
    await vscode.window.tabGroups.close(tabsOf(uri));
  };
  return { api, workspaceFile, open, openAnalysed, tabsOf, close };
}
