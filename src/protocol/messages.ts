/**
 * The host <-> webview contract, and nothing else: message types only, no code, no runtime imports.
 *
 * - The webview speaks first (`ready`); the host never posts before that.
 * - Requests carry an id and always get exactly one response: `ok: true` with the result, or `ok: false` with a
 *   message. A handler that throws still answers.
 * - Bulk data is paged on request (flows, packets); nothing pushes a whole capture.
 * - Payloads are plain JSON-able data. Times are numbers with the unit in the name.
 */

// ---------- data ----------

export type FlowSortColumn =
  | 'stream'
  | 'client'
  | 'server'
  | 'packets'
  | 'bytes'
  | 'startSeconds'
  | 'durationSeconds'
  | 'clientState'
  | 'serverState'
  | 'connState'
  | 'history'
  | 'retransmissions'
  | 'rttMs'
  | 'irttMs'
  | 'findings'
  | 'joinedMidStream';

export interface FlowSort {
  column: FlowSortColumn;
  descending: boolean;
}

export interface FlowRow {
  stream: number;
  client: string;
  server: string;
  packets: number;
  bytes: number;
  clientPackets: number;
  serverPackets: number;
  /** Seconds since the capture's first packet. */
  startSeconds: number;
  durationSeconds: number;
  /** Wireshark's tcp.completeness bits (1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST). */
  completeness: number;
  firstFrame: number;
  lastFrame: number;
  /** TCP state of each endpoint at the end of the capture (docs/tcp-states.md), e.g. "CLOSE_WAIT". */
  clientState: string;
  serverState: string;
  /** Zeek conn_state (S0, SF, REJ, RSTO...) and history letters. */
  connState: string;
  history: string;
  /** Frames matching tcp.analysis.retransmission (fast and spurious included). */
  retransmissions: number;
  /** Median per-ACK RTT (tcp.analysis.ack_rtt) in milliseconds; null when the flow has no RTT sample. */
  rttMs: number | null;
  /** Handshake RTT (tcp.analysis.initial_rtt) in milliseconds; null when the handshake was not seen. */
  irttMs: number | null;
  /** Codes of the findings that list this flow among their streams. */
  findings: string[];
  /** The handshake was not captured: the connection started before the capture. */
  joinedMidStream: boolean;
}

export interface PacketRow {
  /** 1-based, as Wireshark numbers frames. */
  frameNumber: number;
  stream: number;
  /** 0: from the flow's endpoint A (source of its first packet), 1: towards it. */
  dir: 0 | 1;
  /** Seconds since the capture's first packet. */
  timeSeconds: number;
  src: string;
  dst: string;
  /** Flag letters, e.g. "SA", "FPA". */
  flags: string;
  seq: number;
  ack: number;
  len: number;
  /** Window after scaling (raw when the scale is unknown). */
  win: number;
  /** Wireshark tcp.analysis verdicts, e.g. "retransmission", "duplicate_ack". */
  analysis: string[];
}

export interface CaptureErrorInfo {
  code: string;
  message: string;
  offset: number;
  frameNumber?: number;
  fatal: boolean;
}

export interface CaptureOverview {
  fileName: string;
  fileBytes: number;
  format: string;
  version: string;
  byteOrder: string;
  sections: number;
  interfaces: number;
  linkTypes: { linkType: number; name: string; packets: number }[];
  packets: number;
  tcpPackets: number;
  flows: number;
  ipFragments: number;
  /** Epoch seconds of the earliest and latest packet (0 when there are none). */
  firstEpochSeconds: number;
  lastEpochSeconds: number;
  durationSeconds: number;
  errors: CaptureErrorInfo[];
  problems: { malformed: number; truncated: number; unsupportedLink: number };
  /** How many TCP packets (with a whole header) the packet list holds, out of how many. */
  packetWindow: { listed: number; total: number; limit: number };
  /** What the file says about itself (pcapng): interfaces, section headers, comments, name resolution. */
  captureFacts: CaptureFactsInfo;
}

/**
 * pcapng metadata for display. Every string comes from the capture (untrusted) and has its control characters
 * escaped by the host; the webview shows them as text only. Lists are the first entries, `...Total` counts all.
 */
export interface CaptureFactsInfo {
  interfaces: { index: number; section: number; name: string; description: string; linkType: number; linkTypeName: string; comments: string[] }[];
  interfacesTotal: number;
  sections: { index: number; hardware: string; os: string; application: string }[];
  /** Section, interface and packet comments, in that order; `where` says which, e.g. "frame 12". */
  comments: { where: string; frameNumber?: number; text: string }[];
  commentsTotal: number;
  packetCommentsTotal: number;
  names: { address: string; names: string[] }[];
  namesTotal: number;
}

export type CaptureState =
  | { state: 'loading'; fileName: string; bytesRead: number; totalBytes: number }
  | { state: 'ready'; overview: CaptureOverview }
  /** unusable: the file is not a capture we can read (offer "Reopen with"); otherwise cancelled or crashed. */
  | { state: 'failed'; fileName: string; reason: string; unusable: boolean };

export type TimeFormat = 'relative' | 'absolute';

// ---------- webview -> host requests ----------

export interface FlowsGetParams {
  offset: number;
  /** At most 500 rows are returned. */
  count: number;
  sort: FlowSort;
  /** Case-insensitive substring over stream number, client and server. Empty: all flows. */
  filter: string;
  /** Exact-value conditions, all of which must hold (absent or empty: no condition). */
  where?: FlowsWhere;
}

export interface FlowsWhere {
  /** An address (`10.0.0.1`, `2001:db8::1`) or endpoint (`10.0.0.1:80`, `[2001:db8::1]:80`) on either side. */
  endpoint?: string;
  clientState?: string;
  serverState?: string;
  connState?: string;
  /** A finding code: flows listed among that finding's streams. */
  finding?: string;
}

export interface ValueCount {
  value: string;
  /** Flows with this value. */
  count: number;
}

/** The values the flow filters can take in this capture, with how many flows have each. */
export interface FlowFacets {
  flows: number;
  clientState: ValueCount[];
  serverState: ValueCount[];
  connState: ValueCount[];
  finding: ValueCount[];
  /** The busiest addresses and server endpoints (at most 100 of each), most flows first. */
  endpoint: ValueCount[];
}

/** A diagnostics finding as plain data (docs/findings.md). */
export interface FindingInfo {
  code: string;
  severity: 'error' | 'warning' | 'info';
  category: 'network' | 'capture' | 'packet';
  message: string;
  explanation: string;
  endpoint?: string;
  /** Streams involved (tcp.stream numbers), capped by the analysis; see metrics for totals. */
  streams: number[];
  /** Frames that prove it. */
  frames: number[];
  /** Seconds since the capture's first packet. */
  window?: { start: number; end: number };
  metrics: Record<string, number | string>;
}

export interface FindingsPage {
  /** Findings of the capture, whatever the cap. */
  total: number;
  /** Most severe first (error, warning, info), then in the analysis' order; at most MAX_FINDINGS. */
  findings: FindingInfo[];
}

export interface FlowsPage {
  /** Rows matching the filter, whatever the page. */
  total: number;
  offset: number;
  rows: FlowRow[];
}

export interface PacketsGetParams {
  stream: number;
  offset: number;
  count: number;
}

export interface PacketsPage {
  total: number;
  offset: number;
  rows: PacketRow[];
  /** False when the flow has more packets than the packet list limit keeps. */
  complete: boolean;
}

// ---------- flow detail (ladder, endpoint states) and capture timeline ----------

/** What a packet does in the connection's life, as the textbook ladder labels it. */
export type LadderRole =
  | 'syn'
  | 'syn-retry'
  | 'syn-ack'
  | 'syn-ack-retry'
  | 'handshake-ack'
  | 'fin-active'
  | 'fin-passive'
  | 'fin-simultaneous'
  | 'fin-retry'
  | 'close-ack'
  | 'rst'
  | 'rst-refused';

export interface LadderPacket {
  /** Position in the flow's packets (0-based): gaps between consecutive indexes are packets not sent. */
  index: number;
  frameNumber: number;
  fromClient: boolean;
  /** Seconds since the flow's first packet. */
  timeSeconds: number;
  /** Flag names in Wireshark's order, e.g. ["SYN", "ACK"]. */
  flags: string[];
  /** Relative to the sender's ISN (Wireshark's relative sequence numbers). */
  seq: number;
  /** Relative to the receiver's ISN; absent when the ACK flag is not set. */
  ack?: number;
  len: number;
  win: number;
  /** Wireshark tcp.analysis verdicts, e.g. "retransmission". */
  analysis: string[];
  role?: LadderRole;
  /** SYN / SYN-ACK retry number (1 for the first retry). */
  retry?: number;
  /** Endpoint state changes placed at this packet. */
  states: { client: boolean; to: string }[];
}

export interface EndpointStateTransition {
  from: string;
  to: string;
  frameNumber: number;
  /** Seconds since the flow's first packet. */
  timeSeconds: number;
  msInFrom: number;
}

export interface EndpointStateTimeline {
  role: 'client' | 'server';
  address: string;
  initial: string;
  final: string;
  transitions: EndpointStateTransition[];
  /** Milliseconds in each state entered, up to the end of the capture. */
  msInState: Record<string, number>;
}

export interface FlowDetail {
  stream: number;
  client: string;
  server: string;
  /** Seconds since the capture's first packet. */
  startSeconds: number;
  durationSeconds: number;
  /** The capture's end, in seconds since the flow's first packet: final states last until then. */
  captureEndSeconds: number;
  /** Zeek conn_state and history. */
  connState: string;
  history: string;
  /** Packets of the flow the detail knows (may stop short of the flow when the packet list limit was hit). */
  total: number;
  complete: boolean;
  /** The first and last packets (handshake and teardown); `omitted` packets between them are paged with flow/ladder. */
  packets: LadderPacket[];
  omitted: number;
  joinedMidStream: boolean;
  synMissing: boolean;
  refused: boolean;
  endpoints: [EndpointStateTimeline, EndpointStateTimeline];
  handshake: {
    synFrame: number;
    synAckFrame?: number;
    ackFrame?: number;
    synRetries: number;
    synAckRetries: number;
    synToSynAckMs?: number;
    synAckToAckMs?: number;
    connectMs?: number;
  } | null;
}

export interface LadderPage {
  total: number;
  offset: number;
  packets: LadderPacket[];
}

/** Flows grouped by how they ended (Zeek conn_state families). */
export type FlowOutcome = 'normal' | 'reset' | 'unanswered' | 'open' | 'half-closed' | 'other';

export interface TimelineRow {
  stream: number;
  client: string;
  server: string;
  /** Seconds since the capture's first packet. */
  startSeconds: number;
  endSeconds: number;
  connState: string;
  outcome: FlowOutcome;
}

export interface TimelinePage {
  /** Flows, whatever the page (rows are ordered by start time, then stream). */
  total: number;
  offset: number;
  rows: TimelineRow[];
}

export interface FindingWindow {
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** Seconds since the capture's first packet. */
  startSeconds: number;
  endSeconds: number;
}

export interface TimelineSummary {
  flows: number;
  /** The time axis, in seconds since the capture's first packet (start is below 0 when timestamps go back). */
  startSeconds: number;
  endSeconds: number;
  /** Flows active in each of `bins` equal slices of [startSeconds, endSeconds], per outcome. */
  bins: number;
  density: Record<FlowOutcome, number[]>;
  outcomes: Record<FlowOutcome, number>;
  findings: FindingWindow[];
}

export interface RequestMap {
  'capture/get': { params: Record<string, never>; result: CaptureState };
  'flows/get': { params: FlowsGetParams; result: FlowsPage };
  /** Position of a stream in the given sort and filter, -1 when filtered out. */
  'flows/locate': { params: { stream: number; sort: FlowSort; filter: string; where?: FlowsWhere }; result: { index: number } };
  /** Values of the flow filters with their flow counts (whole capture). */
  'flows/facets': { params: Record<string, never>; result: FlowFacets };
  /** The diagnostics findings, most severe first. */
  'findings/get': { params: Record<string, never>; result: FindingsPage };
  'packets/get': { params: PacketsGetParams; result: PacketsPage };
  /** Show the flow (or one of its frames) in the packet list editor. */
  'flow/reveal': { params: { stream: number; frameNumber?: number }; result: { revealed: boolean } };
  'flow/copyFilter': { params: { stream: number }; result: { filter: string } };
  'flows/export': { params: { format: 'csv' | 'json' | 'zeek' }; result: { saved: boolean } };
  'capture/reanalyze': { params: Record<string, never>; result: Record<string, never> };
  /** Stops a running analysis (the worker is terminated; the panel then offers to analyse again). */
  'capture/cancel': { params: Record<string, never>; result: Record<string, never> };
  'capture/reopenWith': { params: Record<string, never>; result: Record<string, never> };
  /** The ladder (first and last packets), both endpoints' state timelines and the handshake of one flow. */
  'flow/detail': { params: { stream: number }; result: FlowDetail };
  /** Ladder packets of a flow by position, to page through what flow/detail left out. */
  'flow/ladder': { params: { stream: number; offset: number; count: number }; result: LadderPage };
  /** Flows ordered by start time, paged. */
  'timeline/get': { params: { offset: number; count: number }; result: TimelinePage };
  /** Index in the timeline order of the first flow starting at or after a time. */
  'timeline/locate': { params: { seconds: number }; result: { index: number } };
  /** Index of a stream in the timeline order (where the selected flow's row is), -1 for no such stream. */
  'timeline/indexOf': { params: { stream: number }; result: { index: number } };
  /** Density of active flows over the whole capture, outcome totals and the findings' time windows. */
  'timeline/summary': { params: { bins: number }; result: TimelineSummary };
}

export type RequestMethod = keyof RequestMap;
export type RequestParams<M extends RequestMethod> = RequestMap[M]['params'];
export type RequestResult<M extends RequestMethod> = RequestMap[M]['result'];

export type WebviewRequest = {
  [M in RequestMethod]: { kind: 'request'; id: number; method: M; params: RequestParams<M> };
}[RequestMethod];

export interface WebviewNotificationMap {
  /** The webview is listening; the host may post from now on. */
  ready: Record<string, never>;
  /** The user selected a flow in the panel (the host remembers it for commands such as "copy filter"). */
  'flow/selected': { stream: number };
}

export type WebviewNotification = {
  [M in keyof WebviewNotificationMap]: { kind: 'notification'; method: M; params: WebviewNotificationMap[M] };
}[keyof WebviewNotificationMap];

export type WebviewToHost = WebviewRequest | WebviewNotification;

// ---------- host -> webview ----------

export type HostResponse =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

export interface HostNotificationMap {
  'capture/changed': CaptureState;
  /**
   * The cursor moved in a packet list: highlight this flow (and frame). `show`: the panel is on screen, so it
   * switches to the Flows tab (a hidden panel only selects the flow and keeps its tab).
   */
  'selection/changed': { stream: number; frameNumber?: number; show?: boolean };
  'settings/changed': { timeFormat: TimeFormat };
}

export type HostNotification = {
  [M in keyof HostNotificationMap]: { kind: 'notification'; method: M; params: HostNotificationMap[M] };
}[keyof HostNotificationMap];

export type HostToWebview = HostResponse | HostNotification;

export const MAX_FLOW_PAGE = 500;
export const MAX_PACKET_PAGE = 500;
export const MAX_FINDINGS = 1000;
export const MAX_LADDER_PAGE = 200;
export const MAX_TIMELINE_PAGE = 2000;
export const MAX_TIMELINE_BINS = 4096;
