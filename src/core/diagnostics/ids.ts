import type { FlowTable } from '../analysis/flowTable';
import { endpointString, ipString } from '../util/format';
import { grow } from '../util/typed';

/**
 * Dense numbers for the addresses and endpoints (address and port) of streams, so the rules group a million streams
 * without a string or a Map entry per stream: equal numbers for equal addresses, exactly (IPv6 included), numbered
 * in the order they are first asked for. Text is made once per number, only for the groups that become findings.
 */

function mix(h: number, w: number): number {
  h ^= Math.imul(w, 0xcc9e2d51);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Interns fixed-width tuples of 32-bit words: fill `key`, call `intern()`. Open addressing over one typed array
 * whose slots hold the tuple itself beside its number, so a lookup reads one place in memory, not two.
 */
export class TupleIds {
  count = 0;
  /** The tuple to look up or add. */
  readonly key: Int32Array;
  private readonly stride: number;
  private slots: Int32Array; // per slot: number + 1 (0 = empty), then the tuple
  private mask: number;
  private byId: Int32Array; // the tuples in number order

  constructor(private readonly width: number) {
    this.key = new Int32Array(width);
    this.stride = width + 1;
    this.slots = new Int32Array(2048 * this.stride);
    this.mask = 2047;
    this.byId = new Int32Array(1024 * width);
  }

  intern(): number {
    const w = this.width;
    const key = this.key;
    const slots = this.slots;
    const stride = this.stride;
    for (let slot = hashOf(key, 0, w) & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * stride;
      const e = slots[at]!;
      if (e === 0) return this.add(slot);
      let i = 0;
      while (i < w && slots[at + 1 + i] === key[i]) i++;
      if (i === w) return e - 1;
    }
  }

  /** Word i of the tuple numbered id. */
  word(id: number, i: number): number {
    return this.byId[id * this.width + i]!;
  }

  private add(slot: number): number {
    const id = this.count++;
    const w = this.width;
    if ((id + 1) * w > this.byId.length) this.byId = grow(this.byId, this.byId.length * 2);
    this.byId.set(this.key, id * w);
    const at = slot * this.stride;
    this.slots[at] = id + 1;
    this.slots.set(this.key, at + 1);
    if (this.count * 2 > this.mask + 1) this.rehash();
    return id;
  }

  private rehash(): void {
    const w = this.width;
    const stride = this.stride;
    const size = (this.mask + 1) * 2;
    const slots = new Int32Array(size * stride);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = hashOf(this.byId, id * w, w) & mask;
      while (slots[slot * stride] !== 0) slot = (slot + 1) & mask;
      slots[slot * stride] = id + 1;
      slots.set(this.byId.subarray(id * w, id * w + w), slot * stride + 1);
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hashOf(words: Int32Array, from: number, w: number): number {
  let h = 0x2545f491;
  for (let i = 0; i < w; i++) h = mix(h, words[from + i]!);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h;
}

const V4_LIMIT = 4294967296;
/** Cells of the counts maybeInBigGroups keeps: small enough to stay in cache, enough for 100 000s of addresses. */
export const SKETCH_CELLS = 1 << 16;

/** The count cell of a stream side's address (with its port when `withPort`): equal addresses share a cell. */
export function sketchCell(flows: FlowTable, s: number, side: number, withPort: boolean): number {
  return sketchCellOfKey(flows.addressKey(s, side), withPort ? flows.port(s, side) : -1);
}

/** sketchCell of an address key (FlowTable.addressKey) read beforehand, with its port unless `port` < 0. */
export function sketchCellOfKey(key: number, port = -1): number {
  let h = key < V4_LIMIT ? key | 0 : mix(0x3c6ef372, (key - V4_LIMIT) | 0);
  if (port >= 0) h = mix(h, port);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) & (SKETCH_CELLS - 1);
}

/**
 * Address and endpoint numbers of the streams of one flow table. Not memoised per stream side: an array for that
 * (16 MB for a million streams) cost more in page faults, touched at random by the rules, than looking the numbers
 * up again costs.
 */
export class StreamIds {
  private readonly addrs = new TupleIds(5); // version, 4 address words
  private readonly eps = new TupleIds(2); // address number, port
  private readonly pairs = new TupleIds(2);
  private sketch: Int32Array | undefined;
  // IPv4 addresses seen lately (servers recur on every other stream): address -> number, direct-mapped.
  private readonly recentAddr = new Float64Array(1024).fill(-1);
  private readonly recentId = new Int32Array(1024);
  private readonly hostNames: string[] = [];
  private readonly epNames: string[] = [];

  constructor(private readonly flows: FlowTable) {}

  get hostCount(): number {
    return this.addrs.count;
  }

  get endpointCount(): number {
    return this.eps.count;
  }

  get pairCount(): number {
    return this.pairs.count;
  }

  /** The address of a stream's side. */
  host(s: number, side: number): number {
    return this.hostOfKey(this.flows.addressKey(s, side), s, side);
  }

  /** host(s, side) when its address key (FlowTable.addressKey) was read beforehand. */
  hostOfKey(k: number, s: number, side: number): number {
    // addressKey is the address itself for IPv4 (recent ones are remembered: a server recurs on every other
    // stream); for IPv6 a hash, so the words are read for those only.
    let id: number;
    if (k < V4_LIMIT) {
      const r = (k ^ (k >>> 10)) & 1023;
      if (this.recentAddr[r] === k) {
        id = this.recentId[r]!;
      } else {
        const key = this.addrs.key;
        key[0] = 4;
        key[1] = k;
        key[2] = key[3] = key[4] = 0;
        id = this.addrs.intern();
        this.recentAddr[r] = k;
        this.recentId[r] = id;
      }
    } else {
      const e = this.flows.endpoint(s, side);
      const key = this.addrs.key;
      key[0] = e.version;
      key[1] = e.words[0];
      key[2] = e.words[1];
      key[3] = e.words[2];
      key[4] = e.words[3];
      id = this.addrs.intern();
    }
    return id;
  }

  /** The address and port of a stream's side. */
  endpoint(s: number, side: number): number {
    return this.endpointOfKey(this.flows.addressKey(s, side), this.flows.port(s, side), s, side);
  }

  /** endpoint(s, side) when its address key (FlowTable.addressKey) and port were read beforehand. */
  endpointOfKey(addressKey: number, port: number, s: number, side: number): number {
    const host = this.hostOfKey(addressKey, s, side);
    const key = this.eps.key;
    key[0] = host;
    key[1] = port;
    return this.eps.intern();
  }

  /**
   * The indexes i, in order, of the items whose address key `keys[i]` (FlowTable.addressKey; with its port
   * `ports[i]` unless `ports` is null) may be shared by at least `minGroup` items: counts per hashed address, never
   * below the true count. Rules that only care about big groups call it first, so the addresses of small groups
   * (most clients) are never numbered.
   */
  maybeInBigGroups(keys: Float64Array, ports: Int32Array | null, minGroup: number): Int32Array {
    const n = keys.length;
    if (minGroup <= 1) {
      const all = new Int32Array(n);
      for (let i = 0; i < n; i++) all[i] = i;
      return all;
    }
    if (n < minGroup) return new Int32Array(0);
    const cells = (this.sketch ??= new Int32Array(SKETCH_CELLS));
    cells.fill(0);
    return inCellsOf(sketched(keys, ports, cells), cells, minGroup);
  }

  /** A number for an ordered pair of numbers (two hosts, say). */
  pair(a: number, b: number): number {
    this.pairs.key[0] = a;
    this.pairs.key[1] = b;
    return this.pairs.intern();
  }

  pairFirst(id: number): number {
    return this.pairs.word(id, 0);
  }

  pairSecond(id: number): number {
    return this.pairs.word(id, 1);
  }

  /** `ip` text of an address number. */
  hostName(id: number): string {
    let v = this.hostNames[id];
    if (v === undefined) {
      const a = this.addrs;
      v = ipString(a.word(id, 0), [a.word(id, 1) >>> 0, a.word(id, 2) >>> 0, a.word(id, 3) >>> 0, a.word(id, 4) >>> 0]);
      this.hostNames[id] = v;
    }
    return v;
  }

  /** `ip:port` text of an endpoint number. */
  endpointName(id: number): string {
    let v = this.epNames[id];
    if (v === undefined) {
      const a = this.addrs;
      const h = this.eps.word(id, 0);
      const words = [a.word(h, 1) >>> 0, a.word(h, 2) >>> 0, a.word(h, 3) >>> 0, a.word(h, 4) >>> 0];
      v = endpointString(a.word(h, 0), words, this.eps.word(id, 1));
      this.epNames[id] = v;
    }
    return v;
  }

  portOfEndpoint(id: number): number {
    return this.eps.word(id, 1);
  }
}

/**
 * Items grouped by a number: groups in the order their first item comes, items of group g in
 * `items[start[g] .. start[g + 1])` in their original order.
 */
export interface Groups {
  count: number;
  /** The number each group stands for. */
  key: Int32Array;
  start: Int32Array;
  items: Int32Array;
  /** The group of each item of the list grouped, -1 for items of groups left out. */
  groupOf: Int32Array;
}

/**
 * Groups `list` by `idOf(item)` (a dense number below `idLimit`), keeping only groups of at least `minGroup` items.
 * Two passes over typed arrays (count, then place), no Map and no array per group.
 */
export function groupBy(list: ArrayLike<number>, idOf: (item: number) => number, idLimit: () => number, minGroup = 1): Groups {
  const n = list.length;
  const ids = new Int32Array(n);
  for (let k = 0; k < n; k++) ids[k] = idOf(list[k]!);
  return groupByIds(Int32Array.from(list), ids, idLimit(), minGroup);
}

// groupByIds and maybeInBigGroups run once per rule, cold, on lists of thousands to hundreds of thousands: each of
// their loops is a function of its own, as the rules' are (see rules.ts, inBigCells). With the loops in one
// function, V8 threw the compiled code away at the first line after a loop it had not run yet, 3-6 times in a
// pass on the bench (node --trace-deopt), and the rules ran in the interpreter until it compiled them again.

/** The sketch cell of each key (with its port unless `ports` is null), counted in `cells`. */
function sketched(keys: Float64Array, ports: Int32Array | null, cells: Int32Array): Int32Array {
  const cell = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) cells[(cell[i] = sketchCellOfKey(keys[i]!, ports === null ? -1 : ports[i]!))]!++;
  return cell;
}

/** The indexes i whose cell `cell[i]` counts at least `min` in `cells`. */
function inCellsOf(cell: Int32Array, cells: Int32Array, min: number): Int32Array {
  const out = new Int32Array(cell.length);
  let m = 0;
  for (let i = 0; i < cell.length; i++) if (cells[cell[i]!]! >= min) out[m++] = i;
  return out.subarray(0, m);
}

/** Groups in order of first item: `ordinal[id]` set for each id met, and each group's id and size. */
interface FirstSeen {
  count: number;
  key: Int32Array;
  size: Int32Array;
}

function firstSeen(ids: Int32Array, ordinal: Int32Array): FirstSeen {
  let key = new Int32Array(64);
  let size = new Int32Array(64);
  let count = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    let o = ordinal[id]!;
    if (o < 0) {
      o = count++;
      if (o === key.length) {
        key = grow(key, o * 2);
        size = grow(size, o * 2);
      }
      ordinal[id] = o;
      key[o] = id;
    }
    size[o]!++;
  }
  return { count, key, size };
}

/** Each item's group (-1 when its group was left out) into `ids` itself, and the items in their groups' places. */
function placed(list: Int32Array, ids: Int32Array, ordinal: Int32Array, keep: Int32Array, items: Int32Array, at: Int32Array): void {
  for (let k = 0; k < list.length; k++) {
    const g = keep[ordinal[ids[k]!]!]!;
    ids[k] = g; // each id is read just before its place is overwritten
    if (g >= 0) items[at[g]!++] = list[k]!;
  }
}

/** groupBy when the number of each item is known: `ids[k]` for `list[k]`, all below `idLimit`. Reuses `ids`. */
export function groupByIds(list: Int32Array, ids: Int32Array, idLimit: number, minGroup = 1): Groups {
  const ordinal = new Int32Array(idLimit).fill(-1);
  const { count, key, size } = firstSeen(ids, ordinal);
  // Renumber the groups that are big enough, in order.
  const keep = new Int32Array(count);
  let kept = 0;
  for (let o = 0; o < count; o++) keep[o] = size[o]! >= minGroup ? kept++ : -1;
  const start = new Int32Array(kept + 1);
  const outKey = new Int32Array(kept);
  for (let o = 0; o < count; o++) {
    const g = keep[o]!;
    if (g < 0) continue;
    outKey[g] = key[o]!;
    start[g + 1] = size[o]!;
  }
  for (let g = 0; g < kept; g++) start[g + 1]! += start[g]!;
  const items = new Int32Array(start[kept]!);
  placed(list, ids, ordinal, keep, items, start.slice(0, kept));
  return { count: kept, key: outKey, start, items, groupOf: ids };
}
