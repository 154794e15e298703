import { u16 } from '../util/bytes';
import { ipv4String, ipv6String } from '../util/format';
import { METADATA_LIMITS, type CaptureMetadata, type NameResolutionEntry } from './types';

/**
 * Free text in pcapng blocks (comments, interface names, name resolution) is whatever the writer, or an attacker,
 * put there. It is decoded here with fixed bounds and never trusted further: a view escapes or text-nodes it.
 */

let decoder: TextDecoder | undefined;

/**
 * A string option as text: stops at a NUL inside the declared length, keeps at most METADATA_LIMITS.textBytes bytes
 * (cut at a UTF-8 character boundary, then '…'), and turns invalid UTF-8 into U+FFFD instead of failing.
 */
export function boundedText(b: Uint8Array, start: number, end: number): string {
  decoder ??= new TextDecoder('utf-8', { fatal: false });
  const max = METADATA_LIMITS.textBytes;
  const scanEnd = Math.min(end, start + max + 1);
  let stop = start;
  while (stop < scanEnd && b[stop] !== 0) stop++;
  if (stop - start <= max) return decoder.decode(b.subarray(start, stop));
  let cut = start + max;
  // Back off continuation bytes so the cut does not split a character into a replacement mark.
  while (cut > start && (b[cut]! & 0xc0) === 0x80) cut--;
  return `${decoder.decode(b.subarray(start, cut))}…`;
}

export function emptyMetadata(): CaptureMetadata {
  return {
    sections: [],
    packetComments: [],
    packetCommentsTotal: 0,
    sectionCommentsTotal: 0,
    interfaceCommentsTotal: 0,
    names: [],
    namesTotal: 0,
  };
}

/** Adds a comment to a bounded per-block list. */
export function pushComment(list: string[], b: Uint8Array, o: number, l: number): void {
  if (list.length < METADATA_LIMITS.commentsPerBlock) list.push(boundedText(b, o, o + l));
}

const NRB_END = 0;
const NRB_IPV4 = 1;
const NRB_IPV6 = 2;

/**
 * The records of a Name Resolution Block body `[p, end)`: (type u16, length u16, value padded to 4), where a value
 * is an address followed by NUL-terminated names. Counts every address record; keeps the first ones. A record whose
 * length overruns the block, or is too short for its address, ends the walk (what came before is kept).
 */
export function readNameRecords(b: Uint8Array, p: number, end: number, le: boolean, m: CaptureMetadata): void {
  while (p + 4 <= end) {
    const type = u16(b, p, le);
    const len = u16(b, p + 2, le);
    const v = p + 4;
    if (type === NRB_END || v + len > end) return;
    const addrLen = type === NRB_IPV4 ? 4 : type === NRB_IPV6 ? 16 : 0;
    if (addrLen) {
      if (len < addrLen) return;
      m.namesTotal++;
      if (m.names.length < METADATA_LIMITS.names) m.names.push(nameEntry(b, v, v + len, addrLen));
    }
    p = v + ((len + 3) & ~3);
  }
}

function nameEntry(b: Uint8Array, v: number, end: number, addrLen: number): NameResolutionEntry {
  const word = (o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const address = addrLen === 4 ? ipv4String(word(v)) : ipv6String(word(v), word(v + 4), word(v + 8), word(v + 12));
  const names: string[] = [];
  let s = v + addrLen;
  while (s < end && names.length < METADATA_LIMITS.namesPerAddress) {
    let z = s;
    while (z < end && b[z] !== 0) z++;
    if (z > s) names.push(boundedText(b, s, z));
    s = z + 1;
  }
  return { address, names };
}
