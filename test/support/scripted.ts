import type { TcpPacketObserver } from '../../src/core/analyzeCapture';
import { newPacketContext, setFlowContext, type PacketContext } from '../../src/core/analysis/packetContext';
import type { PacketRecord } from '../../src/core/capture/types';
import { FlowTable } from '../../src/core/analysis/flowTable';
import { newDecodedPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/core/decode/packet';

/**
 * Scripted TCP exchanges for table-driven observer tests: a row says who sends which flags, and sequence and
 * acknowledgment numbers follow unless the row overrides them. Packets go straight into a FlowTable and the
 * observers, skipping bytes, so a table row reads like the ladder it describes.
 * Client 10.0.0.1:40000, server 10.0.0.2:9999 (ports overridable); ISNs 1000 and 5000; one packet per millisecond.
 */

export type Who = 'c' | 's';

export interface ScriptedPacket {
  from: Who;
  /** Letters S A F R P. */
  flags: string;
  len?: number;
  /** Explicit seq / ack (absolute); by default seq is the sender's next and ack covers all the peer sent. */
  seq?: number;
  ack?: number;
  win?: number;
  /** Time in milliseconds from the first packet; defaults to the packet's index. */
  at?: number;
}

export const SCRIPT_T0 = 1_700_000_000;
const FLAG: Record<string, number> = { S: TCP_SYN, A: TCP_ACK, F: TCP_FIN, R: TCP_RST, P: TCP_PSH };
export const CLIENT = 0x0a000001;
export const SERVER = 0x0a000002;
export const ISN = { c: 1000, s: 5000 } as const;

export const p = (from: Who, flags: string, extra: Omit<ScriptedPacket, 'from' | 'flags'> = {}): ScriptedPacket => ({ from, flags, ...extra });
export const HANDSHAKE: ScriptedPacket[] = [p('c', 'S'), p('s', 'SA'), p('c', 'A')];

export function feedScripted(pkts: ScriptedPacket[], observers: TcpPacketObserver[], opts: { sport?: number; dport?: number } = {}): FlowTable {
  const flows = new FlowTable(4);
  const ctx: PacketContext = { ...newPacketContext(), refSec: SCRIPT_T0, refNsec: 0 };
  const d = newDecodedPacket();
  const next: { c: number; s: number } = { ...ISN };
  const sport = opts.sport ?? 40000;
  const dport = opts.dport ?? 9999;
  pkts.forEach((pk, i) => {
    let flags = 0;
    for (const ch of pk.flags) flags |= FLAG[ch]!;
    const peer: Who = pk.from === 'c' ? 's' : 'c';
    const seq = pk.seq ?? next[pk.from];
    const len = pk.len ?? 0;
    d.ipVersion = 4;
    d.src0 = pk.from === 'c' ? CLIENT : SERVER;
    d.dst0 = pk.from === 'c' ? SERVER : CLIENT;
    d.srcPort = pk.from === 'c' ? sport : dport;
    d.dstPort = pk.from === 'c' ? dport : sport;
    d.flags = flags;
    d.seq = seq >>> 0;
    d.ack = flags & TCP_ACK ? (pk.ack ?? next[peer]) >>> 0 : 0;
    d.payloadLength = len;
    d.capturedPayload = len;
    d.window = pk.win ?? 65535;
    const end = seq + len + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
    if (!(flags & TCP_RST) && end - next[pk.from] > 0) next[pk.from] = end;
    const rec = { frameNumber: i + 1, tsSec: SCRIPT_T0, tsNsec: (pk.at ?? i) * 1_000_000 } as PacketRecord;
    const s = flows.add(d, rec.frameNumber, rec.tsSec, rec.tsNsec, 60 + len);
    setFlowContext(ctx, flows, s, rec, d);
    for (const o of observers) o.onTcpPacket(rec, d, s, flows.lastDir, ctx);
  });
  return flows;
}
