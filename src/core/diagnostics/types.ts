/**
 * Findings: the verdicts tcpscope draws over a whole capture. Codes are public API (documented in
 * docs/findings.md); never rename one, add a new code instead.
 */

export type Severity = 'error' | 'warning' | 'info';

/** Network problems and capture-quality problems are kept apart so nobody blames the network for the capture. */
export type FindingCategory = 'network' | 'capture' | 'packet';

export interface TimeWindow {
  /** Seconds since the capture's first packet. */
  start: number;
  end: number;
}

export interface Finding {
  code: string;
  severity: Severity;
  category: FindingCategory;
  /** One line with the numbers. */
  message: string;
  /** What it means in TCP terms and what usually causes it. */
  explanation: string;
  /** The endpoint concerned (`ip:port`, or `ip` for a host), when there is one. */
  endpoint?: string;
  /** Streams involved (Wireshark tcp.stream numbers), capped at MAX_STREAMS_LISTED; see metrics for totals. */
  streams: number[];
  /** Frames that prove it: the first and the most telling first, capped at MAX_FRAMES_LISTED. */
  frames: number[];
  window?: TimeWindow;
  metrics: Record<string, number | string>;
}

export const MAX_STREAMS_LISTED = 200;
export const MAX_FRAMES_LISTED = 50;

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** Thresholds of every rule. The extension exposes them as settings; docs/findings.md documents the defaults. */
export interface DiagnosticOptions {
  /** CLOSE_WAIT: connections of one endpoint left in CLOSE_WAIT before the rule speaks... */
  closeWaitMinConnections: number;
  /** ...or a single one that stayed at least this long (seconds). */
  closeWaitMinSeconds: number;
  /** ...and from this many connections it is an error (a leak), not a warning. */
  closeWaitErrorConnections: number;

  /** Retransmission storm: bucket width in seconds. */
  stormBucketSeconds: number;
  /** A bucket is hot with at least this many retransmissions... */
  stormMinRetransmissions: number;
  /** ...that are at least this share of the data segments in the bucket. */
  stormMinShare: number;

  /** SYN flood: unfinished handshakes to one listener... */
  synFloodMinHalfOpen: number;
  /** ...from at least this many distinct source addresses. */
  synFloodMinSources: number;
  /** Port scan: distinct destination ports probed on one host by one source. */
  portScanMinPorts: number;

  /** RST storm: resets sent by one host within one bucket. */
  rstStormMinResets: number;
  rstStormBucketSeconds: number;

  /** Zero-window stall: a zero window lasting at least this long (seconds). */
  zeroWindowMinSeconds: number;

  /** TIME_WAIT churn: connections one host actively closed... */
  timeWaitMinConnections: number;
  /** ...each assumed to stay in TIME_WAIT this long (Linux: 60 s). */
  timeWaitSeconds: number;
  /** Ephemeral ports available to a client (Linux default 32768-60999). */
  ephemeralPorts: number;

  /** Accept-queue overflow: connections to one live listener with SYN retries or slow handshakes. */
  acceptQueueMinAffected: number;

  /** Half-open: consecutive unanswered retransmissions into silence. */
  halfOpenMinRetransmissions: number;

  /** Slow handshake: SYN to final ACK at least this long (seconds). */
  slowHandshakeSeconds: number;
  /** Failed handshakes to one endpoint before the rule speaks. */
  failedHandshakeMinConnections: number;
}

export const DEFAULT_DIAGNOSTIC_OPTIONS: Readonly<DiagnosticOptions> = Object.freeze({
  closeWaitMinConnections: 3,
  closeWaitMinSeconds: 30,
  closeWaitErrorConnections: 10,
  stormBucketSeconds: 1,
  stormMinRetransmissions: 10,
  stormMinShare: 0.05,
  synFloodMinHalfOpen: 100,
  synFloodMinSources: 20,
  portScanMinPorts: 50,
  rstStormMinResets: 100,
  rstStormBucketSeconds: 1,
  zeroWindowMinSeconds: 1,
  timeWaitMinConnections: 50,
  timeWaitSeconds: 60,
  ephemeralPorts: 28232,
  acceptQueueMinAffected: 3,
  halfOpenMinRetransmissions: 3,
  slowHandshakeSeconds: 1,
  failedHandshakeMinConnections: 1,
});
