/**
 * The control block shared by the reader thread and the analysis thread (src/node/parallel.ts): a ring of
 * `slots` segment batches over one SharedArrayBuffer, and a few Int32 words that hand batches over with
 * Atomics.wait/notify. Batches are produced and consumed strictly in order; the reader never gets more than
 * `slots` batches ahead, so memory stays at the ring whatever the capture's size.
 */
export const C_WRITTEN = 0; // batches published by the reader
export const C_READ = 1; // batches the analysis is done with
export const C_STATE = 2; // ReaderState
export const C_CANCEL = 3; // set by the analysis thread: the reader stops at its next buffer fill
export const C_COUNTS = 8; // + slot: segments in that slot
export const CONTROL_INTS = 64;
// Float64 words after the Int32 ones.
export const F_BYTES_READ = 0;
export const F_REF_SEC = 1;
export const F_REF_NSEC = 2;
export const F_READER_WAIT_MS = 3; // time the reader spent waiting for a free slot
export const CONTROL_FLOATS = 4;
export const CONTROL_BYTES = CONTROL_INTS * 4 + CONTROL_FLOATS * 8;
export const MAX_SLOTS = CONTROL_INTS - C_COUNTS;

export const enum ReaderState {
  Running = 0,
  Done = 1,
  Failed = 2,
}

import type { ElsewhereTracker } from '../core/fullAnalysis';

export interface ReaderThreadData {
  path: string;
  /** Where the result (or the error) is posted: read synchronously with receiveMessageOnPort. */
  port: import('node:worker_threads').MessagePort;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  slots: number;
  batchSegments: number;
  keepPacketIndex: boolean;
  /** Trackers to run in the reader thread (handed over with the result). */
  beside: readonly ElsewhereTracker[];
  /** The diagnostics' time bucket width (the capture side counts data segments per bucket). */
  bucketSeconds: number;
  chunkSize?: number;
}

export function controlViews(control: SharedArrayBuffer): { ints: Int32Array; floats: Float64Array } {
  return { ints: new Int32Array(control, 0, CONTROL_INTS), floats: new Float64Array(control, CONTROL_INTS * 4, CONTROL_FLOATS) };
}
