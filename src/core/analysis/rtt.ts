import type { PacketContext, TcpPacketObserver } from '../analyzeCapture';
import type { PacketRecord } from '../capture/types';
import type { DecodedPacket } from '../decode/packet';
import { grow } from '../util/typed';
import type { SequenceAnalyzer } from './seqAnalysis';

/**
 * Per-flow RTT statistics from the per-ACK samples (Wireshark's tcp.analysis.ack_rtt): count, min, max exactly,
 * and median / p95 from a bounded reservoir of samples per flow. Flows with at most RESERVOIR samples (nearly all
 * of them) get exact quantiles; longer flows get a uniform sample, so memory stays O(flows), not O(packets).
 *
 * Must run after the SequenceAnalyzer: it reads that packet's lastAckRtt.
 */

export const RTT_RESERVOIR = 32;

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
  private block = new Int32Array(0); // reservoir block index + 1 (0 = none yet)
  private pool = new Float32Array(RTT_RESERVOIR * 1024);
  private blocks = 0;
  // A fixed-seed generator keeps the sampled quantiles reproducible run to run.
  private rng = 0x9e3779b9;

  constructor(private readonly seq: SequenceAnalyzer) {
    this.growStreams(1024);
  }

  onTcpPacket(_rec: PacketRecord, _d: DecodedPacket, s: number, _dir: number, _ctx: PacketContext): void {
    const rtt = this.seq.lastAckRtt;
    if (rtt !== rtt) return;
    if (s >= this.cap) this.growStreams(Math.max(s + 1, this.cap * 2));
    const n = ++this.count[s]!;
    const ms = rtt * 1000;
    if (n === 1 || ms < this.min[s]!) this.min[s] = ms;
    if (n === 1 || ms > this.max[s]!) this.max[s] = ms;
    let b = this.block[s]!;
    if (b === 0) {
      if ((this.blocks + 1) * RTT_RESERVOIR > this.pool.length) this.pool = grow(this.pool, this.pool.length * 2);
      b = this.block[s] = ++this.blocks;
    }
    const base = (b - 1) * RTT_RESERVOIR;
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
    const base = (this.block[s]! - 1) * RTT_RESERVOIR;
    const v = Array.from(this.pool.subarray(base, base + k)).sort((x, y) => x - y);
    const q = (p: number) => v[Math.min(k - 1, Math.ceil(p * k) - 1)]!;
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return { samples: n, minMs: r(this.min[s]!), medianMs: r(q(0.5)), p95Ms: r(q(0.95)), maxMs: r(this.max[s]!), sampled: n > RTT_RESERVOIR };
  }

  private growStreams(c: number): void {
    this.count = grow(this.count, c);
    this.min = grow(this.min, c);
    this.max = grow(this.max, c);
    this.block = grow(this.block, c);
    this.cap = c;
  }
}
