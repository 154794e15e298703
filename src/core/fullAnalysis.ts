import { analyzeCapture, type AnalyzeOptions, type CaptureAnalysis, type TcpPacketObserver } from './analyzeCapture';
import type { ByteSource } from './capture/source';
import { EndpointStateTracker } from './analysis/endpointStates';
import { HandshakeTracker } from './analysis/handshake';
import { RttCollector } from './analysis/rtt';
import { SequenceAnalyzer } from './analysis/seqAnalysis';
import { ZeekConnTracker } from './analysis/zeek';
import { CaptureSideCollector } from './diagnostics/captureSide';
import { DiagnosticsCollector } from './diagnostics/collector';
import { diagnose, type HandshakeRulesElsewhere } from './diagnostics/rules';
import type { DiagnosticOptions, Finding } from './diagnostics/types';

/**
 * Everything tcpscope knows about a capture after one pass: the flow table, Wireshark's per-packet verdicts,
 * both endpoints' state machines, Zeek's vocabulary, handshake timing and the diagnostics. The CLI, the
 * extension's worker, the benchmark and the tests all come through here, so they cannot disagree.
 */
export interface FullAnalysis {
  capture: CaptureAnalysis;
  seq: SequenceAnalyzer;
  states: EndpointStateTracker;
  handshakes: HandshakeTracker;
  zeek: ZeekConnTracker;
  rtt: RttCollector;
  /** The diagnostics' per-packet facts: those that need only the capture, and those that need the verdicts. */
  captureSide: CaptureSideCollector;
  collector: DiagnosticsCollector;
  findings: Finding[];
}

export interface FullAnalysisOptions extends Omit<AnalyzeOptions, 'observers'> {
  /** Keep every frame's analysis flags (needed to list packets with their verdicts later). */
  keepPerFrame?: boolean;
  diagnostics?: Partial<DiagnosticOptions>;
  /**
   * Extra observers run after the built-in ones, in the same pass; they get the built-ins so they can read their
   * verdict for the packet (lastFlags, lastAckRtt...).
   */
  observers?: (builtIn: { seq: SequenceAnalyzer; states: EndpointStateTracker }) => TcpPacketObserver[];
  /** Skip the diagnostics collector and rules (to measure what they cost). */
  withoutDiagnostics?: boolean;
  /**
   * Trackers that observe the pass elsewhere (beside the reader of a parallel pass, which hands them over to
   * finish()): left out of this pass's observers. Only those that need nothing from the sequence analysis.
   */
  elsewhere?: readonly ElsewhereTracker[];
}

/** The built-in trackers that can run beside the reader of a parallel pass. */
export type ElsewhereTracker = 'zeek' | 'handshakes' | 'captureSide';
export interface ElsewhereParts {
  zeek?: ZeekConnTracker;
  handshakes?: HandshakeTracker;
  captureSide?: CaptureSideCollector;
}

/** The built-in observers of one pass, before the capture is finished. */
type Parts = Omit<FullAnalysis, 'capture' | 'findings'> & { observers: TcpPacketObserver[] };

function parts(options: FullAnalysisOptions): Parts {
  const seq = new SequenceAnalyzer({ keepPerFrame: options.keepPerFrame ?? false });
  const states = new EndpointStateTracker();
  const handshakes = new HandshakeTracker();
  const zeek = new ZeekConnTracker();
  const rtt = new RttCollector(seq);
  const bucketSeconds = options.diagnostics?.stormBucketSeconds ?? 1;
  // The collector reads the sequence analyzer's verdict for the same packet, and the capture side's: it must come
  // after both.
  const captureSide = new CaptureSideCollector({ bucketSeconds });
  const collector = new DiagnosticsCollector(seq, { bucketSeconds });
  const extra = options.observers?.({ seq, states }) ?? [];
  const diagnostics = !options.withoutDiagnostics;
  const zeekHere = !options.elsewhere?.includes('zeek');
  const handshakesHere = !options.elsewhere?.includes('handshakes');
  const captureSideHere = diagnostics && !options.elsewhere?.includes('captureSide');
  // One observer calling each built-in directly: a loop over six observer classes would make its call site
  // megamorphic (V8 inline caches hold four shapes), a dictionary lookup per call, ten million times.
  const builtIn: TcpPacketObserver = {
    onTcpPacket(rec, d, stream, dir, ctx) {
      if (captureSideHere) captureSide.onTcpPacket(rec, d, stream, dir, ctx);
      seq.onTcpPacket(rec, d, stream, dir, ctx);
      states.onTcpPacket(rec, d, stream, dir, ctx);
      if (handshakesHere) handshakes.onTcpPacket(rec, d, stream, dir, ctx);
      if (zeekHere) zeek.onTcpPacket(rec, d, stream, dir, ctx);
      rtt.onTcpPacket(rec, d, stream, dir, ctx);
      if (diagnostics) collector.onTcpPacket(rec, d, stream, dir, ctx);
    },
  };
  const observers = [builtIn, ...extra];
  return { seq, states, handshakes, zeek, rtt, captureSide, collector, observers };
}

function complete(capture: CaptureAnalysis, p: Parts, options: FullAnalysisOptions, rulesElsewhere?: HandshakeRulesElsewhere): FullAnalysis {
  p.states.finish(capture.lastSec, capture.lastNsec, capture.flows);
  p.collector.finish(p.captureSide.lastTimeSeen, p.captureSide.lastFrameSeen);
  const { seq, states, handshakes, zeek, rtt, captureSide, collector } = p;
  const findings = options.withoutDiagnostics ? [] : diagnose({ analysis: capture, seq, states, handshakes, captureSide, collector }, options.diagnostics ?? {}, rulesElsewhere);
  return { capture, seq, states, handshakes, zeek, rtt, captureSide, collector, findings };
}

/**
 * The pieces of a full analysis for a caller that drives the pass itself (the benchmark, a worker reading its own
 * way): pass `observers` to analyzeCapture, then `finish` the result.
 */
export function fullAnalysisParts(options: FullAnalysisOptions = {}): {
  observers: TcpPacketObserver[];
  /** The built-in observers, by name (for tools that look inside them, e.g. the memory breakdown). */
  parts: Record<string, object>;
  /**
   * `elsewhere`: the trackers that observed the pass elsewhere (see FullAnalysisOptions.elsewhere);
   * `rulesElsewhere`: who runs the diagnostics' handshake rules meanwhile, if not this thread.
   */
  finish(capture: CaptureAnalysis, elsewhere?: ElsewhereParts, rulesElsewhere?: HandshakeRulesElsewhere): FullAnalysis;
} {
  const p = parts(options);
  const { seq, states, handshakes, zeek, rtt, captureSide, collector } = p;
  return {
    observers: p.observers,
    parts: { seq, states, handshakes, zeek, rtt, captureSide, collector },
    finish: (capture, elsewhere, rulesElsewhere) => complete(capture, { ...p, ...elsewhere }, options, rulesElsewhere),
  };
}

export function analyzeFull(source: ByteSource, options: FullAnalysisOptions = {}): FullAnalysis {
  const p = parts(options);
  const capture = analyzeCapture(source, { ...options, observers: p.observers });
  return complete(capture, p, options);
}
