import { u16be, u16le, u32be, u32le } from '../util/bytes';
import { LinkType, NON_PACKET_LINKTYPE } from './linktypes';

/**
 * Packet decoding into one reusable, flat structure: no objects per packet, no exceptions. Each layer is checked
 * against the bytes actually captured before it is read; a layer that does not fit stops decoding with a status
 * saying which layer and why, and every field decoded before that point stays valid.
 *
 * TCP payload length always comes from the IP lengths (total length / payload length), never from the captured
 * length, so a snaplen-cut packet still has its true segment length.
 */

export const enum DecodeStatus {
  /** A TCP header was decoded in full (options may still be cut by the snaplen: see tcpOptionsTruncated). */
  Tcp = 0,
  /** Not TCP (other protocol, ARP, 802.3 frames, IP fragments after the first...). Not an error. */
  NotTcp = 1,
  /** The link type is not one we decode. */
  UnsupportedLink = 2,
  /** The snaplen cut the packet before a full TCP header; layers before it are valid. Not an error. */
  Truncated = 3,
  /** The bytes contradict themselves (bad IHL, TCP data offset < 5...): a finding. */
  Malformed = 4,
}

/** Which layer stopped decoding; used in findings so they say where a packet broke. */
export const enum Layer {
  None = 0,
  Link = 1,
  IPv4 = 2,
  IPv6 = 3,
  TCP = 4,
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_AE = 0x100;

export const MAX_SACK_BLOCKS = 4;

export interface DecodedPacket {
  status: DecodeStatus;
  /** Layer where decoding stopped for Truncated/Malformed. */
  failLayer: Layer;
  /** Human-readable reason for Truncated/Malformed/UnsupportedLink (static strings only; no allocation per packet). */
  reason: string;

  vlanDepth: number;
  /** Outer-most VLAN id, -1 when untagged. */
  vlanId: number;
  /** 4 or 6; 0 before an IP layer was found. */
  ipVersion: number;
  /** Address words: IPv4 uses word 0 only; IPv6 uses all four (big-endian word order). */
  src0: number;
  src1: number;
  src2: number;
  src3: number;
  dst0: number;
  dst1: number;
  dst2: number;
  dst3: number;
  /** End of the frame as it was on the wire (start + original length - FCS), in buffer coordinates. */
  wireEnd: number;
  /** Offset of the IP header in the frame. */
  ipOffset: number;
  /** IPv4 total length / IPv6 40 + payload length, as the header says (after the TSO fix-up). */
  ipTotalLength: number;
  ipHeaderLength: number;
  ipProtocol: number;
  ipId: number;
  ttl: number;
  /** The IP datagram is a fragment (MF set or offset != 0). */
  fragment: boolean;
  /** IPv4 total length was 0 (TCP segmentation offload on the capturing host): lengths came from the capture. */
  ipLengthFromCapture: boolean;

  tcpOffset: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** 9 flag bits: FIN..CWR plus AE (0x100). */
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  tcpHeaderLength: number;
  /** TCP payload bytes, from the IP lengths. */
  payloadLength: number;
  /** Captured payload bytes (payloadLength or fewer when the snaplen cut it). */
  capturedPayload: number;
  /**
   * Ports, seq, ack, flags and window were read (the first 16 bytes of TCP are present and inside the IP payload),
   * even when the status is Truncated or Malformed: enough to place the packet in its flow.
   */
  tcpUsable: boolean;
  /** The snaplen cut into the TCP options: only options wholly inside the captured bytes were read. */
  tcpOptionsTruncated: boolean;

  /** Options; -1 when absent. */
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  sackCount: number;
  /** SACK edges, left/right pairs, raw (absolute) sequence numbers. */
  sackLeft: Uint32Array;
  sackRight: Uint32Array;
  hasTimestamps: boolean;
  tsVal: number;
  tsEcr: number;
  /** TCP Fast Open option present (kind 34, or the experimental 254/0xF989). */
  tfo: boolean;
  /** Multipath TCP option present (kind 30). */
  mptcp: boolean;
  /** MPTCP subtype of the first MPTCP option, -1 when none. */
  mptcpSubtype: number;
  /** The options area had a malformed option length (decoding of options stopped there). */
  badOptions: boolean;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    status: DecodeStatus.NotTcp,
    failLayer: Layer.None,
    reason: '',
    vlanDepth: 0,
    vlanId: -1,
    ipVersion: 0,
    src0: 0,
    src1: 0,
    src2: 0,
    src3: 0,
    dst0: 0,
    dst1: 0,
    dst2: 0,
    dst3: 0,
    wireEnd: 0,
    ipOffset: 0,
    ipTotalLength: 0,
    ipHeaderLength: 0,
    ipProtocol: -1,
    ipId: 0,
    ttl: 0,
    fragment: false,
    ipLengthFromCapture: false,
    tcpOffset: 0,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    checksum: 0,
    urgent: 0,
    tcpHeaderLength: 0,
    payloadLength: 0,
    capturedPayload: 0,
    tcpOptionsTruncated: false,
    tcpUsable: false,
    mss: -1,
    windowScale: -1,
    sackPermitted: false,
    sackCount: 0,
    sackLeft: new Uint32Array(MAX_SACK_BLOCKS),
    sackRight: new Uint32Array(MAX_SACK_BLOCKS),
    hasTimestamps: false,
    tsVal: 0,
    tsEcr: 0,
    tfo: false,
    mptcp: false,
    mptcpSubtype: -1,
    badOptions: false,
  };
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD1 = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
const ETH_QINQ_OLD3 = 0x9300;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_MPLS_UC = 0x8847;
const ETH_MPLS_MC = 0x8848;

const MAX_VLAN_TAGS = 8;
const MAX_MPLS_LABELS = 16;
const MAX_IPV6_EXT = 16;

function fail(d: DecodedPacket, status: DecodeStatus, layer: Layer, reason: string): DecodeStatus {
  d.status = status;
  d.failLayer = layer;
  d.reason = reason;
  return status;
}

/**
 * Decodes one frame. `data` holds the captured bytes; `fcsLength` trailing bytes are frame check sequence.
 * Returns d.status.
 */
/** `originalLength` is the frame's length on the wire when known (it bounds what the IP header may claim). */
export function decodePacket(linkType: number, data: Uint8Array, fcsLength: number, d: DecodedPacket, originalLength = Infinity): DecodeStatus {
  return decodeFrame(linkType, data, 0, data.length, fcsLength, d, originalLength);
}

/**
 * Decodes the frame held in `b[start, end)` without making a view of it (the per-packet path). `fcsLength`
 * trailing bytes are frame check sequence. Returns d.status.
 */
export function decodeFrame(
  linkType: number,
  b: Uint8Array,
  start: number,
  end: number,
  fcsLength: number,
  d: DecodedPacket,
  originalLength = Infinity,
): DecodeStatus {
  // A record claiming fewer original bytes than it captured is damaged; trust the captured bytes then.
  d.wireEnd = start + Math.max(originalLength, end - start) - (fcsLength > 0 && fcsLength < end - start ? fcsLength : 0);
  d.status = DecodeStatus.NotTcp;
  d.failLayer = Layer.None;
  d.reason = '';
  d.vlanDepth = 0;
  d.vlanId = -1;
  d.ipVersion = 0;
  d.ipProtocol = -1;
  d.fragment = false;
  d.ipLengthFromCapture = false;
  d.tcpUsable = false;
  const len = fcsLength > 0 && fcsLength < end - start ? end - fcsLength : end;
  const o = start;
  switch (linkType) {
    case LinkType.ETHERNET:
      return ethernet(b, o, len, d);
    case LinkType.RAW:
    case LinkType.RAW_OPENBSD:
    case LinkType.RAW_BSDOS:
      return ipByVersion(b, o, len, d);
    case LinkType.IPV4:
      return ipv4(b, o, len, d);
    case LinkType.IPV6:
      return ipv6(b, o, len, d);
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (len - o < 4) return fail(d, DecodeStatus.Truncated, Layer.Link, 'loopback header cut short');
      // NULL carries the address family in the capturing host's byte order; LOOP is always big-endian.
      let af = linkType === LinkType.LOOP ? u32be(b, o) : u32le(b, o);
      if (linkType === LinkType.NULL && af > 0xffff) af = u32be(b, o);
      if (af === 2) return ipv4(b, o + 4, len, d);
      if (af === 10 || af === 24 || af === 28 || af === 30) return ipv6(b, o + 4, len, d);
      return DecodeStatus.NotTcp;
    }
    case LinkType.LINUX_SLL: {
      if (len - o < 16) return fail(d, DecodeStatus.Truncated, Layer.Link, 'Linux cooked header cut short');
      const hatype = u16be(b, o + 2);
      const proto = u16be(b, o + 14);
      if (hatype === 824 /* ARPHRD_NETLINK */) return DecodeStatus.NotTcp;
      return etherType(proto, b, o + 16, len, d);
    }
    case LinkType.LINUX_SLL2: {
      if (len - o < 20) return fail(d, DecodeStatus.Truncated, Layer.Link, 'Linux cooked v2 header cut short');
      return etherType(u16be(b, o), b, o + 20, len, d);
    }
    case LinkType.NFLOG:
      return nflog(b, o, len, d);
    case LinkType.PPP:
      return ppp(b, o, len, d);
    case NON_PACKET_LINKTYPE:
      return DecodeStatus.NotTcp; // a pcapng record Wireshark numbers as a frame; not a decoding problem
    default:
      return fail(d, DecodeStatus.UnsupportedLink, Layer.Link, 'link type not decoded');
  }
}

function ethernet(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  if (len - o < 14) return fail(d, DecodeStatus.Truncated, Layer.Link, 'Ethernet header cut short');
  const type = u16be(b, o + 12);
  if (type < 0x0600) return DecodeStatus.NotTcp; // 802.3 length field: LLC/SNAP, never our TCP
  return etherType(type, b, o + 14, len, d);
}

function etherType(type: number, b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  for (let tags = 0; ; tags++) {
    switch (type) {
      case ETH_IPV4:
        return ipv4(b, o, len, d);
      case ETH_IPV6:
        return ipv6(b, o, len, d);
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD1:
      case ETH_QINQ_OLD2:
      case ETH_QINQ_OLD3: {
        if (tags >= MAX_VLAN_TAGS) return fail(d, DecodeStatus.Malformed, Layer.Link, 'too many stacked VLAN tags');
        if (len - o < 4) return fail(d, DecodeStatus.Truncated, Layer.Link, 'VLAN tag cut short');
        if (d.vlanDepth === 0) d.vlanId = u16be(b, o) & 0x0fff;
        d.vlanDepth++;
        type = u16be(b, o + 2);
        o += 4;
        if (type < 0x0600) return DecodeStatus.NotTcp;
        continue;
      }
      case ETH_PPPOE_SESSION:
        if (len - o < 6) return fail(d, DecodeStatus.Truncated, Layer.Link, 'PPPoE header cut short');
        return pppProtocol(b, o + 6, len, d);
      case ETH_MPLS_UC:
      case ETH_MPLS_MC: {
        for (let i = 0; i < MAX_MPLS_LABELS; i++) {
          if (len - o < 4) return fail(d, DecodeStatus.Truncated, Layer.Link, 'MPLS label cut short');
          const bottom = b[o + 2]! & 0x01;
          o += 4;
          if (bottom) return ipByVersion(b, o, len, d);
        }
        return fail(d, DecodeStatus.Malformed, Layer.Link, 'MPLS label stack without bottom');
      }
      default:
        return DecodeStatus.NotTcp;
    }
  }
}

function ppp(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  // HDLC-like framing: address 0xFF, control 0x03 may be present.
  if (len - o >= 2 && b[o] === 0xff && b[o + 1] === 0x03) o += 2;
  return pppProtocol(b, o, len, d);
}

function pppProtocol(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  if (len - o < 2) return fail(d, DecodeStatus.Truncated, Layer.Link, 'PPP protocol cut short');
  const proto = u16be(b, o);
  if (proto === 0x0021) return ipv4(b, o + 2, len, d);
  if (proto === 0x0057) return ipv6(b, o + 2, len, d);
  return DecodeStatus.NotTcp;
}

function nflog(b: Uint8Array, start: number, len: number, d: DecodedPacket): DecodeStatus {
  if (len - start < 4) return fail(d, DecodeStatus.Truncated, Layer.Link, 'NFLOG header cut short');
  const family = b[start]!;
  let o = start + 4;
  // TLVs: length and type in the capturing host's byte order (little-endian in practice), padded to 4 bytes.
  while (o + 4 <= len) {
    const tlvLen = u16le(b, o);
    const tlvType = u16le(b, o + 2) & 0x7fff;
    if (tlvLen < 4) return fail(d, DecodeStatus.Malformed, Layer.Link, 'NFLOG TLV with impossible length');
    if (tlvType === 9 /* NFULA_PAYLOAD */) {
      const end = Math.min(len, o + tlvLen);
      if (family === 2) return ipv4(b, o + 4, end, d);
      if (family === 10) return ipv6(b, o + 4, end, d);
      return ipByVersion(b, o + 4, end, d);
    }
    if (o + tlvLen > len) return fail(d, DecodeStatus.Truncated, Layer.Link, 'NFLOG attribute cut short');
    o += (tlvLen + 3) & ~3;
  }
  // Ending exactly on an attribute boundary is a log entry without a packet; anything else was cut mid-attribute.
  if (o !== len) return fail(d, DecodeStatus.Truncated, Layer.Link, 'NFLOG attribute cut short');
  return DecodeStatus.NotTcp;
}

function ipByVersion(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  if (len - o < 1) return fail(d, DecodeStatus.Truncated, Layer.Link, 'no IP header captured');
  const v = b[o]! >> 4;
  if (v === 4) return ipv4(b, o, len, d);
  if (v === 6) return ipv6(b, o, len, d);
  return DecodeStatus.NotTcp;
}

function ipv4(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  d.ipVersion = 4;
  d.ipOffset = o;
  if (len - o < 20) return fail(d, DecodeStatus.Truncated, Layer.IPv4, 'IPv4 header cut short');
  const vihl = b[o]!;
  if (vihl >> 4 !== 4) return fail(d, DecodeStatus.Malformed, Layer.IPv4, 'IPv4 version field is not 4');
  const ihl = (vihl & 0x0f) * 4;
  if (ihl < 20) return fail(d, DecodeStatus.Malformed, Layer.IPv4, 'IPv4 header length below 20 bytes');
  let total = u16be(b, o + 2);
  if (total === 0) {
    // TSO: the capturing host handed the NIC one oversized datagram and left the length for it to fill in.
    total = len - o;
    d.ipLengthFromCapture = true;
  }
  d.ipTotalLength = total;
  d.ipHeaderLength = ihl;
  d.ipId = u16be(b, o + 4);
  const frag = u16be(b, o + 6);
  d.ttl = b[o + 8]!;
  d.ipProtocol = b[o + 9]!;
  d.src0 = u32be(b, o + 12);
  d.dst0 = u32be(b, o + 16);
  d.src1 = d.src2 = d.src3 = 0;
  d.dst1 = d.dst2 = d.dst3 = 0;
  if (total < ihl) return fail(d, DecodeStatus.Malformed, Layer.IPv4, 'IPv4 total length shorter than its header');
  if (len - o < ihl) return fail(d, DecodeStatus.Truncated, Layer.IPv4, 'IPv4 options cut short');
  const offset = frag & 0x1fff;
  if (offset !== 0 || frag & 0x2000) {
    d.fragment = true;
    // Only the first fragment carries the TCP header; we do not reassemble, so a fragment is not analysed as TCP.
    return DecodeStatus.NotTcp;
  }
  if (d.ipProtocol !== 6) return DecodeStatus.NotTcp;
  // An IP length beyond what was on the wire cannot be true; tshark then takes the wire's length, and so do we.
  return tcp(b, o + ihl, Math.min(o + total, d.wireEnd), len, d);
}

function ipv6(b: Uint8Array, o: number, len: number, d: DecodedPacket): DecodeStatus {
  d.ipVersion = 6;
  d.ipOffset = o;
  if (len - o < 40) return fail(d, DecodeStatus.Truncated, Layer.IPv6, 'IPv6 header cut short');
  if (b[o]! >> 4 !== 6) return fail(d, DecodeStatus.Malformed, Layer.IPv6, 'IPv6 version field is not 6');
  let payloadLen = u16be(b, o + 4);
  let next = b[o + 6]!;
  d.ttl = b[o + 7]!;
  d.src0 = u32be(b, o + 8);
  d.src1 = u32be(b, o + 12);
  d.src2 = u32be(b, o + 16);
  d.src3 = u32be(b, o + 20);
  d.dst0 = u32be(b, o + 24);
  d.dst1 = u32be(b, o + 28);
  d.dst2 = u32be(b, o + 32);
  d.dst3 = u32be(b, o + 36);
  d.ipId = 0;
  if (payloadLen === 0 && next !== 59) {
    // Jumbogram (hop-by-hop jumbo option) or GSO on the capturing host: the capture is the only length we have.
    payloadLen = len - o - 40;
    d.ipLengthFromCapture = true;
  }
  const end = o + 40 + payloadLen;
  d.ipTotalLength = 40 + payloadLen;
  let p = o + 40;
  for (let i = 0; i < MAX_IPV6_EXT; i++) {
    switch (next) {
      case 6:
        d.ipProtocol = 6;
        d.ipHeaderLength = p - o;
        return tcp(b, p, Math.min(end, d.wireEnd), len, d);
      case 0: // hop-by-hop
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: {
        // shim6
        if (len - p < 2) return fail(d, DecodeStatus.Truncated, Layer.IPv6, 'IPv6 extension header cut short');
        next = b[p]!;
        p += (b[p + 1]! + 1) * 8;
        break;
      }
      case 51: {
        // AH: length in 4-byte units minus 2
        if (len - p < 2) return fail(d, DecodeStatus.Truncated, Layer.IPv6, 'IPv6 AH header cut short');
        next = b[p]!;
        p += (b[p + 1]! + 2) * 4;
        break;
      }
      case 44: {
        if (len - p < 8) return fail(d, DecodeStatus.Truncated, Layer.IPv6, 'IPv6 fragment header cut short');
        const fragField = u16be(b, p + 2);
        next = b[p]!;
        p += 8;
        if ((fragField & 0xfff8) !== 0 || fragField & 1) {
          d.fragment = true;
          d.ipProtocol = next;
          return DecodeStatus.NotTcp;
        }
        break;
      }
      default:
        d.ipProtocol = next;
        d.ipHeaderLength = p - o;
        return DecodeStatus.NotTcp;
    }
    if (p > end) return fail(d, DecodeStatus.Malformed, Layer.IPv6, 'IPv6 extension headers run past the payload length');
    // Only the first bytes of a header were checked above; one the snaplen cut is the IPv6 layer's, not TCP's.
    if (p > len) return fail(d, DecodeStatus.Truncated, Layer.IPv6, 'IPv6 extension header cut short');
  }
  return fail(d, DecodeStatus.Malformed, Layer.IPv6, 'too many IPv6 extension headers');
}

/**
 * @param o start of the TCP header
 * @param ipEnd end of the IP datagram as its header says
 * @param len end of the captured bytes
 */
function tcp(b: Uint8Array, o: number, ipEnd: number, len: number, d: DecodedPacket): DecodeStatus {
  d.tcpOffset = o;
  d.sackCount = 0;
  d.mss = -1;
  d.windowScale = -1;
  d.sackPermitted = false;
  d.hasTimestamps = false;
  d.tfo = false;
  d.mptcp = false;
  d.mptcpSubtype = -1;
  d.badOptions = false;
  d.tcpOptionsTruncated = false;
  d.payloadLength = 0;
  d.capturedPayload = 0;
  d.tcpUsable = false;
  if (len - o < 4) return fail(d, DecodeStatus.Truncated, Layer.TCP, 'TCP ports cut short');
  d.srcPort = u16be(b, o);
  d.dstPort = u16be(b, o + 2);
  const segLen = ipEnd - o;
  if (len - o < 16 || segLen < 16) {
    return segLen < 16
      ? fail(d, DecodeStatus.Malformed, Layer.TCP, 'IP payload too short for a TCP header')
      : fail(d, DecodeStatus.Truncated, Layer.TCP, 'TCP header cut short');
  }
  d.seq = u32be(b, o + 4);
  d.ack = u32be(b, o + 8);
  const offFlags = u16be(b, o + 12);
  const hlen = (offFlags >> 12) * 4;
  d.flags = offFlags & 0x1ff;
  d.window = u16be(b, o + 14);
  d.tcpHeaderLength = hlen;
  // Ports through window are readable: Wireshark already places such a packet in its conversation (tcp.stream)
  // before it judges the rest, so the flow table counts it even if the header turns out damaged.
  d.tcpUsable = true;
  if (len - o < 20) return fail(d, DecodeStatus.Truncated, Layer.TCP, 'TCP header cut short');
  d.checksum = u16be(b, o + 16);
  d.urgent = u16be(b, o + 18);
  if (hlen < 20) return fail(d, DecodeStatus.Malformed, Layer.TCP, 'TCP data offset below 5 words');
  if (segLen < hlen) return fail(d, DecodeStatus.Malformed, Layer.TCP, 'TCP header longer than the IP payload (short segment)');
  d.payloadLength = segLen - hlen;
  const capEnd = Math.min(len, ipEnd);
  d.capturedPayload = Math.max(0, capEnd - (o + hlen));
  const optEnd = o + hlen;
  if (optEnd > len) d.tcpOptionsTruncated = true;
  if (hlen > 20) options(b, o + 20, Math.min(optEnd, len), d);
  d.status = DecodeStatus.Tcp;
  return DecodeStatus.Tcp;
}

function options(b: Uint8Array, p: number, end: number, d: DecodedPacket): void {
  // NOP, NOP, timestamps: what nearly every segment after the handshake carries (Linux, BSD, macOS), read without
  // walking the list.
  if (end - p === 12 && b[p] === 1 && b[p + 1] === 1 && b[p + 2] === 8 && b[p + 3] === 10) {
    d.hasTimestamps = true;
    d.tsVal = u32be(b, p + 4);
    d.tsEcr = u32be(b, p + 8);
    return;
  }
  while (p < end) {
    const kind = b[p]!;
    if (kind === 0) return; // end of option list
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) {
      if (!d.tcpOptionsTruncated) d.badOptions = true;
      return;
    }
    const olen = b[p + 1]!;
    if (olen < 2) {
      d.badOptions = true;
      return;
    }
    if (p + olen > end) {
      // Cut by the snaplen (not malformed) or longer than the header (malformed).
      if (!d.tcpOptionsTruncated) d.badOptions = true;
      return;
    }
    switch (kind) {
      case 2:
        if (olen === 4) d.mss = u16be(b, p + 2);
        break;
      case 3:
        if (olen === 3) d.windowScale = b[p + 2]!;
        break;
      case 4:
        if (olen === 2) d.sackPermitted = true;
        break;
      case 5: {
        const n = Math.min(MAX_SACK_BLOCKS, (olen - 2) >> 3);
        for (let i = 0; i < n; i++) {
          d.sackLeft[i] = u32be(b, p + 2 + i * 8);
          d.sackRight[i] = u32be(b, p + 6 + i * 8);
        }
        d.sackCount = n;
        break;
      }
      case 8:
        if (olen === 10) {
          d.hasTimestamps = true;
          d.tsVal = u32be(b, p + 2);
          d.tsEcr = u32be(b, p + 6);
        }
        break;
      case 30:
        if (!d.mptcp && olen >= 3) d.mptcpSubtype = b[p + 2]! >> 4;
        d.mptcp = true;
        break;
      case 34:
        d.tfo = true;
        break;
      case 254:
        if (olen >= 4 && u16be(b, p + 2) === 0xf989) d.tfo = true;
        break;
      default:
        break;
    }
    p += olen;
  }
}

/** The TCP flags as Wireshark's short string letters, in the order tcpdump prints them (e.g. "SA", "FPA"). */
export function flagLetters(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += 'A';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'C';
  if (flags & TCP_AE) s += 'N';
  return s;
}
