/** Text forms shared by the CLI, the exports and the UI. */

export function ipv4String(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** RFC 5952 text form: lower case, longest run of zero groups (2 or more) compressed, IPv4-mapped kept readable. */
export function ipv6String(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4String(w3)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function ipString(version: number, w: readonly [number, number, number, number] | number[]): string {
  return version === 6 ? ipv6String(w[0]!, w[1]!, w[2]!, w[3]!) : ipv4String(w[0]!);
}

/** `ip:port`, with IPv6 in brackets: `[::1]:8080`. */
export function endpointString(version: number, w: readonly number[], port: number): string {
  return version === 6 ? `[${ipv6String(w[0]!, w[1]!, w[2]!, w[3]!)}]:${port}` : `${ipv4String(w[0]!)}:${port}`;
}

/** (sec, nsec) - (refSec, refNsec) in seconds, as a float. Exact to the nanosecond for spans under 104 days. */
export function secondsBetween(refSec: number, refNsec: number, sec: number, nsec: number): number {
  return (sec - refSec) + (nsec - refNsec) / 1e9;
}

/** Fixed 9-decimal text of a time difference, computed in integers so no float noise shows. */
export function formatSecondsBetween(refSec: number, refNsec: number, sec: number, nsec: number, decimals = 9): string {
  let s = sec - refSec;
  let n = nsec - refNsec;
  let neg = false;
  if (s < 0 || (s === 0 && n < 0)) {
    neg = true;
    s = -s;
    n = -n;
  }
  if (n < 0) {
    s -= 1;
    n += 1e9;
  }
  const frac = String(n).padStart(9, '0').slice(0, decimals);
  return `${neg ? '-' : ''}${s}${decimals > 0 ? '.' + frac : ''}`;
}

/** Absolute time as ISO 8601 UTC with nanoseconds. */
export function isoTime(sec: number, nsec: number): string {
  const iso = new Date(sec * 1000).toISOString(); // 2026-11-21T12:37:13.000Z
  return `${iso.slice(0, 19)}.${String(nsec).padStart(9, '0')}Z`;
}

/** Epoch seconds with 9 decimals (Wireshark's frame.time_epoch form). */
export function epochString(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^[=+\-@\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
