import type { CaptureOverview, FlowSort, FlowsPage, PacketsPage, TimeFormat } from '../protocol/messages';
import type { PacketListText } from './captureModel';

/** Extension host <-> analysis worker messages. Types only; both ends import this file. */

export interface WorkerInput {
  path: string;
  packetLimit: number;
}

export interface WorkerRequestMap {
  flows: { params: { offset: number; count: number; sort: FlowSort; filter: string }; result: FlowsPage };
  locateFlow: { params: { stream: number; sort: FlowSort; filter: string }; result: number };
  packets: { params: { stream: number; offset: number; count: number }; result: PacketsPage };
  packetList: { params: { stream: number; timeFormat: TimeFormat }; result: PacketListText };
  exportFlows: { params: { format: 'csv' | 'json' | 'zeek'; target: string }; result: null };
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
