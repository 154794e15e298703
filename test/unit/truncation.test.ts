import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource, readCapture } from '../../src/core/capture/source';
import { decodePacket, DecodeStatus, Layer, newDecodedPacket } from '../../src/core/decode/packet';
import {
  customBlock,
  encapsulate,
  epb,
  idb,
  ipv4,
  ipv6,
  isb,
  linkTypeOf,
  nrb,
  pb,
  pcap,
  pcapng,
  pcapngBlockOffsets,
  pcapRecordOffsets,
  section,
  spb,
  tcpConversation,
  tcpSegment,
  truncate,
  type Ipv6Ext,
  type LinkSpec,
} from '../support/builder';

/**
 * Cuts built frames at every length and built files at every byte: decoding and reading must never throw, must say
 * where the cut is, and must never pass off a cut TCP segment with a wrong length.
 */

interface Sweep {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** Offsets where the link header ends, the IP header (with options / extension chain) ends, and TCP starts. */
  linkEnd: number;
  ipHdrEnd: number;
  ipLayer: Layer;
  tcpHdrLen: number;
  payload: number;
  /** Cut lengths at which a link layer of TLVs legitimately looks complete but packet-less (NFLOG). */
  notTcpAllowed?: Set<number>;
}

function build(name: string, link: LinkSpec, version: 4 | 6, opts: { ipOptions?: number[]; ext?: Ipv6Ext[]; payload?: number } = {}): Sweep {
  const payload = opts.payload ?? 37;
  const seg = tcpSegment({ sport: 33333, dport: 8080, seq: 1, ack: 2, flags: 'PA', options: { timestamps: [5, 6], sack: [[10, 20]] }, payload });
  const ip =
    version === 4
      ? ipv4({ src: '10.1.2.3', dst: '10.3.2.1', options: opts.ipOptions ?? [] }, seg)
      : ipv6({ src: 'fe80::1', dst: 'fe80::2', ext: opts.ext ?? [] }, seg);
  const frame = encapsulate(link, ip);
  const pad = link.type === 'nflog' ? (4 - (ip.length % 4)) % 4 : 0;
  const linkEnd = frame.length - pad - ip.length;
  const ipHdr = ip.length - seg.length;
  const s: Sweep = {
    name,
    linkType: linkTypeOf(link),
    frame,
    linkEnd,
    ipHdrEnd: linkEnd + ipHdr,
    ipLayer: version === 4 ? Layer.IPv4 : Layer.IPv6,
    tcpHdrLen: seg.length - payload,
    payload,
  };
  if (link.type === 'nflog') {
    // NFLOG header (4) then TLVs of 8 (packet header) and 16 (prefix "tcpscope\0", padded): boundaries at 4, 12, 28.
    s.notTcpAllowed = new Set([4, 12, 28]);
  }
  return s;
}

const sweeps: Sweep[] = [
  build('ether/ipv4', { type: 'ether' }, 4),
  build('ether QinQ/ipv6 ext chain', { type: 'ether', eth: { vlans: [{ tpid: 0x88a8, vid: 10 }, { vid: 20 }] } }, 6, {
    ext: [{ type: 'hop' }, { type: 'routing', length: 1 }, { type: 'fragment' }, { type: 'ah' }, { type: 'dest' }],
  }),
  build('sll/ipv4 options', { type: 'sll' }, 4, { ipOptions: [1, 1, 1, 1, 0x94, 4, 0, 0] }),
  build('sll2/ipv6', { type: 'sll2' }, 6),
  build('null LE/ipv4', { type: 'null', littleEndian: true }, 4),
  build('null BE/ipv6', { type: 'null', littleEndian: false }, 6),
  build('loop/ipv6', { type: 'loop' }, 6),
  build('raw/ipv4', { type: 'raw' }, 4),
  build('raw/ipv6 hop', { type: 'raw' }, 6, { ext: [{ type: 'hop', length: 2 }] }),
  build('ipv4 (228)', { type: 'ipv4' }, 4),
  build('ipv6 (229)', { type: 'ipv6' }, 6, { ext: [{ type: 'dest' }] }),
  build('nflog/ipv4', { type: 'nflog' }, 4),
  build('nflog/ipv6', { type: 'nflog' }, 6, { payload: 0 }),
];

for (const s of sweeps) {
  test(`truncation sweep, frame ${s.name}: every cut 0..${s.frame.length} decodes to the right status and layer`, () => {
    const d = newDecodedPacket();
    const tcpStart = s.ipHdrEnd;
    for (let n = 0; n <= s.frame.length; n++) {
      const cut = s.frame.slice(0, n);
      const at = `${s.name} cut at ${n}`;
      let status: DecodeStatus;
      try {
        status = decodePacket(s.linkType, cut, 0, d);
      } catch (e) {
        assert.fail(`${at}: threw ${String(e)}`);
      }
      assert.equal(status, d.status, at);
      if (n === 0 && s.linkEnd === 0) {
        // Raw IP with no bytes: not even the version nibble says which IP it would have been.
        assert.equal(status, DecodeStatus.Truncated, at);
      } else if (n < s.linkEnd) {
        if (s.notTcpAllowed?.has(n) && status === DecodeStatus.NotTcp) continue;
        assert.deepEqual([status, d.failLayer], [DecodeStatus.Truncated, Layer.Link], `${at}: ${d.reason}`);
      } else if (n < s.ipHdrEnd) {
        assert.deepEqual([status, d.failLayer], [DecodeStatus.Truncated, s.ipLayer], `${at}: ${d.reason}`);
      } else if (n < tcpStart + 20) {
        assert.deepEqual([status, d.failLayer], [DecodeStatus.Truncated, Layer.TCP], `${at}: ${d.reason}`);
      } else {
        assert.equal(status, DecodeStatus.Tcp, `${at}: ${d.reason}`);
        // The segment length comes from the IP header, whatever the cut.
        assert.equal(d.payloadLength, s.payload, at);
        assert.equal(d.tcpHeaderLength, s.tcpHdrLen, at);
        assert.deepEqual([d.srcPort, d.dstPort, d.seq, d.ack], [33333, 8080, 1, 2], at);
        assert.equal(d.capturedPayload, Math.max(0, Math.min(n, s.ipHdrEnd + s.tcpHdrLen + s.payload) - (tcpStart + s.tcpHdrLen)), at);
        assert.equal(d.tcpOptionsTruncated, n < tcpStart + s.tcpHdrLen, at);
        assert.equal(d.badOptions, false, at);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Whole files cut at every byte

function conversation() {
  const c = tcpConversation({ client: { ip: '10.0.0.1', port: 40000 }, server: { ip: '10.0.0.2', port: 80 }, timestamps: true });
  return c.handshake().wait(0.01).send('client', 120).wait(0.02).send('server', 900).ack('client').close().records;
}

interface FileCase {
  name: string;
  file: Uint8Array;
  /** Start offsets of the records that carry frames, and of every record/block (for the error offset). */
  frameStarts: number[];
  recordStarts: number[];
  /** Bytes before which the file is unusable (file header / first section header). */
  headerEnd: number;
}

const pcapFile = pcap(conversation(), { nsec: true, bigEndian: true });
const ngFile = pcapng(
  section({}, idb({ tsresol: { base: 10, exponent: 9 } }), nrb(), ...conversation().slice(0, 4).map((r) => epb(r)), customBlock()),
  section({ bigEndian: true }, idb({ snaplen: 70 }), isb({ ifdrop: 2 }), spb({ data: conversation()[0]!.data.slice(0, 70), origLen: 74 }), pb({ data: conversation()[1]!.data })),
);
const ngBlocks = pcapngBlockOffsets(ngFile);

const files: FileCase[] = [
  { name: 'pcap BE nsec', file: pcapFile, frameStarts: pcapRecordOffsets(pcapFile), recordStarts: pcapRecordOffsets(pcapFile), headerEnd: 24 },
  {
    name: 'pcapng two sections',
    file: ngFile,
    frameStarts: ngBlocks.filter((b) => [2, 3, 6, 0xbad].includes(b.type)).map((b) => b.offset),
    recordStarts: ngBlocks.map((b) => b.offset),
    headerEnd: ngBlocks[0]!.length,
  },
];

for (const f of files) {
  test(`truncation sweep, file ${f.name}: every cut keeps all complete records and reports the cut offset`, () => {
    const full = f.file.length;
    const ends = [...f.recordStarts.slice(1), full];
    for (let n = 0; n <= full; n++) {
      const at = `${f.name} cut at ${n}`;
      let frames = 0;
      let facts;
      try {
        facts = readCapture(memorySource(truncate(f.file, n)), { onPacket: () => void frames++ }, { chunkSize: 97 });
      } catch (e) {
        assert.fail(`${at}: threw ${String(e)}`);
      }
      if (n < f.headerEnd) {
        assert.ok(facts.unusable, at);
        assert.equal(frames, 0, at);
        continue;
      }
      const complete = f.frameStarts.filter((s, i) => {
        const idx = f.recordStarts.indexOf(s);
        return (idx >= 0 ? ends[idx]! : Infinity) <= n && i >= 0;
      }).length;
      assert.equal(frames, complete, at);
      assert.equal(facts.packets, complete, at);
      assert.equal(facts.unusable, null, at);
      if (n === full || f.recordStarts.includes(n) || n === f.headerEnd) {
        assert.deepEqual(facts.errors, [], at);
      } else {
        assert.equal(facts.errors.length, 1, at);
        const e = facts.errors[0]!;
        assert.equal(e.code, 'capture.truncated_record', at);
        assert.equal(e.fatal, true, at);
        const cutRecord = [...f.recordStarts].reverse().find((s) => s < n)!;
        assert.equal(e.offset, cutRecord, at);
        // A pcap record is always a packet; a pcapng block is one only if its type survived the cut.
        if (f.headerEnd === 24 || (f.frameStarts.includes(cutRecord) && n - cutRecord >= 4)) assert.equal(e.frameNumber, complete + 1, at);
        else assert.equal(e.frameNumber, undefined, at);
      }
    }
  });
}
