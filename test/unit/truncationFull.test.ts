import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFull, type FullAnalysis } from '../../src/core/fullAnalysis';
import { memorySource } from '../../src/core/capture/source';
import { FlowReporter, zeekConnLog } from '../../src/core/export/flowReport';
import {
  byTime,
  customBlock,
  epb,
  idb,
  isb,
  LINKTYPE,
  nrb,
  pb,
  pcap,
  pcapng,
  pcapngBlockOffsets,
  pcapRecordOffsets,
  section,
  spb,
  tcpConversation,
  type LinkSpec,
  type Rec,
} from '../support/builder';
import { findingProblems } from '../fuzz/fuzzer';

/**
 * The whole core (reader, decoder, flow table, every observer, diagnostics, exports) over a file cut at every byte:
 * nothing throws, every complete record before the cut is analysed exactly as in the whole file, the cut is
 * reported where its record starts, and the findings stay well-formed.
 */

function conversations(link: LinkSpec, v6: boolean): Rec[] {
  const lists: Rec[][] = [];
  for (let i = 0; i < 3; i++) {
    const c = tcpConversation({
      client: { ip: v6 ? `2001:db8::${i + 1}` : `10.0.0.${i + 1}`, port: 41000 + i },
      server: { ip: v6 ? '2001:db8::99' : '10.0.0.99', port: 443 },
      start: 1_700_000_000 + i * 0.004,
      timestamps: i !== 1,
      sack: true,
      mss: 300,
      link,
    });
    c.handshake().wait(0.002);
    if (i === 0) c.send('client', 400).ack('server').close();
    else if (i === 1) {
      const lost = (c.nextSeq('server') + 300) >>> 0;
      c.send('server', 900, { lostSegments: [1] }).ack('client').ack('client').wait(0.1).retransmit('server', lost, 300).ack('client').rst('client');
    } else c.send('client', 100).ack('server').fin('server').ack('client');
    lists.push(c.records);
  }
  return byTime(...lists);
}

interface Fixture {
  name: string;
  file: Uint8Array;
  headerEnd: number;
  /** [start, end) of every record or block, and whether Wireshark numbers it as a frame. */
  records: Array<{ start: number; end: number; frame: boolean }>;
  /** Cut every `stride` bytes, plus every byte within 24 of a record boundary. */
  stride: number;
}

function pcapFixture(name: string, recs: Rec[], o: Parameters<typeof pcap>[1]): Fixture {
  const file = pcap(recs, o);
  const offs = pcapRecordOffsets(file);
  return { name, file, headerEnd: 24, records: offs.map((s, i) => ({ start: s, end: offs[i + 1] ?? file.length, frame: true })), stride: 1 };
}

function ngFixture(name: string, file: Uint8Array, stride: number): Fixture {
  const blocks = pcapngBlockOffsets(file);
  return {
    name,
    file,
    headerEnd: blocks[0]!.length,
    records: blocks.slice(1).map((b) => ({ start: b.offset, end: b.offset + b.length, frame: [2, 3, 6, 0xbad, 0x40000bad].includes(b.type) })),
    stride,
  };
}

const ether = conversations({ type: 'ether' }, false);
const sll6 = conversations({ type: 'sll' }, true);
const fixtures: Fixture[] = [
  pcapFixture('pcap LE usec ether ipv4, 3 conversations', ether, {}),
  { ...pcapFixture('pcap BE nsec sll ipv6, 3 conversations', sll6, { bigEndian: true, nsec: true, linkType: LINKTYPE.LINUX_SLL }), stride: 3 },
  ngFixture(
    'pcapng LE + BE sections, EPB/PB/SPB/ISB/NRB/custom',
    pcapng(
      section(
        { os: 'Linux' },
        idb({ name: 'eth0', tsresol: { base: 10, exponent: 9 } }),
        nrb(),
        ...ether.slice(0, 14).map((r, i) => epb({ ...r, ...(i % 4 === 0 ? { comment: 'c', flags: 1 } : {}) })),
        customBlock(),
        pb(ether[14]!),
        isb({ iface: 0, ifdrop: 1 }),
      ),
      section({ bigEndian: true }, idb({ linkType: LINKTYPE.LINUX_SLL }), ...sll6.slice(0, 12).map((r) => epb(r)), spb({ data: sll6[12]!.data }), ...sll6.slice(13).map((r) => epb(r))),
    ),
    3,
  ),
];

/** What must not change when bytes after a frame are cut away: that frame's verdicts and its flow's first facts. */
function frameView(full: FullAnalysis, frames: number): string {
  const out: string[] = [];
  const idx = full.capture.packetIndex!;
  for (let f = 1; f <= frames; f++) out.push(`${f}:${idx.stream[f - 1]}:${full.seq.flagsOfFrame(f)}`);
  return out.join(' ');
}

function cuts(f: Fixture): number[] {
  const set = new Set<number>();
  for (let n = 0; n <= f.file.length; n += f.stride) set.add(n);
  for (const r of [{ start: 0, end: f.headerEnd }, ...f.records]) {
    for (let d = -24; d <= 24; d++) {
      if (r.end + d >= 0 && r.end + d <= f.file.length) set.add(r.end + d);
    }
  }
  set.add(f.file.length);
  return [...set].sort((a, b) => a - b);
}

for (const f of fixtures) {
  test(`full-core truncation sweep, ${f.name} (${f.file.length} bytes)`, () => {
    const whole = analyzeFull(memorySource(f.file), { keepPerFrame: true, keepPacketIndex: true });
    assert.deepEqual(whole.capture.facts.errors, [], 'the uncut fixture reads cleanly');
    const totalFrames = f.records.filter((r) => r.frame).length;
    assert.equal(whole.capture.facts.packets, totalFrames);
    assert.ok(whole.capture.flows.count >= 3, 'several conversations');
    const wholeView = frameView(whole, totalFrames);
    let checked = 0;
    for (const n of cuts(f)) {
      const at = `${f.name} cut at ${n}`;
      let full: FullAnalysis;
      try {
        // A small chunk makes the reader stop and resume inside records, which a cut file exercises most.
        full = analyzeFull(memorySource(f.file.subarray(0, n)), { keepPerFrame: true, keepPacketIndex: true, chunkSize: 4096 });
        const reporter = new FlowReporter(full);
        for (let s = 0; s < full.capture.flows.count; s++) JSON.stringify(reporter.report(s));
        zeekConnLog(full);
        JSON.stringify(full.findings);
      } catch (e) {
        assert.fail(`${at}: threw ${(e as Error).stack}`);
      }
      const facts = full.capture.facts;
      for (const finding of full.findings) assert.deepEqual(findingProblems(finding, full.capture.flows.count, facts.packets), [], `${at}: ${finding.code}`);
      checked++;
      if (n < f.headerEnd) {
        assert.ok(facts.unusable, at);
        assert.equal(facts.packets, 0, at);
        continue;
      }
      assert.equal(facts.unusable, null, at);
      const complete = f.records.filter((r) => r.frame && r.end <= n).length;
      assert.equal(facts.packets, complete, at);
      // Streaming: the analysis of a prefix is the prefix of the analysis.
      assert.equal(frameView(full, complete), wholeView.split(' ').slice(0, complete).join(' '), at);
      const inside = f.records.find((r) => r.start < n && n < r.end);
      if (!inside) {
        assert.deepEqual(facts.errors, [], at);
        continue;
      }
      assert.equal(facts.errors.length, 1, at);
      const e = facts.errors[0]!;
      assert.deepEqual([e.code, e.offset, e.fatal], ['capture.truncated_record', inside.start, true], at);
      const finding = full.findings.find((x) => x.code === 'capture.truncated');
      assert.ok(finding, `${at}: the cut is a finding`);
      assert.equal(finding.metrics['offset'], inside.start, at);
    }
    assert.ok(checked > f.file.length / Math.max(1, f.stride) / 2, 'the sweep covered the file');
  });
}
