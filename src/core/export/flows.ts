import type { CaptureAnalysis } from '../analyzeCapture';
import { endpointString, epochString, secondsBetween } from '../util/format';

/** One flow as the CLI, the exports and the UI present it. Field names are a public contract: keep them stable. */
export interface FlowSummary {
  stream: number;
  client: string;
  server: string;
  /** How the client was decided: 'syn' (sent the SYN), 'synack' (received the SYN-ACK) or 'first' (sent first). */
  clientBy: 'syn' | 'synack' | 'first';
  packets: number;
  bytes: number;
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  clientPayloadBytes: number;
  serverPayloadBytes: number;
  firstFrame: number;
  lastFrame: number;
  /** Seconds since the capture's first packet (Wireshark's "Rel Start"). */
  startTime: number;
  /** Absolute start, epoch seconds with nanoseconds, as text so no precision is lost. */
  startEpoch: string;
  duration: number;
  /** Wireshark's tcp.completeness bit mask (1 SYN, 2 SYN-ACK, 4 ACK, 8 data, 16 FIN, 32 RST). */
  completeness: number;
}

const CLIENT_BY = ['first', 'synack', 'syn'] as const;

export function flowSummary(a: CaptureAnalysis, s: number): FlowSummary {
  const f = a.flows;
  const c = f.clientDir[s]!; // 0: A is the client
  const ci = s * 2 + c;
  const si = s * 2 + (c ^ 1);
  const cl = f.endpoint(s, c);
  const sv = f.endpoint(s, c ^ 1);
  return {
    stream: s,
    client: endpointString(cl.version, cl.words, cl.port),
    server: endpointString(sv.version, sv.words, sv.port),
    clientBy: CLIENT_BY[f.clientBy[s]!]!,
    packets: f.packets[ci]! + f.packets[si]!,
    bytes: f.bytes[ci]! + f.bytes[si]!,
    clientPackets: f.packets[ci]!,
    serverPackets: f.packets[si]!,
    clientBytes: f.bytes[ci]!,
    serverBytes: f.bytes[si]!,
    clientPayloadBytes: f.payload[ci]!,
    serverPayloadBytes: f.payload[si]!,
    firstFrame: f.firstFrame[s]!,
    lastFrame: f.lastFrame[s]!,
    startTime: round9(secondsBetween(a.refSec, a.refNsec, f.startSec[s]!, f.startNsec[s]!)),
    startEpoch: epochString(f.startSec[s]!, f.startNsec[s]!),
    duration: round9(secondsBetween(f.startSec[s]!, f.startNsec[s]!, f.endSec[s]!, f.endNsec[s]!)),
    completeness: f.completeness[s]!,
  };
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

export const FLOW_CSV_COLUMNS: (keyof FlowSummary)[] = [
  'stream',
  'client',
  'server',
  'clientBy',
  'packets',
  'bytes',
  'clientPackets',
  'serverPackets',
  'clientBytes',
  'serverBytes',
  'clientPayloadBytes',
  'serverPayloadBytes',
  'firstFrame',
  'lastFrame',
  'startTime',
  'startEpoch',
  'duration',
  'completeness',
];
