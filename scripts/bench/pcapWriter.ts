import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Classic pcap (little-endian, microsecond) writer for multi-GB captures: records are encoded straight into one
 * large buffer that goes to the file in a single write when full, so memory stays flat and the syscall count stays
 * in the hundreds whatever the packet count.
 */

export const SNAPLEN = 262144;
export const LINKTYPE_ETHERNET = 1;
const BUFFER_BYTES = 16 * 1024 * 1024;

export class PcapWriter {
  readonly buf: Buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  pos = 0;
  bytes = 0;
  packets = 0;
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(SNAPLEN, 16);
    b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.pos = 24;
  }

  /**
   * Starts a record of `frameLen` bytes at time `tUs` (microseconds since the epoch) and returns the offset of the
   * frame in `buf`; the caller fills exactly `frameLen` bytes from there.
   */
  record(tUs: number, frameLen: number): number {
    if (this.pos + 16 + frameLen > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.pos;
    const sec = Math.floor(tUs / 1e6);
    const usec = tUs - sec * 1e6;
    o = le32(b, o, sec);
    o = le32(b, o, usec);
    o = le32(b, o, frameLen);
    o = le32(b, o, frameLen);
    this.pos = o + frameLen;
    this.packets++;
    return o;
  }

  flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export function le32(b: Uint8Array, o: number, v: number): number {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
  return o + 4;
}

export function be16(b: Uint8Array, o: number, v: number): number {
  b[o] = v >>> 8;
  b[o + 1] = v;
  return o + 2;
}

export function be32(b: Uint8Array, o: number, v: number): number {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
  return o + 4;
}

/** Sum of the big-endian 16-bit words of b[start, end) (end - start even), unfolded. */
export function wordSum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  return s;
}

export function foldChecksum(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/**
 * Payload bytes come from one fixed pseudo-random pattern. Prefix sums over its words make a segment's checksum
 * contribution O(1), so the captures carry valid TCP/UDP checksums without summing 3.5 GB of payload.
 */
export class PayloadPattern {
  static readonly SPAN = 32768;
  readonly bytes: Buffer;
  private readonly prefix: Float64Array;

  constructor(fill: () => number) {
    this.bytes = Buffer.allocUnsafe(PayloadPattern.SPAN + 4096);
    for (let i = 0; i < this.bytes.length; i++) this.bytes[i] = fill() & 0xff;
    const words = this.bytes.length >> 1;
    this.prefix = new Float64Array(words + 1);
    for (let w = 0; w < words; w++) this.prefix[w + 1] = this.prefix[w]! + ((this.bytes[w * 2]! << 8) | this.bytes[w * 2 + 1]!);
  }

  /** Copies `len` (<= 4096) pattern bytes chosen by `key` to b[o...] and returns their checksum word sum. */
  copy(key: number, b: Buffer, o: number, len: number): number {
    const start = (key & (PayloadPattern.SPAN - 1)) & ~1;
    this.bytes.copy(b, o, start, start + len);
    const w0 = start >> 1;
    const words = len >> 1;
    let s = this.prefix[w0 + words]! - this.prefix[w0]!;
    if (len & 1) s += this.bytes[start + len - 1]! << 8;
    return s;
  }
}
