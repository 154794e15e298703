/**
 * TCP sequence-space arithmetic (RFC 1982 serial numbers, 32 bits).
 *
 * Sequence numbers wrap at 2^32, so "a before b" means "b - a, taken modulo 2^32, is below 2^31". A raw `<` on
 * two sequence numbers is wrong as soon as a connection crosses the wrap (every 4 GiB, or at once for a random
 * ISN near the top), so every sequence comparison in the analysis goes through these helpers.
 *
 * All arguments are unsigned 32-bit integers (as the decoder stores them); results of seqAdd are too.
 */

/** Signed distance from b to a in sequence space: positive when a is after b. In [-2^31, 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a is strictly before b. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a is before or equal to b. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a is strictly after b. Defined as "b before a" so that, at a distance of exactly 2^31, the answers agree with
 * Wireshark's macros (there both "before" and "after" hold). */
export function seqGt(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** a is after or equal to b ("b before or equal to a"). */
export function seqGe(a: number, b: number): boolean {
  return ((b - a) | 0) <= 0;
}

/** a + n modulo 2^32, as an unsigned 32-bit value. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
