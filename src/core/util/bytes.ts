/**
 * Byte helpers for the hot paths. Plain indexing beats DataView for the short fixed-width reads the decoders do,
 * and keeps the core free of Node's Buffer so it runs in a browser or a worker unchanged.
 */

export function u16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
export function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? u16le(b, o) : u16be(b, o);
}
export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le ? u32le(b, o) : u32be(b, o);
}
/** A 64-bit unsigned field as a number; exact below 2^53, which every counter in a real capture is. */
export function u64(b: Uint8Array, o: number, le: boolean): number {
  const first = u32(b, o, le);
  const second = u32(b, o + 4, le);
  return le ? second * 4294967296 + first : first * 4294967296 + second;
}
/** A 64-bit two's-complement field as a number (pcapng if_tsoffset, section length). */
export function i64(b: Uint8Array, o: number, le: boolean): number {
  const first = u32(b, o, le);
  const second = u32(b, o + 4, le);
  const hi = le ? second : first;
  const lo = le ? first : second;
  return (hi | 0) * 4294967296 + lo;
}
