import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource, readCapture } from '../../src/core/capture/source';
import type { CaptureError, CaptureInterface, PacketRecord } from '../../src/core/capture/types';
import { NON_PACKET_LINKTYPE } from '../../src/core/decode/linktypes';
import {
  LINKTYPE,
  byTime,
  customBlock,
  dsb,
  epb,
  idb,
  isb,
  nrb,
  packet,
  pb,
  pcap,
  pcapng,
  pcapngBlockOffsets,
  pcapRecordOffsets,
  patchU32,
  payloadBytes,
  rawBlock,
  section,
  setPcapRecordLength,
  spb,
  tcpConversation,
  truncate,
  utf8Bytes,
  type Rec,
} from '../support/builder';

interface Got {
  frame: number;
  kind: string;
  iface: number;
  link: number;
  sec: number;
  nsec: number;
  hasTs: boolean;
  caplen: number;
  origlen: number;
  fcs: number;
  flags: number;
  offset: number;
  bytes: number[];
}

function read(file: Uint8Array, chunkSize?: number) {
  const packets: Got[] = [];
  const ifaces: CaptureInterface[] = [];
  const errors: CaptureError[] = [];
  const facts = readCapture(
    memorySource(file),
    {
      onPacket(r: PacketRecord) {
        packets.push({
          frame: r.frameNumber,
          kind: r.kind,
          iface: r.interfaceIndex,
          link: r.linkType,
          sec: r.tsSec,
          nsec: r.tsNsec,
          hasTs: r.hasTimestamp,
          caplen: r.capturedLength,
          origlen: r.originalLength,
          fcs: r.fcsLength,
          flags: r.epbFlags,
          offset: r.fileOffset,
          bytes: Array.from(r.data),
        });
      },
      onInterface: (i) => ifaces.push(i),
      onError: (e) => errors.push(e),
    },
    chunkSize ? { chunkSize } : {},
  );
  return { facts, packets, ifaces, errors };
}

const syn = packet({ src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 80, seq: 1, flags: 'S', options: { mss: 1460 } });
const data = packet({ src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 40000, seq: 7, ack: 2, flags: 'PA', payloadLen: 333 });
const recs: Rec[] = [
  { data: syn, sec: 1_700_000_000, nsec: 123_456_789 },
  { data: data, sec: 1_700_000_001, nsec: 999_999_999 },
  { data: data.subarray(0, 60), origLen: data.length, sec: 1_700_000_002, nsec: 1 },
];

// ---------------------------------------------------------------------------------------------------------------
// classic pcap

for (const bigEndian of [false, true]) {
  for (const nsec of [false, true]) {
    test(`pcap ${bigEndian ? 'BE' : 'LE'} ${nsec ? 'nsec' : 'usec'}: header, records, exact timestamps, caplen < origlen`, () => {
      const file = pcap(recs, { bigEndian, nsec, snaplen: 65535 });
      const { facts, packets, ifaces } = read(file);
      assert.equal(facts.unusable, null);
      assert.equal(facts.format, 'pcap');
      assert.equal(facts.byteOrder, bigEndian ? 'big' : 'little');
      assert.equal(facts.version, '2.4');
      assert.equal(facts.packets, 3);
      assert.deepEqual(facts.errors, []);
      assert.equal(ifaces.length, 1);
      assert.equal(ifaces[0]!.snapLength, 65535);
      assert.equal(ifaces[0]!.linkType, LINKTYPE.ETHERNET);
      assert.deepEqual(ifaces[0]!.resolution, { base: 10, exponent: nsec ? 9 : 6 });
      assert.deepEqual(packets.map((p) => p.frame), [1, 2, 3]);
      // Microsecond files lose the sub-microsecond digits, nanosecond files keep every digit.
      assert.deepEqual(
        packets.map((p) => [p.sec, p.nsec]),
        nsec
          ? [[1_700_000_000, 123_456_789], [1_700_000_001, 999_999_999], [1_700_000_002, 1]]
          : [[1_700_000_000, 123_456_000], [1_700_000_001, 999_999_000], [1_700_000_002, 0]],
      );
      assert.deepEqual(packets[0]!.bytes, Array.from(syn));
      assert.equal(packets[2]!.caplen, 60);
      assert.equal(packets[2]!.origlen, data.length);
      assert.deepEqual(packets[2]!.bytes, Array.from(data.subarray(0, 60)));
      assert.deepEqual(packets.map((p) => p.offset), pcapRecordOffsets(file));
      assert.equal(facts.bytesRead, file.length);
    });
  }
}

test('pcap: FCS bits of the link-type field give the FCS length; the link type is the low 16 bits', () => {
  const { ifaces, packets } = read(pcap([{ data: new Uint8Array([...syn, 1, 2, 3, 4]) }], { fcsWords: 2, linkType: LINKTYPE.ETHERNET }));
  assert.equal(ifaces[0]!.linkType, 1);
  assert.equal(ifaces[0]!.fcsLength, 4);
  assert.equal(packets[0]!.fcs, 4);
  const none = read(pcap([{ data: syn }], { linkType: LINKTYPE.LINUX_SLL }));
  assert.equal(none.ifaces[0]!.fcsLength, 0);
  assert.equal(none.ifaces[0]!.linkType, 113);
});

test('pcap: any snaplen, including 0 and a tiny one, is accepted and reported', () => {
  for (const snaplen of [0, 1, 68, 262144, 0x7fffffff]) {
    const { facts, ifaces } = read(pcap([{ data: syn }], { snaplen }));
    assert.equal(facts.unusable, null, `snaplen ${snaplen}`);
    assert.equal(facts.packets, 1);
    assert.equal(ifaces[0]!.snapLength, snaplen);
  }
});

test('pcap: out-of-range fraction carries into seconds', () => {
  const file = pcap([{ data: syn, sec: 10, nsec: 0 }], { nsec: true });
  const patched = patchU32(file, 24 + 4, 1_500_000_000, true);
  const { packets } = read(patched);
  assert.deepEqual([packets[0]!.sec, packets[0]!.nsec], [11, 500_000_000]);
});

test('pcap: a file with a header and no records is empty, not damaged', () => {
  const { facts, packets } = read(pcap([]));
  assert.equal(facts.unusable, null);
  assert.equal(facts.packets, 0);
  assert.equal(packets.length, 0);
  assert.deepEqual(facts.errors, []);
});

// ---------------------------------------------------------------------------------------------------------------
// unusable files

test('unusable files give facts.unusable with a clear message and no packets', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /empty/],
    ['3 bytes', new Uint8Array([0xd4, 0xc3, 0xb2]), /3 bytes/],
    ['bad magic', utf8Bytes('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /not a pcap or pcapng file/],
    ['pcap version 3', pcap([{ data: syn }], { versionMajor: 3 }), /unsupported pcap version 3/],
    ['pcap header cut', truncate(pcap([]), 20), /pcap file header is cut short/],
    ['pcapng version 2', pcapng(section({ versionMajor: 2 }, idb(), epb({ data: syn }))), /unsupported pcapng version 2/],
    ['pcapng bad BOM', pcapng(section({ bom: 0x11223344 }, idb())), /byte-order magic/],
    ['pcapng SHB cut', truncate(pcapng(section({})), 10), /section header is cut short/],
  ];
  for (const [name, file, msg] of cases) {
    const { facts, packets } = read(file);
    assert.ok(facts.unusable, `${name}: expected unusable`);
    assert.equal(facts.unusable.code, 'capture.unusable', name);
    assert.match(facts.unusable.message, msg, name);
    assert.equal(facts.unusable.fatal, true);
    assert.equal(packets.length, 0, name);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// pcapng

for (const bigEndian of [false, true]) {
  test(`pcapng ${bigEndian ? 'BE' : 'LE'}: IDB options, EPB flags, nanosecond timestamps exact`, () => {
    const file = pcapng(
      section(
        { bigEndian },
        idb({ linkType: LINKTYPE.ETHERNET, snaplen: 262144, name: 'eth0', description: 'uplink', tsresol: { base: 10, exponent: 9 }, os: 'Linux', filter: 'tcp' }),
        epb({ data: syn, sec: 1_700_000_000, nsec: 123_456_789, flags: 0x00000002 }),
        epb({ data: data, sec: 1_700_000_000, nsec: 999_999_999, comment: 'hello' }),
      ),
    );
    const { facts, packets, ifaces } = read(file);
    assert.equal(facts.format, 'pcapng');
    assert.equal(facts.byteOrder, bigEndian ? 'big' : 'little');
    assert.equal(facts.version, '1.0');
    assert.equal(facts.sections, 1);
    assert.deepEqual(facts.errors, []);
    assert.equal(ifaces.length, 1);
    const i = ifaces[0]!;
    assert.equal(i.name, 'eth0');
    assert.equal(i.description, 'uplink');
    assert.equal(i.os, 'Linux');
    assert.equal(i.filter, 'tcp');
    assert.equal(i.snapLength, 262144);
    assert.deepEqual(i.resolution, { base: 10, exponent: 9 });
    assert.deepEqual(packets.map((p) => [p.sec, p.nsec]), [[1_700_000_000, 123_456_789], [1_700_000_000, 999_999_999]]);
    assert.deepEqual(packets.map((p) => p.flags), [2, 0]);
    assert.deepEqual(packets[1]!.bytes, Array.from(data));
    const epbs = pcapngBlockOffsets(file).filter((b) => b.type === 6);
    assert.deepEqual(packets.map((p) => p.offset), epbs.map((b) => b.offset));
  });
}

test('pcapng: if_tsresol absent means microseconds; 10^-n for several n; 2^-n exact', () => {
  const cases: Array<[{ base: 10 | 2; exponent: number } | undefined, bigint, number, number]> = [
    [undefined, 1_700_000_000_123_456n, 1_700_000_000, 123_456_000],
    [{ base: 10, exponent: 3 }, 1_700_000_000_123n, 1_700_000_000, 123_000_000],
    [{ base: 10, exponent: 9 }, 1_700_000_000_000_000_001n, 1_700_000_000, 1],
    // 2^-10 s: 1024 units a second; 512 units = half a second.
    [{ base: 2, exponent: 10 }, 1_700_000_000n * 1024n + 512n, 1_700_000_000, 500_000_000],
    // 2^-20 s: 1 unit = 953.674316... ns, rounded down to the nanosecond.
    [{ base: 2, exponent: 20 }, 5n * (1n << 20n) + 1n, 5, 953],
    // 2^-30 s: 3 units = 2.79 ns.
    [{ base: 2, exponent: 30 }, 7n * (1n << 30n) + 3n, 7, 2],
    // Finer than a nanosecond: 10^-12 (64 bits of picoseconds reach only ~213 days), rounded down.
    [{ base: 10, exponent: 12 }, 5_000_000_000_001_999n, 5000, 1],
    // Beyond 2^53 units: 10^-9 with a large count still exact to the nanosecond.
    [{ base: 10, exponent: 9 }, 18_000_000_000_123_456_789n, 18_000_000_000, 123_456_789],
  ];
  for (const [tsresol, units, sec, nsec] of cases) {
    const { packets, ifaces } = read(pcapng(section({}, idb(tsresol ? { tsresol } : {}), epb({ data: syn, units }))));
    assert.deepEqual(ifaces[0]!.resolution, tsresol ?? { base: 10, exponent: 6 });
    assert.deepEqual([packets[0]!.sec, packets[0]!.nsec], [sec, nsec], JSON.stringify(tsresol));
  }
});

test('pcapng: if_tsoffset is added to every timestamp of that interface only', () => {
  const file = pcapng(
    section(
      {},
      idb({ tsresol: { base: 10, exponent: 9 }, tsoffset: 1_600_000_000 }),
      idb({ tsresol: { base: 10, exponent: 9 } }),
      epb({ iface: 0, data: syn, units: 5_000_000_007n }),
      epb({ iface: 1, data: syn, units: 5_000_000_007n }),
    ),
  );
  const { packets, ifaces } = read(file);
  assert.equal(ifaces[0]!.tsOffsetSec, 1_600_000_000);
  assert.deepEqual(packets.map((p) => [p.sec, p.nsec]), [[1_600_000_005, 7], [5, 7]]);
});

test('pcapng: if_fcslen and epb_flags FCS bits set the per-packet FCS length', () => {
  const withFcs = new Uint8Array([...syn, 0xde, 0xad, 0xbe, 0xef]);
  const file = pcapng(section({}, idb({ fcslen: 4 }), epb({ data: withFcs }), epb({ data: withFcs, flags: 2 << 5 })));
  const { packets, ifaces } = read(file);
  assert.equal(ifaces[0]!.fcsLength, 4);
  assert.deepEqual(packets.map((p) => p.fcs), [4, 2]);
});

test('pcapng: several sections with different byte orders, per-section interface ids, per-interface link types', () => {
  const file = pcapng(
    section({}, idb({ linkType: LINKTYPE.ETHERNET, name: 'a0' }), idb({ linkType: LINKTYPE.RAW, name: 'a1' }), epb({ iface: 1, data: syn.subarray(14), sec: 1 }), epb({ iface: 0, data: syn, sec: 2 })),
    section({ bigEndian: true }, idb({ linkType: LINKTYPE.LINUX_SLL, name: 'b0', tsresol: { base: 10, exponent: 9 } }), epb({ iface: 0, data: syn, sec: 3, nsec: 5 })),
    section({}, idb({ linkType: LINKTYPE.NULL, name: 'c0' }), idb({ linkType: LINKTYPE.IPV4, name: 'c1' }), epb({ iface: 1, data: syn.subarray(14), sec: 4 })),
  );
  const { facts, packets, ifaces } = read(file);
  assert.equal(facts.sections, 3);
  assert.equal(facts.byteOrder, 'little');
  assert.deepEqual(facts.errors, []);
  assert.deepEqual(ifaces.map((i) => [i.name, i.index, i.section, i.idInSection, i.linkType]), [
    ['a0', 0, 0, 0, 1],
    ['a1', 1, 0, 1, 101],
    ['b0', 2, 1, 0, 113],
    ['c0', 3, 2, 0, 0],
    ['c1', 4, 2, 1, 228],
  ]);
  assert.deepEqual(packets.map((p) => [p.frame, p.iface, p.link, p.sec, p.nsec]), [
    [1, 1, 101, 1, 0],
    [2, 0, 1, 2, 0],
    [3, 2, 113, 3, 5],
    [4, 4, 228, 4, 0],
  ]);
});

test('pcapng: a packet naming an interface its section never described is skipped with an error, frames stay dense', () => {
  const file = pcapng(section({}, idb(), epb({ data: syn }), epb({ iface: 3, data: syn }), epb({ data: syn })), section({ bigEndian: true }, epb({ data: syn })));
  const { facts, packets, errors } = read(file);
  assert.deepEqual(packets.map((p) => p.frame), [1, 2]);
  assert.equal(facts.packets, 2);
  assert.equal(errors.length, 2);
  assert.ok(errors.every((e) => e.code === 'capture.unknown_interface' && !e.fatal));
  // Interface 0 of section 1 does not exist: ids do not carry over between sections.
  assert.equal(errors[1]!.offset, pcapngBlockOffsets(file).at(-1)!.offset);
});

test('pcapng: SPB (no time, interface 0, captured = min(orig, snaplen)) and obsolete PB (16-bit interface id)', () => {
  const file = pcapng(
    section(
      {},
      idb({ snaplen: 60, tsresol: { base: 10, exponent: 9 } }),
      idb({ linkType: LINKTYPE.RAW }),
      epb({ data: syn, sec: 100, nsec: 42 }),
      spb({ data: data.subarray(0, 60), origLen: data.length }),
      pb({ iface: 1, data: syn.subarray(14), sec: 200 }),
      spb({ data: syn }),
    ),
  );
  const { facts, packets } = read(file);
  assert.deepEqual(facts.errors, []);
  assert.equal(facts.packets, 4);
  const [a, b, c, d] = packets;
  assert.deepEqual([b!.frame, b!.kind, b!.iface, b!.hasTs, b!.caplen, b!.origlen], [2, 'packet', 0, false, 60, data.length]);
  assert.deepEqual(b!.bytes, Array.from(data.subarray(0, 60)));
  // An SPB has no time of its own: it repeats the previous packet's.
  assert.deepEqual([b!.sec, b!.nsec], [a!.sec, a!.nsec]);
  assert.deepEqual([c!.frame, c!.iface, c!.link, c!.hasTs, c!.sec], [3, 1, LINKTYPE.RAW, true, 200]);
  assert.deepEqual(c!.bytes, Array.from(syn.subarray(14)));
  assert.deepEqual([d!.caplen, d!.origlen], [syn.length, syn.length]);
});

test('pcapng: ISB counters are kept on their interface', () => {
  const file = pcapng(
    section(
      { bigEndian: true },
      idb(),
      idb(),
      epb({ data: syn }),
      isb({ iface: 1, sec: 1_700_000_100, received: 1000, ifdrop: 7, osdrop: 11, filterAccept: 990, delivered: 980 }),
      isb({ iface: 0, sec: 1_700_000_100, ifdrop: 0x1_0000_0001 }),
    ),
  );
  const { ifaces, facts } = read(file);
  assert.deepEqual(facts.errors, []);
  assert.deepEqual(ifaces[1]!.statistics, {
    tsSec: 1_700_000_100,
    received: 1000,
    droppedByInterface: 7,
    droppedByOs: 11,
    acceptedByFilter: 990,
    deliveredToUser: 980,
  });
  assert.equal(ifaces[0]!.statistics!.droppedByInterface, 0x1_0000_0001);
});

test('pcapng: NRB, DSB, unknown and local-use blocks are skipped; custom and journal blocks take frame numbers as in Wireshark', () => {
  const journal = rawBlock(9, utf8Bytes('__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hi\n'));
  const file = pcapng(
    section(
      {},
      nrb(),
      idb(),
      dsb(),
      epb({ data: syn, sec: 5 }),
      rawBlock(0x1234, new Uint8Array(8)),
      customBlock({ data: utf8Bytes('abcd') }),
      rawBlock(0x80000001, new Uint8Array(3)),
      customBlock({ copyable: false }),
      journal,
      epb({ data: data, sec: 6 }),
    ),
  );
  const { facts, packets } = read(file);
  assert.deepEqual(facts.errors, []);
  // tshark 4.0 numbers these exactly so: packet, custom, custom, journal, packet.
  assert.deepEqual(packets.map((p) => [p.frame, p.kind]), [
    [1, 'packet'],
    [2, 'custom'],
    [3, 'custom'],
    [4, 'journal'],
    [5, 'packet'],
  ]);
  assert.equal(facts.packets, 5);
  const custom = packets[1]!;
  assert.deepEqual([custom.link, custom.iface, custom.hasTs, custom.caplen], [NON_PACKET_LINKTYPE, -1, false, 4]);
  assert.deepEqual(custom.bytes, Array.from(utf8Bytes('abcd')));
  assert.equal(packets[3]!.caplen, 49);
  assert.deepEqual(packets[4]!.bytes, Array.from(data));
});

test('pcapng: a section of an unsupported version after a good one is skipped, later sections read', () => {
  const file = pcapng(section({}, idb(), epb({ data: syn })), section({ versionMajor: 2 }, idb(), epb({ data: syn })), section({ bigEndian: true }, idb(), epb({ data: data })));
  const { facts, packets, errors } = read(file);
  assert.equal(facts.unusable, null);
  assert.deepEqual(errors.map((e) => [e.code, e.fatal]), [['capture.unsupported_section', false]]);
  assert.equal(packets.length, 2);
  assert.deepEqual(packets[1]!.bytes, Array.from(data));
  assert.equal(packets[1]!.frame, 2);
});

test('pcapng: a file with only a section header (or header and IDB) is empty, not damaged', () => {
  for (const file of [pcapng(section({})), pcapng(section({ bigEndian: true }, idb()))]) {
    const { facts } = read(file);
    assert.equal(facts.unusable, null);
    assert.equal(facts.packets, 0);
    assert.deepEqual(facts.errors, []);
  }
});

test('pcapng: EPB whose captured length exceeds its block is damage for that packet only', () => {
  const file = pcapng(section({}, idb(), epb({ data: syn, capLenOverride: 4000 }), epb({ data: data })));
  const { packets, errors } = read(file);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'capture.bad_block');
  assert.equal(errors[0]!.fatal, false);
  assert.equal(errors[0]!.frameNumber, 1);
  assert.equal(packets.length, 1);
});

test('pcapng: mismatched trailing length stops reading with the block offset', () => {
  const good = pcapng(section({}, idb(), epb({ data: syn })));
  const file = pcapng(section({}, idb(), epb({ data: syn }), rawBlock(0x1234, new Uint8Array(8), { trailerOverride: 24 }), epb({ data: syn })));
  const { packets, errors } = read(file);
  assert.equal(packets.length, 1);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'capture.bad_block');
  assert.equal(errors[0]!.offset, good.length);
  assert.equal(errors[0]!.fatal, true);
});

// ---------------------------------------------------------------------------------------------------------------
// damage: truncation and absurd lengths

test('pcap: a truncated tail keeps every complete record and reports the cut at the record start', () => {
  const file = pcap(recs);
  const offsets = pcapRecordOffsets(file);
  const cut = truncate(file, offsets[2]! + 20); // 4 bytes into record 3's data
  const { facts, packets } = read(cut);
  assert.equal(packets.length, 2);
  assert.equal(facts.errors.length, 1);
  const e = facts.errors[0]!;
  assert.equal(e.code, 'capture.truncated_record');
  assert.equal(e.offset, offsets[2]);
  assert.equal(e.frameNumber, 3);
  assert.equal(e.fatal, true);
  assert.equal(facts.unusable, null);
});

test('pcap: an absurd record length stops with an error and no huge allocation', () => {
  const file = setPcapRecordLength(pcap(recs), 1, 0x7fff0000);
  const before = process.memoryUsage().arrayBuffers;
  const { facts, packets } = read(file, 4096);
  const grew = process.memoryUsage().arrayBuffers - before;
  assert.equal(packets.length, 1);
  assert.equal(facts.errors.length, 1);
  assert.equal(facts.errors[0]!.code, 'capture.bad_record_length');
  assert.equal(facts.errors[0]!.offset, pcapRecordOffsets(pcap(recs))[1]);
  assert.equal(facts.errors[0]!.frameNumber, 2);
  assert.ok(grew < 64 * 1024 * 1024, `allocated ${grew} bytes`);
});

test('pcap: a record just above the standard maximum but within a large snaplen is read', () => {
  const big = payloadBytes(300_000);
  const { facts, packets } = read(pcap([{ data: big }], { snaplen: 400_000, linkType: LINKTYPE.RAW }), 1024);
  assert.deepEqual(facts.errors, []);
  assert.equal(packets[0]!.caplen, 300_000);
  // With the usual snaplen the same record is damage.
  assert.equal(read(pcap([{ data: big }], { snaplen: 65535 })).facts.errors[0]?.code, 'capture.bad_record_length');
});

test('pcapng: an absurd block length stops with an error at that block', () => {
  const file = pcapng(section({ bigEndian: true }, idb(), epb({ data: syn }), epb({ data: data })));
  const blocks = pcapngBlockOffsets(file);
  const second = blocks.filter((b) => b.type === 6)[1]!;
  const damaged = patchU32(file, second.offset + 4, 0xfffffff0, false);
  const { facts, packets } = read(damaged, 256);
  assert.equal(packets.length, 1);
  assert.equal(facts.errors.length, 1);
  assert.equal(facts.errors[0]!.code, 'capture.bad_record_length');
  assert.equal(facts.errors[0]!.offset, second.offset);
  assert.equal(facts.errors[0]!.frameNumber, 2);
});

test('pcapng: a truncated tail keeps everything before and reports the cut block offset', () => {
  const file = pcapng(section({}, idb(), epb({ data: syn }), epb({ data: data })), section({ bigEndian: true }, idb(), epb({ data: syn })));
  const last = pcapngBlockOffsets(file).at(-1)!;
  const { facts, packets } = read(truncate(file, last.offset + 30));
  assert.equal(packets.length, 2);
  assert.equal(facts.sections, 2);
  assert.equal(facts.errors.length, 1);
  assert.equal(facts.errors[0]!.code, 'capture.truncated_record');
  assert.equal(facts.errors[0]!.offset, last.offset);
  assert.equal(facts.errors[0]!.frameNumber, 3);
});

// ---------------------------------------------------------------------------------------------------------------
// chunk boundaries

function conversationRecords(): Rec[] {
  const c = tcpConversation({ client: { ip: '10.0.0.1', port: 40001 }, server: { ip: '10.0.0.2', port: 8080 }, sack: true, timestamps: true, wscale: 7 });
  c.handshake().wait(0.001).send('client', 300).wait(0.01).send('server', 4000).wait(0.001).ack('client').close('client');
  return c.records;
}

const chunkFiles: Array<[string, Uint8Array]> = [
  ['pcap LE usec', pcap(conversationRecords())],
  ['pcap BE nsec', pcap(conversationRecords(), { bigEndian: true, nsec: true })],
  [
    'pcapng mixed',
    pcapng(
      section({}, nrb(), idb({ tsresol: { base: 10, exponent: 9 } }), ...conversationRecords().slice(0, 5).map((r) => epb(r)), customBlock(), isb({ ifdrop: 1 })),
      section({ bigEndian: true }, idb({ snaplen: 80 }), dsb(), spb({ data: syn }), pb({ data: data }), ...conversationRecords().slice(5).map((r) => epb(r))),
    ),
  ],
];

for (const [name, file] of chunkFiles) {
  test(`${name}: tiny chunk sizes (1..64) read exactly what one big chunk reads`, () => {
    const whole = read(file);
    assert.ok(whole.packets.length > 5);
    assert.deepEqual(whole.facts.errors, []);
    for (let chunk = 1; chunk <= 64; chunk++) {
      const r = read(file, chunk);
      assert.deepEqual(r.packets, whole.packets, `chunkSize ${chunk}`);
      assert.deepEqual(r.facts.errors, whole.facts.errors, `chunkSize ${chunk}`);
      assert.equal(r.facts.packets, whole.facts.packets);
      assert.equal(r.facts.bytesRead, file.length);
    }
  });
}

test('byTime merges records of several conversations in time order', () => {
  const merged = byTime([{ data: syn, sec: 2 }], [{ data: syn, sec: 1, nsec: 5 }, { data: syn, sec: 1, nsec: 6 }]);
  assert.deepEqual(merged.map((r) => [r.sec, r.nsec ?? 0]), [[1, 5], [1, 6], [2, 0]]);
});
