import * as vscode from 'vscode';
import { DEFAULT_DIAGNOSTIC_OPTIONS, type DiagnosticOptions } from '../core/diagnostics/types';
import type { TimeFormat } from '../protocol/messages';

export function packetLimitSetting(): number {
  const n = vscode.workspace.getConfiguration('tcpscope').get<number>('packetList.limit', 100000);
  return Math.max(1000, Math.min(5_000_000, Math.floor(Number.isFinite(n) ? n : 100000)));
}

export function timeFormatSetting(): TimeFormat {
  return vscode.workspace.getConfiguration('tcpscope').get<string>('packetList.timeFormat') === 'absolute' ? 'absolute' : 'relative';
}

/** Bucket widths divide time: zero would put every packet in its own bucket of nothing. */
const POSITIVE = new Set<keyof DiagnosticOptions>(['stormBucketSeconds', 'rstStormBucketSeconds']);

/**
 * The rule thresholds from the tcpscope.diagnostics.* settings (one per DiagnosticOptions key, same name). Values
 * that are not finite non-negative numbers (positive for bucket widths) are left out, so the rule keeps its default.
 */
export function diagnosticsSettings(): Partial<DiagnosticOptions> {
  const config = vscode.workspace.getConfiguration('tcpscope.diagnostics');
  const out: Partial<DiagnosticOptions> = {};
  for (const key of Object.keys(DEFAULT_DIAGNOSTIC_OPTIONS) as (keyof DiagnosticOptions)[]) {
    const v = config.get<unknown>(key);
    if (typeof v === 'number' && Number.isFinite(v) && (v > 0 || (v === 0 && !POSITIVE.has(key)))) out[key] = v;
  }
  return out;
}
