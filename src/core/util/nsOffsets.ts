import { grow, isShared, typedArray } from './typed';

const WORD = 4294967296;
const HI_MAX = 32767;

/**
 * Many times (one per stream, per direction or per transition), each kept as a whole number of nanoseconds after a
 * base time of the caller's (the stream's first packet). Most connections in a capture with millions of them are
 * short, so the offsets start in four bytes each instead of a Float64's eight, and the store widens, for every row
 * at once, the first time an offset does not fit:
 * - `lo` alone: 0 to 4.29 s after the base;
 * - `lo` + a signed 16-bit `hi`: +/-39 hours (a longer connection, or a capture clock that stepped back);
 * - `wide`, a Float64Array of the offsets themselves, beyond that.
 * A value is never rounded, and the cost is at worst a Float64's. Offsets must be integers within +/-2^53.
 *
 * A plain object with functions rather than a class so that it survives structured clone between threads as it is.
 */
export interface NsOffsets {
  lo: Uint32Array;
  hi: Int16Array | null;
  wide: Float64Array | null;
}

/** `shared`: in shared memory, as are the arrays it widens into (see typedArray). */
export function nsOffsets(capacity: number, shared = false): NsOffsets {
  return { lo: typedArray(Uint32Array, capacity, shared), hi: null, wide: null };
}

export function setOffset(o: NsOffsets, i: number, offset: number): void {
  if (o.wide !== null) {
    o.wide[i] = offset;
  } else if (offset >= 0 && offset < WORD) {
    o.lo[i] = offset;
    if (o.hi !== null) o.hi[i] = 0;
  } else {
    const high = Math.floor(offset / WORD);
    if (high < -HI_MAX || high > HI_MAX) {
      widen(o);
      o.wide![i] = offset;
      return;
    }
    o.hi ??= typedArray(Int16Array, o.lo.length, isShared(o.lo));
    o.hi[i] = high;
    o.lo[i] = offset - high * WORD;
  }
}

export function getOffset(o: NsOffsets, i: number): number {
  if (o.wide !== null) return o.wide[i]!;
  const hi = o.hi;
  return hi === null ? o.lo[i]! : o.lo[i]! + hi[i]! * WORD;
}

export function growOffsets(o: NsOffsets, capacity: number): void {
  if (o.wide !== null) {
    o.wide = grow(o.wide, capacity);
    return;
  }
  o.lo = grow(o.lo, capacity);
  if (o.hi !== null) o.hi = grow(o.hi, capacity);
}

function widen(o: NsOffsets): void {
  const wide = typedArray(Float64Array, o.lo.length, isShared(o.lo));
  for (let i = 0; i < wide.length; i++) wide[i] = getOffset(o, i);
  o.wide = wide;
  o.lo = typedArray(Uint32Array, 0, isShared(o.lo));
  o.hi = null;
}

/** Whether a structured-clone copy still has the shape (for revive checks). */
export function isNsOffsets(o: unknown): o is NsOffsets {
  const x = o as NsOffsets | null;
  return (
    !!x &&
    x.lo instanceof Uint32Array &&
    (x.hi === null || x.hi instanceof Int16Array) &&
    (x.wide === null || x.wide instanceof Float64Array)
  );
}
