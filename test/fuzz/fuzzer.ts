import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyzeFull, type FullAnalysis } from '../../src/core/fullAnalysis';
import { memorySource } from '../../src/core/capture/source';
import { FlowReporter, flowReportCsvRow, zeekConnLog } from '../../src/core/export/flowReport';
import type { Finding } from '../../src/core/diagnostics/types';
import { METADATA_LIMITS, type CaptureFacts } from '../../src/core/capture/types';
import {
  byTime,
  concat,
  customBlock,
  epb,
  idb,
  isb,
  LINKTYPE,
  nrb,
  packet,
  pb,
  pcap,
  pcapng,
  pcapngBlockOffsets,
  pcapRecordOffsets,
  section,
  snap,
  spb,
  tcpConversation,
  type LinkSpec,
  type NgBlock,
  type Rec,
} from '../support/builder';

/**
 * A deterministic mutation fuzzer for the whole core: seed captures are built by the fixture builder (so their
 * layout is known exactly), mutated with structure-aware and blind mutations, and pushed through everything a
 * user can reach (analysis, flow reports, Zeek log, CSV, findings JSON). Each iteration draws from a PRNG seeded
 * by (run seed, iteration) alone, so any single failure replays without running the ones before it.
 */

// ---------------------------------------------------------------------------------------------------------------
// PRNG

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** sfc32: small, fast and good enough to pick mutations; seeded from two integers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number, stream = 0) {
    this.a = mix32(seed ^ 0x9e3779b9);
    this.b = mix32(stream + 0x6a09e667);
    this.c = mix32((seed * 31 + stream) ^ 0xbb67ae85);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.u32() / 4294967296) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Seeds with their layout

/** A field the structure-aware mutations may rewrite, relative to the start of its part. */
interface Field {
  at: number;
  /** 'nibble-lo' is the low 4 bits of one byte (IHL), 'nibble-hi' the high 4 bits (TCP data offset). */
  size: 1 | 2 | 4 | 8 | 'nibble-lo' | 'nibble-hi';
  le: boolean;
  kind: 'length' | 'type' | 'link';
  name: string;
}

/** A pcap record, a pcapng block, or a file header: the unit records are duplicated, reordered and spliced by. */
export interface Part {
  bytes: Uint8Array;
  /** Wireshark numbers it as a frame (pcap record, EPB, SPB, PB, custom block). */
  frame: boolean;
  /** A header the file cannot be read without (pcap file header, first SHB). */
  header: boolean;
  fields: Field[];
}

export interface Seed {
  name: string;
  format: 'pcap' | 'pcapng';
  parts: Part[];
}

export function serialize(parts: readonly Part[]): Uint8Array {
  return concat(...parts.map((p) => p.bytes));
}

/** End offsets of the frame records of a layout: the cut/damage points below which frames must be delivered. */
export function frameEnds(parts: readonly Part[]): number[] {
  const out: number[] = [];
  let o = 0;
  for (const p of parts) {
    o += p.bytes.length;
    if (p.frame) out.push(o);
  }
  return out;
}

export function partStarts(parts: readonly Part[]): number[] {
  const out: number[] = [];
  let o = 0;
  for (const p of parts) {
    out.push(o);
    o += p.bytes.length;
  }
  return out;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Fields of the IP and TCP headers of a frame whose IP header starts at `ip` (relative to the part). The layout is
 * read from bytes the builder wrote, so it is only trusted on unmutated seeds.
 */
function frameFields(data: Uint8Array, ip: number, base: number): Field[] {
  const out: Field[] = [];
  if (ip < 0 || ip >= data.length) return out;
  const v = data[ip]! >> 4;
  let tcp = -1;
  if (v === 4 && ip + 20 <= data.length) {
    out.push({ at: base + ip, size: 'nibble-lo', le: false, kind: 'length', name: 'ipv4.ihl' });
    out.push({ at: base + ip + 2, size: 2, le: false, kind: 'length', name: 'ipv4.total_length' });
    out.push({ at: base + ip + 9, size: 1, le: false, kind: 'type', name: 'ipv4.protocol' });
    out.push({ at: base + ip + 6, size: 2, le: false, kind: 'type', name: 'ipv4.frag' });
    if (data[ip + 9] === 6) tcp = ip + (data[ip]! & 15) * 4;
  } else if (v === 6 && ip + 40 <= data.length) {
    out.push({ at: base + ip + 4, size: 2, le: false, kind: 'length', name: 'ipv6.payload_length' });
    out.push({ at: base + ip + 6, size: 1, le: false, kind: 'type', name: 'ipv6.next_header' });
    if (data[ip + 6] === 6) tcp = ip + 40;
  }
  if (tcp < 0 || tcp + 20 > data.length) return out;
  out.push({ at: base + tcp + 12, size: 'nibble-hi', le: false, kind: 'length', name: 'tcp.data_offset' });
  out.push({ at: base + tcp + 13, size: 1, le: false, kind: 'type', name: 'tcp.flags' });
  const hl = (data[tcp + 12]! >> 4) * 4;
  for (let o = tcp + 20; o + 1 < Math.min(tcp + hl, data.length); ) {
    const kind = data[o]!;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    out.push({ at: base + o + 1, size: 1, le: false, kind: 'length', name: `tcp.option${kind}.length` });
    const l = data[o + 1]!;
    if (l < 2) break;
    o += l;
  }
  return out;
}

/** Where the IP header starts in a frame of a link type the seeds use. */
function ipOffset(linkType: number, data: Uint8Array): number {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let o = 12;
      while (o + 2 <= data.length && [0x8100, 0x88a8, 0x9100].includes(dv(data).getUint16(o))) o += 4;
      return o + 2;
    }
    case LINKTYPE.LINUX_SLL:
      return 16;
    case LINKTYPE.LINUX_SLL2:
      return 20;
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP:
      return 4;
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return 0;
    case LINKTYPE.NFLOG: {
      // TLVs after the 4-byte header; the payload TLV is type 9.
      for (let o = 4; o + 4 <= data.length; ) {
        const l = dv(data).getUint16(o, true);
        if (l < 4) return -1;
        if (dv(data).getUint16(o + 2, true) === 9) return o + 4;
        o += (l + 3) & ~3;
      }
      return -1;
    }
    default:
      return -1;
  }
}

function pcapSeed(name: string, records: Rec[], o: Parameters<typeof pcap>[1] = {}): Seed {
  const file = pcap(records, o);
  const le = !o.bigEndian;
  const link = o.linkType ?? LINKTYPE.ETHERNET;
  const parts: Part[] = [
    {
      bytes: file.subarray(0, 24),
      frame: false,
      header: true,
      fields: [
        { at: 16, size: 4, le, kind: 'length', name: 'pcap.snaplen' },
        { at: 20, size: 4, le, kind: 'link', name: 'pcap.linktype' },
        { at: 4, size: 2, le, kind: 'type', name: 'pcap.version' },
      ],
    },
  ];
  const offs = pcapRecordOffsets(file);
  offs.forEach((off, i) => {
    const end = offs[i + 1] ?? file.length;
    const bytes = file.subarray(off, end);
    parts.push({
      bytes,
      frame: true,
      header: false,
      fields: [
        { at: 8, size: 4, le, kind: 'length', name: 'pcap.caplen' },
        { at: 12, size: 4, le, kind: 'length', name: 'pcap.origlen' },
        { at: 4, size: 4, le, kind: 'length', name: 'pcap.ts_frac' },
        ...frameFields(bytes.subarray(16), ipOffset(link, bytes.subarray(16)), 16),
      ],
    });
  });
  return { name, format: 'pcap', parts };
}

function ngOptionFields(b: Uint8Array, from: number, to: number, le: boolean, name: string): Field[] {
  const out: Field[] = [];
  for (let o = from; o + 4 <= to; ) {
    const code = dv(b).getUint16(o, le);
    const l = dv(b).getUint16(o + 2, le);
    out.push({ at: o + 2, size: 2, le, kind: 'length', name: `${name}.option${code}.length` });
    if (code === 0) break;
    o += 4 + ((l + 3) & ~3);
  }
  return out;
}

function pcapngSeed(name: string, file: Uint8Array): Seed {
  const blocks = pcapngBlockOffsets(file);
  const parts: Part[] = [];
  let le = true;
  let links: number[] = [];
  blocks.forEach((b, i) => {
    const bytes = file.subarray(b.offset, b.offset + b.length);
    if (dv(bytes).getUint32(0) === 0x0a0d0d0a) {
      le = dv(bytes).getUint32(8, true) === 0x1a2b3c4d;
      links = [];
    }
    const fields: Field[] = [
      { at: 0, size: 4, le, kind: 'type', name: 'ng.block_type' },
      { at: 4, size: 4, le, kind: 'length', name: 'ng.block_length' },
      { at: b.length - 4, size: 4, le, kind: 'length', name: 'ng.block_trailer' },
    ];
    let frame = false;
    switch (b.type) {
      case 0x0a0d0d0a:
        fields.push({ at: 8, size: 4, le, kind: 'type', name: 'shb.bom' }, { at: 12, size: 2, le, kind: 'type', name: 'shb.major' });
        fields.push({ at: 16, size: 8, le, kind: 'length', name: 'shb.section_length' });
        fields.push(...ngOptionFields(bytes, 24, b.length - 4, le, 'shb'));
        break;
      case 1:
        links.push(dv(bytes).getUint16(8, le));
        fields.push({ at: 8, size: 2, le, kind: 'link', name: 'idb.linktype' }, { at: 12, size: 4, le, kind: 'length', name: 'idb.snaplen' });
        fields.push(...ngOptionFields(bytes, 16, b.length - 4, le, 'idb'));
        // Option values that feed arithmetic: the timestamp resolution (10^-n or 2^-n) and offset.
        for (const f of fields.filter((x) => x.name === 'idb.option9.length' || x.name === 'idb.option14.length')) {
          const code = f.name === 'idb.option9.length' ? 9 : 14;
          fields.push({ at: f.at + 2, size: code === 9 ? 1 : 8, le, kind: 'type', name: `idb.option${code}.value` });
        }
        break;
      case 2:
      case 6: {
        frame = true;
        const iface = b.type === 6 ? dv(bytes).getUint32(8, le) : dv(bytes).getUint16(8, le);
        const caplen = dv(bytes).getUint32(20, le);
        fields.push({ at: 8, size: b.type === 6 ? 4 : 2, le, kind: 'type', name: 'epb.interface' });
        fields.push({ at: 20, size: 4, le, kind: 'length', name: 'epb.caplen' }, { at: 24, size: 4, le, kind: 'length', name: 'epb.origlen' });
        fields.push({ at: 12, size: 4, le, kind: 'length', name: 'epb.ts_high' });
        const data = bytes.subarray(28, 28 + caplen);
        fields.push(...frameFields(data, ipOffset(links[iface] ?? -1, data), 28));
        fields.push(...ngOptionFields(bytes, 28 + ((caplen + 3) & ~3), b.length - 4, le, 'epb'));
        break;
      }
      case 3: {
        frame = true;
        fields.push({ at: 8, size: 4, le, kind: 'length', name: 'spb.origlen' });
        const data = bytes.subarray(12, b.length - 4);
        fields.push(...frameFields(data, ipOffset(links[0] ?? -1, data), 12));
        break;
      }
      case 5:
        fields.push({ at: 8, size: 4, le, kind: 'type', name: 'isb.interface' });
        fields.push(...ngOptionFields(bytes, 20, b.length - 4, le, 'isb'));
        break;
      case 4:
        fields.push(...ngOptionFields(bytes, 8, b.length - 4, le, 'nrb'));
        break;
      case 0xbad:
      case 0x40000bad:
        frame = true;
        break;
    }
    parts.push({ bytes, frame, header: i === 0, fields });
  });
  return { name, format: 'pcapng', parts };
}

/** TCP exchanges with handshakes, data, loss and retransmission, duplicate ACKs, FIN and RST endings. */
function conversations(link: LinkSpec, v6: boolean, n: number, start = 1_700_000_000): Rec[] {
  const lists: Rec[][] = [];
  for (let i = 0; i < n; i++) {
    const c = tcpConversation({
      client: { ip: v6 ? `2001:db8::${i + 1}` : `10.0.${i}.1`, port: 40000 + i },
      server: { ip: v6 ? '2001:db8::ff' : '10.9.9.9', port: i % 2 ? 443 : 80 },
      start: start + i * 0.003,
      timestamps: i % 2 === 0,
      sack: i % 3 !== 2,
      wscale: i % 2 ? 7 : undefined,
      mss: 536,
      link,
    });
    c.handshake().wait(0.001);
    const kind = i % 4;
    if (kind === 0) {
      c.send('client', 200).ack('server').send('server', 1500).ack('client').close();
    } else if (kind === 1) {
      const lostSeq = (c.nextSeq('client') + 536) >>> 0;
      c.send('client', 2000, { lostSegments: [1] }).ack('server').ack('server').ack('server').wait(0.05);
      c.retransmit('client', lostSeq, 536).ack('server').rst('client');
    } else if (kind === 2) {
      c.send('server', 800).wait(0.2).retransmit('server', (c.nextSeq('server') - 264) >>> 0, 264).ack('client').fin('server').ack('client');
    } else {
      c.send('client', 100).ack('server').rst('server');
    }
    lists.push(c.records);
  }
  // A refused connection and a lone SYN (half-open) so the handshake rules have something to say.
  const refused = tcpConversation({ client: { ip: v6 ? '2001:db8::77' : '10.7.7.7', port: 5555 }, server: { ip: v6 ? '2001:db8::ff' : '10.9.9.9', port: 22 }, start, link });
  lists.push(refused.refused().records);
  const lone = tcpConversation({ client: { ip: v6 ? '2001:db8::78' : '10.7.7.8', port: 5556 }, server: { ip: v6 ? '2001:db8::ff' : '10.9.9.9', port: 25 }, start, link });
  lists.push(lone.segment('client', { flags: 'S' }).wait(1).segment('client', { flags: 'S', seq: lone.nextSeq('client') - 1, advance: false }).records);
  return byTime(...lists);
}

let cachedSeeds: Seed[] | undefined;

/** The seed corpus: every capture format variant and link type the reader and decoder handle. */
export function buildSeeds(): Seed[] {
  if (cachedSeeds) return cachedSeeds;
  const ether = conversations({ type: 'ether' }, false, 4);
  const vlan6 = conversations({ type: 'ether', eth: { vlans: [{ vid: 5 }, { tpid: 0x88a8, vid: 7 }] } }, true, 3);
  const sll = conversations({ type: 'sll' }, false, 3);
  const sll2 = conversations({ type: 'sll2' }, true, 2);
  const nullLe = conversations({ type: 'null', littleEndian: true }, false, 2);
  const raw = conversations({ type: 'raw' }, true, 2);
  const nflog = conversations({ type: 'nflog' }, false, 2);
  const seeds: Seed[] = [
    pcapSeed('pcap LE usec ether ipv4', ether),
    pcapSeed('pcap BE nsec ether QinQ ipv6', vlan6, { bigEndian: true, nsec: true }),
    pcapSeed('pcap LE nsec sll snaplen 80', sll.map((r) => snap(r, 80)), { nsec: true, linkType: LINKTYPE.LINUX_SLL, snaplen: 80 }),
    pcapSeed('pcap BE sll2 ipv6', sll2, { bigEndian: true, linkType: LINKTYPE.LINUX_SLL2 }),
    pcapSeed('pcap LE null', nullLe, { linkType: LINKTYPE.NULL }),
    pcapSeed('pcap LE raw ipv6', raw, { linkType: LINKTYPE.RAW }),
    pcapSeed('pcap BE nflog', nflog, { bigEndian: true, linkType: LINKTYPE.NFLOG }),
    pcapSeed('pcap LE ether fcs', ether.slice(0, 12).map((r) => ({ ...r, data: concat(r.data, Uint8Array.of(1, 2, 3, 4)) })), { fcsWords: 2 }),
  ];
  const epbs = (recs: Rec[], iface = 0, every = 0): NgBlock[] =>
    recs.map((r, i) => (every && i % every === 0 ? epb({ ...r, iface, comment: `frame ${i}`, flags: 1 }) : epb({ ...r, iface })));
  seeds.push(
    pcapngSeed(
      'pcapng LE+BE sections, options, EPB/SPB/PB/ISB/NRB/custom',
      pcapng(
        section(
          { hardware: 'x86_64', os: 'Linux', application: 'tcpscope-fuzz' },
          idb({ name: 'eth0', description: 'uplink', tsresol: { base: 10, exponent: 9 }, os: 'Linux', filter: 'tcp', tsoffset: 0 }),
          idb({ linkType: LINKTYPE.LINUX_SLL, snaplen: 96, tsresol: { base: 2, exponent: 20 } }),
          nrb([{ ip: '10.9.9.9', names: ['server.example'] }, { ip: '2001:db8::ff', names: ['v6.example'] }]),
          ...epbs(ether.slice(0, 20), 0, 5),
          customBlock(),
          ...epbs(sll.slice(0, 10).map((r) => snap(r, 96)), 1),
          isb({ iface: 0, received: 100, ifdrop: 3, osdrop: 1, delivered: 96 }),
          pb({ ...ether[20]!, drops: 2 }),
          customBlock({ copyable: false }),
        ),
        section(
          { bigEndian: true },
          idb({ linkType: LINKTYPE.RAW, snaplen: 0 }),
          ...epbs(raw.slice(0, 14)),
          spb({ data: raw[14]!.data }),
          spb({ data: raw[15]!.data.slice(0, 40), origLen: raw[15]!.data.length }),
          isb({ iface: 0, ifdrop: 0 }),
        ),
      ),
    ),
    pcapngSeed(
      'pcapng BE two interfaces, fcslen, tsoffset',
      pcapng(
        section(
          { bigEndian: true },
          idb({ linkType: LINKTYPE.ETHERNET, fcslen: 0, tsoffset: 3600 }),
          idb({ linkType: LINKTYPE.NFLOG, tsresol: { base: 10, exponent: 3 } }),
          ...byTime(
            vlan6.slice(0, 16).map((r) => ({ ...r, iface: 0 })),
            nflog.slice(0, 16).map((r) => ({ ...r, iface: 1 })),
          ).map((r) => epb(r as Rec & { iface: number })),
          customBlock({ data: new Uint8Array(0) }),
        ),
      ),
    ),
    pcapngSeed(
      'pcapng LE single section null link',
      pcapng(section({}, idb({ linkType: LINKTYPE.NULL }), ...epbs(nullLe), isb({ iface: 0, received: 5 }))),
    ),
  );
  // One frame of each remaining kind: IPv4 options, IPv6 extension chain, TCP options with odd kinds.
  const odd: Rec[] = [
    { data: packet({ src: '10.1.1.1', dst: '10.1.1.2', sport: 1, dport: 2, flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [1, 0], wscale: 14, tfo: true } }) },
    { data: packet({ src: '10.1.1.2', dst: '10.1.1.1', sport: 2, dport: 1, flags: 'SA', ipv4: { options: [0x94, 4, 0, 0] }, options: { mptcp: { subtype: 0 }, sack: [[1, 2]] } }) },
    { data: packet({ src: 'fe80::1', dst: 'fe80::2', sport: 3, dport: 4, payloadLen: 10, ipv6: { ext: [{ type: 'hop' }, { type: 'dest', length: 1 }] } }) },
    { data: packet({ src: '10.1.1.1', dst: '10.1.1.2', sport: 1, dport: 2, payloadLen: 30, ipv4: { mf: true } }) },
  ];
  seeds.push(pcapSeed('pcap odd options', odd.map((r, i) => ({ ...r, sec: 1_700_000_000 + i }))));
  cachedSeeds = seeds;
  return seeds;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

const INTERESTING_LENGTHS = [0, 1, 2, 3, 4, 7, 8, 11, 12, 15, 16, 19, 20, 23, 24, 27, 28, 31, 32, 40, 60, 64, 127, 128, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x40000, 0x1000000, 0x1000004, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];
const BLOCK_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xbad, 0x40000bad, 0x0a0d0d0a, 0x80000001, 0xffffffff];
const LINK_TYPES = [0, 1, 9, 101, 108, 113, 228, 229, 239, 276, 105, 127, 147, 0xffff, 0x10000001, 0xf0000001];

export type MutationKind =
  | 'truncate'
  | 'bitflip'
  | 'byterun'
  | 'length'
  | 'blocktype'
  | 'linktype'
  | 'duplicate'
  | 'reorder'
  | 'splice-records'
  | 'splice-bytes'
  | 'insert-delete'
  | 'inflate';

export interface FuzzInput {
  iteration: number;
  seedName: string;
  mutations: string[];
  bytes: Uint8Array;
  /** For pure truncations: the frames that must be reported, and the offset of the record the cut falls in. */
  truncation?: { cut: number; framesBefore: number; cutRecordStart: number | null; headerEnd: number };
  /** The unmutated prefix is this long: frames wholly inside it must be delivered. */
  intactPrefix: number;
  /** Frame count of the unmutated records wholly inside the intact prefix. */
  framesInPrefix: number;
}

function writeField(b: Uint8Array, f: Field, value: number | bigint): void {
  if (f.at < 0 || f.at >= b.length) return;
  const v = dv(b);
  switch (f.size) {
    case 'nibble-lo':
      b[f.at] = (b[f.at]! & 0xf0) | (Number(value) & 15);
      return;
    case 'nibble-hi':
      b[f.at] = (b[f.at]! & 0x0f) | ((Number(value) & 15) << 4);
      return;
    case 1:
      b[f.at] = Number(value) & 0xff;
      return;
    case 2:
      if (f.at + 2 <= b.length) v.setUint16(f.at, Number(value) & 0xffff, f.le);
      return;
    case 4:
      if (f.at + 4 <= b.length) v.setUint32(f.at, Number(BigInt.asUintN(32, BigInt(value))), f.le);
      return;
    case 8:
      if (f.at + 8 <= b.length) v.setBigUint64(f.at, BigInt.asUintN(64, BigInt(value)), f.le);
      return;
  }
}

function readField(b: Uint8Array, f: Field): number {
  const v = dv(b);
  switch (f.size) {
    case 'nibble-lo':
      return b[f.at]! & 15;
    case 'nibble-hi':
      return b[f.at]! >> 4;
    case 1:
      return b[f.at]!;
    case 2:
      return v.getUint16(f.at, f.le);
    case 4:
      return v.getUint32(f.at, f.le);
    case 8:
      return Number(v.getBigUint64(f.at, f.le) & 0xffffffffn);
  }
}

function lengthValue(rng: Rng, b: Uint8Array, f: Field): number | bigint {
  const cur = f.at + (typeof f.size === 'number' ? f.size : 1) <= b.length ? readField(b, f) : 0;
  switch (rng.int(6)) {
    case 0:
      return 0;
    case 1:
      return cur + rng.range(-8, 8); // off by a little (negative becomes huge unsigned)
    case 2:
      return -rng.range(1, 64); // negative written as unsigned
    case 3:
      return f.size === 8 ? rng.pick([0n, -1n, -2n, 1n << 63n, 0x7fffffffffffffffn]) : 0xffffffff;
    case 4:
      return rng.int(64);
    default:
      return rng.pick(INTERESTING_LENGTHS);
  }
}

function clone(parts: readonly Part[]): Part[] {
  return parts.map((p) => ({ ...p, bytes: p.bytes.slice() }));
}

/** Applies one structure-aware mutation to `parts` in place; returns its description. */
function structural(rng: Rng, parts: Part[], seeds: readonly Seed[], kind: MutationKind): string {
  const body = parts.map((_, i) => i).filter((i) => !parts[i]!.header);
  const pickPart = (pred: (p: Part) => boolean) => {
    const c = parts.map((_, i) => i).filter((i) => pred(parts[i]!));
    return c.length ? c[rng.int(c.length)]! : -1;
  };
  switch (kind) {
    case 'length': {
      const i = pickPart((p) => p.fields.some((f) => f.kind === 'length'));
      if (i < 0) return 'length: none';
      const p = parts[i]!;
      const fs = p.fields.filter((f) => f.kind === 'length');
      const f = rng.pick(fs);
      const v = lengthValue(rng, p.bytes, f);
      writeField(p.bytes, f, v);
      // Block lengths usually come in pairs; setting both keeps the block framing self-consistent, which gets past
      // the framing check and into the body parsers.
      if (f.name === 'ng.block_length' && rng.chance(0.5)) writeField(p.bytes, p.fields.find((x) => x.name === 'ng.block_trailer')!, v);
      return `length ${f.name}@part${i}=${String(v)}`;
    }
    case 'blocktype': {
      const i = pickPart((p) => p.fields.some((f) => f.kind === 'type'));
      if (i < 0) return 'blocktype: none';
      const f = rng.pick(parts[i]!.fields.filter((x) => x.kind === 'type'));
      const v = f.name === 'ng.block_type' ? rng.pick(BLOCK_TYPES) : rng.chance(0.5) ? rng.u32() : rng.pick(INTERESTING_LENGTHS);
      writeField(parts[i]!.bytes, f, v);
      return `type ${f.name}@part${i}=${v}`;
    }
    case 'linktype': {
      const i = pickPart((p) => p.fields.some((f) => f.kind === 'link'));
      if (i < 0) return 'linktype: none';
      const f = parts[i]!.fields.find((x) => x.kind === 'link')!;
      const v = rng.pick(LINK_TYPES);
      writeField(parts[i]!.bytes, f, v);
      return `linktype ${f.name}@part${i}=${v}`;
    }
    case 'duplicate': {
      if (!body.length) return 'duplicate: none';
      const i = rng.pick(body);
      const n = rng.range(1, 3);
      const copies = Array.from({ length: n }, () => ({ ...parts[i]!, header: false }));
      const to = rng.range(1, parts.length);
      parts.splice(to, 0, ...copies);
      return `duplicate part${i} x${n} at ${to}`;
    }
    case 'reorder': {
      if (body.length < 2) return 'reorder: none';
      const a = rng.pick(body);
      const b = rng.pick(body);
      if (rng.chance(0.5)) {
        [parts[a], parts[b]] = [parts[b]!, parts[a]!];
        return `swap part${a} part${b}`;
      }
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      const slice = parts.slice(lo, hi + 1);
      for (let k = slice.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [slice[k], slice[j]] = [slice[j]!, slice[k]!];
      }
      parts.splice(lo, slice.length, ...slice);
      return `shuffle parts ${lo}..${hi}`;
    }
    case 'splice-records': {
      const other = rng.pick(seeds);
      const from = other.parts.filter((p) => !p.header || rng.chance(0.2));
      const start = rng.int(from.length);
      const n = rng.range(1, Math.min(12, from.length - start));
      const to = rng.range(1, parts.length);
      const cut = rng.chance(0.3);
      parts.splice(to, cut ? parts.length - to : 0, ...from.slice(start, start + n).map((p) => ({ ...p, header: false, bytes: p.bytes.slice() })));
      return `splice ${n} parts of '${other.name}' at ${to}${cut ? ' (tail replaced)' : ''}`;
    }
    case 'inflate': {
      // A frame with a large captured length whose bytes are really there: the reader must grow its buffer up to
      // the record ceiling and refuse beyond it, without keeping the big buffers alive.
      const i = pickPart((p) => p.frame && p.fields.some((f) => f.name === 'pcap.caplen' || f.name === 'epb.caplen'));
      if (i < 0) return 'inflate: none';
      const p = parts[i]!;
      const n = rng.pick([70_000, 262_144, 262_145, 1 << 20, (16 << 20) - 40, (16 << 20) + 4]);
      const pcapRec = p.fields.some((f) => f.name === 'pcap.caplen');
      const le = p.fields[0]!.le;
      const head = pcapRec ? 16 : 28;
      const out = new Uint8Array(head + n + (pcapRec ? 0 : 4));
      out.set(p.bytes.subarray(0, head));
      out.set(p.bytes.subarray(head, Math.min(p.bytes.length, head + n)), head);
      const v = dv(out);
      if (pcapRec) {
        v.setUint32(8, n, le);
        v.setUint32(12, n, le);
      } else {
        v.setUint32(4, out.length, le);
        v.setUint32(20, n, le);
        v.setUint32(24, n, le);
        v.setUint32(out.length - 4, out.length, le);
      }
      parts[i] = { ...p, bytes: out, fields: [] };
      return `inflate part${i} to ${n} captured bytes`;
    }
    default:
      return 'none';
  }
}

/** Blind mutations on the serialized bytes. */
function blind(rng: Rng, b: Uint8Array, seeds: readonly Seed[], kind: MutationKind): { bytes: Uint8Array; what: string } {
  switch (kind) {
    case 'bitflip': {
      const out = b.slice();
      const n = rng.range(1, 8);
      for (let k = 0; k < n && out.length; k++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return { bytes: out, what: `bitflip x${n}` };
    }
    case 'byterun': {
      const out = b.slice();
      if (!out.length) return { bytes: out, what: 'byterun: empty' };
      const at = rng.int(out.length);
      const len = Math.min(out.length - at, rng.range(1, 32));
      const mode = rng.int(4);
      for (let k = 0; k < len; k++) out[at + k] = mode === 0 ? 0 : mode === 1 ? 0xff : mode === 2 ? rng.int(256) : 0x80;
      return { bytes: out, what: `byterun ${len}@${at} mode${mode}` };
    }
    case 'insert-delete': {
      const at = rng.int(b.length + 1);
      if (rng.chance(0.5)) {
        const n = rng.range(1, 16);
        const ins = Uint8Array.from({ length: n }, () => rng.int(256));
        return { bytes: concat(b.subarray(0, at), ins, b.subarray(at)), what: `insert ${n}@${at}` };
      }
      const n = rng.range(1, 16);
      return { bytes: concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n))), what: `delete ${n}@${at}` };
    }
    case 'splice-bytes': {
      const other = serialize(rng.pick(seeds).parts);
      const at = rng.int(b.length + 1);
      const from = rng.int(other.length);
      return { bytes: concat(b.subarray(0, at), other.subarray(from)), what: `splice-bytes ${at}<-${from}` };
    }
    default:
      return { bytes: b, what: 'none' };
  }
}

const STRUCTURAL: MutationKind[] = ['length', 'length', 'length', 'blocktype', 'linktype', 'duplicate', 'reorder', 'splice-records'];
const BLIND: MutationKind[] = ['bitflip', 'bitflip', 'byterun', 'insert-delete', 'splice-bytes'];

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** The input of one iteration: a function of (run seed, iteration) alone. */
export function makeInput(runSeed: number, iteration: number): FuzzInput {
  const seeds = buildSeeds();
  const rng = new Rng(runSeed, iteration);
  const seed = rng.pick(seeds);
  const original = serialize(seed.parts);
  const originalEnds = frameEnds(seed.parts);
  const base = { iteration, seedName: seed.name };
  const roll = rng.int(100);
  if (roll < 12) {
    const cut = rng.int(original.length + 1);
    const starts = partStarts(seed.parts);
    const idx = starts.findIndex((s, i) => s < cut && cut < s + seed.parts[i]!.bytes.length);
    const framesBefore = originalEnds.filter((e) => e <= cut).length;
    return {
      ...base,
      mutations: [`truncate at ${cut}`],
      bytes: original.slice(0, cut),
      truncation: { cut, framesBefore, cutRecordStart: idx >= 0 ? starts[idx]! : null, headerEnd: seed.parts[0]!.bytes.length },
      intactPrefix: cut,
      framesInPrefix: framesBefore,
    };
  }
  const mutations: string[] = [];
  const parts = clone(seed.parts);
  let bytes: Uint8Array;
  const nStruct = roll < 60 ? 1 : roll < 80 ? rng.range(2, 4) : 0;
  for (let k = 0; k < nStruct; k++) mutations.push(structural(rng, parts, seeds, rng.pick(STRUCTURAL)));
  // Rare, because a 16 MiB input costs as much as a thousand small ones.
  if (rng.chance(0.004)) mutations.push(structural(rng, parts, seeds, 'inflate'));
  bytes = serialize(parts);
  const nBlind = roll >= 80 ? rng.range(1, 4) : rng.chance(0.25) ? 1 : 0;
  for (let k = 0; k < nBlind; k++) {
    const r = blind(rng, bytes, seeds, rng.pick(BLIND));
    bytes = r.bytes;
    mutations.push(r.what);
  }
  if (rng.chance(0.1)) {
    const cut = rng.int(bytes.length + 1);
    bytes = bytes.slice(0, cut);
    mutations.push(`then truncate at ${cut}`);
  }
  const intact = firstDiff(original, bytes);
  return { ...base, mutations, bytes, intactPrefix: intact, framesInPrefix: originalEnds.filter((e) => e <= intact).length };
}

// ---------------------------------------------------------------------------------------------------------------
// Running the core and checking invariants

export interface CheckResult {
  /** Invariant violations (empty when the input is clean). Each starts with a stable key for de-duplication. */
  violations: string[];
  ms: number;
  /** arrayBuffers growth while the analysis was alive, after a collection when the first reading was high. */
  arrayBufferDelta: number;
  rss: number;
}

export interface CheckOptions {
  maxMs?: number;
  maxArrayBufferDelta?: number;
}

let gcFn: (() => void) | undefined | null = null;
/** A collector to tell garbage from retained memory; available without --expose-gc through the V8 flag. */
function gc(): (() => void) | undefined {
  if (gcFn === null) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = undefined;
    }
  }
  return gcFn;
}

const CODE_RE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const SEVERITIES = new Set(['error', 'warning', 'info']);
const CATEGORIES = new Set(['network', 'capture', 'packet']);

export function findingProblems(f: Finding, streams: number, frames: number): string[] {
  const out: string[] = [];
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  if (typeof f.code !== 'string' || !CODE_RE.test(f.code)) out.push(`finding code ${JSON.stringify(f.code)} is not dotted`);
  const c = String(f.code);
  if (!SEVERITIES.has(f.severity)) out.push(`finding ${c}: severity ${String(f.severity)}`);
  if (!CATEGORIES.has(f.category)) out.push(`finding ${c}: category ${String(f.category)}`);
  for (const k of ['message', 'explanation'] as const) {
    if (typeof f[k] !== 'string' || !f[k].trim()) out.push(`finding ${c}: empty ${k}`);
    else if (/\b(NaN|undefined|Infinity)\b|\[object /.test(f[k])) out.push(`finding ${c}: ${k} shows a non-value: ${f[k].slice(0, 120)}`);
  }
  if (f.endpoint !== undefined && (typeof f.endpoint !== 'string' || !f.endpoint)) out.push(`finding ${c}: endpoint ${String(f.endpoint)}`);
  if (!Array.isArray(f.streams) || f.streams.some((s) => !isInt(s) || s < 0 || s >= streams)) out.push(`finding ${c}: streams out of range [0,${streams}): ${JSON.stringify(f.streams)?.slice(0, 80)}`);
  if (!Array.isArray(f.frames) || f.frames.some((x) => !isInt(x) || x < 1 || x > frames)) out.push(`finding ${c}: frames out of range [1,${frames}]: ${JSON.stringify(f.frames)?.slice(0, 80)}`);
  if (f.window !== undefined && !(Number.isFinite(f.window.start) && Number.isFinite(f.window.end) && f.window.end >= f.window.start)) {
    out.push(`finding ${c}: window ${JSON.stringify(f.window)}`);
  }
  if (typeof f.metrics !== 'object' || f.metrics === null) out.push(`finding ${c}: metrics missing`);
  else {
    for (const [k, v] of Object.entries(f.metrics)) {
      if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) out.push(`finding ${c}: metric ${k}=${String(v)}`);
    }
  }
  return out;
}

const ERROR_CODES = new Set(['capture.unusable', 'capture.truncated_record', 'capture.bad_record_length', 'capture.bad_block', 'capture.unknown_interface', 'capture.unsupported_section']);

/** Everything a user can reach from one capture: the analysis and every export of it. */
export function driveCore(bytes: Uint8Array): { full: FullAnalysis; output: number } {
  const full = analyzeFull(memorySource(bytes), { keepPerFrame: true, keepPacketIndex: true });
  const reporter = new FlowReporter(full);
  let output = 0;
  for (let s = 0; s < full.capture.flows.count; s++) {
    const r = reporter.report(s);
    output += JSON.stringify(r).length + flowReportCsvRow(r).length;
  }
  output += zeekConnLog(full).length;
  output += JSON.stringify(full.findings).length;
  output += JSON.stringify(full.capture.facts).length + JSON.stringify(full.capture.problems).length;
  return { full, output };
}

export function checkInput(input: Pick<FuzzInput, 'bytes'> & Partial<FuzzInput>, opts: CheckOptions = {}): CheckResult {
  const maxMs = opts.maxMs ?? 2000;
  const maxAb = opts.maxArrayBufferDelta ?? 96 * 1024 * 1024;
  const violations: string[] = [];
  const ab0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let full: FullAnalysis | undefined;
  try {
    full = driveCore(input.bytes).full;
  } catch (e) {
    const err = e as Error;
    const where = (err?.stack ?? '').split('\n').find((l) => l.includes('src/core') || l.includes('    at ')) ?? '';
    violations.push(`throw: ${err?.name}: ${String(err?.message).slice(0, 160)} ${where.trim()}`);
  }
  const ms = performance.now() - t0;
  let abDelta = process.memoryUsage().arrayBuffers - ab0;
  if (abDelta > maxAb) {
    // Garbage from earlier inputs may not have been collected yet; only memory the analysis still holds counts.
    gc()?.();
    abDelta = process.memoryUsage().arrayBuffers - Math.min(ab0, process.memoryUsage().arrayBuffers);
  }
  const rss = process.memoryUsage().rss;
  if (input.bytes.length < 1 << 20 && ms > maxMs) violations.push(`slow: ${ms.toFixed(0)} ms for ${input.bytes.length} bytes`);
  if (abDelta > maxAb) violations.push(`memory: arrayBuffers grew ${(abDelta / 1048576).toFixed(0)} MiB for ${input.bytes.length} bytes`);
  if (!full) return { violations, ms, arrayBufferDelta: abDelta, rss };

  const facts = full.capture.facts;
  const frames = facts.packets;
  for (const f of full.findings) violations.push(...findingProblems(f, full.capture.flows.count, frames));
  for (const e of facts.errors) {
    if (!ERROR_CODES.has(e.code)) violations.push(`capture error code ${e.code}`);
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > input.bytes.length) violations.push(`capture error ${e.code}: offset ${e.offset} outside the file`);
    if (typeof e.message !== 'string' || !e.message || /\bNaN\b|undefined/.test(e.message)) violations.push(`capture error ${e.code}: message ${JSON.stringify(e.message)}`);
    if (e.frameNumber !== undefined && (!Number.isInteger(e.frameNumber) || e.frameNumber < 1 || e.frameNumber > frames + 1)) violations.push(`capture error ${e.code}: frame ${e.frameNumber} of ${frames}`);
  }
  if (facts.bytesRead > input.bytes.length) violations.push(`bytesRead ${facts.bytesRead} > size ${input.bytes.length}`);
  violations.push(...metadataProblems(facts, frames));
  const idx = full.capture.packetIndex;
  if (idx && idx.count !== frames) violations.push(`packet index holds ${idx.count} frames of ${frames}`);
  if (full.capture.tcpPackets > frames) violations.push(`tcpPackets ${full.capture.tcpPackets} > frames ${frames}`);

  if (input.framesInPrefix !== undefined && frames < input.framesInPrefix) {
    violations.push(`lost frames: ${frames} reported but ${input.framesInPrefix} complete records precede the first damaged byte ${input.intactPrefix}`);
  }
  const t = input.truncation;
  if (t) {
    if (t.cut < t.headerEnd) {
      if (!facts.unusable) violations.push(`truncation: cut ${t.cut} inside the file header but the file is not unusable`);
    } else {
      if (frames !== t.framesBefore) violations.push(`truncation: ${frames} frames reported, ${t.framesBefore} complete records before the cut ${t.cut}`);
      if (facts.unusable) violations.push(`truncation: cut ${t.cut} after the header but unusable: ${facts.unusable.message}`);
      if (t.cutRecordStart !== null) {
        const e = facts.errors.find((x) => x.code === 'capture.truncated_record');
        if (!e) violations.push(`truncation: cut ${t.cut} inside a record but no capture.truncated_record`);
        else if (e.offset !== t.cutRecordStart) violations.push(`truncation: error offset ${e.offset}, the cut record starts at ${t.cutRecordStart}`);
      } else if (facts.errors.length) violations.push(`truncation: cut ${t.cut} at a record boundary but errors ${JSON.stringify(facts.errors)}`);
    }
  }
  return { violations, ms, arrayBufferDelta: abDelta, rss };
}

/** A short, stable name for an input (regression fixture file name). */
/** pcapng text is bounded (METADATA_LIMITS) whatever the bytes say, and packet comments point at real frames in order. */
export function metadataProblems(facts: CaptureFacts, frames: number): string[] {
  const L = METADATA_LIMITS;
  const m = facts.metadata;
  const out: string[] = [];
  const text = (where: string, t: unknown) => {
    if (typeof t !== 'string' || t.length > L.textBytes + 1) out.push(`metadata: ${where} is ${typeof t === 'string' ? `${t.length} chars` : typeof t}`);
  };
  if (m.sections.length > L.sections) out.push(`metadata: ${m.sections.length} sections kept`);
  for (const sec of m.sections) {
    if (sec.comments.length > L.commentsPerBlock) out.push(`metadata: ${sec.comments.length} comments on section ${sec.index}`);
    for (const t of [sec.hardware, sec.os, sec.application]) if (t !== undefined) text(`section ${sec.index} string`, t);
    for (const c of sec.comments) text(`section ${sec.index} comment`, c);
  }
  for (const i of facts.interfaces) {
    for (const t of [i.name, i.description, i.os, i.filter]) if (t !== undefined) text(`interface ${i.index} string`, t);
    if ((i.comments?.length ?? 0) > L.commentsPerBlock) out.push(`metadata: ${i.comments!.length} comments on interface ${i.index}`);
  }
  if (m.packetComments.length > L.packetComments || m.packetComments.length > m.packetCommentsTotal) out.push(`metadata: ${m.packetComments.length} packet comments kept of ${m.packetCommentsTotal}`);
  let prev = 0;
  for (const c of m.packetComments) {
    // A comment is read before its packet is delivered; a packet dropped after that (unknown interface) cannot be.
    if (c.frameNumber < prev || c.frameNumber < 1 || c.frameNumber > frames) out.push(`metadata: packet comment on frame ${c.frameNumber} of ${frames}`);
    prev = c.frameNumber;
    text(`frame ${c.frameNumber} comment`, c.text);
  }
  if (m.names.length > L.names || m.names.length > m.namesTotal) out.push(`metadata: ${m.names.length} names kept of ${m.namesTotal}`);
  for (const n of m.names) {
    if (n.names.length > L.namesPerAddress) out.push(`metadata: ${n.names.length} names for ${n.address}`);
    for (const t of n.names) text(`name of ${n.address}`, t);
  }
  return out;
}

export function inputHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Violation text without the numbers that vary per input: unique failures are counted by this. */
export function violationKey(v: string): string {
  return v.replace(/\d+/g, '#').slice(0, 140);
}
