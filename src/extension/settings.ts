import * as vscode from 'vscode';
import type { TimeFormat } from '../protocol/messages';

export function packetLimitSetting(): number {
  const n = vscode.workspace.getConfiguration('tcpscope').get<number>('packetList.limit', 100000);
  return Math.max(1000, Math.min(5_000_000, Math.floor(Number.isFinite(n) ? n : 100000)));
}

export function timeFormatSetting(): TimeFormat {
  return vscode.workspace.getConfiguration('tcpscope').get<string>('packetList.timeFormat') === 'absolute' ? 'absolute' : 'relative';
}
