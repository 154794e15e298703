/**
 * Builds capture files and frames from scratch, byte by byte, for tests and the bundled sample.
 *
 * Nothing here reads a capture or shares code with the reader: a test that builds bytes here and reads them back
 * checks the reader against an independent writing of the formats, so the two cannot agree on a misreading.
 *
 * Layers compose as plain functions (tcp → ipv4/ipv6 → link → record → file). `packet()` and `tcpConversation()`
 * are the shortcuts later tests use to write whole TCP exchanges.
 */

// ---------------------------------------------------------------------------------------------------------------
// Bytes

/** Growable byte writer; every multi-byte field takes its own byte order because pcapng sections differ. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number, le = false): this {
    this.room(2);
    const b = this.buf;
    const o = this.length;
    if (le) {
      b[o] = v & 0xff;
      b[o + 1] = (v >>> 8) & 0xff;
    } else {
      b[o] = (v >>> 8) & 0xff;
      b[o + 1] = v & 0xff;
    }
    this.length += 2;
    return this;
  }
  u32(v: number, le = false): this {
    this.room(4);
    const b = this.buf;
    const o = this.length;
    v >>>= 0;
    if (le) {
      b[o] = v & 0xff;
      b[o + 1] = (v >>> 8) & 0xff;
      b[o + 2] = (v >>> 16) & 0xff;
      b[o + 3] = v >>> 24;
    } else {
      b[o] = v >>> 24;
      b[o + 1] = (v >>> 16) & 0xff;
      b[o + 2] = (v >>> 8) & 0xff;
      b[o + 3] = v & 0xff;
    }
    this.length += 4;
    return this;
  }
  /** 64-bit field from a bigint (two's complement for negatives, as if_tsoffset needs). */
  u64(v: bigint | number, le = false): this {
    const x = BigInt.asUintN(64, BigInt(v));
    const hi = Number(x >> 32n);
    const lo = Number(x & 0xffffffffn);
    return le ? this.u32(lo, true).u32(hi, true) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array | readonly number[]): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  zeros(n: number): this {
    this.room(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  pad4(): this {
    return this.zeros((4 - (this.length % 4)) % 4);
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function utf8Bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Deterministic filler so payload bytes are not all zero (a zero run hides off-by-N mistakes). */
export function payloadBytes(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + 0x41) & 0xff;
  return b;
}

function setU32(b: Uint8Array, o: number, v: number, le: boolean): void {
  const w = new ByteWriter().u32(v, le).done();
  b.set(w, o);
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

export function ipv4Bytes(addr: string): Uint8Array {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${addr}`);
  return Uint8Array.from(parts);
}

export function ipv6Bytes(addr: string): Uint8Array {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${addr}`);
  const w = new ByteWriter();
  for (const g of groups) w.u16(parseInt(g, 16));
  return w.done();
}

/** The four big-endian 32-bit words of an address, as DecodedPacket holds them (IPv4: word 0 only). */
export function addressWords(addr: string): [number, number, number, number] {
  const b = addr.includes(':') ? ipv6Bytes(addr) : ipv4Bytes(addr);
  const w: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < b.length / 4; i++) w[i] = ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0;
  return w;
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function checksum16(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---------------------------------------------------------------------------------------------------------------
// TCP

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const AE = 0x100;

/** Flags as letters (S F R P A U E C N, any order) or as the numeric bits. */
export type Flags = string | number;

export function flagBits(f: Flags): number {
  if (typeof f === 'number') return f;
  const map: Record<string, number> = { S: SYN, F: FIN, R: RST, P: PSH, A: ACK, U: URG, E: ECE, C: CWR, N: AE };
  let v = 0;
  for (const c of f.toUpperCase()) {
    const bit = map[c];
    if (bit === undefined) throw new Error(`unknown TCP flag letter ${c}`);
    v |= bit;
  }
  return v;
}

export interface TcpOptionSpec {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left, right) pairs of raw sequence numbers. */
  sack?: Array<[number, number]>;
  /** [TSval, TSecr] */
  timestamps?: [number, number];
  /** TCP Fast Open (kind 34): a cookie, or true for a cookie request (empty option). */
  tfo?: Uint8Array | true;
  /** Multipath TCP (kind 30): subtype in the high nibble of the first byte, then opaque bytes. */
  mptcp?: { subtype: number; data?: Uint8Array };
  /** Bytes appended verbatim after the options above (odd kinds, malformed lengths...). */
  raw?: readonly number[];
}

/** Encodes options in the order Linux sends them (MSS, SACK-perm/TS, NOP, WS), padded with NOPs/EOL to 4 bytes. */
export function tcpOptionBytes(o: TcpOptionSpec): Uint8Array {
  const w = new ByteWriter();
  if (o.mss !== undefined) w.u8(2).u8(4).u16(o.mss);
  if (o.sackPermitted && o.timestamps) {
    w.u8(4).u8(2).u8(8).u8(10).u32(o.timestamps[0]).u32(o.timestamps[1]);
  } else {
    if (o.sackPermitted) w.u8(1).u8(1).u8(4).u8(2);
    if (o.timestamps) w.u8(1).u8(1).u8(8).u8(10).u32(o.timestamps[0]).u32(o.timestamps[1]);
  }
  if (o.wscale !== undefined) w.u8(1).u8(3).u8(3).u8(o.wscale);
  if (o.sack?.length) {
    w.u8(1).u8(1).u8(5).u8(2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) w.u32(l).u32(r);
  }
  if (o.tfo) {
    const cookie = o.tfo === true ? new Uint8Array(0) : o.tfo;
    w.u8(34).u8(2 + cookie.length).bytes(cookie);
  }
  if (o.mptcp) {
    const data = o.mptcp.data ?? new Uint8Array(1);
    w.u8(30).u8(3 + data.length).u8((o.mptcp.subtype & 0xf) << 4).bytes(data);
  }
  if (o.raw) w.bytes(o.raw);
  while (w.length % 4) w.u8(0);
  return w.done();
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: Flags;
  win?: number;
  urgent?: number;
  options?: TcpOptionSpec | Uint8Array;
  /** Payload bytes, or a length for generated filler. */
  payload?: Uint8Array | number;
  /** Overrides the data offset field (words), for malformed headers. */
  dataOffsetWords?: number;
}

/** TCP header + options + payload, checksum left 0 (filled by ipv4()/ipv6(), which know the pseudo-header). */
export function tcpSegment(t: TcpSpec): Uint8Array {
  const opts = t.options instanceof Uint8Array ? t.options : tcpOptionBytes(t.options ?? {});
  const payload = typeof t.payload === 'number' ? payloadBytes(t.payload, t.sport) : (t.payload ?? new Uint8Array(0));
  const hlenWords = t.dataOffsetWords ?? (20 + opts.length) / 4;
  const w = new ByteWriter()
    .u16(t.sport)
    .u16(t.dport)
    .u32(t.seq ?? 0)
    .u32(t.ack ?? 0)
    .u16(((hlenWords & 0xf) << 12) | (flagBits(t.flags ?? ACK) & 0x1ff))
    .u16(t.win ?? 65535)
    .u16(0)
    .u16(t.urgent ?? 0)
    .bytes(opts)
    .bytes(payload);
  return w.done();
}

// ---------------------------------------------------------------------------------------------------------------
// IP

export interface Ipv4Spec {
  src: string;
  dst: string;
  protocol?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  tos?: number;
  /** Option bytes (padded to 4 with EOL). */
  options?: readonly number[];
  /** Overrides the total length field (0 models TSO on the capturing host). */
  totalLength?: number;
  /** Overrides the IHL field (words), for malformed headers. */
  ihlWords?: number;
  version?: number;
}

export function ipv4(spec: Ipv4Spec, payload: Uint8Array): Uint8Array {
  const opts = [...(spec.options ?? [])];
  while (opts.length % 4) opts.push(0);
  const hlen = 20 + opts.length;
  const protocol = spec.protocol ?? 6;
  const src = ipv4Bytes(spec.src);
  const dst = ipv4Bytes(spec.dst);
  const frag = ((spec.df ?? true) ? 0x4000 : 0) | (spec.mf ? 0x2000 : 0) | ((spec.fragOffset ?? 0) & 0x1fff);
  const h = new ByteWriter()
    .u8(((spec.version ?? 4) << 4) | ((spec.ihlWords ?? hlen / 4) & 0xf))
    .u8(spec.tos ?? 0)
    .u16(spec.totalLength ?? hlen + payload.length)
    .u16(spec.id ?? 0)
    .u16(frag)
    .u8(spec.ttl ?? 64)
    .u8(protocol)
    .u16(0)
    .bytes(src)
    .bytes(dst)
    .bytes(opts)
    .done();
  const c = checksum16(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  const seg = payload.slice();
  if (protocol === 6 && seg.length >= 20 && !spec.fragOffset) {
    const pseudo = new ByteWriter().bytes(src).bytes(dst).u8(0).u8(6).u16(seg.length).done();
    const tc = checksum16(pseudo, seg);
    seg[16] = tc >>> 8;
    seg[17] = tc & 0xff;
  }
  return concat(h, seg);
}

export type Ipv6Ext =
  | { type: 'hop' | 'dest' | 'routing'; length?: number }
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  | { type: 'ah'; icvBytes?: number };

const EXT_CODES = { hop: 0, routing: 43, fragment: 44, ah: 51, dest: 60 } as const;

export interface Ipv6Spec {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers. */
  protocol?: number;
  hopLimit?: number;
  flowLabel?: number;
  ext?: Ipv6Ext[];
  /** Overrides the payload length field (0 models GSO/jumbograms). */
  payloadLength?: number;
}

export function ipv6(spec: Ipv6Spec, payload: Uint8Array): Uint8Array {
  const ext = spec.ext ?? [];
  const protocol = spec.protocol ?? 6;
  const codes = ext.map((e) => EXT_CODES[e.type]);
  const chain = new ByteWriter();
  ext.forEach((e, i) => {
    const next = i + 1 < ext.length ? codes[i + 1]! : protocol;
    if (e.type === 'fragment') {
      chain.u8(next).u8(0).u16((((e.offset ?? 0) & 0x1fff) << 3) | (e.more ? 1 : 0)).u32(e.id ?? 1);
    } else if (e.type === 'ah') {
      // AH length counts 4-byte words minus 2; 12 fixed bytes + ICV.
      const icv = e.icvBytes ?? 12;
      chain.u8(next).u8((12 + icv) / 4 - 2).u16(0).u32(0x100).u32(1).zeros(icv);
    } else {
      const units = e.length ?? 0; // (HdrExtLen + 1) * 8 bytes
      chain.u8(next).u8(units);
      // PadN filling the rest of the header so it parses as valid options.
      const rest = (units + 1) * 8 - 2;
      if (e.type === 'routing') chain.u8(0).u8(0).zeros(rest - 2);
      else chain.u8(1).u8(rest - 2).zeros(rest - 2);
    }
  });
  const extBytes = chain.done();
  const src = ipv6Bytes(spec.src);
  const dst = ipv6Bytes(spec.dst);
  const plen = extBytes.length + payload.length;
  const h = new ByteWriter()
    .u32((6 << 28) | ((spec.flowLabel ?? 0) & 0xfffff))
    .u16(spec.payloadLength ?? plen)
    .u8(ext.length ? codes[0]! : protocol)
    .u8(spec.hopLimit ?? 64)
    .bytes(src)
    .bytes(dst)
    .done();
  const seg = payload.slice();
  if (protocol === 6 && seg.length >= 20) {
    const pseudo = new ByteWriter().bytes(src).bytes(dst).u32(seg.length).zeros(3).u8(6).done();
    const tc = checksum16(pseudo, seg);
    seg[16] = tc >>> 8;
    seg[17] = tc & 0xff;
  }
  return concat(h, extBytes, seg);
}

// ---------------------------------------------------------------------------------------------------------------
// Link layers

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

export interface VlanTag {
  /** 0x8100 (802.1Q, default), 0x88a8 (802.1ad S-tag) or the legacy 0x9100. */
  tpid?: number;
  vid: number;
  pcp?: number;
}

export interface EthernetSpec {
  dst?: string;
  src?: string;
  vlans?: VlanTag[];
  /** EtherType of the payload; defaults from the IP version nibble. */
  etherType?: number;
}

function etherTypeOf(ip: Uint8Array): number {
  return ip.length > 0 && ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
}

export function ethernet(spec: EthernetSpec, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter()
    .bytes(macBytes(spec.dst ?? '02:00:00:00:00:02'))
    .bytes(macBytes(spec.src ?? '02:00:00:00:00:01'));
  for (const v of spec.vlans ?? []) w.u16(v.tpid ?? 0x8100).u16(((v.pcp ?? 0) << 13) | (v.vid & 0xfff));
  w.u16(spec.etherType ?? etherTypeOf(payload)).bytes(payload);
  return w.done();
}

/** An 802.3 frame: a length instead of an EtherType, then LLC. Never TCP as far as the decoder is concerned. */
export function ethernet8023(payload: Uint8Array): Uint8Array {
  return new ByteWriter()
    .bytes(macBytes('01:80:c2:00:00:00'))
    .bytes(macBytes('02:00:00:00:00:01'))
    .u16(payload.length + 3)
    .u8(0x42)
    .u8(0x42)
    .u8(0x03)
    .bytes(payload)
    .done();
}

export function sll(payload: Uint8Array, opts: { protocol?: number; pktType?: number; hatype?: number } = {}): Uint8Array {
  return new ByteWriter()
    .u16(opts.pktType ?? 0)
    .u16(opts.hatype ?? 772)
    .u16(6)
    .bytes([2, 0, 0, 0, 0, 1, 0, 0])
    .u16(opts.protocol ?? etherTypeOf(payload))
    .bytes(payload)
    .done();
}

export function sll2(payload: Uint8Array, opts: { protocol?: number; ifindex?: number; pktType?: number } = {}): Uint8Array {
  return new ByteWriter()
    .u16(opts.protocol ?? etherTypeOf(payload))
    .u16(0)
    .u32(opts.ifindex ?? 1)
    .u16(772)
    .u8(opts.pktType ?? 0)
    .u8(6)
    .bytes([2, 0, 0, 0, 0, 1, 0, 0])
    .bytes(payload)
    .done();
}

/** BSD loopback (DLT_NULL): the address family in the capturing host's byte order. */
export function nullLink(payload: Uint8Array, opts: { af?: number; littleEndian?: boolean } = {}): Uint8Array {
  const af = opts.af ?? (etherTypeOf(payload) === 0x86dd ? 30 : 2);
  return new ByteWriter().u32(af, opts.littleEndian ?? true).bytes(payload).done();
}

/** OpenBSD loopback (DLT_LOOP): the address family always big-endian. */
export function loopLink(payload: Uint8Array, opts: { af?: number } = {}): Uint8Array {
  const af = opts.af ?? (etherTypeOf(payload) === 0x86dd ? 24 : 2);
  return new ByteWriter().u32(af).bytes(payload).done();
}

/** NFLOG: family, version, resource id, then TLVs (host byte order: little-endian); the packet in NFULA_PAYLOAD. */
export function nflog(payload: Uint8Array, opts: { family?: number; prefix?: string } = {}): Uint8Array {
  const family = opts.family ?? (etherTypeOf(payload) === 0x86dd ? 10 : 2);
  const w = new ByteWriter().u8(family).u8(0).u16(0);
  const tlv = (type: number, value: Uint8Array) => {
    w.u16(4 + value.length, true).u16(type, true).bytes(value).pad4();
  };
  tlv(1, Uint8Array.from([0x08, 0x00, 0x01, 0x00])); // NFULA_PACKET_HDR
  tlv(10, utf8Bytes(`${opts.prefix ?? 'tcpscope'}\0`)); // NFULA_PREFIX
  tlv(9, payload); // NFULA_PAYLOAD
  return w.done();
}

export type LinkSpec =
  | { type: 'ether'; eth?: EthernetSpec }
  | { type: 'sll' }
  | { type: 'sll2' }
  | { type: 'null'; littleEndian?: boolean }
  | { type: 'loop' }
  | { type: 'raw' }
  | { type: 'ipv4' }
  | { type: 'ipv6' }
  | { type: 'nflog' };

export function linkTypeOf(link: LinkSpec): number {
  switch (link.type) {
    case 'ether':
      return LINKTYPE.ETHERNET;
    case 'sll':
      return LINKTYPE.LINUX_SLL;
    case 'sll2':
      return LINKTYPE.LINUX_SLL2;
    case 'null':
      return LINKTYPE.NULL;
    case 'loop':
      return LINKTYPE.LOOP;
    case 'raw':
      return LINKTYPE.RAW;
    case 'ipv4':
      return LINKTYPE.IPV4;
    case 'ipv6':
      return LINKTYPE.IPV6;
    case 'nflog':
      return LINKTYPE.NFLOG;
  }
}

/** Wraps an IP datagram in a link-layer header. */
export function encapsulate(link: LinkSpec, ip: Uint8Array): Uint8Array {
  switch (link.type) {
    case 'ether':
      return ethernet(link.eth ?? {}, ip);
    case 'sll':
      return sll(ip);
    case 'sll2':
      return sll2(ip);
    case 'null':
      return nullLink(ip, { littleEndian: link.littleEndian ?? true });
    case 'loop':
      return loopLink(ip);
    case 'nflog':
      return nflog(ip);
    default:
      return ip;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One TCP packet

export interface PacketSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: Flags;
  win?: number;
  /** Filler payload of this length (ignored when payload is given). */
  payloadLen?: number;
  payload?: Uint8Array;
  options?: TcpOptionSpec;
  link?: LinkSpec;
  ipId?: number;
  ttl?: number;
  ipv4?: Partial<Ipv4Spec>;
  ipv6?: Partial<Ipv6Spec>;
}

/** One TCP segment as a whole frame: IPv4 or IPv6 by the address syntax, Ethernet unless `link` says otherwise. */
export function packet(p: PacketSpec): Uint8Array {
  const seg = tcpSegment({
    sport: p.sport,
    dport: p.dport,
    seq: p.seq ?? 0,
    ack: p.ack ?? 0,
    flags: p.flags ?? ACK,
    win: p.win ?? 65535,
    options: p.options ?? {},
    payload: p.payload ?? p.payloadLen ?? 0,
  });
  const ip = p.src.includes(':')
    ? ipv6({ src: p.src, dst: p.dst, hopLimit: p.ttl ?? 64, ...p.ipv6 }, seg)
    : ipv4({ src: p.src, dst: p.dst, id: p.ipId ?? 0, ttl: p.ttl ?? 64, ...p.ipv4 }, seg);
  return encapsulate(p.link ?? { type: 'ether' }, ip);
}

// ---------------------------------------------------------------------------------------------------------------
// Records and time

/** A packet in a capture: the captured bytes, when, and how long it was on the wire. */
export interface Rec {
  data: Uint8Array;
  sec?: number;
  /** Nanoseconds within the second. */
  nsec?: number;
  /** On-the-wire length; defaults to data.length (the record is cut when smaller). */
  origLen?: number;
}

/** Seconds (float, for convenience) → {sec, nsec}, rounded to the nanosecond. */
export function at(seconds: number): { sec: number; nsec: number } {
  const sec = Math.floor(seconds);
  let nsec = Math.round((seconds - sec) * 1e9);
  if (nsec >= 1e9) return { sec: sec + 1, nsec: nsec - 1e9 };
  if (nsec < 0) nsec = 0;
  return { sec, nsec };
}

/** Cuts a record's captured bytes to `snaplen`, keeping its original length (what a snaplen does). */
export function snap(r: Rec, snaplen: number): Rec {
  return { ...r, data: r.data.subarray(0, Math.min(snaplen, r.data.length)), origLen: r.origLen ?? r.data.length };
}

// ---------------------------------------------------------------------------------------------------------------
// Classic pcap

export interface PcapOptions {
  /** Nanosecond magic 0xA1B23C4D instead of microseconds. */
  nsec?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
  linkType?: number;
  /** Sets the FCS-present bit and this many 16-bit words of FCS per packet (0..7). */
  fcsWords?: number;
  versionMajor?: number;
  versionMinor?: number;
  /** Overrides the magic number (damage). */
  magic?: number;
}

export function pcapHeader(o: PcapOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const linkField = ((o.linkType ?? LINKTYPE.ETHERNET) & 0xffff) | (o.fcsWords !== undefined ? 0x10000000 | ((o.fcsWords & 7) << 29) : 0);
  return new ByteWriter()
    .u32(o.magic ?? (o.nsec ? 0xa1b23c4d : 0xa1b2c3d4), le)
    .u16(o.versionMajor ?? 2, le)
    .u16(o.versionMinor ?? 4, le)
    .u32(0, le)
    .u32(0, le)
    .u32(o.snaplen ?? 262144, le)
    .u32(linkField >>> 0, le)
    .done();
}

export function pcapRecord(r: Rec, o: PcapOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const frac = o.nsec ? (r.nsec ?? 0) : Math.floor((r.nsec ?? 0) / 1000);
  return new ByteWriter()
    .u32(r.sec ?? 0, le)
    .u32(frac, le)
    .u32(r.data.length, le)
    .u32(r.origLen ?? r.data.length, le)
    .bytes(r.data)
    .done();
}

/** A whole classic pcap file. */
export function pcap(records: Rec[], o: PcapOptions = {}): Uint8Array {
  return concat(pcapHeader(o), ...records.map((r) => pcapRecord(r, o)));
}

/** File offsets of each record header in a classic pcap built here (or any well-formed one). */
export function pcapRecordOffsets(file: Uint8Array): number[] {
  const le = file[0] === 0xd4 || file[0] === 0x4d;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: number[] = [];
  for (let p = 24; p + 16 <= file.length; ) {
    out.push(p);
    p += 16 + dv.getUint32(p + 8, le);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// pcapng

export interface NgContext {
  le: boolean;
  /** Resolutions of the interfaces described so far in this section, by interface id. */
  resolutions: Array<{ base: 10 | 2; exponent: number }>;
}

/** A block is a function of its section's byte order (and interfaces): sections decide how blocks are written. */
export type NgBlock = (ctx: NgContext) => Uint8Array;

export interface NgOption {
  code: number;
  value: Uint8Array;
  /** Writes this instead of the value's length (damage). */
  lengthOverride?: number;
}

function optionBytes(opts: NgOption[], le: boolean, endOfOpt = true): Uint8Array {
  if (!opts.length) return new Uint8Array(0);
  const w = new ByteWriter();
  for (const o of opts) w.u16(o.code, le).u16(o.lengthOverride ?? o.value.length, le).bytes(o.value).pad4();
  if (endOfOpt) w.u32(0, le);
  return w.done();
}

const optStr = (code: number, s: string): NgOption => ({ code, value: utf8Bytes(s) });
const optU64 = (code: number, v: bigint | number, le: boolean): NgOption => ({ code, value: new ByteWriter().u64(v, le).done() });
const optU32 = (code: number, v: number, le: boolean): NgOption => ({ code, value: new ByteWriter().u32(v, le).done() });

/** Frames any block body: type, total length, body padded to 4, total length again. */
export function rawBlock(type: number, body: Uint8Array | ((le: boolean) => Uint8Array), opts: { lengthOverride?: number; trailerOverride?: number } = {}): NgBlock {
  return ({ le }) => {
    const b = typeof body === 'function' ? body(le) : body;
    const padded = (b.length + 3) & ~3;
    const len = 12 + padded;
    return new ByteWriter()
      .u32(type, le)
      .u32(opts.lengthOverride ?? len, le)
      .bytes(b)
      .zeros(padded - b.length)
      .u32(opts.trailerOverride ?? opts.lengthOverride ?? len, le)
      .done();
  };
}

export interface IdbSpec {
  linkType?: number;
  snaplen?: number;
  name?: string;
  description?: string;
  /** if_tsresol: {base 10, exponent 9} writes 9; base 2 writes 0x80 | exponent. Omitted means microseconds. */
  tsresol?: { base: 10 | 2; exponent: number };
  /** if_tsoffset, seconds. */
  tsoffset?: number;
  fcslen?: number;
  os?: string;
  filter?: string;
  /** opt_comment, one option each. */
  comments?: string[];
  extraOptions?: NgOption[];
}

export function idb(s: IdbSpec = {}): NgBlock {
  return (ctx) => {
    const le = ctx.le;
    ctx.resolutions.push(s.tsresol ?? { base: 10, exponent: 6 });
    const opts: NgOption[] = (s.comments ?? []).map((c) => optStr(1, c));
    if (s.name !== undefined) opts.push(optStr(2, s.name));
    if (s.description !== undefined) opts.push(optStr(3, s.description));
    if (s.tsresol) opts.push({ code: 9, value: Uint8Array.of(s.tsresol.base === 2 ? 0x80 | s.tsresol.exponent : s.tsresol.exponent) });
    if (s.filter !== undefined) opts.push({ code: 11, value: concat(Uint8Array.of(0), utf8Bytes(s.filter)) });
    if (s.os !== undefined) opts.push(optStr(12, s.os));
    if (s.fcslen !== undefined) opts.push({ code: 13, value: Uint8Array.of(s.fcslen) });
    if (s.tsoffset !== undefined) opts.push(optU64(14, s.tsoffset, le));
    opts.push(...(s.extraOptions ?? []));
    const body = new ByteWriter()
      .u16(s.linkType ?? LINKTYPE.ETHERNET, le)
      .u16(0, le)
      .u32(s.snaplen ?? 0, le)
      .bytes(optionBytes(opts, le))
      .done();
    return rawBlock(1, body)(ctx);
  };
}

/** Converts a time to units of a resolution, exactly (bigint), the way a writer with that clock would store it. */
export function timeToUnits(sec: number, nsec: number, res: { base: 10 | 2; exponent: number }): bigint {
  const ns = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
  const den = res.base === 10 ? 10n ** BigInt(res.exponent) : 1n << BigInt(res.exponent);
  return (ns * den) / 1_000_000_000n;
}

export interface EpbSpec extends Rec {
  iface?: number;
  /** Timestamp as raw units (bypasses the sec/nsec conversion, for exact-value tests). */
  units?: bigint;
  /** epb_flags option. */
  flags?: number;
  comment?: string;
  /** Options written after the ones above, verbatim (damage, unknown codes). */
  extraOptions?: NgOption[];
  /** Overrides the captured length field (damage). */
  capLenOverride?: number;
}

function packetTimestamp(ctx: NgContext, s: EpbSpec): bigint {
  if (s.units !== undefined) return s.units;
  const res = ctx.resolutions[s.iface ?? 0] ?? { base: 10, exponent: 6 };
  return timeToUnits(s.sec ?? 0, s.nsec ?? 0, res);
}

export function epb(s: EpbSpec): NgBlock {
  return (ctx) => {
    const le = ctx.le;
    const units = packetTimestamp(ctx, s);
    const opts: NgOption[] = [];
    if (s.comment !== undefined) opts.push(optStr(1, s.comment));
    if (s.flags !== undefined) opts.push(optU32(2, s.flags, le));
    opts.push(...(s.extraOptions ?? []));
    const body = new ByteWriter()
      .u32(s.iface ?? 0, le)
      .u32(Number(units >> 32n), le)
      .u32(Number(units & 0xffffffffn), le)
      .u32(s.capLenOverride ?? s.data.length, le)
      .u32(s.origLen ?? s.data.length, le)
      .bytes(s.data)
      .pad4()
      .bytes(optionBytes(opts, le))
      .done();
    return rawBlock(6, body)(ctx);
  };
}

/** Obsolete Packet Block (type 2): 16-bit interface id and drop count, otherwise like an EPB. */
export function pb(s: EpbSpec & { drops?: number }): NgBlock {
  return (ctx) => {
    const le = ctx.le;
    const units = packetTimestamp(ctx, s);
    const opts: NgOption[] = [];
    if (s.comment !== undefined) opts.push(optStr(1, s.comment));
    if (s.flags !== undefined) opts.push(optU32(2, s.flags, le));
    const body = new ByteWriter()
      .u16(s.iface ?? 0, le)
      .u16(s.drops ?? 0, le)
      .u32(Number(units >> 32n), le)
      .u32(Number(units & 0xffffffffn), le)
      .u32(s.data.length, le)
      .u32(s.origLen ?? s.data.length, le)
      .bytes(s.data)
      .pad4()
      .bytes(optionBytes(opts, le))
      .done();
    return rawBlock(2, body)(ctx);
  };
}

/** Simple Packet Block: no timestamp, interface 0, only the original length (captured = min(orig, snaplen)). */
export function spb(s: { data: Uint8Array; origLen?: number }): NgBlock {
  return (ctx) => rawBlock(3, new ByteWriter().u32(s.origLen ?? s.data.length, ctx.le).bytes(s.data).done())(ctx);
}

export function nrb(entries: Array<{ ip: string; names: string[] }> = [{ ip: '10.0.0.2', names: ['server.example'] }]): NgBlock {
  return (ctx) => {
    const le = ctx.le;
    const w = new ByteWriter();
    for (const e of entries) {
      const v6 = e.ip.includes(':');
      const value = concat(v6 ? ipv6Bytes(e.ip) : ipv4Bytes(e.ip), ...e.names.map((n) => utf8Bytes(`${n}\0`)));
      w.u16(v6 ? 2 : 1, le).u16(value.length, le).bytes(value).pad4();
    }
    w.u16(0, le).u16(0, le);
    return rawBlock(4, w.done())(ctx);
  };
}

export interface IsbSpec {
  iface?: number;
  sec?: number;
  nsec?: number;
  received?: number;
  ifdrop?: number;
  osdrop?: number;
  filterAccept?: number;
  delivered?: number;
}

export function isb(s: IsbSpec): NgBlock {
  return (ctx) => {
    const le = ctx.le;
    const units = packetTimestamp(ctx, { data: new Uint8Array(0), iface: s.iface ?? 0, sec: s.sec ?? 0, nsec: s.nsec ?? 0 });
    const opts: NgOption[] = [];
    if (s.received !== undefined) opts.push(optU64(4, s.received, le));
    if (s.ifdrop !== undefined) opts.push(optU64(5, s.ifdrop, le));
    if (s.filterAccept !== undefined) opts.push(optU64(6, s.filterAccept, le));
    if (s.osdrop !== undefined) opts.push(optU64(7, s.osdrop, le));
    if (s.delivered !== undefined) opts.push(optU64(8, s.delivered, le));
    const body = new ByteWriter()
      .u32(s.iface ?? 0, le)
      .u32(Number(units >> 32n), le)
      .u32(Number(units & 0xffffffffn), le)
      .bytes(optionBytes(opts, le))
      .done();
    return rawBlock(5, body)(ctx);
  };
}

/** Decryption Secrets Block with a TLS key log. */
export function dsb(secrets = 'CLIENT_RANDOM 00 11\n'): NgBlock {
  return (ctx) => {
    const data = utf8Bytes(secrets);
    return rawBlock(0x0a, new ByteWriter().u32(0x544c534b, ctx.le).u32(data.length, ctx.le).bytes(data).pad4().done())(ctx);
  };
}

/** Custom block: 0x00000BAD (may be copied) or 0x40000BAD (must not be copied). */
export function customBlock(s: { copyable?: boolean; pen?: number; data?: Uint8Array } = {}): NgBlock {
  return (ctx) =>
    rawBlock(s.copyable === false ? 0x40000bad : 0x00000bad, new ByteWriter().u32(s.pen ?? 32473, ctx.le).bytes(s.data ?? utf8Bytes('tcpscope custom')).done())(ctx);
}

export interface SectionSpec {
  bigEndian?: boolean;
  versionMajor?: number;
  versionMinor?: number;
  hardware?: string;
  os?: string;
  application?: string;
  /** opt_comment, one option each. */
  comments?: string[];
  /** Options written after the ones above, verbatim (damage, unknown codes). */
  extraOptions?: NgOption[];
  /** Overrides the byte-order magic (damage). */
  bom?: number;
}

export interface Section {
  spec: SectionSpec;
  blocks: NgBlock[];
}

export function section(spec: SectionSpec, ...blocks: NgBlock[]): Section {
  return { spec, blocks };
}

export function shb(spec: SectionSpec): Uint8Array {
  const le = !spec.bigEndian;
  const opts: NgOption[] = (spec.comments ?? []).map((c) => optStr(1, c));
  if (spec.hardware) opts.push(optStr(2, spec.hardware));
  if (spec.os) opts.push(optStr(3, spec.os));
  if (spec.application) opts.push(optStr(4, spec.application));
  opts.push(...(spec.extraOptions ?? []));
  const body = new ByteWriter()
    .u32(spec.bom ?? 0x1a2b3c4d, le)
    .u16(spec.versionMajor ?? 1, le)
    .u16(spec.versionMinor ?? 0, le)
    .u64(-1n, le)
    .bytes(optionBytes(opts, le))
    .done();
  return rawBlock(0x0a0d0d0a, body)({ le, resolutions: [] });
}

/** A whole pcapng file: each section writes its header and blocks in its own byte order. */
export function pcapng(...sections: Section[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of sections) {
    const ctx: NgContext = { le: !s.spec.bigEndian, resolutions: [] };
    parts.push(shb(s.spec));
    for (const b of s.blocks) parts.push(b(ctx));
  }
  return concat(...parts);
}

/** File offsets and types of the blocks of a well-formed pcapng file (any mix of byte orders). */
export function pcapngBlockOffsets(file: Uint8Array): Array<{ offset: number; type: number; length: number }> {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Array<{ offset: number; type: number; length: number }> = [];
  let le = true;
  for (let p = 0; p + 12 <= file.length; ) {
    if (dv.getUint32(p, false) === 0x0a0d0d0a) le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
    const type = dv.getUint32(p, le);
    const length = dv.getUint32(p + 4, le);
    out.push({ offset: p, type, length });
    if (length < 12) break;
    p += length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Damage

/** The first n bytes (a copy). */
export function truncate(file: Uint8Array, n: number): Uint8Array {
  return file.slice(0, n);
}

/** A copy with the 32-bit field at `offset` replaced. */
export function patchU32(file: Uint8Array, offset: number, value: number, littleEndian: boolean): Uint8Array {
  const out = file.slice();
  setU32(out, offset, value, littleEndian);
  return out;
}

/** A copy of a classic pcap whose record `index` (0-based) claims `caplen` captured bytes. */
export function setPcapRecordLength(file: Uint8Array, index: number, caplen: number): Uint8Array {
  const off = pcapRecordOffsets(file)[index];
  if (off === undefined) throw new Error(`no record ${index}`);
  const le = file[0] === 0xd4 || file[0] === 0x4d;
  return patchU32(file, off + 8, caplen, le);
}

// ---------------------------------------------------------------------------------------------------------------
// TCP conversations

export interface Endpoint {
  ip: string;
  port: number;
  mac?: string;
}

export interface ConversationOptions {
  client: Endpoint;
  server: Endpoint;
  /**
   * Start time: seconds since the epoch, or {sec, nsec} when the start must be exact (a float of today's epoch
   * seconds only holds about a quarter of a microsecond).
   */
  start?: number | { sec: number; nsec: number };
  /** Round-trip time in seconds; handshake and ack() spacing use it. */
  rtt?: number;
  clientIsn?: number;
  serverIsn?: number;
  mss?: number;
  /** Window scale shift both sides offer in the handshake (undefined: no option). */
  wscale?: number;
  sack?: boolean;
  /** Add TCP timestamps (TSval ticking in milliseconds). */
  timestamps?: boolean;
  link?: LinkSpec;
  /** Advertised window (unscaled field value) per side. */
  clientWin?: number;
  serverWin?: number;
}

export type Side = 'client' | 'server';

interface SideState {
  ep: Endpoint;
  isn: number;
  /** Next sequence number this side will send. */
  snd: number;
  /** Next sequence number this side expects from its peer (what it ACKs). */
  rcv: number;
  /** Out-of-order ranges this side holds from its peer, [left, right). */
  ooo: Array<[number, number]>;
  win: number;
  tsBase: number;
  lastTsFromPeer: number;
  ipId: number;
}

export interface SegmentOptions {
  flags?: Flags;
  /** Payload length (filler) or bytes. */
  len?: number;
  payload?: Uint8Array;
  /** Explicit sequence number (retransmissions, probes); defaults to the side's next sequence number. */
  seq?: number;
  /** Explicit acknowledgment number; defaults to what the side has received in order. */
  ack?: number;
  win?: number;
  options?: TcpOptionSpec;
  /** The segment is sent but not captured and not delivered (lost before the capture point). */
  lost?: boolean;
  /** Captured but not accepted by the receiver (a zero-window probe, data beyond the window). */
  rejected?: boolean;
  /** Advance the sender's next sequence number (default true unless seq was given). */
  advance?: boolean;
}

const u32n = (v: number) => v >>> 0;
const seqLt = (a: number, b: number) => ((a - b) | 0) < 0;

/**
 * Writes a TCP conversation as timestamped frames with consistent sequence and acknowledgment numbers.
 * Time advances only through wait(); each call emits at the current time. Receivers deliver in-order data and
 * hold out-of-order ranges, so a lost segment automatically yields duplicate ACKs (with SACK blocks when enabled)
 * until it is retransmitted.
 */
export class TcpConversation {
  readonly records: Rec[] = [];
  private t: number; // ns since epoch is too big for exact floats; keep seconds + ns separately
  private tBase: number;
  private readonly sides: Record<Side, SideState>;
  private readonly o: ConversationOptions;

  constructor(o: ConversationOptions) {
    this.o = o;
    const start = o.start ?? 1_700_000_000;
    if (typeof start === 'number') {
      this.tBase = Math.floor(start);
      this.t = Math.round((start - this.tBase) * 1e9);
    } else {
      this.tBase = start.sec;
      this.t = start.nsec;
    }
    const mk = (ep: Endpoint, isn: number, win: number, tsBase: number): SideState => ({
      ep,
      isn,
      snd: isn,
      rcv: 0,
      ooo: [],
      win,
      tsBase,
      lastTsFromPeer: 0,
      ipId: isn & 0xffff,
    });
    this.sides = {
      client: mk(o.client, u32n(o.clientIsn ?? 0x1000_0000), o.clientWin ?? 64240, 100_000),
      server: mk(o.server, u32n(o.serverIsn ?? 0x8000_0000), o.serverWin ?? 65160, 900_000),
    };
  }

  get rtt(): number {
    return this.o.rtt ?? 0.02;
  }
  /** Current time, seconds since the epoch (float; for display and ordering only). */
  get now(): number {
    return this.tBase + this.t / 1e9;
  }
  /** Next sequence number of a side. */
  nextSeq(side: Side): number {
    return this.sides[side].snd;
  }
  /** Next sequence number a side expects (its ACK). */
  rcvNext(side: Side): number {
    return this.sides[side].rcv;
  }
  setWindow(side: Side, win: number): this {
    this.sides[side].win = win;
    return this;
  }

  wait(seconds: number): this {
    this.t += Math.round(seconds * 1e9);
    return this;
  }

  /** Emits one segment from `from` at the current time. */
  segment(from: Side, s: SegmentOptions = {}): this {
    const me = this.sides[from];
    const peer = this.sides[from === 'client' ? 'server' : 'client'];
    const flags = flagBits(s.flags ?? ACK);
    const payload = s.payload ?? payloadBytes(s.len ?? 0, me.snd & 0xff);
    const seq = u32n(s.seq ?? me.snd);
    const seqSpace = payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    if (s.advance ?? s.seq === undefined) {
      const end = u32n(seq + seqSpace);
      if (seqLt(me.snd, end)) me.snd = end;
    }
    const options: TcpOptionSpec = { ...s.options };
    const msTick = Math.floor(this.t / 1e6);
    if (this.o.timestamps && !(flags & RST)) options.timestamps ??= [u32n(me.tsBase + msTick), flags & SYN && !(flags & ACK) ? 0 : me.lastTsFromPeer];
    if (this.o.sack && me.ooo.length && !(flags & SYN) && options.sack === undefined) options.sack = me.ooo.slice(0, 3);
    const ack = flags & ACK ? u32n(s.ack ?? me.rcv) : 0;
    if (!s.lost) {
      const frame = packet({
        src: me.ep.ip,
        dst: peer.ep.ip,
        sport: me.ep.port,
        dport: peer.ep.port,
        seq,
        ack,
        flags,
        win: s.win ?? me.win,
        payload,
        options,
        ipId: me.ipId++ & 0xffff,
        link: this.linkFor(from),
      });
      const sec = this.tBase + Math.floor(this.t / 1e9);
      this.records.push({ data: frame, sec, nsec: this.t % 1e9 });
    }
    if (options.timestamps) peer.lastTsFromPeer = options.timestamps[0];
    if (!s.rejected && !s.lost) this.deliver(peer, seq, seqSpace, flags);
    return this;
  }

  private linkFor(from: Side): LinkSpec {
    const link = this.o.link ?? { type: 'ether' };
    if (link.type !== 'ether') return link;
    const c = this.o.client.mac ?? '02:00:00:00:00:01';
    const sv = this.o.server.mac ?? '02:00:00:00:00:02';
    return { type: 'ether', eth: { ...link.eth, src: from === 'client' ? c : sv, dst: from === 'client' ? sv : c } };
  }

  /** Receiver bookkeeping: in-order data advances rcv; anything beyond a gap waits in ooo until the gap fills. */
  private deliver(rx: SideState, seq: number, len: number, flags: number): void {
    if (flags & SYN) {
      rx.rcv = u32n(seq + len);
      return;
    }
    if (len === 0 || flags & RST) return;
    const end = u32n(seq + len);
    if (seqLt(rx.rcv, seq)) {
      rx.ooo.push([seq, end]);
      rx.ooo.sort((a, b) => (seqLt(a[0], b[0]) ? -1 : 1));
      // A receiver reports contiguous out-of-order data as one SACK block.
      const merged: Array<[number, number]> = [];
      for (const r of rx.ooo) {
        const last = merged.at(-1);
        if (last && !seqLt(last[1], r[0])) {
          if (seqLt(last[1], r[1])) last[1] = r[1];
        } else merged.push([r[0], r[1]]);
      }
      rx.ooo = merged;
      return;
    }
    if (seqLt(rx.rcv, end)) rx.rcv = end;
    for (;;) {
      const i = rx.ooo.findIndex(([l]) => !seqLt(rx.rcv, l));
      if (i < 0) break;
      const [, r] = rx.ooo[i]!;
      if (seqLt(rx.rcv, r)) rx.rcv = r;
      rx.ooo.splice(i, 1);
    }
  }

  private synOptions(): TcpOptionSpec {
    const o: TcpOptionSpec = { mss: this.o.mss ?? 1460 };
    if (this.o.sack) o.sackPermitted = true;
    if (this.o.wscale !== undefined) o.wscale = this.o.wscale;
    return o;
  }

  /** SYN, SYN/ACK, ACK spaced by half an RTT each (captured at the client). */
  handshake(): this {
    this.segment('client', { flags: SYN, options: this.synOptions() });
    this.wait(this.rtt);
    this.segment('server', { flags: SYN | ACK, options: this.synOptions() });
    this.wait(0.00005);
    return this.segment('client', { flags: ACK });
  }

  /** SYN answered by RST/ACK: a refused connection. */
  refused(): this {
    this.segment('client', { flags: SYN, options: this.synOptions() });
    this.wait(this.rtt);
    return this.segment('server', { flags: RST | ACK, win: 0 });
  }

  /** Data (a length of filler, or bytes) from `from`, cut into MSS-sized segments (PSH on the last), sent back to back (`gap` seconds apart). */
  send(from: Side, bytes: number | Uint8Array, opts: { gap?: number; lostSegments?: number[] } = {}): this {
    const mss = this.o.mss ?? 1460;
    const data = typeof bytes === 'number' ? undefined : bytes;
    const total = data ? data.length : (bytes as number);
    let i = 0;
    for (let left = total; left > 0; i++) {
      const n = Math.min(mss, left);
      const from0 = total - left;
      left -= n;
      const payload = data ? data.subarray(from0, from0 + n) : undefined;
      this.segment(from, { flags: left === 0 ? PSH | ACK : ACK, len: n, ...(payload ? { payload } : {}), lost: opts.lostSegments?.includes(i) ?? false });
      if (left > 0) this.wait(opts.gap ?? 0.00002);
    }
    return this;
  }

  /** A pure ACK from `from` for everything it has received in order. */
  ack(from: Side, opts: SegmentOptions = {}): this {
    return this.segment(from, { flags: ACK, ...opts });
  }

  /** Sends a segment again with its original sequence number. */
  retransmit(from: Side, seq: number, len: number, flags: Flags = ACK): this {
    return this.segment(from, { flags, seq, len, advance: false });
  }

  fin(from: Side): this {
    return this.segment(from, { flags: FIN | ACK });
  }

  rst(from: Side, withAck = true): this {
    return this.segment(from, { flags: withAck ? RST | ACK : RST, win: 0 });
  }

  /** Both sides close: `first` sends FIN, the peer ACKs and sends its own FIN, `first` ACKs it. */
  close(first: Side = 'client'): this {
    const other: Side = first === 'client' ? 'server' : 'client';
    this.fin(first).wait(this.rtt / 2);
    this.fin(other).wait(this.rtt / 2);
    return this.ack(first);
  }
}

export function tcpConversation(o: ConversationOptions): TcpConversation {
  return new TcpConversation(o);
}

/** Merges records of several conversations into capture order (by time, stable). */
export function byTime(...lists: Rec[][]): Rec[] {
  return lists
    .flat()
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.sec ?? 0) - (b.r.sec ?? 0) || (a.r.nsec ?? 0) - (b.r.nsec ?? 0) || a.i - b.i)
    .map((x) => x.r);
}
