import type { PacketRecord } from '../capture/types';
import type { DecodedPacket } from '../decode/packet';
import type { FlowTable } from './flowTable';

/**
 * What an observer can see besides the packet: the capture's time reference and the flow table's verdict on this
 * packet. The verdict is copied into plain fields, never read from the FlowTable during the pass, so that the
 * analysis can run in another thread than the reader (src/node/parallel.ts replays these fields from a segment
 * record; see src/core/analysis/segments.ts).
 */
export interface PacketContext {
  /** Time of the first record in file order (Wireshark's reference for frame.time_relative). */
  refSec: number;
  refNsec: number;
  /** The stream's first packet time. */
  startSec: number;
  startNsec: number;
  /** The 4-tuple id the stream belongs to (several streams share one when ports are reused). */
  tuple: number;
  /** The packet opened its stream; `reused`: it did so on a 4-tuple an earlier stream held (or re-based an ISN). */
  isNew: boolean;
  reused: boolean;
  /** The ISN the flow table holds for the packet's direction (Wireshark's base for relative sequence numbers). */
  baseSeq: number;
  /** The ISN it holds for the opposite direction (the base of relative acknowledgement numbers). */
  peerBaseSeq: number;
  /** 0 when endpoint A (source of the stream's first packet) is the client, 1 when B is. */
  clientDir: number;
  /**
   * Segment length for sequence analysis: the payload length, or the bytes on the wire when the IP header claims
   * more than the frame holds (tshark's "IP total length exceeds packet length"); -1 when not even the TCP header
   * was on the wire.
   */
  seqLength: number;
  /** Size of the capture file when known (0 otherwise): with rec.fileOffset, how far into it the pass is. */
  fileSize: number;
  /**
   * The packet is a copy of its direction's previous one (the same packet captured twice): set by the
   * CaptureSideCollector when diagnostics run, which must come before the observers that read it; false otherwise.
   */
  duplicate: boolean;
}

export function newPacketContext(): PacketContext {
  return { refSec: NaN, refNsec: 0, startSec: 0, startNsec: 0, tuple: 0, isNew: false, reused: false, baseSeq: 0, peerBaseSeq: 0, clientDir: 0, seqLength: 0, fileSize: 0, duplicate: false };
}

/** tshark takes the segment length from the bytes on the wire when the IP length claims more than the frame holds. */
export function seqLengthOf(rec: PacketRecord, d: DecodedPacket): number {
  // Decoder offsets count from the start of the buffer the frame sits in, rec.dataOffset.
  const wireEnd = rec.dataOffset + rec.originalLength - rec.fcsLength;
  if (d.ipOffset + d.ipTotalLength > wireEnd) {
    const onWire = wireEnd - d.tcpOffset - d.tcpHeaderLength;
    return onWire < 0 ? -1 : onWire;
  }
  return d.payloadLength;
}

/** Fills the per-packet fields after `flows.add` placed the packet in `stream`. */
export function setFlowContext(ctx: PacketContext, flows: FlowTable, stream: number, rec: PacketRecord, d: DecodedPacket): void {
  ctx.startSec = flows.startSec[stream]!;
  ctx.startNsec = flows.startNsec[stream]!;
  ctx.tuple = flows.tuple[stream]!;
  ctx.isNew = flows.lastNew;
  ctx.reused = flows.lastReused;
  ctx.baseSeq = flows.baseSeq[stream * 2 + flows.lastDir]!;
  ctx.peerBaseSeq = flows.baseSeq[stream * 2 + (flows.lastDir ^ 1)]!;
  ctx.clientDir = flows.clientDir[stream]!;
  ctx.seqLength = seqLengthOf(rec, d);
}

/** Wireshark's relative sequence number of the packet. */
export function relativeSeq(ctx: PacketContext, seq: number): number {
  return (seq - ctx.baseSeq) >>> 0;
}

/** Wireshark's relative acknowledgement number (raw when the ACK flag is off, as Wireshark shows it). */
export function relativeAck(ctx: PacketContext, flags: number, ack: number): number {
  return flags & 0x10 ? (ack - ctx.peerBaseSeq) >>> 0 : ack;
}
