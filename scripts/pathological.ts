import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFull } from '../src/core/fullAnalysis';
import { FlowReporter, zeekConnLog } from '../src/core/export/flowReport';
import { openFileSource } from '../src/node/fileSource';

/**
 * npm run bench:pathological [-- --scale S] [--only ooo,synflood,wrap] [--keep]   (or npm run bench -- --pathological)
 *
 * Captures built to hurt: one flow with millions of out-of-order and duplicate segments, a million one-packet flows,
 * and one flow whose sequence numbers wrap around 2^32 many times. Each is written streaming (one small buffer) to a
 * temp directory outside the repository, then analysed by analyzeFull in a child process of its own so that its
 * peak RSS is the analysis's alone. Memory must follow the number of flows, never the number of packets.
 */

const RAW = 101;

/** Streams classic pcap records through one buffer. */
class PcapStream {
  private readonly buf = new Uint8Array(4 << 20);
  private readonly dv = new DataView(this.buf.buffer);
  private n = 0;
  private readonly fd: number;
  records = 0;
  constructor(path: string, linkType: number, snaplen = 65535) {
    this.fd = openSync(path, 'w');
    const h = this.reserve(24);
    this.dv.setUint32(h, 0xa1b23c4d, true);
    this.dv.setUint16(h + 4, 2, true);
    this.dv.setUint16(h + 6, 4, true);
    this.dv.setUint32(h + 16, snaplen, true);
    this.dv.setUint32(h + 20, linkType, true);
  }
  private reserve(len: number): number {
    if (this.n + len > this.buf.length) this.flush();
    const at = this.n;
    this.buf.fill(0, at, at + len);
    this.n += len;
    return at;
  }
  private flush(): void {
    let off = 0;
    while (off < this.n) off += writeSync(this.fd, this.buf, off, this.n - off);
    this.n = 0;
  }
  /**
   * One IPv4 TCP segment on a raw-IP link, captured up to the end of the TCP header only: the IP total length claims
   * `payload` more bytes, as a snaplen cut does, so sequence space grows without the file growing.
   */
  segment(t: { sec: number; nsec: number; src: number; dst: number; sport: number; dport: number; seq: number; ack: number; flags: number; win: number; payload: number; wscale?: number }): void {
    const opt = t.wscale !== undefined ? 4 : 0;
    const cap = 40 + opt;
    const r = this.reserve(16 + cap);
    const dv = this.dv;
    dv.setUint32(r, t.sec, true);
    dv.setUint32(r + 4, t.nsec, true);
    dv.setUint32(r + 8, cap, true);
    dv.setUint32(r + 12, cap + t.payload, true);
    const ip = r + 16;
    dv.setUint8(ip, 0x45);
    dv.setUint16(ip + 2, cap + t.payload);
    dv.setUint16(ip + 6, 0x4000);
    dv.setUint8(ip + 8, 64);
    dv.setUint8(ip + 9, 6);
    dv.setUint32(ip + 12, t.src);
    dv.setUint32(ip + 16, t.dst);
    const tcp = ip + 20;
    dv.setUint16(tcp, t.sport);
    dv.setUint16(tcp + 2, t.dport);
    dv.setUint32(tcp + 4, t.seq >>> 0);
    dv.setUint32(tcp + 8, t.ack >>> 0);
    dv.setUint16(tcp + 12, (((20 + opt) / 4) << 12) | t.flags);
    dv.setUint16(tcp + 14, t.win);
    if (opt) dv.setUint32(tcp + 20, 0x01030300 | (t.wscale! & 0xff)); // NOP, window scale
    this.records++;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;

class Clock {
  sec = 1_700_000_000;
  nsec = 0;
  tick(ns: number): this {
    this.nsec += ns;
    while (this.nsec >= 1e9) {
      this.nsec -= 1e9;
      this.sec++;
    }
    return this;
  }
}

interface Scenario {
  name: string;
  describe(scale: number): string;
  write(path: string, scale: number): number;
}

const SCENARIOS: Record<string, Scenario> = {
  ooo: {
    name: 'ooo',
    describe: (s) => `one flow, ${Math.round(2e6 * s)} data segments out of order or duplicated, ACKed rarely`,
    write(path, scale) {
      const w = new PcapStream(path, RAW);
      const c = new Clock();
      const base = { src: CLIENT, dst: SERVER, sport: 40000, dport: 80 };
      const back = { src: SERVER, dst: CLIENT, sport: 80, dport: 40000 };
      const isn = 1000;
      const sisn = 5000;
      w.segment({ ...c, ...base, seq: isn, ack: 0, flags: SYN, win: 65535, payload: 0, wscale: 7 });
      w.segment({ ...c.tick(1e6), ...back, seq: sisn, ack: isn + 1, flags: SYN | ACK, win: 65535, payload: 0, wscale: 7 });
      w.segment({ ...c.tick(1e5), ...base, seq: isn + 1, ack: sisn + 1, flags: ACK, win: 65535, payload: 0 });
      const n = Math.round(2e6 * scale);
      const mss = 1000;
      // Blocks of 8 sent as 1,0,3,2,...: every other segment arrives early; every 5th is sent twice; every 64th
      // block resends a segment from far behind.
      const order = [1, 0, 3, 2, 5, 4, 7, 6];
      let sent = 0;
      for (let b = 0; sent < n; b++) {
        for (const k of order) {
          const i = b * 8 + k;
          const seq = (isn + 1 + i * mss) >>> 0;
          w.segment({ ...c.tick(10_000), ...base, seq, ack: sisn + 1, flags: ACK | PSH, win: 65535, payload: mss });
          sent++;
          if (i % 5 === 0) {
            w.segment({ ...c.tick(10_000), ...base, seq, ack: sisn + 1, flags: ACK | PSH, win: 65535, payload: mss });
            sent++;
          }
        }
        if (b % 64 === 63) {
          const old = Math.max(0, b * 8 - 5000);
          w.segment({ ...c.tick(10_000), ...base, seq: (isn + 1 + old * mss) >>> 0, ack: sisn + 1, flags: ACK, win: 65535, payload: mss });
          sent++;
        }
        // The receiver acknowledges rarely, so the sender's unacknowledged list runs into its cap between ACKs.
        if (b % 2000 === 1999) {
          w.segment({ ...c.tick(10_000), ...back, seq: sisn + 1, ack: (isn + 1 + (b - 100) * 8 * mss) >>> 0, flags: ACK, win: 65535, payload: 0 });
        }
      }
      w.close();
      return w.records;
    },
  },
  synflood: {
    name: 'synflood',
    describe: (s) => `${Math.round(1e6 * s)} one-packet flows (a SYN each, from distinct addresses and ports)`,
    write(path, scale) {
      const w = new PcapStream(path, RAW);
      const c = new Clock();
      const n = Math.round(1e6 * scale);
      for (let i = 0; i < n; i++) {
        w.segment({ ...c.tick(1000), src: (0x0b000000 + (i >>> 4)) >>> 0, dst: SERVER, sport: 1024 + (i & 0x3fff), dport: 80 + (i % 3), seq: Math.imul(i, 2654435761) >>> 0, ack: 0, flags: SYN, win: 64240, payload: 0 });
      }
      w.close();
      return w.records;
    },
  },
  wrap: {
    name: 'wrap',
    describe: (s) => `one flow carrying ${(20 * s).toFixed(1)} GB of sequence space (about ${((20e9 * s) / 2 ** 32).toFixed(1)} wraps of 2^32) in header-only records`,
    write(path, scale) {
      const w = new PcapStream(path, RAW);
      const c = new Clock();
      const base = { src: CLIENT, dst: SERVER, sport: 40001, dport: 443 };
      const back = { src: SERVER, dst: CLIENT, sport: 443, dport: 40001 };
      const isn = 0xfff00000;
      const sisn = 77;
      w.segment({ ...c, ...base, seq: isn, ack: 0, flags: SYN, win: 65535, payload: 0, wscale: 10 });
      w.segment({ ...c.tick(1e6), ...back, seq: sisn, ack: isn + 1, flags: SYN | ACK, win: 65535, payload: 0, wscale: 10 });
      w.segment({ ...c.tick(1e5), ...base, seq: isn + 1, ack: sisn + 1, flags: ACK, win: 65535, payload: 0 });
      const seg = 65495; // IP total length 65535 minus the headers
      const total = 20e9 * scale;
      let seq = isn + 1;
      for (let sent = 0, i = 0; sent < total; sent += seg, i++) {
        w.segment({ ...c.tick(5_000), ...base, seq: seq >>> 0, ack: sisn + 1, flags: ACK | PSH, win: 65535, payload: seg });
        seq += seg;
        if (i % 2 === 1) w.segment({ ...c.tick(1_000), ...back, seq: sisn + 1, ack: seq >>> 0, flags: ACK, win: 65535, payload: 0 });
      }
      w.close();
      return w.records;
    },
  },
};

interface ChildResult {
  seconds: number;
  exportSeconds: number;
  packets: number;
  tcpPackets: number;
  flows: number;
  unackedSegments: number;
  findings: string[];
  errors: number;
  maxRssKB: number;
  heapUsedMB: number;
  arrayBuffersMB: number;
}

function child(file: string, exports: boolean): void {
  const source = openFileSource(file);
  const t0 = performance.now();
  let full;
  try {
    full = analyzeFull(source, {});
  } finally {
    source.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const mem = process.memoryUsage();
  const t1 = performance.now();
  if (exports) {
    const reporter = new FlowReporter(full);
    let chars = 0;
    for (let s = 0; s < full.capture.flows.count; s++) chars += JSON.stringify(reporter.report(s)).length;
    chars += zeekConnLog(full).length + JSON.stringify(full.findings).length;
    if (chars === 0) throw new Error('no output');
  }
  const result: ChildResult = {
    seconds,
    exportSeconds: (performance.now() - t1) / 1000,
    packets: full.capture.facts.packets,
    tcpPackets: full.capture.tcpPackets,
    flows: full.capture.flows.count,
    unackedSegments: full.seq.unackedSegments,
    findings: full.findings.map((f) => f.code),
    errors: full.capture.facts.errors.length,
    maxRssKB: process.resourceUsage().maxRSS,
    heapUsedMB: mem.heapUsed / 1048576,
    arrayBuffersMB: mem.arrayBuffers / 1048576,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Peak RSS is the child's (analyzeFull with the exports, nothing else): the figure that must not follow the packets. */
function printTable(head: string[], rows: string[][], scale: number): void {
  if (!rows.length) return;
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\npathological inputs at scale ${scale}:`);
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function main(): number {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    child(argv[1]!, argv[2] !== '--no-exports');
    return 0;
  }
  let scale = 1;
  let only = Object.keys(SCENARIOS);
  let keep = false;
  let exports = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--scale') scale = Number(argv[++i]);
    else if (a === '--only') only = argv[++i]!.split(',');
    else if (a === '--keep') keep = true;
    else if (a === '--no-exports') exports = false;
    else {
      console.error('usage: pathological [--scale S] [--only ooo,synflood,wrap] [--keep] [--no-exports]');
      return 2;
    }
  }
  if (!(scale > 0 && scale <= 10) || only.some((o) => !SCENARIOS[o])) {
    console.error(`--scale must be in (0, 10]; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
    return 2;
  }
  const dir = process.env.TCPSCOPE_PATHOLOGICAL_DIR ?? join(tmpdir(), 'tcpscope-pathological');
  mkdirSync(dir, { recursive: true });
  let failed = false;
  const table: string[][] = [];
  for (const name of only) {
    const sc = SCENARIOS[name]!;
    const file = join(dir, `${name}-${scale}.pcap`);
    let t = performance.now();
    const records = sc.write(file, scale);
    const genSeconds = (performance.now() - t) / 1000;
    const size = statSync(file).size;
    console.log(`\n${name}: ${sc.describe(scale)}\n  wrote ${records} records, ${(size / 1048576).toFixed(0)} MiB in ${genSeconds.toFixed(1)} s (${file})`);
    t = performance.now();
    const r = spawnSync(process.execPath, [process.argv[1]!, '--child', file, exports ? '--exports' : '--no-exports'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const wall = (performance.now() - t) / 1000;
    if (r.status !== 0) {
      console.log(`  FAILED (exit ${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
      failed = true;
    } else {
      const c = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
      table.push([
        name,
        String(c.packets),
        (size / 1048576).toFixed(0),
        String(c.flows),
        c.seconds.toFixed(1),
        (c.maxRssKB / 1024).toFixed(0),
        c.heapUsedMB.toFixed(0),
        String(c.unackedSegments),
      ]);
      const codes = [...new Set(c.findings)].join(', ');
      console.log(
        `  analyzeFull ${c.seconds.toFixed(1)} s` +
          (exports ? `, reports + conn.log ${c.exportSeconds.toFixed(1)} s` : '') +
          `, child wall ${wall.toFixed(1)} s, peak RSS ${(c.maxRssKB / 1024).toFixed(0)} MiB (heap ${c.heapUsedMB.toFixed(0)} MiB, array buffers ${c.arrayBuffersMB.toFixed(0)} MiB after the pass)`,
      );
      console.log(`  ${c.packets} packets, ${c.tcpPackets} TCP, ${c.flows} flows, ${c.unackedSegments} unacked segments held at the end, ${c.errors} capture errors`);
      console.log(`  findings: ${codes || 'none'}`);
      if (c.packets !== records) {
        console.log(`  FAILED: ${c.packets} packets read of ${records} written`);
        failed = true;
      }
    }
    if (!keep && existsSync(file)) rmSync(file);
  }
  printTable(['case', 'packets', 'file MiB', 'flows', 'seconds', 'peak RSS MiB', 'heap MiB', 'unacked held'], table, scale);
  return failed ? 1 : 0;
}

process.exitCode = main();
