import { Worker } from 'node:worker_threads';
import type { CaptureOverview } from '../protocol/messages';
import type { FromWorker, ToWorker, WorkerInput, WorkerMethod, WorkerRequestMap } from './workerProtocol';

export type AnalysisOutcome =
  | { kind: 'done'; overview: CaptureOverview }
  | { kind: 'unusable'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * One analysis worker seen from the extension host: an outcome promise, progress callbacks, and request/response
 * calls that always settle (a dead worker rejects whatever was pending).
 */
export class AnalysisClient {
  /**
   * Clients whose worker thread has not exited yet. Terminating is asynchronous: a client leaves this set only when
   * the thread is really gone, which is what the lifecycle tests check (closing an editor mid-parse ends the thread).
   */
  static readonly live = new Set<AnalysisClient>();
  readonly outcome: Promise<AnalysisOutcome>;
  /** Settles with the exit code once the worker thread has stopped, however it stopped. */
  readonly exited: Promise<number>;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private settle!: (o: AnalysisOutcome) => void;
  private ended = false;

  /** The capture file this worker analyses. */
  readonly path: string;

  constructor(workerScript: string, input: WorkerInput, onProgress: (bytesRead: number, totalBytes: number) => void) {
    this.path = input.path;
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.worker = new Worker(workerScript, { workerData: input });
    AnalysisClient.live.add(this);
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        AnalysisClient.live.delete(this);
        resolve(code);
      }),
    );
    this.worker.on('message', (m: FromWorker) => {
      // Messages the worker posted before it was terminated still arrive: a late progress report would put a
      // cancelled editor back to "Analysing…".
      if (this.ended) return;
      switch (m.type) {
        case 'progress':
          onProgress(m.bytesRead, m.totalBytes);
          break;
        case 'done':
          this.settle({ kind: 'done', overview: m.overview });
          break;
        case 'unusable':
          this.settle({ kind: 'unusable', reason: m.reason });
          break;
        case 'failed':
          this.settle({ kind: 'failed', reason: m.reason });
          break;
        case 'response': {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (p) m.ok ? p.resolve(m.result) : p.reject(new Error(m.error));
          break;
        }
      }
    });
    this.worker.on('error', (e) => this.end(`analysis crashed: ${e.message}`));
    this.worker.on('exit', (code) => this.end(code === 0 ? 'analysis ended' : `analysis stopped (exit code ${code})`));
  }

  request<M extends WorkerMethod>(method: M, params: WorkerRequestMap[M]['params']): Promise<WorkerRequestMap[M]['result']> {
    if (this.ended) return Promise.reject(new Error('the analysis is no longer running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, method, params } as ToWorker);
    });
  }

  /** Stops the worker at once, even in the middle of parsing: this is how an analysis is cancelled. */
  terminate(reason = 'cancelled'): void {
    this.end(reason);
    void this.worker.terminate();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.settle({ kind: 'failed', reason });
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }
}
