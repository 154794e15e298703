import type { CaptureOverview, FlowDetail, FlowSort, FlowsPage, LadderPage, PacketsPage, TimeFormat, TimelinePage, TimelineSummary } from '../protocol/messages';
import type { DiagnosticOptions } from '../core/diagnostics/types';
import type { FindingsPage, FlowFacets, FlowsWhere } from '../protocol/messages';
import type { PacketListText } from './captureModel';

/** Extension host <-> analysis worker messages. Types only; both ends import this file. */

export interface WorkerInput {
  path: string;
  packetLimit: number;
  /** The tcpscope.diagnostics.* settings. */
  diagnostics: Partial<DiagnosticOptions>;
}

export interface WorkerRequestMap {
  flows: { params: { offset: number; count: number; sort: FlowSort; filter: string; where?: FlowsWhere }; result: FlowsPage };
  locateFlow: { params: { stream: number; sort: FlowSort; filter: string; where?: FlowsWhere }; result: number };
  flowFacets: { params: Record<string, never>; result: FlowFacets };
  findings: { params: Record<string, never>; result: FindingsPage };
  packets: { params: { stream: number; offset: number; count: number }; result: PacketsPage };
  /** withText false: only the line map and findings (the text of a large list is megabytes the caller would drop). */
  packetList: { params: { stream: number; timeFormat: TimeFormat; withText?: boolean }; result: PacketListText };
  exportFlows: { params: { format: 'csv' | 'json' | 'zeek'; target: string }; result: null };
  flowDetail: { params: { stream: number }; result: FlowDetail };
  ladder: { params: { stream: number; offset: number; count: number }; result: LadderPage };
  timeline: { params: { offset: number; count: number }; result: TimelinePage };
  timelineLocate: { params: { seconds: number }; result: number };
  timelineIndexOf: { params: { stream: number }; result: number };
  timelineSummary: { params: { bins: number }; result: TimelineSummary };
}

export type WorkerMethod = keyof WorkerRequestMap;

export type ToWorker = { [M in WorkerMethod]: { id: number; method: M; params: WorkerRequestMap[M]['params'] } }[WorkerMethod];

export type FromWorker =
  | { type: 'progress'; bytesRead: number; totalBytes: number }
  | { type: 'done'; overview: CaptureOverview }
  | { type: 'unusable'; reason: string }
  | { type: 'failed'; reason: string }
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: string };
