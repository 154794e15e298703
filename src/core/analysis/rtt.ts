import type { TcpPacketObserver } from '../analyzeCapture';
import type { PacketContext } from './packetContext';
import type { PacketRecord } from '../capture/types';
import type { DecodedPacket } from '../decode/packet';
import { grow, touchAhead } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import type { SequenceAnalyzer } from './seqAnalysis';

/**
 * Per-flow RTT statistics from the per-ACK samples (Wireshark's tcp.analysis.ack_rtt): count, min, max exactly,
 * and median / p95 from a bounded reservoir of samples per flow. Flows with at most RESERVOIR samples (nearly all
 * of them) get exact quantiles; longer flows get a uniform sample, so memory stays O(flows), not O(packets).
 *
 * Must run after the SequenceAnalyzer: it reads that packet's lastAckRtt.
 */

export const RTT_RESERVOIR = 32;
/** Samples a flow keeps before it moves to a full reservoir: most flows never take more, and 8 floats are cheap. */
const SMALL = 8;

export interface RttStats {
  samples: number;
  minMs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** True when median and p95 come from a sample of the flow's RTTs rather than all of them. */
  sampled: boolean;
}

export class RttCollector implements TcpPacketObserver {
  private cap = 0;
  private count = new Uint32Array(0);
  private min = new Float64Array(0);
  private max = new Float64Array(0);
  // Block of a flow's samples: k + 1 for small block k (SMALL samples), -(k + 1) for reservoir block k; 0 = none.
  private block = new Int32Array(0);
  private small = new Float32Array(SMALL * 1024);
  private smallBlocks = 0;
  private pool = new Float32Array(RTT_RESERVOIR * 64);
  private blocks = 0;
  // A fixed-seed generator keeps the sampled quantiles reproducible run to run.
  private rng = 0x9e3779b9;
  private readonly scratch = new Float64Array(RTT_RESERVOIR);

  constructor(private readonly seq: SequenceAnalyzer) {
    this.growStreams(1024);
  }

  onTcpPacket(rec: PacketRecord, _d: DecodedPacket, s: number, _dir: number, ctx: PacketContext): void {
    const rtt = this.seq.lastAckRtt;
    if (rtt !== rtt) return;
    if (s >= this.cap) this.growStreams(grownCapacity(s + 1, this.cap, rec.fileOffset, ctx.fileSize));
    while (s >= this.touched) this.touched = touchAhead([this.count, this.min, this.max, this.block], this.cap, this.touched);
    const n = ++this.count[s]!;
    const ms = rtt * 1000;
    if (n === 1 || ms < this.min[s]!) this.min[s] = ms;
    if (n === 1 || ms > this.max[s]!) this.max[s] = ms;
    let b = this.block[s]!;
    if (n <= SMALL) {
      if (b === 0) {
        // Sized like the per-stream arrays, from how far into the file the pass is: doubling a 16 MB block array
        // late left the old one as garbage at the end of the pass, where peak memory is measured.
        if ((this.smallBlocks + 1) * SMALL > this.small.length) {
          this.small = grow(this.small, grownCapacity(this.smallBlocks + 1, this.small.length / SMALL, rec.fileOffset, ctx.fileSize) * SMALL);
        }
        b = this.block[s] = ++this.smallBlocks;
      }
      this.small[(b - 1) * SMALL + n - 1] = ms;
      return;
    }
    if (b > 0) {
      // The ninth sample: the flow moves to a full reservoir (its small block is left unused).
      if ((this.blocks + 1) * RTT_RESERVOIR > this.pool.length) {
        this.pool = grow(this.pool, grownCapacity(this.blocks + 1, this.pool.length / RTT_RESERVOIR, rec.fileOffset, ctx.fileSize) * RTT_RESERVOIR);
      }
      const from = (b - 1) * SMALL;
      this.pool.set(this.small.subarray(from, from + SMALL), this.blocks * RTT_RESERVOIR);
      b = this.block[s] = -++this.blocks;
    }
    const base = (-b - 1) * RTT_RESERVOIR;
    if (n <= RTT_RESERVOIR) {
      this.pool[base + n - 1] = ms;
    } else {
      // Reservoir sampling (Algorithm R): keep each of the n samples with probability RESERVOIR / n.
      this.rng = (Math.imul(this.rng, 1664525) + 1013904223) >>> 0;
      const j = this.rng % n;
      if (j < RTT_RESERVOIR) this.pool[base + j] = ms;
    }
  }

  stats(s: number): RttStats | undefined {
    const n = s < this.cap ? this.count[s]! : 0;
    if (n === 0) return undefined;
    const k = Math.min(n, RTT_RESERVOIR);
    const b = this.block[s]!;
    const v = Array.from(b > 0 ? this.small.subarray((b - 1) * SMALL, (b - 1) * SMALL + k) : this.pool.subarray((-b - 1) * RTT_RESERVOIR, (-b - 1) * RTT_RESERVOIR + k)).sort((x, y) => x - y);
    const q = (p: number) => v[Math.min(k - 1, Math.ceil(p * k) - 1)]!;
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return { samples: n, minMs: r(this.min[s]!), medianMs: r(q(0.5)), p95Ms: r(q(0.95)), maxMs: r(this.max[s]!), sampled: n > RTT_RESERVOIR };
  }

  /**
   * stats(s).medianMs without allocating (NaN when the flow has no sample): the flows table ranks a million flows
   * by it, and an array per flow made that first sort take over a second. The reservoir (at most RTT_RESERVOIR
   * values) is insertion-sorted into a scratch buffer; the rank and rounding are the ones stats() uses.
   */
  medianMs(s: number): number {
    const n = s >= 0 && s < this.cap ? this.count[s]! : 0;
    if (n === 0) return NaN;
    const k = Math.min(n, RTT_RESERVOIR);
    const b = this.block[s]!;
    const src = b > 0 ? this.small : this.pool;
    const base = b > 0 ? (b - 1) * SMALL : (-b - 1) * RTT_RESERVOIR;
    const v = this.scratch;
    for (let i = 0; i < k; i++) {
      const x = src[base + i]!;
      let j = i - 1;
      while (j >= 0 && v[j]! > x) {
        v[j + 1] = v[j]!;
        j--;
      }
      v[j + 1] = x;
    }
    return Math.round(v[Math.min(k - 1, Math.ceil(0.5 * k) - 1)]! * 1000) / 1000;
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  private growStreams(c: number): void {
    this.count = grow(this.count, c);
    this.min = grow(this.min, c);
    this.max = grow(this.max, c);
    this.block = grow(this.block, c);
    this.cap = c;
  }
}
