import type { AnalyzeOptions, CaptureAnalysis } from '../../src/core/analyzeCapture';
import { fullAnalysisParts } from '../../src/core/fullAnalysis';
import { analyzeFile } from '../../src/node/parallel';

/**
 * The passes the bench can time, by name. Each runs in its own child process (so peak RSS is the pass's own), on a
 * file source, and is timed from the first read to the end of `finish`. A new pass is one entry here, e.g.
 *   full: { description: 'flows + per-packet TCP analysis', options: () => ({ observers: [new TcpAnalyzer()] }) },
 */
export interface BenchPass {
  description: string;
  /** Built in the child, before the clock starts (passes that drive the file themselves give `run` instead). */
  options?(): AnalyzeOptions;
  /**
   * The whole pass over a file, timed: for passes that are not one analyzeCapture call (the parallel analysis).
   * `afterPassSeconds`: of that, the time after the last packet was read (end states, diagnostics' rules).
   */
  run?(file: string): { capture: CaptureAnalysis; afterPassSeconds?: number };
  /** Work after the streaming pass that belongs to it (summaries...); timed. */
  finish?(analysis: CaptureAnalysis): void;
}

/** A pass that runs the full analysis: its observers in the stream, its finishing step (states, rules) timed. */
function fullPass(description: string, withoutDiagnostics: boolean): BenchPass {
  let parts: ReturnType<typeof fullAnalysisParts> | undefined;
  return {
    description,
    options: () => {
      parts = fullAnalysisParts({ withoutDiagnostics });
      return { observers: parts.observers };
    },
    finish: (analysis) => void parts!.finish(analysis),
  };
}

export const PASSES: Record<string, BenchPass> = {
  flows: { description: 'read + decode + flow table (no packet index, no observers)', options: () => ({}) },
  // Each -nodiag pass comes before its pass with diagnostics: the table states what they add.
  'full-nodiag': fullPass('one thread: flows + Wireshark flags, endpoint states, Zeek, handshakes, RTT', true),
  full: fullPass('full-nodiag + the diagnostics collector and rules', false),
  'full-2t-nodiag': {
    description: 'the full analysis as the CLI and the extension run it: reader and analysis in two threads',
    run: (file) => twoThreads(file, true),
  },
  'full-2t': { description: 'full-2t-nodiag + the diagnostics collector and rules', run: (file) => twoThreads(file, false) },
};

function twoThreads(file: string, withoutDiagnostics: boolean): { capture: CaptureAnalysis; afterPassSeconds?: number } {
  const r = analyzeFile(file, { withoutDiagnostics });
  return { capture: r.capture, ...(r.waits ? { afterPassSeconds: r.waits.finishMs / 1000 } : {}) };
}

/** What a child reports on its last stdout line. */
export interface PassResult {
  pass: string;
  seconds: number;
  packets: number;
  tcpPackets: number;
  flows: number;
  bytesRead: number;
  maxRssKB: number;
  /** Of `seconds`, the time after the streaming pass (its finishing step: end states, diagnostics' rules). */
  afterPassSeconds: number | null;
  userSeconds: number;
  systemSeconds: number;
  captureErrors: number;
  malformed: number;
  unusable: string | null;
}
