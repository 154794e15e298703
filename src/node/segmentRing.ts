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
export const C_RULES_GO = 4; // set by the analysis thread once it has posted the refused streams (rules in the reader)
export const C_RULES = 5; // RulesState: how far the reader's rules got
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

/** Which of the diagnostics' handshake rules' results the reader has posted (after the capture's). */
export const enum RulesState {
  Pending = 0,
  Explained = 1,
  Rest = 2,
  Failed = 3,
}

import type { ElsewhereTracker } from '../core/fullAnalysis';
import type { DiagnosticOptions } from '../core/diagnostics/types';

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
  /** The diagnostics' options (the capture side counts data segments per bucket of their width). */
  diagnostics: Partial<DiagnosticOptions>;
  /**
   * Run the diagnostics' handshake rules here once the analysis thread has posted which streams were refused
   * (HandshakeRules; needs the handshake tracker and the capture side beside the reader). The reader's trackers
   * then live in shared memory, so both threads read them in place.
   */
  rules: boolean;
  chunkSize?: number;
}

export function controlViews(control: SharedArrayBuffer): { ints: Int32Array; floats: Float64Array } {
  return { ints: new Int32Array(control, 0, CONTROL_INTS), floats: new Float64Array(control, CONTROL_INTS * 4, CONTROL_FLOATS) };
}
