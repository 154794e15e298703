import type { AnalyzeOptions, CaptureAnalysis } from '../../src/core/analyzeCapture';

/**
 * The passes the bench can time, by name. Each runs in its own child process (so peak RSS is the pass's own), on a
 * file source, and is timed from the first read to the end of `finish`. A new pass is one entry here, e.g.
 *   full: { description: 'flows + per-packet TCP analysis', options: () => ({ observers: [new TcpAnalyzer()] }) },
 */
export interface BenchPass {
  description: string;
  /** Built in the child, before the clock starts. */
  options(): AnalyzeOptions;
  /** Work after the streaming pass that belongs to it (summaries...); timed. */
  finish?(analysis: CaptureAnalysis): void;
}

export const PASSES: Record<string, BenchPass> = {
  flows: { description: 'read + decode + flow table (no packet index, no observers)', options: () => ({}) },
};

/** What a child reports on its last stdout line. */
export interface PassResult {
  pass: string;
  seconds: number;
  packets: number;
  tcpPackets: number;
  flows: number;
  bytesRead: number;
  maxRssKB: number;
  userSeconds: number;
  systemSeconds: number;
  captureErrors: number;
  malformed: number;
  unusable: string | null;
}
