import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, DecodeStatus, Layer, newDecodedPacket, TCP_ACK, TCP_PSH, TCP_SYN, type DecodedPacket } from '../../src/core/decode/packet';
import {
  LINKTYPE,
  addressWords,
  encapsulate,
  ethernet,
  ethernet8023,
  ipv4,
  ipv6,
  linkTypeOf,
  nullLink,
  packet,
  sll,
  tcpSegment,
  type LinkSpec,
} from '../support/builder';

const d = newDecodedPacket();
function dec(linkType: number, frame: Uint8Array, fcs = 0): DecodedPacket {
  decodePacket(linkType, frame, fcs, d);
  return d;
}

const V4 = { src: '10.0.0.1', dst: '192.168.7.9' };
const V6 = { src: '2001:db8::1', dst: '2001:db8:0:0:0:0:ff00:2' };
const seg = (payload = 100) => tcpSegment({ sport: 51000, dport: 443, seq: 0xfffffff0, ack: 0x12345678, flags: TCP_ACK | TCP_PSH, win: 501, payload });

function assertTcp4(x: DecodedPacket, payload = 100): void {
  assert.equal(x.status, DecodeStatus.Tcp, x.reason);
  assert.equal(x.ipVersion, 4);
  assert.equal(x.src0, addressWords(V4.src)[0]);
  assert.equal(x.dst0, addressWords(V4.dst)[0]);
  assert.deepEqual([x.srcPort, x.dstPort, x.seq, x.ack, x.flags, x.window], [51000, 443, 0xfffffff0, 0x12345678, TCP_ACK | TCP_PSH, 501]);
  assert.equal(x.tcpHeaderLength, 20);
  assert.equal(x.payloadLength, payload);
}

test('every link type carries IPv4 and IPv6 TCP to the same decoded fields', () => {
  const links: LinkSpec[] = [
    { type: 'ether' },
    { type: 'sll' },
    { type: 'sll2' },
    { type: 'null', littleEndian: true },
    { type: 'null', littleEndian: false },
    { type: 'loop' },
    { type: 'raw' },
    { type: 'nflog' },
  ];
  for (const link of links) {
    const f4 = encapsulate(link, ipv4(V4, seg()));
    assertTcp4(dec(linkTypeOf(link), f4));
    const f6 = encapsulate(link, ipv6(V6, seg()));
    const x = dec(linkTypeOf(link), f6);
    assert.equal(x.status, DecodeStatus.Tcp, `${JSON.stringify(link)} v6: ${x.reason}`);
    assert.equal(x.ipVersion, 6);
    assert.deepEqual([x.src0, x.src1, x.src2, x.src3], addressWords(V6.src));
    assert.deepEqual([x.dst0, x.dst1, x.dst2, x.dst3], addressWords(V6.dst));
    assert.equal(x.payloadLength, 100);
  }
  assertTcp4(dec(LINKTYPE.IPV4, ipv4(V4, seg())));
  assert.equal(dec(LINKTYPE.IPV6, ipv6(V6, seg())).status, DecodeStatus.Tcp);
  // The version nibble does not decide for the typed raw link types: IPv6 bytes under IPV4 are malformed.
  assert.equal(dec(LINKTYPE.IPV4, ipv6(V6, seg())).status, DecodeStatus.Malformed);
});

test('NULL link: other address families are not TCP; AF 24/28/30 all mean IPv6', () => {
  for (const af of [24, 28, 30]) assert.equal(dec(LINKTYPE.NULL, nullLink(ipv6(V6, seg()), { af })).status, DecodeStatus.Tcp);
  assert.equal(dec(LINKTYPE.NULL, nullLink(ipv4(V4, seg()), { af: 23 })).status, DecodeStatus.NotTcp);
});

test('unknown link types are reported as such, not guessed', () => {
  const x = dec(147, ipv4(V4, seg()));
  assert.equal(x.status, DecodeStatus.UnsupportedLink);
  assert.equal(x.failLayer, Layer.Link);
});

test('Ethernet VLAN stacks: 802.1Q, 802.1ad QinQ, legacy 0x9100; outer VLAN id kept', () => {
  const ip = ipv4(V4, seg());
  let x = dec(1, ethernet({ vlans: [{ vid: 42 }] }, ip));
  assertTcp4(x);
  assert.deepEqual([x.vlanDepth, x.vlanId], [1, 42]);
  x = dec(1, ethernet({ vlans: [{ tpid: 0x88a8, vid: 100 }, { vid: 200, pcp: 5 }] }, ip));
  assertTcp4(x);
  assert.deepEqual([x.vlanDepth, x.vlanId], [2, 100]);
  x = dec(1, ethernet({ vlans: [{ tpid: 0x9100, vid: 7 }, { vid: 4095 }, { vid: 1 }] }, ipv6(V6, seg())));
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.deepEqual([x.vlanDepth, x.vlanId, x.ipVersion], [3, 7, 6]);
  x = dec(1, ethernet({}, ip));
  assert.deepEqual([x.vlanDepth, x.vlanId], [0, -1]);
  // Nine stacked tags is beyond any real network: malformed, not an endless loop.
  x = dec(1, ethernet({ vlans: Array.from({ length: 9 }, (_, i) => ({ vid: i })) }, ip));
  assert.equal(x.status, DecodeStatus.Malformed);
});

test('802.3 length frames and non-IP EtherTypes are not TCP and not errors', () => {
  assert.equal(dec(1, ethernet8023(new Uint8Array(40))).status, DecodeStatus.NotTcp);
  assert.equal(dec(1, ethernet({ etherType: 0x0806 }, new Uint8Array(28))).status, DecodeStatus.NotTcp);
  assert.equal(dec(LINKTYPE.LINUX_SLL, sll(new Uint8Array(28), { protocol: 0x0806 })).status, DecodeStatus.NotTcp);
});

test('Ethernet FCS is excluded before IP lengths are checked', () => {
  const f = ethernet({}, ipv4(V4, seg()));
  const withFcs = new Uint8Array([...f, 0xde, 0xad, 0xbe, 0xef]);
  const x = dec(1, withFcs, 4);
  assertTcp4(x);
  assert.equal(x.capturedPayload, 100);
});

test('IPv4 options, TTL, id and header length', () => {
  const ip = ipv4({ ...V4, id: 0xbeef, ttl: 3, options: [0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01] }, seg(7));
  const x = dec(LINKTYPE.RAW, ip);
  assertTcp4(x, 7);
  assert.deepEqual([x.ipHeaderLength, x.ipId, x.ttl, x.ipTotalLength, x.tcpOffset], [28, 0xbeef, 3, 28 + 20 + 7, 28]);
});

test('IPv4 fragments: the first and later fragments are not analysed as TCP and are marked', () => {
  let x = dec(LINKTYPE.RAW, ipv4({ ...V4, mf: true, df: false }, seg()));
  assert.deepEqual([x.status, x.fragment], [DecodeStatus.NotTcp, true]);
  x = dec(LINKTYPE.RAW, ipv4({ ...V4, fragOffset: 185, df: false }, new Uint8Array(40)));
  assert.deepEqual([x.status, x.fragment], [DecodeStatus.NotTcp, true]);
  x = dec(LINKTYPE.RAW, ipv4({ ...V4, df: true }, seg()));
  assert.equal(x.fragment, false);
});

test('IPv4 total length 0 (TSO): lengths come from the capture and say so', () => {
  const x = dec(1, ethernet({}, ipv4({ ...V4, totalLength: 0 }, seg(30000))));
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.equal(x.ipLengthFromCapture, true);
  assert.equal(x.payloadLength, 30000);
  assert.equal(x.ipTotalLength, 20 + 20 + 30000);
});

test('IPv4 malformed: version, IHL below 5, total length below the header', () => {
  assert.equal(dec(LINKTYPE.IPV4, ipv4({ ...V4, version: 5 }, seg())).status, DecodeStatus.Malformed);
  const ihl = dec(LINKTYPE.RAW, ipv4({ ...V4, ihlWords: 4 }, seg()));
  assert.deepEqual([ihl.status, ihl.failLayer], [DecodeStatus.Malformed, Layer.IPv4]);
  assert.equal(dec(LINKTYPE.RAW, ipv4({ ...V4, totalLength: 12 }, seg())).status, DecodeStatus.Malformed);
});

test('Ethernet padding after a short IP datagram is not payload: the IP total length decides', () => {
  const ip = ipv4(V4, seg(0));
  const padded = new Uint8Array([...ethernet({}, ip), 0, 0, 0, 0, 0, 0]);
  const x = dec(1, padded);
  assert.equal(x.payloadLength, 0);
  assert.equal(x.capturedPayload, 0);
});

test('IPv6 extension header chains: hop-by-hop, routing, destination options, fragment (first), AH', () => {
  const x = dec(
    LINKTYPE.IPV6,
    ipv6({ ...V6, ext: [{ type: 'hop' }, { type: 'routing', length: 2 }, { type: 'fragment', offset: 0, more: false }, { type: 'ah', icvBytes: 12 }, { type: 'dest', length: 1 }] }, seg(55)),
  );
  assert.equal(x.status, DecodeStatus.Tcp, x.reason);
  assert.equal(x.ipHeaderLength, 40 + 8 + 24 + 8 + 24 + 16);
  assert.equal(x.tcpOffset, x.ipHeaderLength);
  assert.equal(x.payloadLength, 55);
  assert.equal(x.ipProtocol, 6);
  assert.equal(x.srcPort, 51000);
});

test('IPv6 fragments, no-next-header and ESP are not TCP', () => {
  let x = dec(LINKTYPE.IPV6, ipv6({ ...V6, ext: [{ type: 'fragment', offset: 0, more: true }] }, seg()));
  assert.deepEqual([x.status, x.fragment], [DecodeStatus.NotTcp, true]);
  x = dec(LINKTYPE.IPV6, ipv6({ ...V6, ext: [{ type: 'fragment', offset: 100 }] }, new Uint8Array(24)));
  assert.deepEqual([x.status, x.fragment], [DecodeStatus.NotTcp, true]);
  assert.equal(dec(LINKTYPE.IPV6, ipv6({ ...V6, protocol: 59 }, new Uint8Array(0))).status, DecodeStatus.NotTcp);
  assert.equal(dec(LINKTYPE.IPV6, ipv6({ ...V6, ext: [{ type: 'hop' }], protocol: 50 }, new Uint8Array(16))).status, DecodeStatus.NotTcp);
});

test('IPv6 extension headers running past the payload length are malformed', () => {
  const f = ipv6({ ...V6, ext: [{ type: 'hop', length: 4 }], payloadLength: 16 }, seg(0));
  const x = dec(LINKTYPE.IPV6, f);
  assert.equal(x.status, DecodeStatus.Malformed);
  assert.equal(x.failLayer, Layer.IPv6);
});

test('IPv6 payload length 0 with a payload (GSO/jumbo): lengths from the capture', () => {
  const x = dec(LINKTYPE.IPV6, ipv6({ ...V6, payloadLength: 0 }, seg(70000)));
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.equal(x.ipLengthFromCapture, true);
  assert.equal(x.payloadLength, 70000);
});

test('TCP options: MSS, window scale, SACK permitted, timestamps on a SYN', () => {
  const f = packet({ ...V4, sport: 1, dport: 2, seq: 5, flags: 'S', options: { mss: 1380, wscale: 9, sackPermitted: true, timestamps: [0xdeadbeef, 0] } });
  const x = dec(1, f);
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.equal(x.flags, TCP_SYN);
  assert.deepEqual([x.mss, x.windowScale, x.sackPermitted, x.hasTimestamps, x.tsVal, x.tsEcr], [1380, 9, true, true, 0xdeadbeef, 0]);
  assert.equal(x.tcpHeaderLength, 40);
  assert.equal(x.badOptions, false);
  const none = dec(1, packet({ ...V4, sport: 1, dport: 2 }));
  assert.deepEqual([none.mss, none.windowScale, none.sackPermitted, none.hasTimestamps, none.sackCount], [-1, -1, false, false, 0]);
});

test('TCP options: SACK blocks (up to 4), TFO kind 34, MPTCP kind 30 with subtype', () => {
  const sack: Array<[number, number]> = [
    [1000, 2000],
    [3000, 4000],
    [0xfffff000, 0x10],
  ];
  let x = dec(1, packet({ ...V4, sport: 1, dport: 2, options: { sack, timestamps: [1, 2] } }));
  assert.equal(x.sackCount, 3);
  assert.deepEqual([...x.sackLeft.subarray(0, 3)], sack.map((s) => s[0]));
  assert.deepEqual([...x.sackRight.subarray(0, 3)], sack.map((s) => s[1]));
  assert.equal(x.hasTimestamps, true);
  x = dec(1, packet({ ...V4, sport: 1, dport: 2, options: { sack: [[1, 2], [3, 4], [5, 6], [7, 8]] } }));
  assert.equal(x.sackCount, 4);
  assert.equal(x.sackRight[3], 8);
  x = dec(1, packet({ ...V4, sport: 1, dport: 2, flags: 'S', options: { mss: 1460, tfo: new Uint8Array(8) } }));
  assert.deepEqual([x.tfo, x.mss], [true, 1460]);
  x = dec(1, packet({ ...V4, sport: 1, dport: 2, options: { mptcp: { subtype: 2, data: new Uint8Array(5) } } }));
  assert.deepEqual([x.mptcp, x.mptcpSubtype, x.tfo], [true, 2, false]);
});

test('TCP options: a zero-length or overlong option is flagged, fields before it kept', () => {
  let x = dec(1, packet({ ...V4, sport: 1, dport: 2, options: { mss: 1000, raw: [8, 0] } }));
  assert.deepEqual([x.status, x.mss, x.badOptions], [DecodeStatus.Tcp, 1000, true]);
  x = dec(1, packet({ ...V4, sport: 1, dport: 2, options: { raw: [2, 40, 0, 0] } }));
  assert.equal(x.badOptions, true);
});

test('TCP malformed headers: data offset below 5, header longer than the IP payload', () => {
  const low = tcpSegment({ sport: 1, dport: 2, dataOffsetWords: 4 });
  let x = dec(LINKTYPE.RAW, ipv4(V4, low));
  assert.deepEqual([x.status, x.failLayer], [DecodeStatus.Malformed, Layer.TCP]);
  const long = tcpSegment({ sport: 1, dport: 2, dataOffsetWords: 15 });
  x = dec(LINKTYPE.RAW, ipv4(V4, long));
  assert.deepEqual([x.status, x.failLayer], [DecodeStatus.Malformed, Layer.TCP]);
});

test('payload length comes from the IP lengths, not the captured length (snaplen cut)', () => {
  const full = packet({ ...V4, sport: 1, dport: 2, payloadLen: 1400, options: { timestamps: [1, 2] } });
  const cut = full.subarray(0, 96);
  const x = dec(1, cut);
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.equal(x.payloadLength, 1400);
  assert.equal(x.capturedPayload, 96 - 14 - 20 - 32);
  assert.equal(x.hasTimestamps, true);
  const v6 = packet({ ...V6, sport: 1, dport: 2, payloadLen: 1200 }).subarray(0, 80);
  const y = dec(1, v6);
  assert.deepEqual([y.status, y.payloadLength, y.capturedPayload], [DecodeStatus.Tcp, 1200, 80 - 14 - 40 - 20]);
});

test('snaplen inside the TCP options: status Tcp, options cut are not read and not called bad', () => {
  const full = packet({ ...V4, sport: 1, dport: 2, flags: 'S', options: { mss: 1460, sackPermitted: true, timestamps: [7, 0], wscale: 7 } });
  const x = dec(1, full.subarray(0, 14 + 20 + 20 + 6));
  assert.equal(x.status, DecodeStatus.Tcp);
  assert.equal(x.tcpOptionsTruncated, true);
  assert.equal(x.badOptions, false);
  assert.equal(x.mss, 1460);
  assert.equal(x.hasTimestamps, false);
  assert.equal(x.windowScale, -1);
});

test('decoding the same structure again resets per-packet fields', () => {
  dec(1, ethernet({ vlans: [{ vid: 5 }] }, ipv6({ ...V6, ext: [{ type: 'fragment', more: true }] }, seg())));
  const x = dec(1, packet({ ...V4, sport: 1, dport: 2, flags: 'S', options: { mss: 536 } }));
  assert.deepEqual([x.vlanDepth, x.vlanId, x.fragment, x.ipVersion, x.mss, x.sackCount], [0, -1, false, 4, 536, 0]);
  dec(1, packet({ ...V4, sport: 1, dport: 2, options: { sack: [[1, 2]], tfo: true, mptcp: { subtype: 1 } } }));
  const y = dec(1, packet({ ...V4, sport: 1, dport: 2 }));
  assert.deepEqual([y.sackCount, y.tfo, y.mptcp, y.mptcpSubtype, y.mss], [0, false, false, -1, -1]);
});
