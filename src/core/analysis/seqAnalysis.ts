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
 * State lives in typed arrays, no objects: a 64-byte block per direction (stream * 2 + direction) for what every
 * packet touches, a few arrays per stream for the rest; a flow costs 154 bytes, plus 52 once it has a flag to count.
 * Segments sent but not yet acknowledged live in one shared arena of 24-byte records as per-direction linked lists
 * kept in sequence order, so an ACK only walks the segments it covers.
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
const B_SACK = 32; // the direction's last packet carried SACK blocks (D_SACK_BYTES is their length)

// A direction's state is one 64-byte block (a cache line) of 32-bit words, so a packet reads and writes its own
// direction and its peer's in two lines rather than one line per field: with a million flows most of them are
// cold, and a packet of a cold flow would otherwise miss the cache once per field.
const D_WORDS = 16;
const D_BYTES = D_WORDS * 4;
const D_NEXT_SEQ = 0; // highest seq + len seen (0 = none, as in Wireshark)
const D_MAX_SEQ = 1; // highest contiguous seq seen (maxseqtobeacked)
const D_LAST_ACK = 2;
const D_LAST_NON_DUP_ACK = 3; // frame
const D_DUP_ACKS = 4; // (signed) -1: an "ACKed unseen" verdict is pending suppression
const D_WINDOW = 5; // (signed) raw window of the last packet, -1 before one (Wireshark: all ones)
const D_MISC = 6; // B_* bits, the MPTCP subtypes seen at its last packet (S_MP_OPS), window scale (see winScaleOf)
const D_SACK_BYTES = 7; // SACKed bytes of the last packet, as Wireshark counts them for bytes in flight
const D_SEG_HEAD = 8; // (signed) arena slot + 1 of the first unacked segment, 0 = none
const D_SEG_TAIL = 9;
const D_SEG_COUNT = 10;
const D_SEG_MAX_END = 11; // end of the segment reaching furthest (relative to base), for bytes in flight
// Float64 indexes within the block (word offset / 2 + these): nanosecond times of nextSeq and of the last packet.
const DF_NEXT_SEQ_TIME = 6;
const DF_LAST_ACK_TIME = 7;
const S_MP_OPS = 8;
// 2 MB pages: small enough that the last one wastes little, few enough that their list stays in the cache.
const PAGE_SHIFT = 14;
const PAGE_STREAMS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_STREAMS - 1;
const S_WIN_SCALE = 16;

/** The window scale kept in a D_MISC word: -1 unknown, -2 no scaling, else the shift. */
function winScaleOf(misc: number): number {
  return ((misc >>> S_WIN_SCALE) & 0xff) - 2;
}

function withWinScale(misc: number, shift: number): number {
  return (misc & ~(0xff << S_WIN_SCALE)) | ((shift + 2) << S_WIN_SCALE);
}

// An unacked segment: seq, end, frame, link (signed: next slot or -1), and its time as a float64.
const A_WORDS = 6;
const A_BYTES = A_WORDS * 4;
const A_SEQ = 0;
const A_END = 1;
const A_FRAME = 2;
const A_LINK = 3;
const AF_TIME = 2;

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

  // ---- per direction (stream * 2 + dir): a 64-byte block, one cache line, see D_* ----
  // In pages of PAGE_STREAMS streams, allocated as streams appear: no block is ever copied, and growing never holds
  // an old and a new copy of all of them at once.
  private readonly pu: Uint32Array[] = [];
  private readonly pi: Int32Array[] = [];
  private readonly pf: Float64Array[] = [];

  // ---- unacked segment arena: 24-byte records, see A_* ----
  private segCap = 0;
  private segUsed = 0;
  private segFree = -1;
  private au: Uint32Array;
  private ai: Int32Array;
  private af: Float64Array;

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
    this.segCap = 1024;
    const arena = new ArrayBuffer(this.segCap * A_BYTES);
    this.au = new Uint32Array(arena);
    this.ai = new Int32Array(arena);
    this.af = new Float64Array(arena);
  }

  onTcpPacket(rec: PacketRecord, d: DecodedPacket, stream: number, dir: number, ctx: PacketContext): void {
    if (stream >= this.streamsInit) this.initStreams(stream, grownCapacity(stream + 1, this.streamCap, rec.fileOffset, ctx.fileSize));
    // Word offsets of this packet's direction block (F) and its peer's (R) in the stream's page; float64 index =
    // word offset / 2.
    const page = stream >>> PAGE_SHIFT;
    const F = ((stream & PAGE_MASK) * 2 + dir) * D_WORDS;
    const R = F ^ D_WORDS;
    const du = this.pu[page]!;
    const di = this.pi[page]!;
    const df = this.pf[page]!;
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

    // SACK blocks describe only the latest packet of a direction.
    let fMisc = du[F + D_MISC]! & ~B_SACK;
    let rMisc = du[R + D_MISC]!;

    // A pure SYN repeating the ISN of its direction is a SYN retransmission: Wireshark first rewinds nextseq to the
    // contiguous edge, so whatever moved it past a hole since (issue 17616) does not colour the verdict.
    if ((th & (TCP_SYN | TCP_ACK)) === TCP_SYN && fMisc & B_SEEN && !ctx.isNew && seq === ctx.baseSeq) {
      du[F + D_NEXT_SEQ] = du[F + D_MAX_SEQ]!;
    }

    const fNext = du[F + D_NEXT_SEQ]!;
    const fLastAck = du[F + D_LAST_ACK]!;
    const fWindow = di[F + D_WINDOW]!;
    const rWindow = di[R + D_WINDOW]!;

    if (th & TCP_ACK) rMisc |= B_VALID_BIF;

    // Wireshark's forward checks, in its order: a probe, keep-alive ACK, probe ACK or duplicate ACK ends them.
    checks: {
      if (seglen === 1 && seq === fNext && rWindow === 0) {
        f |= TA_ZERO_WINDOW_PROBE;
        break checks;
      }
      if (win === 0 && noSFR) f |= TA_ZERO_WINDOW;
      if (fNext !== 0 && seqGt(seq, fNext) && !(th & TCP_RST)) {
        f |= TA_LOST_SEGMENT;
        // Bytes in flight cannot be trusted across a gap until the peer ACKs again.
        fMisc &= ~B_VALID_BIF;
      }
      if (seglen <= 1 && seq === ((fNext - 1) >>> 0) && noSFR) f |= TA_KEEP_ALIVE;
      if (!noSFR) break checks;
      const sameEdges = seq === fNext && ack === fLastAck;
      if (seglen === 0 && win !== 0 && win !== fWindow && sameEdges) f |= TA_WINDOW_UPDATE;
      if (seglen > 0) {
        const rs = winScaleOf(rMisc);
        if (rs !== -1) {
          const shift = rMisc & B_FIRST_ACK || rs === -2 ? 0 : rs;
          // Wireshark shifts a 32-bit window (an unseen one is all ones, our -1) and adds modulo 2^32.
          const rightEdge = (du[R + D_LAST_ACK]! + (rWindow << shift)) >>> 0;
          if (((seq + seglen) >>> 0) === rightEdge) f |= TA_WINDOW_FULL;
        }
        break checks;
      }
      if (!sameEdges || win !== fWindow) break checks;
      if (win !== 0 && rMisc & B_KEEP_ALIVE) {
        f |= TA_KEEP_ALIVE_ACK;
        break checks;
      }
      if (win === 0 && rMisc & B_ZWP) {
        f |= TA_ZERO_WINDOW_PROBE_ACK;
        break checks;
      }
      if (win !== 0) {
        // RFC 8684 §4: an MPTCP endpoint may repeat an ACK to carry new MPTCP signalling.
        if (!(this.hasMptcp[stream] && this.mptcpOps[stream] !== ((fMisc >>> S_MP_OPS) & 0xff))) {
          const n = di[F + D_DUP_ACKS] === -1 ? 1 : di[F + D_DUP_ACKS]! + 1;
          di[F + D_DUP_ACKS] = n;
          f |= TA_DUPLICATE_ACK;
          dupNum = n;
          dupFrame = du[F + D_LAST_NON_DUP_ACK]!;
        }
      }
    }

    if (ack !== fLastAck) {
      du[F + D_LAST_NON_DUP_ACK] = frame;
      di[F + D_DUP_ACKS] = 0;
    }

    // ACKed unseen segment: the peer's data this ACK covers never passed the capture point.
    const rMax = du[R + D_MAX_SEQ]!;
    if (rMax !== 0 && th & TCP_ACK && seqGt(ack, rMax)) {
      const rNext = du[R + D_NEXT_SEQ]!;
      if (seqGt(rNext, rMax)) {
        // The peer's data has a hole (we saw data past its contiguous edge): jump the edge to the highest byte
        // seen so the same hole is not reported again.
        du[R + D_MAX_SEQ] = rNext;
        f |= TA_ACK_LOST_SEGMENT;
      } else {
        // Say it once per gap: -1 holds the verdict back until the peer's own ACK number moves.
        if (di[R + D_DUP_ACKS] === 0) f |= TA_ACK_LOST_SEGMENT;
        di[R + D_DUP_ACKS] = -1;
      }
    }

    // Retransmission family: only segments that occupy sequence space.
    if ((seglen > 0 || synOrFin) && !(f & TA_KEEP_ALIVE)) {
      let notAdvanced = fNext !== 0 && seqLt(seq, fNext);
      // New data starting on the byte of an earlier 1-byte zero-window probe is not a retransmission.
      if (seglen > 1 && seq === ((fNext - 1) >>> 0)) notAdvanced = false;
      const rLastAck = du[R + D_LAST_ACK]!;
      if (seglen > 0 && rLastAck !== 0 && seqLe((seq + seglen) >>> 0, rLastAck)) {
        f |= TA_SPURIOUS_RETRANSMISSION | TA_RETRANSMISSION;
      } else if (notAdvanced) {
        const sinceAck = now - df[(R >> 1) + DF_LAST_ACK_TIME]!;
        const sinceNext = now - df[(F >> 1) + DF_NEXT_SEQ_TIME]!;
        const irtt = this.irttNs[stream]!;
        const oooThreshold = irtt === 0 ? DEFAULT_OOO_THRESHOLD_NS : irtt < 0 ? Infinity : irtt;
        // The -1 "ACKed unseen" marker is an unsigned all-ones count in Wireshark, so it passes the >= 2 test.
        const rDup = di[R + D_DUP_ACKS]!;
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
    if ((seglen > 0 || synOrFin) && du[F + D_SEG_COUNT]! < this.maxUnacked) {
      // Wireshark counts SYN/FIN's sequence byte only when it keeps the segment: past the cap it does not.
      if (synOrFin) end = (end + 1) >>> 0;
      this.pushSegment(du, di, F, seq, end, frame, now, ctx.baseSeq);
    }
    if (!(f & TA_ZERO_WINDOW_PROBE)) {
      if (fNext === 0 || seqGt(end, fNext)) {
        du[F + D_NEXT_SEQ] = end;
        df[(F >> 1) + DF_NEXT_SEQ_TIME] = now;
      }
      const m = du[F + D_MAX_SEQ]!;
      if (m === 0 || seq === m) du[F + D_MAX_SEQ] = du[F + D_NEXT_SEQ]!;
    }
    di[F + D_WINDOW] = win;
    du[F + D_LAST_ACK] = ack;
    df[(F >> 1) + DF_LAST_ACK_TIME] = now;
    if (this.hasMptcp[stream]) fMisc = (fMisc & ~(0xff << S_MP_OPS)) | (this.mptcpOps[stream]! << S_MP_OPS);
    fMisc = (fMisc & ~(B_KEEP_ALIVE | B_ZWP)) | B_SEEN | (f & TA_KEEP_ALIVE ? B_KEEP_ALIVE : 0) | (f & TA_ZERO_WINDOW_PROBE ? B_ZWP : 0);
    du[R + D_MISC] = rMisc;

    // The ACK field is compared whether or not the ACK bit is set, as Wireshark does.
    this.lastAcksFrame = 0;
    this.lastAckRtt = NaN;
    if (di[R + D_SEG_HEAD] !== 0) this.processAck(du, di, R, ack, now);

    // Bytes in flight, Wireshark's default (payload) method: the span of this direction's unacked segments.
    let bif = 0;
    const fHead = di[F + D_SEG_HEAD]!;
    if (seglen !== 0 && fHead !== 0 && fMisc & B_VALID_BIF) {
      const base = ctx.baseSeq;
      let inFlight = ((du[F + D_SEG_MAX_END]! - base) >>> 0) - ((this.au[(fHead - 1) * A_WORDS + A_SEQ]! - base) >>> 0);
      inFlight >>>= 0;
      if (rMisc & B_SACK) inFlight = (inFlight - du[R + D_SACK_BYTES]!) >>> 0;
      if (inFlight > 0 && inFlight < 2000000000) bif = synOrFin ? inFlight - 1 : inFlight;
    }

    // ---- what dissect_tcp does after the analysis ----
    let scaled = win;
    let factor = 0;
    if (!(th & TCP_SYN)) {
      const ws = winScaleOf(fMisc);
      if (ws >= 0) {
        scaled = win * (1 << ws);
        factor = 1 << ws;
      } else factor = ws;
    }
    this.lastWindowScaled = scaled;
    this.lastScaleFactor = factor;

    if (th & TCP_SYN) {
      if (!(th & TCP_ACK)) this.mruSyn[stream] = now;
      fMisc |= B_FIRST_ACK;
    }
    if ((th & (TCP_SYN | TCP_ACK)) === TCP_ACK) {
      if (this.irttNs[stream] === 0 && this.mruSyn[stream] === this.mruSyn[stream]) {
        this.irttNs[stream] = now - this.mruSyn[stream]!;
      }
      fMisc &= ~B_FIRST_ACK;
    }
    // Options are read after the analysis: their effect starts with the next packet.
    if (d.windowScale >= 0) fMisc = withWinScale(fMisc, d.windowScale > 14 ? 14 : d.windowScale);
    if (d.sackCount > 0) {
      // Wireshark keeps at most three blocks of a SACK option for this (its storage starts at index 1 of four).
      const n = d.sackCount < 3 ? d.sackCount : 3;
      let bytes = 0;
      for (let k = 0; k < n; k++) bytes = (bytes + (d.sackRight[k]! - d.sackLeft[k]!)) >>> 0;
      fMisc |= B_SACK;
      du[F + D_SACK_BYTES] = bytes;
    }
    // tshark stops dissecting the header where the snaplen cut its options: the verdicts above are reached and
    // remembered, but nothing after the options runs (the handshake's window-scaling check) or is shown.
    const optionsCut = d.tcpOptionsTruncated;
    if (th & TCP_SYN && !optionsCut) {
      // Scaling is in force only if both SYNs carried the option; otherwise the header window is the window.
      if (winScaleOf(fMisc) === -1) {
        fMisc = withWinScale(fMisc, -2);
        du[R + D_MISC] = withWinScale(du[R + D_MISC]!, -2);
      } else if (th & TCP_ACK && winScaleOf(du[R + D_MISC]!) === -2) {
        fMisc = withWinScale(fMisc, -2);
      }
    }
    du[F + D_MISC] = fMisc;
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
      this.counters.fill(0, row * COUNTERS, (row + 1) * COUNTERS);
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
   * sequence order, so only segments starting before the ACK are visited. `D` is the word offset of the peer's
   * direction block.
   */
  private processAck(du: Uint32Array, di: Int32Array, D: number, ack: number, now: number): void {
    const au = this.au;
    const ai = this.ai;
    let prev = -1;
    let cur = di[D + D_SEG_HEAD]! - 1;
    let matchFrame = 0;
    let matchTime = 0;
    let removedMax = false;
    let removed = 0;
    const maxEnd = du[D + D_SEG_MAX_END]!;
    while (cur >= 0) {
      const a = cur * A_WORDS;
      if (!seqLt(au[a + A_SEQ]!, ack)) break;
      const e = au[a + A_END]!;
      const next = ai[a + A_LINK]!;
      if (e !== ack && seqLt(ack, e)) {
        // Partly acknowledged (the sender re-packetised, or GRO/TSO merged segments): keep the rest.
        au[a + A_SEQ] = ack;
        prev = cur;
        cur = next;
        continue;
      }
      if (e === ack) {
        const fr = au[a + A_FRAME]!;
        if (matchFrame === 0 || fr < matchFrame) {
          matchFrame = fr;
          matchTime = this.af[(a >> 1) + AF_TIME]!;
        }
      }
      if (e === maxEnd) removedMax = true;
      // Unlink and free.
      if (prev < 0) di[D + D_SEG_HEAD] = next + 1;
      else ai[prev * A_WORDS + A_LINK] = next;
      if (next < 0) di[D + D_SEG_TAIL] = prev + 1;
      ai[a + A_LINK] = this.segFree;
      this.segFree = cur;
      removed++;
      cur = next;
    }
    if (removed !== 0) {
      this.segUsed -= removed;
      du[D + D_SEG_COUNT]! -= removed;
    }
    if (matchFrame !== 0) {
      this.lastAcksFrame = matchFrame;
      const rtt = now - matchTime;
      // Wireshark prints the RTT only when it is not exactly zero.
      this.lastAckRtt = rtt === 0 ? NaN : rtt / 1e9;
    }
    if (removedMax && di[D + D_SEG_HEAD] !== 0) this.recomputeMaxEnd(du, di, D);
  }

  private recomputeMaxEnd(du: Uint32Array, di: Int32Array, D: number): void {
    // Which end reaches furthest is judged in sequence space from the list's first segment.
    const au = this.au;
    const ai = this.ai;
    let cur = di[D + D_SEG_HEAD]! - 1;
    let best = au[cur * A_WORDS + A_END]!;
    for (cur = ai[cur * A_WORDS + A_LINK]!; cur >= 0; cur = ai[cur * A_WORDS + A_LINK]!) {
      const e = au[cur * A_WORDS + A_END]!;
      if (seqGt(e, best)) best = e;
    }
    du[D + D_SEG_MAX_END] = best;
  }

  private pushSegment(du: Uint32Array, di: Int32Array, D: number, seq: number, end: number, frame: number, now: number, base: number): void {
    let slot = this.segFree;
    if (slot >= 0) {
      this.segFree = this.ai[slot * A_WORDS + A_LINK]!;
    } else {
      if (this.segUsed >= this.segCap) this.growArena();
      // Free list empty means every slot below segUsed is in use.
      slot = this.segUsed;
    }
    this.segUsed++;
    const au = this.au;
    const ai = this.ai;
    const a = slot * A_WORDS;
    au[a + A_SEQ] = seq;
    au[a + A_END] = end;
    au[a + A_FRAME] = frame;
    this.af[(a >> 1) + AF_TIME] = now;
    const count = du[D + D_SEG_COUNT]!;
    du[D + D_SEG_COUNT] = count + 1;
    if (count === 0) {
      ai[a + A_LINK] = -1;
      di[D + D_SEG_HEAD] = slot + 1;
      di[D + D_SEG_TAIL] = slot + 1;
      du[D + D_SEG_MAX_END] = end;
      return;
    }
    // Wireshark picks the furthest end by distance from the direction's base sequence number.
    if (((end - base) >>> 0) > ((du[D + D_SEG_MAX_END]! - base) >>> 0)) du[D + D_SEG_MAX_END] = end;
    const tail = di[D + D_SEG_TAIL]! - 1;
    if (!seqLt(seq, au[tail * A_WORDS + A_SEQ]!)) {
      // The usual case: new data after everything outstanding.
      ai[tail * A_WORDS + A_LINK] = slot;
      ai[a + A_LINK] = -1;
      di[D + D_SEG_TAIL] = slot + 1;
      return;
    }
    // A retransmission or reordered segment: insert after the last segment starting at or before it.
    let prev = -1;
    let cur = di[D + D_SEG_HEAD]! - 1;
    while (cur >= 0 && !seqLt(seq, au[cur * A_WORDS + A_SEQ]!)) {
      prev = cur;
      cur = ai[cur * A_WORDS + A_LINK]!;
    }
    ai[a + A_LINK] = cur;
    if (prev < 0) di[D + D_SEG_HEAD] = slot + 1;
    else ai[prev * A_WORDS + A_LINK] = slot;
  }

  private growArena(): void {
    const n = this.segCap * 2;
    const arena = new ArrayBuffer(n * A_BYTES);
    const au = new Uint32Array(arena);
    au.set(this.au);
    this.au = au;
    this.ai = new Int32Array(arena);
    this.af = new Float64Array(arena);
    this.segCap = n;
  }

  private initStreams(stream: number, capacity: number): void {
    if (stream >= this.streamCap) this.growStreams(capacity);
    for (let s = this.streamsInit; s <= stream; s++) {
      this.mruSyn[s] = NaN;
      // Written before anything reads them, so no page of these arrays is first mapped as the zero page (see
      // touchAhead in util/typed.ts). The MPTCP ones, which most streams never write, are left to it.
      this.irttNs[s] = 0;
      this.maxBif[s] = 0;
      this.counterRow[s] = 0;
      const page = s >>> PAGE_SHIFT;
      if (page === this.pu.length) {
        const buf = new ArrayBuffer(PAGE_STREAMS * 2 * D_BYTES);
        this.pu.push(new Uint32Array(buf));
        this.pi.push(new Int32Array(buf));
        this.pf.push(new Float64Array(buf));
      }
      const di = this.pi[page]!;
      const df = this.pf[page]!;
      const first = (s & PAGE_MASK) * 2 * D_WORDS;
      for (let D = first; D < first + 2 * D_WORDS; D += D_WORDS) {
        di[D + D_WINDOW] = -1;
        di[D + D_MISC] = withWinScale(B_VALID_BIF, -1);
        df[(D >> 1) + DF_LAST_ACK_TIME] = NaN;
        df[(D >> 1) + DF_NEXT_SEQ_TIME] = NaN;
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
  }
}
