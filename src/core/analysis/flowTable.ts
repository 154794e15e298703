import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type DecodedPacket } from '../decode/packet';
import { grow, touchAhead, typedArray } from '../util/typed';
import { grownCapacity } from '../util/capacity';
import { reviveAs } from '../util/transfer';

/**
 * Bidirectional TCP flows, numbered exactly like Wireshark's `tcp.stream`: in order of first packet, with a new
 * stream when a SYN (or SYN-ACK) starts a new connection on a 4-tuple already in use (Wireshark's reused-ports rule).
 *
 * Storage is struct-of-arrays over typed arrays: a million flows cost tens of megabytes and no garbage. Endpoint A
 * of a stream is the source of its first packet (Wireshark's conversation address A); direction 0 is A -> B.
 * The 4-tuple lookup is an open-addressing hash over the raw address words: no strings are built per packet.
 */

const RECENT_MASK = (1 << 14) - 1;
const RECENT4_SHIFT = 32 - 14;
const FP_MASK = 0xff000000 | 0;
const ID_MASK_FP = 0x00ffffff;
// A tuple's key: [lo address, hi address, loPort << 16 | hiPort, IP version]; for IPv6 the first word is the
// tuple's row in `keys6` (lo0..lo3, hi0..hi3), so the IPv4 tuples most captures are made of take 16 bytes, not 40.
const KEY_WORDS = 4;
const KEY6_WORDS = 8;

// Wireshark's conversation completeness bits (tcp.completeness).
export const COMPLETE_SYN = 0x01;
export const COMPLETE_SYNACK = 0x02;
export const COMPLETE_ACK = 0x04;
export const COMPLETE_DATA = 0x08;
export const COMPLETE_FIN = 0x10;
export const COMPLETE_RST = 0x20;

/** How the client of a stream was decided. */
export const enum ClientBy {
  FirstPacket = 0,
  SynAck = 1,
  Syn = 2,
}

const BASE_SET = 1;

export class FlowTable {
  /** Number of streams. */
  count = 0;
  /** Number of distinct 4-tuples. */
  tupleCount = 0;

  // ---- tuples ----
  private keys: Uint32Array;
  private keys6: Uint32Array;
  private tuples6 = 0;
  private tupleStream: Int32Array; // current (latest) stream of each tuple
  // Hash slots: tuple id + 1 (0 = empty), and in the top 8 bits the top 8 bits of the tuple's hash while ids fit
  // in 24 bits: a probe rejects nearly every other tuple's slot without reading its key, so inserting one of a
  // million new tuples costs one random access (the slot's cache line), not one more per occupied slot passed.
  private slots: Uint32Array;
  private fpMask = FP_MASK;
  private idMask = ID_MASK_FP;
  private recent = new Int32Array(RECENT_MASK + 1); // tuple id + 1 of the last tuple seen per hash; see findOrInsertTuple
  private recent4 = new Uint32Array((RECENT_MASK + 1) * 4); // IPv4: tuple id + 1, lo, hi, ports; see findOrInsertTuple
  private slotMask: number;
  private tupleCap: number;

  // ---- streams ----
  private cap: number;
  tuple: Int32Array;
  /** 1 when endpoint A is the tuple's "lo" endpoint. */
  aIsLo: Uint8Array;
  firstFrame: Uint32Array; // frame numbers are 32-bit, as in Wireshark
  lastFrame: Uint32Array;
  startSec: Float64Array;
  startNsec: Uint32Array;
  endSec: Float64Array;
  endNsec: Uint32Array;
  /** Per direction (index stream * 2 + dir). */
  packets: Uint32Array; // fewer than the capture's frames, so 32-bit too
  /** Frame bytes (original length on the wire) per direction. */
  bytes: Float64Array;
  /** TCP payload bytes per direction. */
  payload: Float64Array;
  baseSeq: Uint32Array;
  seqFlags: Uint8Array;
  completeness: Uint8Array;
  /** 0 when A is the client, 1 when B is. */
  clientDir: Uint8Array;
  clientBy: Uint8Array;

  /** Tuple ids past it turn the slots' fingerprints off (lowered only by tests). */
  private readonly fingerprintIdLimit: number;
  /** Whether the arrays live in shared memory (see typedArray). */
  private readonly shared: boolean;

  constructor(initialFlows = 1024, options: { fingerprintIdLimit?: number; shared?: boolean } = {}) {
    this.fingerprintIdLimit = options.fingerprintIdLimit ?? ID_MASK_FP;
    const shared = (this.shared = options.shared ?? false);
    this.cap = initialFlows;
    this.tupleCap = initialFlows;
    this.keys = typedArray(Uint32Array, this.tupleCap * KEY_WORDS, shared);
    this.keys6 = typedArray(Uint32Array, 64 * KEY6_WORDS, shared);
    this.tupleStream = typedArray(Int32Array, this.tupleCap, shared);
    const slotCount = nextPow2(initialFlows * 2);
    this.slots = typedArray(Uint32Array, slotCount, shared);
    this.slotMask = slotCount - 1;
    this.tuple = typedArray(Int32Array, this.cap, shared);
    this.aIsLo = typedArray(Uint8Array, this.cap, shared);
    this.firstFrame = typedArray(Uint32Array, this.cap, shared);
    this.lastFrame = typedArray(Uint32Array, this.cap, shared);
    this.startSec = typedArray(Float64Array, this.cap, shared);
    this.startNsec = typedArray(Uint32Array, this.cap, shared);
    this.endSec = typedArray(Float64Array, this.cap, shared);
    this.endNsec = typedArray(Uint32Array, this.cap, shared);
    this.packets = typedArray(Uint32Array, this.cap * 2, shared);
    this.bytes = typedArray(Float64Array, this.cap * 2, shared);
    this.payload = typedArray(Float64Array, this.cap * 2, shared);
    this.baseSeq = typedArray(Uint32Array, this.cap * 2, shared);
    this.seqFlags = typedArray(Uint8Array, this.cap * 2, shared);
    this.completeness = typedArray(Uint8Array, this.cap, shared);
    this.clientDir = typedArray(Uint8Array, this.cap, shared);
    this.clientBy = typedArray(Uint8Array, this.cap, shared);
  }

  /**
   * A table that crossed a thread boundary (structured clone keeps the fields, not the class): gives it its
   * methods back. Throws on anything that is not a cloned FlowTable, which only our own worker sends.
   */
  static revive(cloned: unknown): FlowTable {
    return reviveAs(cloned, FlowTable, (o) => typeof o.count === 'number' && o.tuple instanceof Int32Array && o.baseSeq instanceof Uint32Array);
  }

  /** Where the pass is in the capture file (set by the pass before add()), to size growth; see grownCapacity. */
  fileOffset = 0;
  fileSize = 0;

  // Set by add(): the direction of the last packet within its stream, and whether it started a stream by reuse.
  lastDir = 0;
  lastReused = false;
  lastNew = false;

  /**
   * Finds or creates the stream of a decoded TCP packet and accounts for it. Returns the stream index;
   * `lastDir`, `lastNew` and `lastReused` describe the packet's place in it.
   */
  add(d: DecodedPacket, frame: number, tsSec: number, tsNsec: number, wireBytes: number): number {
    // Order the two endpoints so both directions hash to the same key.
    const srcIsLo = compareEndpoints(d) <= 0;
    const t = this.findOrInsertTuple(d, srcIsLo);
    let s = this.tupleStream[t]!;
    let isNew = false;
    let reused = false;
    const synOnly = (d.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    const synAck = (d.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    if (s < 0) {
      s = this.newStream(t, srcIsLo, frame, tsSec, tsNsec);
      isNew = true;
    } else if (synOnly || synAck) {
      const dir = (srcIsLo ? 1 : 0) === this.aIsLo[s] ? 0 : 1;
      const i = s * 2 + dir;
      if (this.seqFlags[i]! & BASE_SET) {
        const differs = d.seq !== this.baseSeq[i];
        if (synOnly) {
          // A SYN with a new ISN, or any SYN after the conversation saw a FIN or RST, opens a new connection.
          // Same ISN and no close: a SYN retransmission, same stream.
          if (differs || (this.completeness[s]! & (COMPLETE_RST | COMPLETE_FIN)) !== 0) {
            s = this.newStream(t, srcIsLo, frame, tsSec, tsNsec);
            isNew = true;
            reused = true;
          }
        } else if (differs) {
          // tshark 4.0 flags a SYN-ACK with an unexpected ISN as reused ports but keeps it in the same stream,
          // re-basing that direction's relative sequence numbers on it.
          reused = true;
          this.baseSeq[i] = d.seq;
        }
      }
    }
    const dir = (srcIsLo ? 1 : 0) === this.aIsLo[s] ? 0 : 1;
    const i = s * 2 + dir;
    this.lastDir = dir;
    this.lastNew = isNew;
    this.lastReused = reused;

    // Relative sequence bases, as Wireshark sets them: the SYN's seq, else seq - 1 of the first packet seen, and
    // for the peer ack - 1 of the first ACK seen before the peer itself was.
    if (!(this.seqFlags[i]! & BASE_SET)) {
      this.baseSeq[i] = d.flags & TCP_SYN ? d.seq : (d.seq - 1) >>> 0;
      this.seqFlags[i]! |= BASE_SET;
    }
    const r = s * 2 + (dir ^ 1);
    if (d.flags & TCP_ACK && !(this.seqFlags[r]! & BASE_SET)) {
      this.baseSeq[r] = (d.ack - 1) >>> 0;
      this.seqFlags[r]! |= BASE_SET;
    }

    // Completeness, following tcp.completeness: a SYN only counts when it opens the conversation.
    let c = this.completeness[s]!;
    if (synOnly) {
      if (isNew) c |= COMPLETE_SYN;
      if (d.payloadLength > 0) c |= COMPLETE_DATA;
      // The first pure SYN names the client.
      if (this.clientBy[s]! < ClientBy.Syn) {
        this.clientDir[s] = dir;
        this.clientBy[s] = ClientBy.Syn;
      }
    } else if (synAck) {
      c |= COMPLETE_SYNACK;
      if (this.clientBy[s]! < ClientBy.SynAck) {
        this.clientDir[s] = dir ^ 1;
        this.clientBy[s] = ClientBy.SynAck;
      }
    } else if (d.flags & TCP_ACK) {
      if (d.payloadLength > 0) c |= COMPLETE_DATA;
      else if (!(d.flags & (TCP_FIN | TCP_RST))) c |= COMPLETE_ACK;
    }
    if ((d.flags & (TCP_FIN | TCP_ACK)) === (TCP_FIN | TCP_ACK)) c |= COMPLETE_FIN;
    if (d.flags & TCP_RST) c |= COMPLETE_RST;
    this.completeness[s] = c;

    this.packets[i]!++;
    this.bytes[i]! += wireBytes;
    this.payload[i]! += d.payloadLength;
    this.lastFrame[s] = frame;
    this.endSec[s] = tsSec;
    this.endNsec[s] = tsNsec;
    return s;
  }

  /** Address words and port of endpoint A (side 0) or B (side 1) of a stream. */
  endpoint(stream: number, side: number): { version: number; words: [number, number, number, number]; port: number } {
    const t = this.tuple[stream]!;
    const k = t * KEY_WORDS;
    const lo = (side === 0) === (this.aIsLo[stream] === 1);
    const ports = this.keys[k + 2]!;
    const version = this.keys[k + 3]!;
    let words: [number, number, number, number];
    if (version === 6) {
      const b = this.keys[k]! * KEY6_WORDS + (lo ? 0 : 4);
      words = [this.keys6[b]!, this.keys6[b + 1]!, this.keys6[b + 2]!, this.keys6[b + 3]!];
    } else {
      words = [this.keys[lo ? k : k + 1]!, 0, 0, 0];
    }
    return { version, words, port: lo ? ports >>> 16 : ports & 0xffff };
  }

  /** Port of endpoint A (side 0) or B (side 1), without building an endpoint object. */
  port(stream: number, side: number): number {
    const k = this.tuple[stream]! * KEY_WORDS;
    const ports = this.keys[k + 2]!;
    return (side === 0) === (this.aIsLo[stream] === 1) ? ports >>> 16 : ports & 0xffff;
  }

  /**
   * A number standing for an endpoint's address: the address itself for IPv4, a 32-bit hash (offset past the
   * IPv4 range) for IPv6. Equal addresses give equal keys; for IPv6 unequal ones may collide, so use it to narrow
   * down candidates cheaply, then compare the real addresses.
   */
  addressKey(stream: number, side: number): number {
    const k = this.tuple[stream]! * KEY_WORDS;
    const lo = (side === 0) === (this.aIsLo[stream] === 1);
    if (this.keys[k + 3] !== 6) return this.keys[lo ? k : k + 1]!;
    const base = this.keys[k]! * KEY6_WORDS + (lo ? 0 : 4);
    const w = this.keys6;
    return ipv6AddressKey(w[base]!, w[base + 1]!, w[base + 2]!, w[base + 3]!);
  }

  private newStream(t: number, srcIsLo: boolean, frame: number, tsSec: number, tsNsec: number): number {
    if (this.count === this.cap) this.growStreams();
    const s = this.count++;
    if (s >= this.touched) this.touchStreams();
    this.tuple[s] = t;
    this.aIsLo[s] = srcIsLo ? 1 : 0;
    this.firstFrame[s] = frame;
    this.startSec[s] = tsSec;
    this.startNsec[s] = tsNsec;
    this.tupleStream[t] = s;
    return s;
  }

  private findOrInsertTuple(d: DecodedPacket, srcIsLo: boolean): number {
    const v = d.ipVersion;
    if (v === 4) {
      // IPv4, nearly every packet: the recent-tuple cache holds the key itself, so a hit reads one 16-byte entry
      // and nothing of the big key array, and its index is a cheap hash that only has to spread the active tuples.
      const l = srcIsLo ? d.src0 : d.dst0;
      const h = srcIsLo ? d.dst0 : d.src0;
      const ports = (srcIsLo ? (d.srcPort << 16) | d.dstPort : (d.dstPort << 16) | d.srcPort) >>> 0;
      const j = (Math.imul(l ^ Math.imul(h, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b), 0xc2b2ae35) >>> RECENT4_SHIFT) * 4;
      const r = this.recent4;
      if (r[j + 1] === l && r[j + 2] === h && r[j + 3] === ports && r[j] !== 0) return r[j]! - 1;
      const t = this.lookupOrInsert(4, l, 0, 0, 0, h, 0, 0, 0, ports);
      r[j] = t + 1;
      r[j + 1] = l;
      r[j + 2] = h;
      r[j + 3] = ports;
      return t;
    }
    const l0 = srcIsLo ? d.src0 : d.dst0;
    const l1 = srcIsLo ? d.src1 : d.dst1;
    const l2 = srcIsLo ? d.src2 : d.dst2;
    const l3 = srcIsLo ? d.src3 : d.dst3;
    const h0 = srcIsLo ? d.dst0 : d.src0;
    const h1 = srcIsLo ? d.dst1 : d.src1;
    const h2 = srcIsLo ? d.dst2 : d.src2;
    const h3 = srcIsLo ? d.dst3 : d.src3;
    const ports = (srcIsLo ? (d.srcPort << 16) | d.dstPort : (d.dstPort << 16) | d.srcPort) >>> 0;
    return this.lookupOrInsert(v, l0, l1, l2, l3, h0, h1, h2, h3, ports);
  }

  private lookupOrInsert(v: number, l0: number, l1: number, l2: number, l3: number, h0: number, h1: number, h2: number, h3: number, ports: number): number {
    const h = tupleHash(v, l0, l1, l2, l3, h0, h1, h2, h3, ports);
    // Most packets belong to one of the few thousand conversations active right now: a small direct-mapped cache
    // of recent tuples, which stays in the CPU cache, answers them without touching the big hash table, whose
    // slots are a random access (a cache miss) per packet. For IPv4 it is a second chance behind `recent4`: indexed
    // by another hash, it catches tuples that collided there.
    const near = h & RECENT_MASK;
    const hit = this.recent[near]! - 1;
    if (hit >= 0 && this.keyIs(hit * KEY_WORDS, v, l0, l1, l2, l3, h0, h1, h2, h3, ports)) return hit;
    const slots = this.slots;
    const fpMask = this.fpMask;
    const fp = h & fpMask;
    let slot = h & this.slotMask;
    for (;;) {
      const e = slots[slot]!;
      if (e === 0) break;
      const id = e & this.idMask;
      if ((e & fpMask) === fp && this.keyIs((id - 1) * KEY_WORDS, v, l0, l1, l2, l3, h0, h1, h2, h3, ports)) {
        this.recent[near] = id;
        return id - 1;
      }
      slot = (slot + 1) & this.slotMask;
    }
    if (this.tupleCount === this.tupleCap) this.growTuples();
    const t = this.tupleCount++;
    const k = t * KEY_WORDS;
    const kk = this.keys; // growTuples may have replaced the array
    if (v === 6) {
      if ((this.tuples6 + 1) * KEY6_WORDS > this.keys6.length) this.keys6 = grow(this.keys6, this.keys6.length * 2);
      const b = this.tuples6 * KEY6_WORDS;
      const k6 = this.keys6;
      k6[b] = l0;
      k6[b + 1] = l1;
      k6[b + 2] = l2;
      k6[b + 3] = l3;
      k6[b + 4] = h0;
      k6[b + 5] = h1;
      k6[b + 6] = h2;
      k6[b + 7] = h3;
      kk[k] = this.tuples6++;
    } else {
      kk[k] = l0;
      kk[k + 1] = h0;
    }
    kk[k + 2] = ports;
    kk[k + 3] = v;
    this.tupleStream[t] = -1;
    this.recent[near] = t + 1;
    if (t + 1 > this.fingerprintIdLimit && fpMask !== 0) {
      // Past 16 M tuples the ids need the fingerprint's bits.
      this.fpMask = 0;
      this.idMask = -1;
      this.rehash();
    } else if (this.tupleCount * 2 > slots.length) this.rehash();
    else slots[slot] = (t + 1) | fp;
    return t;
  }

  private keyIs(k: number, v: number, l0: number, l1: number, l2: number, l3: number, h0: number, h1: number, h2: number, h3: number, ports: number): boolean {
    const keys = this.keys;
    if (keys[k + 2] !== ports || keys[k + 3] !== v) return false;
    if (v !== 6) return keys[k] === l0 && keys[k + 1] === h0;
    const b = keys[k]! * KEY6_WORDS;
    const k6 = this.keys6;
    return (
      k6[b] === l0 &&
      k6[b + 4] === h0 &&
      k6[b + 1] === l1 &&
      k6[b + 2] === l2 &&
      k6[b + 3] === l3 &&
      k6[b + 5] === h1 &&
      k6[b + 6] === h2 &&
      k6[b + 7] === h3
    );
  }

  private rehash(): void {
    const size = nextPow2(2 * grownCapacity(this.tupleCount, this.slots.length / 2, this.fileOffset, this.fileSize));
    // Written through before use: probes read slots before an insert writes them (see touchAhead), and a hash
    // table's slots are all touched soon anyway.
    const slots = typedArray(Uint32Array, size, this.shared).fill(0);
    const mask = size - 1;
    const fpMask = this.fpMask;
    const keys = this.keys;
    const k6 = this.keys6;
    for (let t = 0; t < this.tupleCount; t++) {
      const k = t * KEY_WORDS;
      let h: number;
      if (keys[k + 3] === 6) {
        const b = keys[k]! * KEY6_WORDS;
        h = tupleHash(6, k6[b]!, k6[b + 1]!, k6[b + 2]!, k6[b + 3]!, k6[b + 4]!, k6[b + 5]!, k6[b + 6]!, k6[b + 7]!, keys[k + 2]!);
      } else {
        h = tupleHash(keys[k + 3]!, keys[k]!, 0, 0, 0, keys[k + 1]!, 0, 0, 0, keys[k + 2]!);
      }
      let slot = h & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = (t + 1) | (h & fpMask);
    }
    this.slots = slots;
    this.slotMask = mask;
  }

  private growTuples(): void {
    this.tupleCap = grownCapacity(this.tupleCap + 1, this.tupleCap, this.fileOffset, this.fileSize);
    this.keys = grow(this.keys, this.tupleCap * KEY_WORDS);
    this.tupleStream = grow(this.tupleStream, this.tupleCap);
  }

  /** Streams below this have had their entries written (see touchAhead). */
  private touched = 0;

  private touchStreams(): void {
    // Every per-stream array starts at zero; add() reads several (seqFlags, completeness, clientBy, counters) first.
    const arrays = [this.tuple, this.aIsLo, this.firstFrame, this.lastFrame, this.startSec, this.startNsec, this.endSec, this.endNsec, this.packets, this.bytes, this.payload, this.baseSeq, this.seqFlags, this.completeness, this.clientDir, this.clientBy];
    this.touched = touchAhead(arrays, this.cap, this.touched);
  }

  private growStreams(): void {
    const c = (this.cap = grownCapacity(this.cap + 1, this.cap, this.fileOffset, this.fileSize));
    this.tuple = grow(this.tuple, c);
    this.aIsLo = grow(this.aIsLo, c);
    this.firstFrame = grow(this.firstFrame, c);
    this.lastFrame = grow(this.lastFrame, c);
    this.startSec = grow(this.startSec, c);
    this.startNsec = grow(this.startNsec, c);
    this.endSec = grow(this.endSec, c);
    this.endNsec = grow(this.endNsec, c);
    this.packets = grow(this.packets, c * 2);
    this.bytes = grow(this.bytes, c * 2);
    this.payload = grow(this.payload, c * 2);
    this.baseSeq = grow(this.baseSeq, c * 2);
    this.seqFlags = grow(this.seqFlags, c * 2);
    this.completeness = grow(this.completeness, c);
    this.clientDir = grow(this.clientDir, c);
    this.clientBy = grow(this.clientBy, c);
  }
}

/** FlowTable.addressKey of a source or destination address read from a packet (DecodedPacket's words). */
export function packetAddressKey(version: number, w0: number, w1: number, w2: number, w3: number): number {
  return version === 6 ? ipv6AddressKey(w0, w1, w2, w3) : w0 >>> 0;
}

function ipv6AddressKey(w0: number, w1: number, w2: number, w3: number): number {
  const h = mix(mix(mix(mix(0x811c9dc5, w0), w1), w2), w3);
  return 4294967296 + (h >>> 0);
}

function mix(h: number, w: number): number {
  h ^= Math.imul(w, 0xcc9e2d51);
  h = (h << 13) | (h >>> 19);
  // Stay a 32-bit integer: a sum past 2^31 would make every later step float arithmetic.
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/** Negative when the packet's source endpoint sorts before its destination endpoint. */
function compareEndpoints(d: DecodedPacket): number {
  if (d.src0 !== d.dst0) return d.src0 < d.dst0 ? -1 : 1;
  if (d.ipVersion === 6) {
    if (d.src1 !== d.dst1) return d.src1 < d.dst1 ? -1 : 1;
    if (d.src2 !== d.dst2) return d.src2 < d.dst2 ? -1 : 1;
    if (d.src3 !== d.dst3) return d.src3 < d.dst3 ? -1 : 1;
  }
  return d.srcPort - d.dstPort;
}

function tupleHash(v: number, l0: number, l1: number, l2: number, l3: number, h0: number, h1: number, h2: number, h3: number, ports: number): number {
  let h = Math.imul(v ^ 0x9e3779b9, 0x85ebca6b);
  h = mix(h, l0);
  h = mix(h, h0);
  h = mix(h, ports);
  if (v === 6) {
    h = mix(h, l1);
    h = mix(h, l2);
    h = mix(h, l3);
    h = mix(h, h1);
    h = mix(h, h2);
    h = mix(h, h3);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h;
}
