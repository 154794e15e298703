import type { PacketRecord } from '../capture/types';
import { grow } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from './packetContext';
import { seqGt, seqLe, seqLt } from './seq';

/**
 * Per-packet TCP sequence analysis with the verdicts of Wireshark's `tcp.analysis.*` fields, as tshark 4.0
 * computes them on its single first pass (see docs/tcp-analysis.md for the rules, written out, and for every place
 * where this differs from tshark).
 *
 * State is struct-of-arrays over typed arrays indexed by stream (or stream * 2 + direction): a million flows cost
 * about 150 bytes each and no objects. Segments sent but not yet acknowledged live in one shared arena of
 * typed arrays as per-direction linked lists kept in sequence order, so an ACK only walks the segments it covers.
 * Nothing is allocated per packet once the arrays have grown to the capture's size.
 */

// Analysis flag bits. The bit order is the order of TCP_ANALYSIS_FLAG_NAMES.
/** Set for every retransmission tshark's `tcp.analysis.retransmission` filter matches: plain, fast and spurious. */
export const TA_RETRANSMISSION = 1 << 0;
export const TA_FAST_RETRANSMISSION = 1 << 1;
export const TA_SPURIOUS_RETRANSMISSION = 1 << 2;
export const TA_OUT_OF_ORDER = 1 << 3;
export const TA_LOST_SEGMENT = 1 << 4;
export const TA_ACK_LOST_SEGMENT = 1 << 5;
export const TA_DUPLICATE_ACK = 1 << 6;
export const TA_ZERO_WINDOW = 1 << 7;
export const TA_ZERO_WINDOW_PROBE = 1 << 8;
export const TA_ZERO_WINDOW_PROBE_ACK = 1 << 9;
export const TA_WINDOW_FULL = 1 << 10;
export const TA_WINDOW_UPDATE = 1 << 11;
export const TA_KEEP_ALIVE = 1 << 12;
export const TA_KEEP_ALIVE_ACK = 1 << 13;
export const TA_REUSED_PORTS = 1 << 14;

/** Wireshark's field names (`tcp.analysis.<name>`), indexed by bit number. */
export const TCP_ANALYSIS_FLAG_NAMES = [
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'out_of_order',
  'lost_segment',
  'ack_lost_segment',
  'duplicate_ack',
  'zero_window',
  'zero_window_probe',
  'zero_window_probe_ack',
  'window_full',
  'window_update',
  'keep_alive',
  'keep_alive_ack',
  'reused_ports',
] as const;

export type TcpAnalysisFlagName = (typeof TCP_ANALYSIS_FLAG_NAMES)[number];

/** The names of the flags set in a mask (allocates: for output, not for the hot path). */
export function analysisFlagNames(mask: number): TcpAnalysisFlagName[] {
  const out: TcpAnalysisFlagName[] = [];
  for (let b = 0; b < TCP_ANALYSIS_FLAG_NAMES.length; b++) if (mask & (1 << b)) out.push(TCP_ANALYSIS_FLAG_NAMES[b]!);
  return out;
}

/** Wireshark keeps at most this many unacknowledged segments per direction (TCP_MAX_UNACKED_SEGMENTS). */
export const WIRESHARK_MAX_UNACKED = 10000;

export interface SequenceAnalyzerOptions {
  /** Keep every frame's flag mask (index frameNumber - 1). Default false. */
  keepPerFrame?: boolean;
  /**
   * Unacknowledged segments remembered per direction. Default 10000, Wireshark's own cap: flags never depend on
   * it, but bytes in flight and ACK RTT of long unacknowledged runs do.
   */
  maxUnackedPerDirection?: number;
}

/** Per-stream totals, as read by streamStats(). */
export interface StreamAnalysisStats {
  /** Frames matching tcp.analysis.retransmission (plain + fast + spurious). */
  retransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
  lostSegments: number;
  ackedUnseen: number;
  duplicateAcks: number;
  zeroWindows: number;
  zeroWindowProbes: number;
  windowFull: number;
  windowUpdates: number;
  keepAlives: number;
  resets: number;
  maxBytesInFlight: number;
  /** Initial RTT (first pure SYN to first pure ACK) in seconds, NaN when the handshake was not seen. */
  irtt: number;
}

const SFR = TCP_SYN | TCP_FIN | TCP_RST;
const FAST_RETRANSMISSION_WINDOW_NS = 20e6;
const DEFAULT_OOO_THRESHOLD_NS = 3e6;
// A stream counter per kind, in one array (stream * COUNTERS + kind) so growing them is one copy.
const C_RETRANS = 0;
const C_FAST = 1;
const C_SPURIOUS = 2;
const C_OOO = 3;
const C_LOST = 4;
const C_ACKLOST = 5;
const C_DUPACK = 6;
const C_ZEROWIN = 7;
const C_ZWP = 8;
const C_WINFULL = 9;
const C_WINUPDATE = 10;
const C_KEEPALIVE = 11;
const C_RST = 12;
const COUNTERS = 13;

// Per-direction bits.
const B_KEEP_ALIVE = 1; // the direction's last packet was a keep-alive
const B_ZWP = 2; // ... a zero-window probe
const B_VALID_BIF = 4; // bytes in flight trusted (no gap since the peer's last ACK)
const B_FIRST_ACK = 8; // a SYN was seen and no pure ACK since: the window is not scaled yet (issue 14690)
const B_SEEN = 16; // the direction has sent a packet
const B_SACK = 32; // the direction's last packet carried SACK blocks (sackBytes is their length)

export class SequenceAnalyzer implements TcpPacketObserver {
  // ---- results of the last onTcpPacket ----
  /** Flag mask (TA_*) of the last packet. */
  lastFlags = 0;
  /**
   * The flags the analysis reached for the last packet, even where tshark shows none: when the snaplen cut the
   * TCP options, tshark abandons the header before printing its analysis (lastFlags is then 0, as in tshark),
   * although the verdict was reached and shapes later ones. Header-only captures keep their retransmissions here.
   */
  lastVerdict = 0;
  /** tcp.analysis.duplicate_ack_num, 0 when not a duplicate ACK. */
  lastDupAckNum = 0;
  /** tcp.analysis.duplicate_ack_frame (the last ACK that moved the ACK number), 0 when not a duplicate ACK. */
  lastDupAckFrame = 0;
  /** tcp.analysis.ack_rtt in seconds, NaN when absent. */
  lastAckRtt = NaN;
  /** tcp.analysis.acks_frame, 0 when absent. */
  lastAcksFrame = 0;
  /** tcp.analysis.bytes_in_flight, 0 when absent (tshark shows nothing then). */
  lastBytesInFlight = 0;
  /** tcp.window_size: the window after the sender's scale factor was applied. */
  lastWindowScaled = 0;
  /** tcp.window_size_scalefactor: -1 unknown, -2 no scaling, else the multiplier; 0 for SYNs (tshark shows none). */
  lastScaleFactor = 0;

  /** Flag masks by frameNumber - 1 when constructed with keepPerFrame (0 for frames that are not TCP). */
  frameFlags: Uint32Array;
  /** Number of frames frameFlags covers (the highest TCP frame number seen). */
  frameCount = 0;
  private readonly keepPerFrame: boolean;
  private readonly maxUnacked: number;

  // ---- per stream ----
  private streamCap = 0;
  /** Streams whose state has been initialised (streams are numbered densely from 0). */
  private streamsInit = 0;
  private mruSyn: Float64Array; // ns of the latest pure SYN, NaN before one
  private irttNs: Float64Array; // 0 = unknown, as Wireshark's zero nstime
  private mptcpOps: Uint8Array; // MPTCP option subtypes seen so far (bit per subtype), connection-wide
  private hasMptcp: Uint8Array;
  private maxBif: Uint32Array;
  /** Row + 1 of a stream's counters in `counters`, 0 before its first flag: most flows never need one. */
  private counterRow: Int32Array;
  private counters: Uint32Array;
  private counterRows = 0;

  // ---- per direction (stream * 2 + dir) ----
  private nextSeq: Uint32Array; // highest seq + len seen (0 = none, as in Wireshark)
  private nextSeqTime: Float64Array;
  private maxSeqToAck: Uint32Array; // highest contiguous seq seen
  private lastAck: Uint32Array;
  private lastAckTime: Float64Array;
  private lastNonDupAck: Uint32Array; // frame
  private dupAckNum: Int32Array; // -1: an "ACKed unseen" verdict is pending suppression
  private window: Int32Array; // raw window of the last packet, -1 before one (Wireshark: all ones)
  private winScale: Int8Array; // -1 unknown, -2 no scaling, else shift
  private bits: Uint8Array; // B_*
  private sackBytes: Uint32Array; // SACKed bytes of the last packet, as Wireshark counts them for bytes in flight
  private mpOpsAtLast: Uint8Array;
  private segHead: Int32Array; // arena index + 1, 0 = empty
  private segTail: Int32Array;
  private segCount: Uint16Array;
  private segMaxEnd: Uint32Array; // end of the segment reaching furthest (relative to base), for bytes in flight

  // ---- unacked segment arena ----
  private segCap = 0;
  private segUsed = 0;
  private segFree = -1;
  private sSeq: Uint32Array;
  private sEnd: Uint32Array;
  private sFrame: Uint32Array;
  private sTime: Float64Array;
  private sLink: Int32Array;

  constructor(options: SequenceAnalyzerOptions = {}) {
    this.keepPerFrame = options.keepPerFrame ?? false;
    this.maxUnacked = Math.min(65535, Math.max(1, options.maxUnackedPerDirection ?? WIRESHARK_MAX_UNACKED));
    this.frameFlags = new Uint32Array(this.keepPerFrame ? 1 << 16 : 0);
    const n = 256;
    this.streamCap = n;
    this.mruSyn = new Float64Array(n);
    this.irttNs = new Float64Array(n);
    this.mptcpOps = new Uint8Array(n);
    this.hasMptcp = new Uint8Array(n);
    this.maxBif = new Uint32Array(n);
    this.counterRow = new Int32Array(n);
    this.counters = new Uint32Array(64 * COUNTERS);
    const d = n * 2;
    this.nextSeq = new Uint32Array(d);
    this.nextSeqTime = new Float64Array(d);
    this.maxSeqToAck = new Uint32Array(d);
    this.lastAck = new Uint32Array(d);
    this.lastAckTime = new Float64Array(d);
    this.lastNonDupAck = new Uint32Array(d);
    this.dupAckNum = new Int32Array(d);
    this.window = new Int32Array(d);
    this.winScale = new Int8Array(d);
    this.bits = new Uint8Array(d);
    this.sackBytes = new Uint32Array(d);
    this.mpOpsAtLast = new Uint8Array(d);
    this.segHead = new Int32Array(d);
    this.segTail = new Int32Array(d);
    this.segCount = new Uint16Array(d);
    this.segMaxEnd = new Uint32Array(d);
    this.segCap = 1024;
    this.sSeq = new Uint32Array(this.segCap);
    this.sEnd = new Uint32Array(this.segCap);
    this.sFrame = new Uint32Array(this.segCap);
    this.sTime = new Float64Array(this.segCap);
    this.sLink = new Int32Array(this.segCap);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, stream: number, dir: number, ctx: PacketContext): void {
    if (stream >= this.streamsInit) this.initStreams(stream, grownCapacity(stream + 1, this.streamCap, rec.fileOffset, ctx.fileSize));
    const fwd = stream * 2 + dir;
    const rev = fwd ^ 1;
    const frame = rec.frameNumber;
    // Nanoseconds since the stream's first packet: only times within one stream are ever compared, and counted
    // from there a double holds them exactly for 104 days (from the capture's start it would not when interfaces'
    // clocks are years apart, as in some pcapng files).
    const now = (rec.tsSec - ctx.startSec) * 1e9 + (rec.tsNsec - ctx.startNsec);
    const seq = d.seq;
    const ack = d.ack;
    const th = d.flags;
    const seglen = ctx.seqLength;
    if (seglen < 0) {
      // Not even the header was on the wire: tshark reports a short segment and skips the analysis.
      this.clearLast(d.window);
      return;
    }
    const win = d.window;
    const noSFR = (th & SFR) === 0;
    const synOrFin = (th & (TCP_SYN | TCP_FIN)) !== 0;

    let f = ctx.reused ? TA_REUSED_PORTS : 0;
    let dupNum = 0;
    let dupFrame = 0;

    // A pure SYN repeating the ISN of its direction is a SYN retransmission: Wireshark first rewinds nextseq to the
    // contiguous edge, so whatever moved it past a hole since (issue 17616) does not colour the verdict.
    if ((th & (TCP_SYN | TCP_ACK)) === TCP_SYN && this.bits[fwd]! & B_SEEN && !ctx.isNew && seq === ctx.baseSeq) {
      this.nextSeq[fwd] = this.maxSeqToAck[fwd]!;
    }
    // SACK blocks describe only the latest packet of a direction.
    const bits = this.bits;
    bits[fwd]! &= ~B_SACK;

    const fNext = this.nextSeq[fwd]!;
    const fLastAck = this.lastAck[fwd]!;
    const fWindow = this.window[fwd]!;

    if (th & TCP_ACK) bits[rev]! |= B_VALID_BIF;

    // Wireshark's forward checks, in its order: a probe, keep-alive ACK, probe ACK or duplicate ACK ends them.
    checks: {
      if (seglen === 1 && seq === fNext && this.window[rev] === 0) {
        f |= TA_ZERO_WINDOW_PROBE;
        break checks;
      }
      if (win === 0 && noSFR) f |= TA_ZERO_WINDOW;
      if (fNext !== 0 && seqGt(seq, fNext) && !(th & TCP_RST)) {
        f |= TA_LOST_SEGMENT;
        // Bytes in flight cannot be trusted across a gap until the peer ACKs again.
        bits[fwd]! &= ~B_VALID_BIF;
      }
      if (seglen <= 1 && seq === ((fNext - 1) >>> 0) && noSFR) f |= TA_KEEP_ALIVE;
      if (!noSFR) break checks;
      const sameEdges = seq === fNext && ack === fLastAck;
      if (seglen === 0 && win !== 0 && win !== fWindow && sameEdges) f |= TA_WINDOW_UPDATE;
      if (seglen > 0) {
        const rs = this.winScale[rev]!;
        if (rs !== -1) {
          const shift = bits[rev]! & B_FIRST_ACK || rs === -2 ? 0 : rs;
          // Wireshark shifts a 32-bit window (an unseen one is all ones, our -1) and adds modulo 2^32.
          const rightEdge = (this.lastAck[rev]! + (this.window[rev]! << shift)) >>> 0;
          if (((seq + seglen) >>> 0) === rightEdge) f |= TA_WINDOW_FULL;
        }
        break checks;
      }
      if (!sameEdges || win !== fWindow) break checks;
      if (win !== 0 && bits[rev]! & B_KEEP_ALIVE) {
        f |= TA_KEEP_ALIVE_ACK;
        break checks;
      }
      if (win === 0 && bits[rev]! & B_ZWP) {
        f |= TA_ZERO_WINDOW_PROBE_ACK;
        break checks;
      }
      if (win !== 0) {
        // RFC 8684 §4: an MPTCP endpoint may repeat an ACK to carry new MPTCP signalling.
        if (!(this.hasMptcp[stream] && this.mptcpOps[stream] !== this.mpOpsAtLast[fwd])) {
          const n = this.dupAckNum[fwd] === -1 ? 1 : this.dupAckNum[fwd]! + 1;
          this.dupAckNum[fwd] = n;
          f |= TA_DUPLICATE_ACK;
          dupNum = n;
          dupFrame = this.lastNonDupAck[fwd]!;
        }
      }
    }

    if (ack !== fLastAck) {
      this.lastNonDupAck[fwd] = frame;
      this.dupAckNum[fwd] = 0;
    }

    // ACKed unseen segment: the peer's data this ACK covers never passed the capture point.
    const rMax = this.maxSeqToAck[rev]!;
    if (rMax !== 0 && th & TCP_ACK && seqGt(ack, rMax)) {
      const rNext = this.nextSeq[rev]!;
      if (seqGt(rNext, rMax)) {
        // The peer's data has a hole (we saw data past its contiguous edge): jump the edge to the highest byte
        // seen so the same hole is not reported again.
        this.maxSeqToAck[rev] = rNext;
        f |= TA_ACK_LOST_SEGMENT;
      } else {
        // Say it once per gap: -1 holds the verdict back until the peer's own ACK number moves.
        if (this.dupAckNum[rev] === 0) f |= TA_ACK_LOST_SEGMENT;
        this.dupAckNum[rev] = -1;
      }
    }

    // Retransmission family: only segments that occupy sequence space.
    if ((seglen > 0 || synOrFin) && !(f & TA_KEEP_ALIVE)) {
      let notAdvanced = fNext !== 0 && seqLt(seq, fNext);
      // New data starting on the byte of an earlier 1-byte zero-window probe is not a retransmission.
      if (seglen > 1 && seq === ((fNext - 1) >>> 0)) notAdvanced = false;
      const rLastAck = this.lastAck[rev]!;
      if (seglen > 0 && rLastAck !== 0 && seqLe((seq + seglen) >>> 0, rLastAck)) {
        f |= TA_SPURIOUS_RETRANSMISSION | TA_RETRANSMISSION;
      } else if (notAdvanced) {
        const sinceAck = now - this.lastAckTime[rev]!;
        const sinceNext = now - this.nextSeqTime[fwd]!;
        const irtt = this.irttNs[stream]!;
        const oooThreshold = irtt === 0 ? DEFAULT_OOO_THRESHOLD_NS : irtt < 0 ? Infinity : irtt;
        // The -1 "ACKed unseen" marker is an unsigned all-ones count in Wireshark, so it passes the >= 2 test.
        const rDup = this.dupAckNum[rev]!;
        if ((rDup >= 2 || rDup === -1) && rLastAck === seq && sinceAck >= 0 && sinceAck < FAST_RETRANSMISSION_WINDOW_NS) {
          f |= TA_FAST_RETRANSMISSION | TA_RETRANSMISSION;
        } else if (sinceNext >= 0 && sinceNext < oooThreshold && fNext !== ((seq + seglen + (synOrFin ? 1 : 0)) >>> 0)) {
          f |= TA_OUT_OF_ORDER;
        } else {
          f |= TA_RETRANSMISSION;
        }
      }
    }

    // Remember the segment until it is acknowledged.
    let end = (seq + seglen) >>> 0;
    if ((seglen > 0 || synOrFin) && this.segCount[fwd]! < this.maxUnacked) {
      // Wireshark counts SYN/FIN's sequence byte only when it keeps the segment: past the cap it does not.
      if (synOrFin) end = (end + 1) >>> 0;
      this.pushSegment(fwd, seq, end, frame, now, ctx.baseSeq);
    }
    if (!(f & TA_ZERO_WINDOW_PROBE)) {
      if (fNext === 0 || seqGt(end, fNext)) {
        this.nextSeq[fwd] = end;
        this.nextSeqTime[fwd] = now;
      }
      const m = this.maxSeqToAck[fwd]!;
      if (m === 0 || seq === m) this.maxSeqToAck[fwd] = this.nextSeq[fwd]!;
    }
    this.window[fwd] = win;
    this.lastAck[fwd] = ack;
    this.lastAckTime[fwd] = now;
    if (this.hasMptcp[stream]) this.mpOpsAtLast[fwd] = this.mptcpOps[stream]!;
    bits[fwd] = (bits[fwd]! & ~(B_KEEP_ALIVE | B_ZWP)) | B_SEEN | (f & TA_KEEP_ALIVE ? B_KEEP_ALIVE : 0) | (f & TA_ZERO_WINDOW_PROBE ? B_ZWP : 0);

    // The ACK field is compared whether or not the ACK bit is set, as Wireshark does.
    this.lastAcksFrame = 0;
    this.lastAckRtt = NaN;
    if (this.segHead[rev] !== 0) this.processAck(rev, ack, now);

    // Bytes in flight, Wireshark's default (payload) method: the span of this direction's unacked segments.
    let bif = 0;
    if (seglen !== 0 && this.segHead[fwd] !== 0 && bits[fwd]! & B_VALID_BIF) {
      const base = ctx.baseSeq;
      let inFlight = ((this.segMaxEnd[fwd]! - base) >>> 0) - ((this.sSeq[this.segHead[fwd]! - 1]! - base) >>> 0);
      inFlight >>>= 0;
      if (bits[rev]! & B_SACK) inFlight = (inFlight - this.sackBytes[rev]!) >>> 0;
      if (inFlight > 0 && inFlight < 2000000000) bif = synOrFin ? inFlight - 1 : inFlight;
    }
    this.lastBytesInFlight = bif;

    // ---- what dissect_tcp does after the analysis ----
    let scaled = win;
    let factor = 0;
    if (!(th & TCP_SYN)) {
      const ws = this.winScale[fwd]!;
      if (ws >= 0) {
        scaled = win * (1 << ws);
        factor = 1 << ws;
      } else factor = ws;
    }
    this.lastWindowScaled = scaled;
    this.lastScaleFactor = factor;

    if (th & TCP_SYN) {
      if (!(th & TCP_ACK)) this.mruSyn[stream] = now;
      bits[fwd]! |= B_FIRST_ACK;
    }
    if ((th & (TCP_SYN | TCP_ACK)) === TCP_ACK) {
      if (this.irttNs[stream] === 0 && this.mruSyn[stream] === this.mruSyn[stream]) {
        this.irttNs[stream] = now - this.mruSyn[stream]!;
      }
      bits[fwd]! &= ~B_FIRST_ACK;
    }
    // Options are read after the analysis: their effect starts with the next packet.
    if (d.windowScale >= 0) this.winScale[fwd] = d.windowScale > 14 ? 14 : d.windowScale;
    if (d.sackCount > 0) {
      // Wireshark keeps at most three blocks of a SACK option for this (its storage starts at index 1 of four).
      const n = d.sackCount < 3 ? d.sackCount : 3;
      let bytes = 0;
      for (let k = 0; k < n; k++) bytes = (bytes + (d.sackRight[k]! - d.sackLeft[k]!)) >>> 0;
      bits[fwd]! |= B_SACK;
      this.sackBytes[fwd] = bytes;
    }
    // tshark stops dissecting the header where the snaplen cut its options: the verdicts above are reached and
    // remembered, but nothing after the options runs (the handshake's window-scaling check) or is shown.
    const optionsCut = d.tcpOptionsTruncated;
    if (th & TCP_SYN && !optionsCut) {
      // Scaling is in force only if both SYNs carried the option; otherwise the header window is the window.
      if (this.winScale[fwd] === -1) {
        this.winScale[fwd] = -2;
        this.winScale[rev] = -2;
      } else if (th & TCP_ACK && this.winScale[rev] === -2) {
        this.winScale[fwd] = -2;
      }
    }
    if (d.mptcp && !optionsCut) {
      this.hasMptcp[stream] = 1;
      if (d.mptcpSubtype >= 0 && d.mptcpSubtype < 8) this.mptcpOps[stream]! |= 1 << d.mptcpSubtype;
    }

    this.lastVerdict = f;
    if (optionsCut) {
      f = 0;
      dupNum = 0;
      dupFrame = 0;
      bif = 0;
      this.lastAcksFrame = 0;
      this.lastAckRtt = NaN;
    }
    this.lastFlags = f;
    this.lastDupAckNum = dupNum;
    this.lastDupAckFrame = dupFrame;
    this.lastBytesInFlight = bif;
    if (f || th & TCP_RST) this.count(stream, f, th & TCP_RST);
    if (bif > this.maxBif[stream]!) this.maxBif[stream] = bif;
    if (this.keepPerFrame) {
      if (frame > this.frameFlags.length) this.frameFlags = grow(this.frameFlags, Math.max(frame, this.frameFlags.length * 2));
      this.frameFlags[frame - 1] = f;
      if (frame > this.frameCount) this.frameCount = frame;
    }
  }

  private clearLast(window: number): void {
    this.lastFlags = 0;
    this.lastDupAckNum = 0;
    this.lastDupAckFrame = 0;
    this.lastAckRtt = NaN;
    this.lastAcksFrame = 0;
    this.lastBytesInFlight = 0;
    this.lastWindowScaled = window;
    this.lastScaleFactor = 0;
  }

  /** Initial RTT of a stream in seconds (tcp.analysis.initial_rtt), NaN when unknown. */
  irtt(stream: number): number {
    if (stream >= this.streamsInit) return NaN;
    const v = this.irttNs[stream]!;
    return v === 0 ? NaN : v / 1e9;
  }

  /** Totals for one stream (all zero for a stream never seen). */
  streamStats(stream: number): StreamAnalysisStats {
    const known = stream >= 0 && stream < this.streamsInit;
    const row = known ? this.counterRow[stream]! - 1 : -1;
    const get = (k: number) => (row >= 0 ? this.counters[row * COUNTERS + k]! : 0);
    return {
      retransmissions: get(C_RETRANS),
      fastRetransmissions: get(C_FAST),
      spuriousRetransmissions: get(C_SPURIOUS),
      outOfOrder: get(C_OOO),
      lostSegments: get(C_LOST),
      ackedUnseen: get(C_ACKLOST),
      duplicateAcks: get(C_DUPACK),
      zeroWindows: get(C_ZEROWIN),
      zeroWindowProbes: get(C_ZWP),
      windowFull: get(C_WINFULL),
      windowUpdates: get(C_WINUPDATE),
      keepAlives: get(C_KEEPALIVE),
      resets: get(C_RST),
      maxBytesInFlight: known ? this.maxBif[stream]! : 0,
      irtt: this.irtt(stream),
    };
  }

  /** Unacknowledged segments currently remembered, over all directions (for memory accounting and tests). */
  get unackedSegments(): number {
    return this.segUsed;
  }

  /** Flag mask of a frame (keepPerFrame only; 0 when unknown). */
  flagsOfFrame(frameNumber: number): number {
    return frameNumber >= 1 && frameNumber <= this.frameCount ? this.frameFlags[frameNumber - 1]! : 0;
  }

  private count(stream: number, f: number, rst: number): void {
    let row = this.counterRow[stream]! - 1;
    if (row < 0) {
      row = this.counterRows++;
      if (this.counterRows * COUNTERS > this.counters.length) this.counters = grow(this.counters, this.counters.length * 2);
      this.counterRow[stream] = row + 1;
    }
    const k = this.counters;
    const c = row * COUNTERS;
    if (rst) k[c + C_RST]!++;
    if (f & TA_RETRANSMISSION) k[c + C_RETRANS]!++;
    if (f & TA_FAST_RETRANSMISSION) k[c + C_FAST]!++;
    if (f & TA_SPURIOUS_RETRANSMISSION) k[c + C_SPURIOUS]!++;
    if (f & TA_OUT_OF_ORDER) k[c + C_OOO]!++;
    if (f & TA_LOST_SEGMENT) k[c + C_LOST]!++;
    if (f & TA_ACK_LOST_SEGMENT) k[c + C_ACKLOST]!++;
    if (f & TA_DUPLICATE_ACK) k[c + C_DUPACK]!++;
    if (f & TA_ZERO_WINDOW) k[c + C_ZEROWIN]!++;
    if (f & TA_ZERO_WINDOW_PROBE) k[c + C_ZWP]!++;
    if (f & TA_WINDOW_FULL) k[c + C_WINFULL]!++;
    if (f & TA_WINDOW_UPDATE) k[c + C_WINUPDATE]!++;
    if (f & TA_KEEP_ALIVE) k[c + C_KEEPALIVE]!++;
  }

  /**
   * Applies an ACK number to the peer's unacked segments: segments it covers are forgotten, one it cuts is
   * trimmed, and the oldest segment ending exactly at the ACK gives the RTT (Wireshark's rule). The list is in
   * sequence order, so only segments starting before the ACK are visited.
   */
  private processAck(dirIdx: number, ack: number, now: number): void {
    const sSeq = this.sSeq;
    const sEnd = this.sEnd;
    const sLink = this.sLink;
    let prev = -1;
    let cur = this.segHead[dirIdx]! - 1;
    let matchFrame = 0;
    let matchTime = 0;
    let removedMax = false;
    const maxEnd = this.segMaxEnd[dirIdx]!;
    while (cur >= 0 && seqLt(sSeq[cur]!, ack)) {
      const e = sEnd[cur]!;
      const next = sLink[cur]!;
      if (e !== ack && seqLt(ack, e)) {
        // Partly acknowledged (the sender re-packetised, or GRO/TSO merged segments): keep the rest.
        sSeq[cur] = ack;
        prev = cur;
        cur = next;
        continue;
      }
      if (e === ack) {
        const fr = this.sFrame[cur]!;
        if (matchFrame === 0 || fr < matchFrame) {
          matchFrame = fr;
          matchTime = this.sTime[cur]!;
        }
      }
      if (e === maxEnd) removedMax = true;
      // Unlink and free.
      if (prev < 0) this.segHead[dirIdx] = next + 1;
      else sLink[prev] = next;
      if (next < 0) this.segTail[dirIdx] = prev + 1;
      sLink[cur] = this.segFree;
      this.segFree = cur;
      this.segUsed--;
      this.segCount[dirIdx]!--;
      cur = next;
    }
    if (matchFrame !== 0) {
      this.lastAcksFrame = matchFrame;
      const rtt = now - matchTime;
      // Wireshark prints the RTT only when it is not exactly zero.
      this.lastAckRtt = rtt === 0 ? NaN : rtt / 1e9;
    }
    if (removedMax && this.segHead[dirIdx] !== 0) this.recomputeMaxEnd(dirIdx);
  }

  private recomputeMaxEnd(dirIdx: number): void {
    // Which end reaches furthest is judged in sequence space from the list's first segment.
    let cur = this.segHead[dirIdx]! - 1;
    let best = this.sEnd[cur]!;
    for (cur = this.sLink[cur]!; cur >= 0; cur = this.sLink[cur]!) if (seqGt(this.sEnd[cur]!, best)) best = this.sEnd[cur]!;
    this.segMaxEnd[dirIdx] = best;
  }

  private pushSegment(dirIdx: number, seq: number, end: number, frame: number, now: number, base: number): void {
    let slot = this.segFree;
    if (slot >= 0) {
      this.segFree = this.sLink[slot]!;
    } else {
      if (this.segUsed >= this.segCap) this.growArena();
      // Free list empty means every slot below segUsed is in use.
      slot = this.segUsed;
    }
    this.segUsed++;
    this.sSeq[slot] = seq;
    this.sEnd[slot] = end;
    this.sFrame[slot] = frame;
    this.sTime[slot] = now;
    const count = this.segCount[dirIdx]!;
    this.segCount[dirIdx] = count + 1;
    if (count === 0) {
      this.sLink[slot] = -1;
      this.segHead[dirIdx] = slot + 1;
      this.segTail[dirIdx] = slot + 1;
      this.segMaxEnd[dirIdx] = end;
      return;
    }
    // Wireshark picks the furthest end by distance from the direction's base sequence number.
    if (((end - base) >>> 0) > ((this.segMaxEnd[dirIdx]! - base) >>> 0)) this.segMaxEnd[dirIdx] = end;
    const tail = this.segTail[dirIdx]! - 1;
    if (!seqLt(seq, this.sSeq[tail]!)) {
      // The usual case: new data after everything outstanding.
      this.sLink[tail] = slot;
      this.sLink[slot] = -1;
      this.segTail[dirIdx] = slot + 1;
      return;
    }
    // A retransmission or reordered segment: insert after the last segment starting at or before it.
    let prev = -1;
    let cur = this.segHead[dirIdx]! - 1;
    while (cur >= 0 && !seqLt(seq, this.sSeq[cur]!)) {
      prev = cur;
      cur = this.sLink[cur]!;
    }
    this.sLink[slot] = cur;
    if (prev < 0) this.segHead[dirIdx] = slot + 1;
    else this.sLink[prev] = slot;
  }

  private growArena(): void {
    const n = this.segCap * 2;
    this.sSeq = grow(this.sSeq, n);
    this.sEnd = grow(this.sEnd, n);
    this.sFrame = grow(this.sFrame, n);
    this.sTime = grow(this.sTime, n);
    this.sLink = grow(this.sLink, n);
    this.segCap = n;
  }

  private initStreams(stream: number, capacity: number): void {
    if (stream >= this.streamCap) this.growStreams(capacity);
    for (let s = this.streamsInit; s <= stream; s++) {
      this.mruSyn[s] = NaN;
      for (let i = s * 2; i < s * 2 + 2; i++) {
        this.window[i] = -1;
        this.winScale[i] = -1;
        this.bits[i] = B_VALID_BIF;
        this.lastAckTime[i] = NaN;
        this.nextSeqTime[i] = NaN;
      }
    }
    this.streamsInit = stream + 1;
  }

  private growStreams(n: number): void {
    this.streamCap = n;
    this.mruSyn = grow(this.mruSyn, n);
    this.irttNs = grow(this.irttNs, n);
    this.mptcpOps = grow(this.mptcpOps, n);
    this.hasMptcp = grow(this.hasMptcp, n);
    this.maxBif = grow(this.maxBif, n);
    this.counterRow = grow(this.counterRow, n);
    const d = n * 2;
    this.nextSeq = grow(this.nextSeq, d);
    this.nextSeqTime = grow(this.nextSeqTime, d);
    this.maxSeqToAck = grow(this.maxSeqToAck, d);
    this.lastAck = grow(this.lastAck, d);
    this.lastAckTime = grow(this.lastAckTime, d);
    this.lastNonDupAck = grow(this.lastNonDupAck, d);
    this.dupAckNum = grow(this.dupAckNum, d);
    this.window = grow(this.window, d);
    this.winScale = grow(this.winScale, d);
    this.bits = grow(this.bits, d);
    this.sackBytes = grow(this.sackBytes, d);
    this.mpOpsAtLast = grow(this.mpOpsAtLast, d);
    this.segHead = grow(this.segHead, d);
    this.segTail = grow(this.segTail, d);
    this.segCount = grow(this.segCount, d);
    this.segMaxEnd = grow(this.segMaxEnd, d);
  }
}
