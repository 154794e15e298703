import { TCP_STATE_COUNT, TCP_STATE_NAMES } from '../core/analysis/endpointStates';
import { ZEEK_CONN_STATES } from '../core/analysis/zeek';
import type { Finding } from '../core/diagnostics/types';
import type { FullAnalysis } from '../core/fullAnalysis';
import { endpointString, ipString, secondsBetween } from '../core/util/format';
import type { FlowFacets, FlowSort, FlowSortColumn, FlowsWhere, ValueCount } from '../protocol/messages';

/**
 * The flows table's sort and filter engine over a whole capture, built so a million flows stay interactive:
 *
 * - The filterable columns (end states, conn_state, address ids, ports, findings) are typed arrays filled once.
 * - A sort column becomes a dense integer rank per flow (computed on first use, then kept); a sorted order is a
 *   counting sort of those ranks, so every order is stable (ties by stream number, both directions) and a
 *   re-sort costs O(flows). Orders are cached per column and direction (a few at a time).
 * - The text filter never builds a string per flow: a needle without spaces can only match inside the stream
 *   number, the client or the server text, and `ip:port` text is matched through per-address and per-port tables
 *   (see textMask). Needles with spaces fall back to building each flow's text.
 */

const NO_ADDR = -1;
const MAX_CACHED_ORDERS = 6;
const TOP_ENDPOINTS = 100;

export class FlowIndex {
  readonly count: number;
  /** Endpoint state at capture end, indexed by TcpState (TCP_STATE_NAMES). */
  readonly clientState: Uint8Array;
  readonly serverState: Uint8Array;
  /** Index into ZEEK_CONN_STATES. */
  readonly connState: Uint8Array;
  readonly joined: Uint8Array;
  /** Distinct address id of each side (client/server oriented) and its port. */
  readonly clientAddr: Int32Array;
  readonly serverAddr: Int32Array;
  readonly clientPort: Uint16Array;
  readonly serverPort: Uint16Array;
  /** Address text by id (no port, IPv6 unbracketed), and the sort order of ids (IPv4 first, then by value). */
  readonly addrText: string[] = [];
  private readonly addrVersion: number[] = [];
  private readonly addrWords: number[][] = [];
  /** Codes of the findings listing each stream (few streams have any). */
  readonly findingsOf = new Map<number, string[]>();
  private readonly findingStreams = new Map<string, Set<number>>();

  private readonly ranks = new Map<FlowSortColumn, { rank: Uint32Array; distinct: number }>();
  private readonly orders = new Map<string, Int32Array>();
  private maskKey = '';
  private maskValue: Uint8Array | null = null;
  private viewKey = '';
  private viewValue: Int32Array | null = null;

  constructor(private readonly full: FullAnalysis) {
    const a = full.capture;
    const f = a.flows;
    const n = (this.count = f.count);
    this.clientState = new Uint8Array(n);
    this.serverState = new Uint8Array(n);
    this.connState = new Uint8Array(n);
    this.joined = new Uint8Array(n);
    this.clientAddr = new Int32Array(n).fill(NO_ADDR);
    this.serverAddr = new Int32Array(n).fill(NO_ADDR);
    this.clientPort = new Uint16Array(n);
    this.serverPort = new Uint16Array(n);
    const connIndex = new Map<string, number>(ZEEK_CONN_STATES.map((c, i) => [c, i]));
    const v4 = new Map<number, number>();
    const v6 = new Map<string, number>();
    const addrId = (s: number, side: number): number => {
      const key = f.addressKey(s, side);
      if (key < 4294967296) {
        let id = v4.get(key);
        if (id === undefined) {
          id = this.addrText.length;
          v4.set(key, id);
          this.addAddress(4, [key, 0, 0, 0]);
        }
        return id;
      }
      // IPv6 keys are hashes: tell addresses apart by their words.
      const e = f.endpoint(s, side);
      const k = e.words.join(',');
      let id = v6.get(k);
      if (id === undefined) {
        id = this.addrText.length;
        v6.set(k, id);
        this.addAddress(6, e.words);
      }
      return id;
    };
    const states = full.states;
    for (let s = 0; s < n; s++) {
      const c = f.clientDir[s]!;
      this.clientState[s] = states.stateOf(s, c);
      this.serverState[s] = states.stateOf(s, c ^ 1);
      this.connState[s] = connIndex.get(full.zeek.connState(s)) ?? 0;
      this.joined[s] = states.joinedMidStream(s) ? 1 : 0;
      this.clientAddr[s] = addrId(s, c);
      this.serverAddr[s] = addrId(s, c ^ 1);
      this.clientPort[s] = f.port(s, c);
      this.serverPort[s] = f.port(s, c ^ 1);
    }
    for (const finding of full.findings as Finding[]) {
      let set = this.findingStreams.get(finding.code);
      if (!set) this.findingStreams.set(finding.code, (set = new Set()));
      for (const s of finding.streams) {
        if (s < 0 || s >= n || set.has(s)) continue;
        set.add(s);
        const codes = this.findingsOf.get(s);
        if (codes) codes.push(finding.code);
        else this.findingsOf.set(s, [finding.code]);
      }
    }
  }

  private addAddress(version: number, words: number[]): void {
    this.addrVersion.push(version);
    this.addrWords.push(words.slice());
    this.addrText.push(ipString(version, words));
  }

  // ---------- views ----------

  /** Stream ids in display order for a sort, text filter and conditions; null means identity (all, by stream). */
  view(sort: FlowSort, filter: string, where: FlowsWhere | undefined): Int32Array | null {
    const needle = filter.trim().toLowerCase();
    const w = normalizeWhere(where);
    const wKey = JSON.stringify(w);
    if (!needle && wKey === '{}' && sort.column === 'stream' && !sort.descending) return null;
    const key = `${sort.column}\u0000${sort.descending}\u0000${needle}\u0000${wKey}`;
    if (key === this.viewKey && this.viewValue) return this.viewValue;
    const order = this.order(sort.column, sort.descending);
    const mask = this.mask(needle, w);
    let out: Int32Array;
    if (!mask) out = order;
    else {
      let m = 0;
      for (let s = 0; s < this.count; s++) m += mask[s]!;
      out = new Int32Array(m);
      let j = 0;
      for (let i = 0; i < order.length; i++) {
        const s = order[i]!;
        if (mask[s]) out[j++] = s;
      }
    }
    this.viewKey = key;
    this.viewValue = out;
    return out;
  }

  locate(stream: number, sort: FlowSort, filter: string, where: FlowsWhere | undefined): number {
    const v = this.view(sort, filter, where);
    if (!v) return stream >= 0 && stream < this.count ? stream : -1;
    return v.indexOf(stream);
  }

  /** Every stream sorted by a column; ties keep stream order in both directions. */
  order(column: FlowSortColumn, descending: boolean): Int32Array {
    const key = `${column}/${descending}`;
    const cached = this.orders.get(key);
    if (cached) {
      // Most recently used last.
      this.orders.delete(key);
      this.orders.set(key, cached);
      return cached;
    }
    let out: Int32Array;
    if (column === 'stream') {
      out = new Int32Array(this.count);
      for (let i = 0; i < this.count; i++) out[i] = descending ? this.count - 1 - i : i;
    } else {
      const { rank, distinct } = this.rank(column);
      out = countingSort(rank, distinct, descending);
    }
    this.orders.set(key, out);
    while (this.orders.size > MAX_CACHED_ORDERS) this.orders.delete(this.orders.keys().next().value!);
    return out;
  }

  private rank(column: Exclude<FlowSortColumn, 'stream'>): { rank: Uint32Array; distinct: number } {
    let r = this.ranks.get(column);
    if (!r) {
      r = this.computeRank(column);
      this.ranks.set(column, r);
    }
    return r;
  }

  private computeRank(column: Exclude<FlowSortColumn, 'stream'>): { rank: Uint32Array; distinct: number } {
    const n = this.count;
    const full = this.full;
    const f = full.capture.flows;
    switch (column) {
      case 'clientState':
        return { rank: Uint32Array.from(this.clientState), distinct: TCP_STATE_COUNT };
      case 'serverState':
        return { rank: Uint32Array.from(this.serverState), distinct: TCP_STATE_COUNT };
      case 'connState':
        return { rank: Uint32Array.from(this.connState), distinct: ZEEK_CONN_STATES.length };
      case 'joinedMidStream':
        return { rank: Uint32Array.from(this.joined), distinct: 2 };
      case 'client':
      case 'server': {
        const addr = column === 'client' ? this.clientAddr : this.serverAddr;
        const port = column === 'client' ? this.clientPort : this.serverPort;
        // Two stable counting sorts (port, then address rank) order the endpoints in O(flows); ranks follow.
        const addrRank = this.addressRanks();
        const byPort = countingSort(Uint32Array.from(port), 65536, false);
        const start = new Uint32Array(addrRank.length + 1);
        for (let s = 0; s < n; s++) start[addrRank[addr[s]!]! + 1]!++;
        for (let r = 0; r < addrRank.length; r++) start[r + 1]! += start[r]!;
        const order = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const s = byPort[i]!;
          order[start[addrRank[addr[s]!]!]!++] = s;
        }
        const rank = new Uint32Array(n);
        let r = 0;
        for (let i = 0; i < n; i++) {
          const s = order[i]!;
          if (i > 0) {
            const p = order[i - 1]!;
            if (addr[s] !== addr[p] || port[s] !== port[p]) r++;
          }
          rank[s] = r;
        }
        return { rank, distinct: n ? r + 1 : 0 };
      }
      case 'history':
      case 'findings': {
        const text = (s: number) => (column === 'history' ? full.zeek.history(s) : (this.findingsOf.get(s)?.join(' ') ?? ''));
        return rankStrings(n, text);
      }
    }
    const key = new Float64Array(n);
    switch (column) {
      case 'packets':
        for (let s = 0; s < n; s++) key[s] = f.packets[s * 2]! + f.packets[s * 2 + 1]!;
        break;
      case 'bytes':
        for (let s = 0; s < n; s++) key[s] = f.bytes[s * 2]! + f.bytes[s * 2 + 1]!;
        break;
      // Rounded as flowSummary rounds what the table shows, so equal-looking times tie.
      case 'startSeconds': {
        const { refSec, refNsec } = full.capture;
        for (let s = 0; s < n; s++) key[s] = round9(secondsBetween(refSec, refNsec, f.startSec[s]!, f.startNsec[s]!));
        break;
      }
      case 'durationSeconds':
        for (let s = 0; s < n; s++) key[s] = round9(secondsBetween(f.startSec[s]!, f.startNsec[s]!, f.endSec[s]!, f.endNsec[s]!));
        break;
      case 'retransmissions':
        for (let s = 0; s < n; s++) key[s] = full.seq.streamStats(s).retransmissions;
        break;
      case 'rttMs':
        // No sample sorts after every measured flow.
        for (let s = 0; s < n; s++) {
          const v = full.rtt.medianMs(s);
          key[s] = v === v ? v : Infinity;
        }
        break;
      case 'irttMs':
        for (let s = 0; s < n; s++) {
          const v = full.seq.irtt(s);
          key[s] = v === v ? v : Infinity;
        }
        break;
    }
    return rankNumbers(key);
  }

  /** Rank of each address id: IPv4 before IPv6, then numerically. */
  private addressRanks(): Uint32Array {
    const ids = this.addrText.map((_, i) => i);
    ids.sort((x, y) => {
      const d = this.addrVersion[x]! - this.addrVersion[y]!;
      if (d) return d;
      const a = this.addrWords[x]!;
      const b = this.addrWords[y]!;
      for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return (a[i]! >>> 0) - (b[i]! >>> 0);
      return 0;
    });
    const r = new Uint32Array(ids.length);
    ids.forEach((id, i) => (r[id] = i));
    return r;
  }

  // ---------- filters ----------

  /** 1 for every stream passing the text filter and the conditions; null when nothing is filtered. */
  private mask(needle: string, where: FlowsWhere): Uint8Array | null {
    const key = `${needle}\u0000${JSON.stringify(where)}`;
    if (key === this.maskKey) return this.maskValue;
    let mask: Uint8Array | null = needle ? this.textMask(needle) : null;
    const and = (pred: (s: number) => boolean) => {
      if (!mask) mask = new Uint8Array(this.count).fill(1);
      for (let s = 0; s < this.count; s++) if (mask[s] && !pred(s)) mask[s] = 0;
    };
    const stateIndex = (name: string) => (TCP_STATE_NAMES as readonly string[]).indexOf(name);
    if (where.clientState !== undefined) {
      const v = stateIndex(where.clientState);
      and((s) => this.clientState[s] === v);
    }
    if (where.serverState !== undefined) {
      const v = stateIndex(where.serverState);
      and((s) => this.serverState[s] === v);
    }
    if (where.connState !== undefined) {
      const v = ZEEK_CONN_STATES.indexOf(where.connState as (typeof ZEEK_CONN_STATES)[number]);
      and((s) => this.connState[s] === v);
    }
    if (where.finding !== undefined) {
      const set = this.findingStreams.get(where.finding) ?? new Set<number>();
      and((s) => set.has(s));
    }
    if (where.endpoint !== undefined) {
      const ep = parseEndpoint(where.endpoint);
      const ids = new Uint8Array(this.addrText.length);
      if (ep) this.addrText.forEach((t, i) => (ids[i] = t === ep.ip ? 1 : 0));
      const port = ep?.port ?? -1;
      and((s) => (ids[this.clientAddr[s]!] === 1 && (port < 0 || this.clientPort[s] === port)) || (ids[this.serverAddr[s]!] === 1 && (port < 0 || this.serverPort[s] === port)));
    }
    this.maskKey = key;
    this.maskValue = mask;
    return mask;
  }

  /**
   * Streams whose `${stream} ${client} ${server}` text contains the needle. Without a space the needle lies inside
   * one of the three words; an endpoint word is P + ":" + port (P the address, bracketed for IPv6), so the needle
   * is in it when it is in P, or in ":" + port, or is X + ":" + Y with X ending P and Y starting the port: one
   * table per address and one per port answer that, and each flow costs a few array reads.
   */
  private textMask(needle: string): Uint8Array {
    const n = this.count;
    const mask = new Uint8Array(n);
    const colons: number[] = [];
    for (let i = 0; i < needle.length; i++) if (needle[i] === ':') colons.push(i);
    if (needle.includes(' ') || colons.length > 30) {
      for (let s = 0; s < n; s++) {
        const text = `${s} ${this.endpointText(s, true)} ${this.endpointText(s, false)}`.toLowerCase();
        if (text.includes(needle)) mask[s] = 1;
      }
      return mask;
    }
    if (/^\d+$/.test(needle)) for (let s = 0; s < n; s++) if (String(s).includes(needle)) mask[s] = 1;
    const splits = colons.filter((k) => k > 0).map((k) => ({ head: needle.slice(0, k), tail: needle.slice(k + 1) }));
    const addrHit = new Uint8Array(this.addrText.length);
    const addrEnds = new Uint32Array(this.addrText.length);
    this.addrText.forEach((t, id) => {
      const p = this.addrVersion[id] === 6 ? `[${t}]` : t;
      if (p.includes(needle)) addrHit[id] = 1;
      splits.forEach((x, j) => {
        if (p.endsWith(x.head)) addrEnds[id]! |= 1 << j;
      });
    });
    const portHit = new Uint8Array(65536);
    const portStarts = new Uint32Array(65536);
    for (let p = 0; p < 65536; p++) {
      const t = String(p);
      if (`:${t}`.includes(needle)) portHit[p] = 1;
      for (let j = 0; j < splits.length; j++) if (t.startsWith(splits[j]!.tail)) portStarts[p]! |= 1 << j;
    }
    const side = (id: number, port: number) => addrHit[id] === 1 || portHit[port] === 1 || (addrEnds[id]! & portStarts[port]!) !== 0;
    for (let s = 0; s < n; s++) {
      if (!mask[s] && (side(this.clientAddr[s]!, this.clientPort[s]!) || side(this.serverAddr[s]!, this.serverPort[s]!))) mask[s] = 1;
    }
    return mask;
  }

  private endpointText(s: number, client: boolean): string {
    const id = client ? this.clientAddr[s]! : this.serverAddr[s]!;
    const port = client ? this.clientPort[s]! : this.serverPort[s]!;
    return endpointString(this.addrVersion[id]!, this.addrWords[id]!, port);
  }

  // ---------- facets ----------

  facets(): FlowFacets {
    const n = this.count;
    const counts = (col: Uint8Array, names: readonly string[]): ValueCount[] => {
      const c = new Array<number>(names.length).fill(0);
      for (let s = 0; s < n; s++) c[col[s]!]!++;
      return names.map((value, i) => ({ value, count: c[i]! })).filter((v) => v.count > 0).sort((x, y) => y.count - x.count);
    };
    const finding = [...this.findingStreams].map(([value, set]) => ({ value, count: set.size })).filter((v) => v.count > 0);
    return {
      flows: n,
      clientState: counts(this.clientState, TCP_STATE_NAMES),
      serverState: counts(this.serverState, TCP_STATE_NAMES),
      connState: counts(this.connState, ZEEK_CONN_STATES),
      finding: finding.sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1)),
      endpoint: this.topEndpoints(),
    };
  }

  /** The addresses and the server endpoints in the most flows (a flow counts once per address it has). */
  private topEndpoints(): ValueCount[] {
    const n = this.count;
    const perAddr = new Uint32Array(this.addrText.length);
    const perServer = new Map<number, number>();
    for (let s = 0; s < n; s++) {
      const c = this.clientAddr[s]!;
      const v = this.serverAddr[s]!;
      perAddr[c]!++;
      if (v !== c) perAddr[v]!++;
      const k = v * 65536 + this.serverPort[s]!;
      perServer.set(k, (perServer.get(k) ?? 0) + 1);
    }
    const top = <T>(items: T[], count: (t: T) => number) => items.sort((x, y) => count(y) - count(x)).slice(0, TOP_ENDPOINTS);
    const addrs = top([...perAddr.keys()], (i) => perAddr[i]!).map((i) => ({ value: this.addrText[i]!, count: perAddr[i]! }));
    const servers = top([...perServer], ([, c]) => c).map(([k, count]) => {
      const id = Math.floor(k / 65536);
      return { value: endpointString(this.addrVersion[id]!, this.addrWords[id]!, k % 65536), count };
    });
    return [...addrs, ...servers].filter((v) => v.count > 0).sort((x, y) => y.count - x.count);
  }
}

function normalizeWhere(w: FlowsWhere | undefined): FlowsWhere {
  const out: FlowsWhere = {};
  if (!w || typeof w !== 'object') return out;
  for (const k of ['endpoint', 'clientState', 'serverState', 'connState', 'finding'] as const) {
    const v = w[k];
    if (typeof v === 'string' && v.trim()) out[k] = v.trim();
  }
  return out;
}

/** `ip`, `ip:port`, `[ipv6]:port` or bare `ipv6` -> lower-case address text and port (-1: any). */
export function parseEndpoint(text: string): { ip: string; port: number } | null {
  const t = text.trim().toLowerCase();
  let m = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(t);
  if (m) return { ip: m[1]!, port: m[2] !== undefined ? portNumber(m[2]) : -1 };
  m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(t);
  if (m) return { ip: m[1]!, port: m[2] !== undefined ? portNumber(m[2]) : -1 };
  if (/^[0-9a-f:.]+$/.test(t) && t.includes(':')) return { ip: t, port: -1 };
  return null;
}

function round9(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

function portNumber(s: string): number {
  const p = Number(s);
  return p <= 65535 ? p : -2; // -2 matches no port
}

/** Dense ranks of numbers (equal values share a rank): one native sort of a copy, then binary searches. */
function rankNumbers(key: Float64Array): { rank: Uint32Array; distinct: number } {
  const sorted = key.slice().sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[m - 1]) sorted[m++] = sorted[i]!;
  const rank = new Uint32Array(key.length);
  for (let s = 0; s < key.length; s++) {
    const v = key[s]!;
    let lo = 0;
    let hi = m - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    rank[s] = lo;
  }
  return { rank, distinct: m };
}

function rankStrings(n: number, text: (s: number) => string): { rank: Uint32Array; distinct: number } {
  const ids = new Map<string, number>();
  const id = new Uint32Array(n);
  for (let s = 0; s < n; s++) {
    const t = text(s);
    let i = ids.get(t);
    if (i === undefined) ids.set(t, (i = ids.size));
    id[s] = i;
  }
  const order = [...ids.keys()].sort();
  const rankOfId = new Uint32Array(ids.size);
  order.forEach((t, r) => (rankOfId[ids.get(t)!] = r));
  for (let s = 0; s < n; s++) id[s] = rankOfId[id[s]!]!;
  return { rank: id, distinct: ids.size };
}

/** Streams ordered by rank (descending: highest rank first), stream order within a rank. */
function countingSort(rank: Uint32Array, distinct: number, descending: boolean): Int32Array {
  const start = new Uint32Array(distinct + 1);
  for (let s = 0; s < rank.length; s++) start[(descending ? distinct - 1 - rank[s]! : rank[s]!) + 1]!++;
  for (let r = 0; r < distinct; r++) start[r + 1]! += start[r]!;
  const out = new Int32Array(rank.length);
  for (let s = 0; s < rank.length; s++) out[start[descending ? distinct - 1 - rank[s]! : rank[s]!]!++] = s;
  return out;
}
