import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { CaptureAnalysis } from '../core/analyzeCapture';
import { FlowTable } from '../core/analysis/flowTable';
import { ZeekConnTracker } from '../core/analysis/zeek';
import { HandshakeTracker } from '../core/analysis/handshake';
import { CaptureSideCollector } from '../core/diagnostics/captureSide';
import { HandshakeRules, type HandshakeRulesElsewhere, type HandshakeRulesInput, type RuleFindings } from '../core/diagnostics/rules';
import type { DiagnosticOptions } from '../core/diagnostics/types';
import { newPacketContext } from '../core/analysis/packetContext';
import { SegmentReplayer, segmentBatch, segmentBatchBytes, type SegmentBatch } from '../core/analysis/segments';
import { analyzeFull, fullAnalysisParts, type ElsewhereParts, type ElsewhereTracker, type FullAnalysis, type FullAnalysisOptions } from '../core/fullAnalysis';
import { openFileSource } from './fileSource';
import {
  C_CANCEL,
  C_COUNTS,
  C_READ,
  C_RULES,
  C_RULES_GO,
  C_STATE,
  C_WRITTEN,
  CONTROL_BYTES,
  F_BYTES_READ,
  F_REF_NSEC,
  F_REF_SEC,
  F_READER_WAIT_MS,
  MAX_SLOTS,
  ReaderState,
  RulesState,
  controlViews,
  type ReaderThreadData,
} from './segmentRing';

/**
 * Extra `observers` run in the analysis thread on replayed segments: they may read only the fields
 * src/core/analysis/segments.ts replays (no addresses, no packet bytes); the CLI's packet listing, which prints
 * addresses, runs analyzeFull instead.
 */
export interface FileAnalysisOptions extends FullAnalysisOptions {
  /**
   * Read and decode in a second thread while this one analyses (default true). Falls back to one thread when the
   * reader's script is not found beside this bundle.
   */
  parallel?: boolean;
  /** Path of the reader thread's bundle (readerThread.js); found beside the calling bundle by default. */
  readerScript?: string;
  /** Batches in flight between the threads, and segments per batch. */
  slots?: number;
  batchSegments?: number;
  /**
   * Trackers to run beside the reader rather than with the other observers, to even the two threads' load. By
   * default the handshake tracker and the diagnostics' capture side: with them there, each thread waits for the
   * other well under a second on the bench, where with Zeek's tracker there the analysis waits about two seconds
   * for the reader.
   */
  besideReader?: readonly ElsewhereTracker[];
  /**
   * With the handshake tracker and the capture side beside the reader (the default), run the diagnostics'
   * handshake rules there after the pass, while this thread runs the others (default true). Either way the
   * findings are the same.
   */
  rulesBesideReader?: boolean;
}


export interface FileAnalysis extends FullAnalysis {
  /** Whether the reader ran in its own thread. */
  parallel: boolean;
  /**
   * How the two threads shared the work: each one's time spent waiting for the other, and the time this thread
   * took after the reader's last segment to finish the analysis (end states, diagnostics' rules), in ms; and, of
   * that, how long it waited for the reader's share of the rules.
   */
  waits?: { analysisMs: number; readerMs: number; finishMs: number; rulesWaitMs: number };
  /** Whether the reader thread ran the diagnostics' handshake rules (see rulesBesideReader). */
  rulesBesideReader?: boolean;
}

/** The reader thread's bundle: dist/readerThread.js beside dist/cli.js and dist/worker.js, out/readerThread.js for tests. */
export function findReaderScript(from = __dirname): string | undefined {
  for (const dir of [from, join(from, '..'), join(from, '..', '..')]) {
    const p = join(dir, 'readerThread.js');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The full analysis of a capture file. On two cores the work splits at the segment: one thread reads, decodes and
 * numbers flows (the flows pass), this one runs Wireshark's sequence analysis, the state machines, Zeek, RTT and
 * the diagnostics on the segments it publishes. The result is the same FullAnalysis, bit for bit, as the
 * single-thread analyzeFull (test/unit/parallel.test.ts). Synchronous, like analyzeFull: this thread blocks on
 * Atomics.wait between batches, so call it from a CLI or a worker, never from an event loop that must stay live.
 */
export function analyzeFile(path: string, options: FileAnalysisOptions = {}): FileAnalysis {
  const script = options.parallel === false ? undefined : (options.readerScript ?? findReaderScript());
  if (!script) {
    const source = openFileSource(path);
    try {
      return { ...analyzeFull(source, options), parallel: false };
    } finally {
      source.close();
    }
  }
  // Fail here, with the system's error code, for what the reader thread could only report as a message.
  accessSync(path, constants.R_OK);
  const beside: readonly ElsewhereTracker[] = (options.besideReader ?? ['handshakes', 'captureSide']).filter(
    (t) => t !== 'captureSide' || !options.withoutDiagnostics,
  );
  const slots = Math.min(MAX_SLOTS, Math.max(2, options.slots ?? 32));
  const batchSegments = Math.max(1, options.batchSegments ?? 4096);
  const ring = new SharedArrayBuffer(slots * segmentBatchBytes(batchSegments));
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const { ints, floats } = controlViews(control);
  floats[F_REF_SEC] = NaN;
  const { port1, port2 } = new MessageChannel();
  const data: ReaderThreadData = {
    path,
    port: port2,
    ring,
    control,
    slots,
    batchSegments,
    keepPacketIndex: options.keepPacketIndex ?? false,
    beside,
    diagnostics: options.diagnostics ?? {},
    rules: options.rulesBesideReader !== false && !options.withoutDiagnostics && beside.includes('handshakes') && beside.includes('captureSide'),
    ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
  };
  const worker = new Worker(script, { workerData: data, transferList: [port2] });
  worker.unref();
  const batches: SegmentBatch[] = [];
  for (let i = 0; i < slots; i++) batches.push(segmentBatch(ring, i * segmentBatchBytes(batchSegments), batchSegments));
  const parts = fullAnalysisParts({ ...options, elsewhere: beside });
  const ctx = newPacketContext();
  ctx.fileSize = statSync(path).size;
  const replayer = new SegmentReplayer(parts.observers, ctx);
  let read = 0;
  let quietSince = Date.now();
  let waitMs = 0;
  try {
    for (;;) {
      const written = Atomics.load(ints, C_WRITTEN);
      if (read < written) {
        if (read === 0) {
          ctx.refSec = floats[F_REF_SEC]!;
          ctx.refNsec = floats[F_REF_NSEC]!;
        }
        const slot = read % slots;
        replayer.replay(batches[slot]!, ints[C_COUNTS + slot]!);
        Atomics.store(ints, C_READ, ++read);
        Atomics.notify(ints, C_READ);
        options.onProgress?.(floats[F_BYTES_READ]!);
        if (options.shouldStop?.()) Atomics.store(ints, C_CANCEL, 1);
        quietSince = Date.now();
        continue;
      }
      if (Atomics.load(ints, C_STATE) !== ReaderState.Running) {
        if (Atomics.load(ints, C_WRITTEN) === read) break;
        continue;
      }
      const t = performance.now();
      const woke = Atomics.wait(ints, C_WRITTEN, written, 250);
      waitMs += performance.now() - t;
      if (woke === 'timed-out') {
        // Slow storage is fine; a reader that died without a word (its script failed to load) is not.
        options.onProgress?.(floats[F_BYTES_READ]!);
        if (options.shouldStop?.()) Atomics.store(ints, C_CANCEL, 1);
        if (Date.now() - quietSince > 120_000) throw new Error('the capture reader thread stopped responding');
      }
    }
    const message = receiveMessageOnPort(port1)?.message as
      | { capture?: CaptureAnalysis; zeek?: unknown; handshakes?: unknown; captureSide?: unknown; error?: string }
      | undefined;
    if (!message?.capture) throw new Error(message?.error ?? 'the capture reader thread ended without a result');
    const capture = message.capture;
    capture.flows = FlowTable.revive(capture.flows);
    const elsewhere: ElsewhereParts = {};
    if (beside.includes('zeek')) elsewhere.zeek = ZeekConnTracker.revive(message.zeek);
    if (beside.includes('handshakes')) elsewhere.handshakes = HandshakeTracker.revive(message.handshakes);
    if (beside.includes('captureSide')) elsewhere.captureSide = CaptureSideCollector.revive(message.captureSide);
    const finishStart = performance.now();
    const readerRules = data.rules
      ? new ReaderRules(port1, ints, { analysis: capture, handshakes: elsewhere.handshakes!, captureSide: elsewhere.captureSide! }, options.diagnostics ?? {})
      : undefined;
    const full = parts.finish(capture, elsewhere, readerRules);
    const waits = { analysisMs: waitMs, readerMs: floats[F_READER_WAIT_MS]!, finishMs: performance.now() - finishStart, rulesWaitMs: readerRules?.waitMs ?? 0 };
    return { ...full, parallel: true, waits, rulesBesideReader: readerRules?.allFromReader ?? false };
  } finally {
    Atomics.store(ints, C_CANCEL, 1);
    Atomics.notify(ints, C_READ);
    port1.close();
    void worker.terminate();
  }
}

/**
 * The diagnostics' handshake rules as the reader thread runs them (readerThread.ts), on its own trackers while
 * this thread runs the other rules. Should the reader fail or go quiet, this thread runs them itself: it holds
 * the same trackers (shared memory).
 */
export class ReaderRules implements HandshakeRulesElsewhere {
  waitMs = 0;
  /** How many of the two parts (explain, rest) came from the reader. */
  fromReader = 0;
  private refused: Uint8Array = new Uint8Array(0);
  private local: HandshakeRules | undefined;
  private explainedHere = false;

  constructor(
    private readonly port: MessagePort,
    private readonly ints: Int32Array,
    private readonly input: HandshakeRulesInput,
    private readonly options: Partial<DiagnosticOptions>,
  ) {}

  /** Whether the reader ran the whole half: both parts came from it. */
  get allFromReader(): boolean {
    return this.fromReader === 2;
  }

  start(refused: Uint8Array): void {
    this.refused = refused;
    this.port.postMessage({ refused });
    Atomics.store(this.ints, C_RULES_GO, 1);
    Atomics.notify(this.ints, C_RULES_GO);
  }

  explain(): ReturnType<HandshakeRules['explain']> {
    const m = this.next(RulesState.Explained) as { explain?: ReturnType<HandshakeRules['explain']> } | undefined;
    if (m?.explain?.explained instanceof Uint8Array) {
      this.fromReader++;
      return m.explain;
    }
    this.explainedHere = true;
    return this.here().explain(this.refused);
  }

  rest(): RuleFindings {
    const m = this.next(RulesState.Rest) as { rest?: RuleFindings } | undefined;
    if (m?.rest) {
      this.fromReader++;
      return m.rest;
    }
    const here = this.here();
    if (!this.explainedHere) here.explain(this.refused);
    return here.rest();
  }

  /** The reader's next message once it has reached `state` (or failed); undefined if it went quiet. */
  private next(state: RulesState): unknown {
    const t = performance.now();
    let quietSince = Date.now();
    for (;;) {
      const now = Atomics.load(this.ints, C_RULES);
      if (now >= state) break;
      if (Atomics.wait(this.ints, C_RULES, now, 250) !== 'timed-out') quietSince = Date.now();
      else if (Date.now() - quietSince > 120_000) break;
    }
    this.waitMs += performance.now() - t;
    return receiveMessageOnPort(this.port)?.message;
  }

  private here(): HandshakeRules {
    this.local ??= new HandshakeRules(this.input, this.options);
    return this.local;
  }
}
