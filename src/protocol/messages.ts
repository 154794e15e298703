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

export type FlowSortColumn = 'stream' | 'client' | 'server' | 'packets' | 'bytes' | 'startSeconds' | 'durationSeconds';

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

export interface RequestMap {
  'capture/get': { params: Record<string, never>; result: CaptureState };
  'flows/get': { params: FlowsGetParams; result: FlowsPage };
  /** Position of a stream in the given sort and filter, -1 when filtered out. */
  'flows/locate': { params: { stream: number; sort: FlowSort; filter: string }; result: { index: number } };
  'packets/get': { params: PacketsGetParams; result: PacketsPage };
  /** Show the flow (or one of its frames) in the packet list editor. */
  'flow/reveal': { params: { stream: number; frameNumber?: number }; result: { revealed: boolean } };
  'flow/copyFilter': { params: { stream: number }; result: { filter: string } };
  'flows/export': { params: { format: 'csv' | 'json' | 'zeek' }; result: { saved: boolean } };
  'capture/reanalyze': { params: Record<string, never>; result: Record<string, never> };
  /** Stops a running analysis (the worker is terminated; the panel then offers to analyse again). */
  'capture/cancel': { params: Record<string, never>; result: Record<string, never> };
  'capture/reopenWith': { params: Record<string, never>; result: Record<string, never> };
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
  /** The cursor moved in a packet list: highlight this flow (and frame). */
  'selection/changed': { stream: number; frameNumber?: number };
  'settings/changed': { timeFormat: TimeFormat };
}

export type HostNotification = {
  [M in keyof HostNotificationMap]: { kind: 'notification'; method: M; params: HostNotificationMap[M] };
}[keyof HostNotificationMap];

export type HostToWebview = HostResponse | HostNotification;

export const MAX_FLOW_PAGE = 500;
export const MAX_PACKET_PAGE = 500;
