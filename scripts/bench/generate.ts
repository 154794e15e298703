import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './prng';
import { be16, be32, foldChecksum, PayloadPattern, PcapWriter, wordSum } from './pcapWriter';

/**
 * Deterministic synthetic captures for the benchmark. Traffic is simulated flow by flow: when a flow starts its
 * whole packet plan (handshake, request/response exchanges with slow start and delayed ACKs, losses and their
 * retransmissions, the ending) goes into one time-ordered heap, and packets leave the heap into the file in time
 * order. Only the plans of flows still in progress are held, so memory is bounded by concurrency, not by size.
 *
 * The capture point is the server side (a data centre tap): the server's packets and the client's ACKs of them are
 * one RTT apart, the client's packets and the server's ACKs a few microseconds apart.
 *
 * Bump GENERATOR_VERSION whenever the output bytes change: it is part of the cached file names.
 */
export const GENERATOR_VERSION = 6;

export type CaptureKind = 'flows' | 'bulk';

export interface CaptureMeta {
  generatorVersion: number;
  kind: CaptureKind;
  scale: number;
  seed: number;
  file: string;
  /** TCP conversations written: what tcp.stream numbering (and so our flow table) must count. */
  flows: number;
  packets: number;
  tcpPackets: number;
  bytes: number;
  ipv6Flows: number;
  reusedTuples: number;
  retransmissions: number;
  refused: number;
  resets: number;
  durationSeconds: number;
  generateSeconds: number;
}

interface KindSpec {
  flows: number;
  seed: number;
  meanGapUs: number;
}

const SPECS: Record<CaptureKind, KindSpec> = {
  // ~1 M flows, ~10 M packets, ~3.5 GB at scale 1.
  flows: { flows: 1_000_000, seed: 0x7c95c0e1, meanGapUs: 600 },
  // ~2 k long transfers, ~1 GB at scale 1.
  bulk: { flows: 2_000, seed: 0x0b0c0b0c, meanGapUs: 30_000 },
};

const CLIENT = 0;
const SERVER = 1;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

const OPT_NONE = 0;
const OPT_TS = 1;
const OPT_SYN = 2;
const OPT_TS_SACK = 3;
const OPT_LEN = [0, 12, 20, 24];

const SERVERS = 16;
const EPHEMERAL_LO = 32768;
const EPHEMERAL_COUNT = 61000 - 32768;
const REUSE_RING = 4096;
const EPOCH_US = 1_700_000_000 * 1e6;

interface Flow {
  udp: boolean;
  v6: boolean;
  client: number;
  server: number;
  cPort: number;
  sPort: number;
  isnC: number;
  nxt0: number;
  nxt1: number;
  mss: number;
  rtt: number;
  /** Microseconds between back-to-back segments of one sender (its bottleneck rate). */
  pace: number;
  maxCwnd: number;
  tsBase0: number;
  tsBase1: number;
  ipId0: number;
  ipId1: number;
  ttl0: number;
  win0: number;
  win1: number;
  flowLabel: number;
  /** Packets planned but not yet written; at 0 the tuple may be reused. */
  remaining: number;
}

interface Pkt {
  t: number;
  id: number;
  f: Flow;
  dir: number;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  opt: number;
  sl: number;
  sr: number;
}

/** Min-heap on (time, emission order): equal times keep plan order, so the output is fully deterministic. */
class PacketHeap {
  private readonly a: Pkt[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): Pkt | undefined {
    return this.a[0];
  }

  push(p: Pkt): void {
    const a = this.a;
    let i = a.length;
    a.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = a[parent]!;
      if (q.t < p.t || (q.t === p.t && q.id < p.id)) break;
      a[i] = q;
      i = parent;
    }
    a[i] = p;
  }

  pop(): Pkt {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        const r = c + 1;
        if (r < n && (a[r]!.t < a[c]!.t || (a[r]!.t === a[c]!.t && a[r]!.id < a[c]!.id))) c = r;
        const x = a[c]!;
        if (last.t < x.t || (last.t === x.t && last.id < x.id)) break;
        a[i] = x;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

class Generator {
  readonly rng: Rng;
  private readonly heap = new PacketHeap();
  private readonly pattern: PayloadPattern;
  private nextId = 0;
  private lastAckT = 0;
  private readonly portsUsed: Int32Array;
  private readonly ring: Flow[] = [];
  private ringPos = 0;

  flows = 0;
  tcpPackets = 0;
  ipv6Flows = 0;
  reusedTuples = 0;
  retransmissions = 0;
  refused = 0;
  resets = 0;
  firstT = 0;
  lastT = 0;

  constructor(
    private readonly w: PcapWriter,
    seed: number,
    private readonly clients: number,
  ) {
    this.rng = new Rng(seed);
    this.pattern = new PayloadPattern(() => this.rng.u32());
    this.portsUsed = new Int32Array(clients);
  }

  run(kind: CaptureKind, nFlows: number, meanGapUs: number, label: string): void {
    const rng = this.rng;
    let started = 0;
    let nextStart = EPOCH_US;
    this.firstT = nextStart;
    const t0 = Date.now();
    let lastReport = t0;
    let n = 0;
    const heap = this.heap;
    while (started < nFlows || heap.size > 0) {
      const top = heap.peek();
      if (started < nFlows && (!top || nextStart <= top.t)) {
        if (kind === 'flows') this.startShort(nextStart);
        else this.startBulk(nextStart);
        started++;
        nextStart += Math.max(1, Math.round(rng.exp(meanGapUs)));
        continue;
      }
      const p = heap.pop();
      this.write(p);
      this.lastT = p.t;
      if (--p.f.remaining === 0 && !p.f.udp) {
        // Only a fully finished conversation's tuple is reused, so its stream count stays unambiguous.
        if (this.ring.length < REUSE_RING) this.ring.push(p.f);
        else this.ring[this.ringPos++ % REUSE_RING] = p.f;
      }
      if ((++n & 0xffff) === 0) {
        const now = Date.now();
        if (now - lastReport >= 5000) {
          lastReport = now;
          const gb = (this.w.bytes + this.w.pos) / 1e9;
          process.stderr.write(
            `  generating ${label}: ${((100 * started) / nFlows).toFixed(0)}% of flows, ${(n / 1e6).toFixed(2)} M packets, ${gb.toFixed(2)} GB, ${((now - t0) / 1000).toFixed(0)} s\n`,
          );
        }
      }
    }
  }

  // ---------------------------------------------------------------- flows

  private newFlow(v6: boolean, bulk: boolean): Flow {
    const rng = this.rng;
    let client = rng.int(0, this.clients - 1);
    // Ephemeral ports are handed out per client without wrapping, so no tuple repeats unless we mean it to.
    while (this.portsUsed[client]! >= EPHEMERAL_COUNT) client = (client + 1) % this.clients;
    const used = this.portsUsed[client]!++;
    const cPort = EPHEMERAL_LO + ((((client * 7919) % EPHEMERAL_COUNT) + used) % EPHEMERAL_COUNT);
    const server = rng.int(0, SERVERS - 1);
    const u = rng.next();
    const sPort = bulk
      ? u < 0.6 ? 443 : u < 0.8 ? 22 : u < 0.9 ? 873 : 445
      : u < 0.7 ? 443 : u < 0.85 ? 80 : u < 0.9 ? 8080 : u < 0.94 ? 5432 : u < 0.98 ? 6379 : 22;
    const windows = rng.chance(0.3);
    return {
      udp: false,
      v6,
      client,
      server,
      cPort,
      sPort,
      isnC: 0,
      nxt0: 0,
      nxt1: 0,
      mss: v6 ? 1428 : 1448,
      rtt: bulk ? rng.logUniform(500, 80_000) : rng.logUniform(1_000, 150_000),
      pace: bulk ? 12112 / rng.logUniform(20, 1000) : 12,
      maxCwnd: bulk ? 10_000 : 64,
      tsBase0: rng.u32(),
      tsBase1: rng.u32(),
      ipId0: rng.int(0, 0xffff),
      ipId1: rng.int(0, 0xffff),
      ttl0: (windows ? 128 : 64) - rng.int(3, 20),
      win0: windows ? 1026 : 502,
      win1: 509,
      flowLabel: rng.u32() & 0xfffff,
      remaining: 0,
    };
  }

  /** A fresh flow, or now and then one reusing the 4-tuple of a finished conversation (busy NATs do that). */
  private pickFlow(bulk: boolean): Flow {
    const rng = this.rng;
    if (this.ring.length > 0 && rng.chance(0.01)) {
      // Taken out of the ring so that two live conversations never share a tuple.
      const k = rng.int(0, this.ring.length - 1);
      const old = this.ring[k]!;
      this.ring[k] = this.ring[this.ring.length - 1]!;
      this.ring.pop();
      const f = this.newFlow(old.v6, bulk);
      this.portsUsed[f.client]!--; // not a fresh port after all
      f.client = old.client;
      f.server = old.server;
      f.cPort = old.cPort;
      f.sPort = old.sPort;
      f.isnC = old.isnC;
      this.reusedTuples++;
      return f;
    }
    return this.newFlow(rng.chance(bulk ? 0.1 : 0.12), bulk);
  }

  private emit(f: Flow, t: number, dir: number, flags: number, seq: number, ack: number, len: number, opt: number, sl = 0, sr = 0): void {
    f.remaining++;
    this.heap.push({ t: Math.round(t), id: this.nextId++, f, dir, flags, seq: seq >>> 0, ack: ack >>> 0, len, opt, sl: sl >>> 0, sr: sr >>> 0 });
  }

  private dns(t: number): number {
    const rng = this.rng;
    const f = this.newFlow(false, false);
    this.portsUsed[f.client]!--;
    f.udp = true;
    f.cPort = rng.int(EPHEMERAL_LO, 60999);
    f.sPort = 53;
    f.server = SERVERS; // the resolver
    const id = rng.int(0, 0xffff);
    this.emit(f, t, CLIENT, 0, id, 0, DNS_QUERY.length, OPT_NONE);
    const answered = t + rng.logUniform(200, 20_000);
    this.emit(f, answered, SERVER, 0, id, 0, DNS_ANSWER.length, OPT_NONE);
    return answered + rng.int(20, 200);
  }

  /** SYN, then the server's answer. Returns the time of the handshake's last packet, or -1 when there is no connection. */
  private handshake(f: Flow, t: number): number {
    const rng = this.rng;
    this.flows++;
    if (f.v6) this.ipv6Flows++;
    let isn = rng.u32();
    if (isn === f.isnC) isn = (isn + 1) >>> 0;
    f.isnC = isn;
    const isnS = rng.u32();
    this.emit(f, t, CLIENT, SYN, isn, 0, 0, OPT_SYN);
    const u = rng.next();
    if (u < 0.04) {
      // Refused: nothing listens on the port.
      this.emit(f, t + rng.int(15, 60), SERVER, RST | ACK, 0, isn + 1, 0, OPT_NONE);
      this.refused++;
      return -1;
    }
    if (u < 0.05) {
      // No answer at all (firewalled, server gone): the client's SYN retransmission timer doubles.
      this.emit(f, t + 1_000_000 + rng.int(0, 2000), CLIENT, SYN, isn, 0, 0, OPT_SYN);
      this.emit(f, t + 3_000_000 + rng.int(0, 4000), CLIENT, SYN, isn, 0, 0, OPT_SYN);
      this.retransmissions += 2;
      return -1;
    }
    if (u < 0.055) {
      // First SYN dropped by a full accept backlog; the retransmission a second later gets through.
      t += 1_000_000 + rng.int(0, 2000);
      this.emit(f, t, CLIENT, SYN, isn, 0, 0, OPT_SYN);
      this.retransmissions++;
    }
    t += rng.int(15, 60);
    this.emit(f, t, SERVER, SYN | ACK, isnS, isn + 1, 0, OPT_SYN);
    t += f.rtt;
    this.emit(f, t, CLIENT, ACK, isn + 1, isnS + 1, 0, OPT_TS);
    f.nxt0 = (isn + 1) >>> 0;
    f.nxt1 = (isnS + 1) >>> 0;
    return t;
  }

  /**
   * One side sends `size` bytes: slow start in RTT rounds, the peer ACKs every second segment, a lost segment
   * (lost beyond the capture point) is seen twice, with the peer's duplicate SACKing ACKs in between.
   * Returns the time of the last data segment; this.lastAckT is the time of the ACK that completes it. With
   * `ackEnd` false the peer's answer carries the final ACK (a request and its response), so none is sent alone.
   */
  private transfer(f: Flow, from: number, t: number, size: number, lossP: number, ackEnd = true): number {
    const rng = this.rng;
    const to = from ^ 1;
    let seq = from === CLIENT ? f.nxt0 : f.nxt1;
    const peerSeq = from === CLIENT ? f.nxt1 : f.nxt0;
    const ackDelay = from === SERVER ? f.rtt : rng.int(15, 60);
    let cwnd = 10;
    let sentInRound = 0;
    let roundStart = t;
    let segT = t;
    let unacked = 0;
    let hole = -1;
    let holeEnd = 0;
    let repairT = 0;
    let lastSegT = t;
    let lastAckT = t;
    let remaining = size;
    while (remaining > 0) {
      if (sentInRound === cwnd) {
        roundStart = Math.max(segT, roundStart + f.rtt);
        segT = roundStart;
        sentInRound = 0;
        cwnd = Math.min(cwnd * 2, f.maxCwnd);
      }
      const len = Math.min(f.mss, remaining);
      remaining -= len;
      this.emit(f, segT, from, ACK | (remaining === 0 ? PSH : 0), seq, peerSeq, len, OPT_TS);
      if (hole < 0 && lossP > 0 && rng.chance(lossP)) {
        hole = seq;
        holeEnd = seq + len;
        // Three duplicate ACKs trigger a fast retransmit; without them only the retransmission timer can.
        repairT = segT + (remaining >= 3 * f.mss ? f.rtt * 1.1 + 3 * f.pace : Math.max(200_000, 2 * f.rtt));
        this.emit(f, repairT, from, ACK, seq, peerSeq, len, OPT_TS);
        this.retransmissions++;
      }
      seq = (seq + len) >>> 0;
      sentInRound++;
      unacked++;
      lastSegT = segT;
      if (unacked === 2 || (remaining === 0 && ackEnd)) {
        const ackT = segT + ackDelay;
        if (hole >= 0 && ackT < repairT + ackDelay) {
          this.emit(f, ackT, to, ACK, peerSeq, hole, 0, OPT_TS_SACK, holeEnd, seq);
        } else {
          this.emit(f, ackT, to, ACK, peerSeq, seq, 0, OPT_TS);
          hole = -1;
        }
        lastAckT = ackT;
        unacked = 0;
      }
      segT += f.pace;
    }
    if (hole >= 0) {
      lastAckT = Math.max(lastAckT, repairT + ackDelay) + 1;
      this.emit(f, lastAckT, to, ACK, peerSeq, seq, 0, OPT_TS);
    }
    if (from === CLIENT) f.nxt0 = seq;
    else f.nxt1 = seq;
    this.lastAckT = lastAckT;
    return lastSegT;
  }

  private ending(f: Flow, t: number, idleLo: number, idleHi: number): void {
    const rng = this.rng;
    const u = rng.next();
    const c = f.nxt0;
    const s = f.nxt1;
    if (u < 0.6) {
      t += rng.logUniform(idleLo, idleHi);
      this.emit(f, t, CLIENT, FIN | ACK, c, s, 0, OPT_TS);
      t += rng.int(15, 60);
      this.emit(f, t, SERVER, FIN | ACK, s, c + 1, 0, OPT_TS);
      this.emit(f, t + f.rtt, CLIENT, ACK, c + 1, s + 1, 0, OPT_TS);
    } else if (u < 0.85) {
      // Server side close: half of them the keep-alive timeout.
      t += rng.chance(0.5) ? 5_000_000 : rng.logUniform(idleLo, idleHi);
      this.emit(f, t, SERVER, FIN | ACK, s, c, 0, OPT_TS);
      t += f.rtt;
      this.emit(f, t, CLIENT, FIN | ACK, c, s + 1, 0, OPT_TS);
      this.emit(f, t + rng.int(15, 60), SERVER, ACK, s + 1, c + 1, 0, OPT_TS);
    } else if (u < 0.95) {
      this.emit(f, t + rng.logUniform(idleLo, idleHi), CLIENT, RST | ACK, c, s, 0, OPT_NONE);
      this.resets++;
    } else {
      this.emit(f, t + rng.logUniform(idleLo, idleHi), SERVER, RST, s, 0, 0, OPT_NONE);
      this.resets++;
    }
  }

  /** Mostly small API/page responses with a long tail: ~2 KB on average, so ~350 bytes per packet overall. */
  private responseSize(): number {
    const rng = this.rng;
    const u = rng.next();
    if (u < 0.35) return rng.int(60, 900);
    if (u < 0.9) return rng.int(900, 3300);
    if (u < 0.995) return rng.int(3000, 9000);
    return Math.round(rng.logUniform(9000, 100_000));
  }

  private startShort(t: number): void {
    const rng = this.rng;
    if (rng.chance(0.08)) t = this.dns(t);
    const f = this.pickFlow(false);
    t = this.handshake(f, t);
    if (t < 0) return;
    const requests = rng.chance(0.92) ? 1 : 2;
    for (let i = 0; i < requests; i++) {
      t += i === 0 ? rng.int(5, 300) : rng.logUniform(2_000, 2_000_000);
      const req = rng.chance(0.02) ? rng.int(2000, 8000) : rng.int(100, 700);
      const reqEnd = this.transfer(f, CLIENT, t, req, 0.001, false);
      const think = rng.logUniform(150, 60_000);
      if (think > 40_000) this.emit(f, reqEnd + 40_000, SERVER, ACK, f.nxt1, f.nxt0, 0, OPT_TS);
      this.transfer(f, SERVER, reqEnd + think, this.responseSize(), 0.004);
      t = this.lastAckT;
    }
    this.ending(f, t, 500, 500_000);
  }

  private startBulk(t: number): void {
    const rng = this.rng;
    const f = this.pickFlow(true);
    t = this.handshake(f, t);
    if (t < 0) return;
    const size = Math.round(rng.logUniform(20e3, 2.2e6));
    const lossP = rng.logUniform(0.0002, 0.005);
    t += rng.int(5, 300);
    if (rng.chance(0.8)) {
      const reqEnd = this.transfer(f, CLIENT, t, rng.int(150, 600), 0, false);
      this.transfer(f, SERVER, reqEnd + rng.logUniform(100, 5000), size, lossP);
    } else {
      const upEnd = this.transfer(f, CLIENT, t, size, lossP);
      this.transfer(f, SERVER, upEnd + rng.logUniform(100, 5000), rng.int(100, 400), 0);
    }
    this.ending(f, this.lastAckT, 100, 50_000);
  }

  // ---------------------------------------------------------------- encoding

  private write(p: Pkt): void {
    const f = p.f;
    const w = this.w;
    const v6 = f.v6;
    const ipLen = v6 ? 40 : 20;
    const l4Len = f.udp ? 8 : 20 + OPT_LEN[p.opt]!;
    const frameLen = 14 + ipLen + l4Len + p.len;
    const b = w.buf;
    let o = w.record(p.t, frameLen);
    const toServer = p.dir === CLIENT;
    if (!f.udp) this.tcpPackets++;

    // Ethernet: the server's NIC and the router in front of it.
    o = macAddr(b, o, toServer ? 0x100 + f.server : 1);
    o = macAddr(b, o, toServer ? 1 : 0x100 + f.server);
    o = be16(b, o, v6 ? 0x86dd : 0x0800);

    const proto = f.udp ? 17 : 6;
    const l4Total = l4Len + p.len;
    let pseudo: number;
    if (!v6) {
      const src = toServer ? clientV4(f.client) : serverV4(f.server);
      const dst = toServer ? serverV4(f.server) : clientV4(f.client);
      const ip = o;
      b[o] = 0x45;
      b[o + 1] = 0;
      be16(b, o + 2, 20 + l4Total);
      let id: number;
      if (toServer) id = f.ipId0 = (f.ipId0 + 1) & 0xffff;
      else id = f.ipId1 = (f.ipId1 + 1) & 0xffff;
      be16(b, o + 4, id);
      be16(b, o + 6, 0x4000);
      b[o + 8] = toServer ? f.ttl0 : 64;
      b[o + 9] = proto;
      be16(b, o + 10, 0);
      be32(b, o + 12, src);
      be32(b, o + 16, dst);
      be16(b, ip + 10, foldChecksum(wordSum(b, ip, ip + 20)));
      o += 20;
      pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4Total;
    } else {
      const ip = o;
      be32(b, o, 0x60000000 | f.flowLabel);
      be16(b, o + 4, l4Total);
      b[o + 6] = proto;
      b[o + 7] = toServer ? f.ttl0 : 64;
      o += 8;
      if (toServer) {
        o = clientV6(b, o, f.client);
        o = serverV6(b, o, f.server);
      } else {
        o = serverV6(b, o, f.server);
        o = clientV6(b, o, f.client);
      }
      pseudo = wordSum(b, ip + 8, ip + 40) + proto + l4Total;
    }

    const l4 = o;
    const sport = toServer ? f.cPort : f.sPort;
    const dport = toServer ? f.sPort : f.cPort;
    let csumAt: number;
    if (f.udp) {
      o = be16(b, o, sport);
      o = be16(b, o, dport);
      o = be16(b, o, l4Total);
      csumAt = o;
      o = be16(b, o, 0);
    } else {
      o = be16(b, o, sport);
      o = be16(b, o, dport);
      o = be32(b, o, p.seq);
      o = be32(b, o, p.ack);
      o = be16(b, o, ((l4Len >> 2) << 12) | p.flags);
      const syn = p.opt === OPT_SYN;
      o = be16(b, o, syn ? (toServer ? 64240 : 65160) : toServer ? f.win0 : f.win1);
      csumAt = o;
      o = be16(b, o, 0);
      o = be16(b, o, 0);
      if (p.opt !== OPT_NONE) {
        const ms = Math.floor(p.t / 1000);
        const tsval = ((toServer ? f.tsBase0 : f.tsBase1) + ms) >>> 0;
        const peerMs = Math.floor((p.t - f.rtt) / 1000);
        const tsecr = p.flags & SYN && !(p.flags & ACK) ? 0 : ((toServer ? f.tsBase1 : f.tsBase0) + peerMs) >>> 0;
        if (syn) {
          // Linux's SYN options: MSS, SACK permitted, timestamps, NOP, window scale.
          b[o] = 2;
          b[o + 1] = 4;
          be16(b, o + 2, f.mss + 12);
          b[o + 4] = 4;
          b[o + 5] = 2;
          o += 6;
        } else {
          b[o] = 1;
          b[o + 1] = 1;
          o += 2;
        }
        b[o] = 8;
        b[o + 1] = 10;
        be32(b, o + 2, tsval);
        be32(b, o + 6, tsecr);
        o += 10;
        if (syn) {
          b[o] = 1;
          b[o + 1] = 3;
          b[o + 2] = 3;
          b[o + 3] = 7;
          o += 4;
        } else if (p.opt === OPT_TS_SACK) {
          b[o] = 1;
          b[o + 1] = 1;
          b[o + 2] = 5;
          b[o + 3] = 10;
          be32(b, o + 4, p.sl);
          be32(b, o + 8, p.sr);
          o += 12;
        }
      }
    }
    let payloadSum = 0;
    if (f.udp) {
      // A real A-record lookup (the seq field carries the DNS id), so dissectors see DNS, not noise.
      b.set(p.dir === CLIENT ? DNS_QUERY : DNS_ANSWER, o);
      be16(b, o, p.seq);
      payloadSum = wordSum(b, o, o + (p.len & ~1)) + (p.len & 1 ? b[o + p.len - 1]! << 8 : 0);
    } else if (p.len > 0) {
      payloadSum = this.pattern.copy(p.seq ^ (f.cPort << 3), b, o, p.len);
    }
    let csum = foldChecksum(pseudo + wordSum(b, l4, o) + payloadSum);
    if (f.udp && csum === 0) csum = 0xffff;
    be16(b, csumAt, csum);
  }
}

const DNS_NAME = [3, 0x77, 0x77, 0x77, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 3, 0x63, 0x6f, 0x6d, 0]; // www.example.com
const DNS_QUERY = Uint8Array.from([0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...DNS_NAME, 0, 1, 0, 1]);
const DNS_ANSWER = Uint8Array.from([
  0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...DNS_NAME, 0, 1, 0, 1,
  0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 51, 100, 10,
]);

function macAddr(b: Uint8Array, o: number, n: number): number {
  b[o] = 0x02;
  b[o + 1] = 0;
  b[o + 2] = 0x5e;
  b[o + 3] = 0x10;
  b[o + 4] = n >>> 8;
  b[o + 5] = n;
  return o + 6;
}

function clientV4(i: number): number {
  return (0x0a000000 + i + 1) >>> 0;
}

function serverV4(i: number): number {
  return (0xc6336400 + 10 + i) >>> 0; // 198.51.100.10+
}

function clientV6(b: Uint8Array, o: number, i: number): number {
  o = be32(b, o, 0x20010db8);
  o = be32(b, o, 0xc0000000);
  o = be32(b, o, 0);
  return be32(b, o, i + 1);
}

function serverV6(b: Uint8Array, o: number, i: number): number {
  o = be32(b, o, 0x20010db8);
  o = be32(b, o, 0x00050000);
  o = be32(b, o, 0);
  return be32(b, o, 10 + i);
}

export function captureName(kind: CaptureKind, scale: number): string {
  return `${kind}-g${GENERATOR_VERSION}-x${scale}.pcap`;
}

/**
 * Returns the cached capture of this kind and scale, generating it first when it is missing, was written by another
 * generator version, or does not match its metadata (an interrupted run).
 */
export function ensureCapture(dir: string, kind: CaptureKind, scale: number, force = false): { path: string; meta: CaptureMeta; generated: boolean } {
  mkdirSync(dir, { recursive: true });
  const name = captureName(kind, scale);
  const path = join(dir, name);
  const metaPath = `${path}.json`;
  if (!force && existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CaptureMeta;
      if (meta.generatorVersion === GENERATOR_VERSION && meta.bytes === statSync(path).size) return { path, meta, generated: false };
    } catch {
      // unreadable metadata: regenerate
    }
  }
  // Captures from other generator versions are never read again, and they are gigabytes each.
  for (const f of readdirSync(dir)) {
    const m = /^(flows|bulk)-g(\d+)-x[0-9.e-]+\.pcap(\.json|\.partial)?$/.exec(f);
    if (m && m[1] === kind && Number(m[2]) !== GENERATOR_VERSION) rmSync(join(dir, f), { force: true });
  }
  const spec = SPECS[kind];
  const nFlows = Math.max(1, Math.round(spec.flows * scale));
  const tmp = `${path}.partial`;
  rmSync(metaPath, { force: true });
  const started = performance.now();
  const w = new PcapWriter(tmp);
  const clients = kind === 'flows' ? Math.max(256, Math.ceil(nFlows / 20)) : Math.max(16, Math.ceil(nFlows / 10));
  const g = new Generator(w, spec.seed, clients);
  try {
    g.run(kind, nFlows, spec.meanGapUs, name);
  } finally {
    w.close();
  }
  renameSync(tmp, path);
  const meta: CaptureMeta = {
    generatorVersion: GENERATOR_VERSION,
    kind,
    scale,
    seed: spec.seed,
    file: name,
    flows: g.flows,
    packets: w.packets,
    tcpPackets: g.tcpPackets,
    bytes: w.bytes,
    ipv6Flows: g.ipv6Flows,
    reusedTuples: g.reusedTuples,
    retransmissions: g.retransmissions,
    refused: g.refused,
    resets: g.resets,
    durationSeconds: (g.lastT - g.firstT) / 1e6,
    generateSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(metaPath, JSON.stringify(meta, null, 2) + '\n');
  return { path, meta, generated: true };
}
