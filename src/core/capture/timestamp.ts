import type { TimestampResolution } from './types';

/**
 * Converts a pcapng 64-bit timestamp (count of resolution units) to whole seconds and nanoseconds without BigInt on
 * the common paths. Results are written to `out` to keep the per-packet path allocation-free.
 */
export interface SecNsec {
  sec: number;
  nsec: number;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const TWO32 = 4294967296;

export function unitsToSecNsec(high: number, low: number, res: TimestampResolution, out: SecNsec): void {
  if (res.base === 10) {
    const e = res.exponent;
    if (e <= 9) {
      const div = POW10[e]!;
      const scale = POW10[9 - e]!;
      if (high < 0x200000) {
        // high * 2^32 + low < 2^53: plain float arithmetic is exact.
        const v = high * TWO32 + low;
        const sec = Math.floor(v / div);
        out.sec = sec;
        out.nsec = (v - sec * div) * scale;
        return;
      }
      // Long division in 16-bit limbs: every intermediate stays below 2^46.
      let r = 0;
      let q = 0;
      const limbs = [high >>> 16, high & 0xffff, low >>> 16, low & 0xffff];
      for (let i = 0; i < 4; i++) {
        const cur = r * 65536 + limbs[i]!;
        const qd = Math.floor(cur / div);
        r = cur - qd * div;
        q = q * 65536 + qd;
      }
      out.sec = q;
      out.nsec = r * scale;
      return;
    }
  } else if (res.exponent <= 31) {
    const e = res.exponent;
    const mask = e === 0 ? 0 : (2 ** e) - 1;
    out.sec = high * 2 ** (32 - e) + Math.floor(low / 2 ** e);
    out.nsec = Math.floor(((low & mask) >>> 0) * (1e9 / 2 ** e));
    return;
  }
  bigintPath(high, low, res, out);
}

function bigintPath(high: number, low: number, res: TimestampResolution, out: SecNsec): void {
  const v = (BigInt(high) << 32n) | BigInt(low);
  const den = res.base === 10 ? 10n ** BigInt(res.exponent) : 1n << BigInt(res.exponent);
  const sec = v / den;
  const rem = v - sec * den;
  out.sec = Number(sec);
  out.nsec = Number((rem * 1_000_000_000n) / den);
}

/** if_tsresol byte: MSB clear means 10^-n, MSB set means 2^-n. */
export function parseTsresol(byte: number): TimestampResolution {
  return byte & 0x80 ? { base: 2, exponent: byte & 0x7f } : { base: 10, exponent: byte };
}

export function describeResolution(res: TimestampResolution): string {
  if (res.base === 10) {
    if (res.exponent === 6) return 'microseconds';
    if (res.exponent === 9) return 'nanoseconds';
    return `10^-${res.exponent} s`;
  }
  return `2^-${res.exponent} s`;
}
