import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CaptureReader } from '../../src/core/capture/reader';
import { METADATA_LIMITS, type CaptureFacts } from '../../src/core/capture/types';
import { escapeControls } from '../../src/core/util/text';
import { CaptureModel } from '../../src/extension/captureModel';
import { concat, epb, idb, nrb, packet, pcapng, rawBlock, section, utf8Bytes, ByteWriter } from '../support/builder';
import { EPB_FORGED_ESCAPED, HOSTILE, hostileCapture } from '../support/hostile';

function read(bytes: Uint8Array): { facts: CaptureFacts; frames: number[] } {
  const frames: number[] = [];
  const r = new CaptureReader({ onPacket: (rec) => frames.push(rec.frameNumber) });
  r.consume(bytes, 0, bytes.length, true);
  return { facts: r.facts, frames };
}

const syn = (sport: number) => packet({ src: '10.0.0.1', dst: '10.0.0.2', sport, dport: 80, flags: 'S' });

test('pcapng metadata is read exactly: section strings, interface names and comments, names, packet comments', () => {
  const { facts, frames } = read(hostileCapture());
  assert.deepEqual(frames, [1, 2, 3, 4, 5]);
  assert.equal(facts.errors.length, 0);
  const m = facts.metadata;
  assert.deepEqual(m.sections, [{ index: 0, hardware: HOSTILE.shbHardware, os: HOSTILE.shbOs, application: HOSTILE.shbApp, comments: [HOSTILE.shbComment] }]);
  const i = facts.interfaces[0]!;
  assert.equal(i.name, HOSTILE.ifName);
  assert.equal(i.description, HOSTILE.ifDescription);
  assert.deepEqual(i.comments, [HOSTILE.ifComment]);
  assert.deepEqual(m.names, [
    { address: '10.0.0.2', names: [HOSTILE.nrbName, HOSTILE.nrbName2] },
    { address: '2001:db8::1', names: [HOSTILE.nrbName6] },
  ]);
  assert.equal(m.namesTotal, 2);
  // The obsolete Packet Block's comment (frame 4) is read like an EPB's.
  assert.deepEqual(m.packetComments, [
    { frameNumber: 1, text: HOSTILE.epbComment },
    { frameNumber: 3, text: HOSTILE.epbForged },
    { frameNumber: 4, text: HOSTILE.pbComment },
  ]);
  assert.deepEqual([m.packetCommentsTotal, m.sectionCommentsTotal, m.interfaceCommentsTotal], [3, 1, 1]);
});

test('big-endian sections and several sections keep their own metadata', () => {
  const file = pcapng(
    section({ bigEndian: true, hardware: 'hw0', comments: ['first'] }, idb({ name: 'eth0' }), epb({ data: syn(1), comment: 'c1' })),
    section({ os: 'os1', comments: ['second', 'third'] }, idb({ name: 'wlan0', comments: ['x'] }), epb({ data: syn(2), comment: 'c2' })),
  );
  const { facts, frames } = read(file);
  assert.deepEqual(frames, [1, 2]);
  assert.deepEqual(
    facts.metadata.sections.map((s) => [s.index, s.hardware, s.os, s.comments]),
    [
      [0, 'hw0', undefined, ['first']],
      [1, undefined, 'os1', ['second', 'third']],
    ],
  );
  assert.deepEqual(facts.interfaces.map((i) => [i.name, i.section]), [['eth0', 0], ['wlan0', 1]]);
  assert.deepEqual(facts.metadata.packetComments, [{ frameNumber: 1, text: 'c1' }, { frameNumber: 2, text: 'c2' }]);
});

test('strings are bounded, cut on a character boundary, and bad UTF-8 becomes U+FFFD', () => {
  const long = 'é'.repeat(30_000); // 60 000 bytes, 2 per character
  const bad = Uint8Array.of(0x41, 0xff, 0xfe, 0xc3, 0x42);
  const file = pcapng(
    section({ hardware: 'x'.repeat(5000) }, idb({ name: long, extraOptions: [{ code: 3, value: bad }] }), epb({ data: syn(1), comment: '€'.repeat(2000) })),
  );
  const { facts } = read(file);
  const name = facts.interfaces[0]!.name!;
  assert.equal(name, `${'é'.repeat(METADATA_LIMITS.textBytes / 2)}…`);
  assert.equal(facts.interfaces[0]!.description, 'A\ufffd\ufffd\ufffdB');
  assert.equal(facts.metadata.sections[0]!.hardware, `${'x'.repeat(METADATA_LIMITS.textBytes)}…`);
  // '€' is 3 bytes: 1024 bytes hold 341 of them and one byte of the next, which must not become a U+FFFD.
  assert.equal(facts.metadata.packetComments[0]!.text, `${'€'.repeat(341)}…`);
});

test('comment and name lists are capped; every one is still counted', () => {
  const n = METADATA_LIMITS.packetComments + 5;
  const blocks = [idb({ comments: Array.from({ length: 40 }, (_, k) => `if ${k}`) })];
  for (let k = 0; k < n; k++) blocks.push(epb({ data: syn(1 + (k % 60000)), comment: `c${k}` }));
  const many = Array.from({ length: METADATA_LIMITS.names + 3 }, (_, k) => ({ ip: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, names: Array.from({ length: 12 }, (_, j) => `h${j}`) }));
  blocks.push(nrb(many));
  const { facts, frames } = read(pcapng(section({}, ...blocks)));
  assert.equal(frames.length, n);
  const m = facts.metadata;
  assert.equal(m.packetComments.length, METADATA_LIMITS.packetComments);
  assert.equal(m.packetCommentsTotal, n);
  assert.equal(m.packetComments.at(-1)!.frameNumber, METADATA_LIMITS.packetComments);
  assert.equal(facts.interfaces[0]!.comments!.length, METADATA_LIMITS.commentsPerBlock);
  assert.equal(m.interfaceCommentsTotal, 40);
  assert.equal(m.names.length, METADATA_LIMITS.names);
  assert.equal(m.namesTotal, METADATA_LIMITS.names + 3);
  assert.equal(m.names[0]!.names.length, METADATA_LIMITS.namesPerAddress);
});

test('damaged options and name records are ignored; what came before them, and every packet, is kept', () => {
  // An IDB whose second option claims more bytes than the block holds: the name before it stays, the interface too.
  const overrun = { code: 3, value: utf8Bytes('desc'), lengthOverride: 2000 };
  // An NRB whose second record is too short for an IPv6 address, followed by a good one that must not be read.
  const w = new ByteWriter();
  const rec = (type: number, value: Uint8Array) => w.u16(type, true).u16(value.length, true).bytes(value).pad4();
  rec(1, concat(Uint8Array.of(10, 0, 0, 9), utf8Bytes('good.example\0')));
  rec(2, Uint8Array.of(1, 2, 3));
  rec(1, concat(Uint8Array.of(10, 0, 0, 8), utf8Bytes('after.example\0')));
  w.u32(0, true);
  const file = pcapng(
    section(
      { hardware: 'hw', extraOptions: [{ code: 1, value: utf8Bytes('x'), lengthOverride: 60000 }] },
      idb({ name: 'eth0', extraOptions: [overrun] }),
      rawBlock(4, w.done()),
      epb({ data: syn(1), comment: 'kept' }),
      // A comment option cut by the end of the block: the packet is kept, the comment is not.
      epb({ data: syn(2), extraOptions: [{ code: 1, value: utf8Bytes('cut'), lengthOverride: 400 }] }),
    ),
  );
  const { facts, frames } = read(file);
  assert.deepEqual(frames, [1, 2]);
  assert.equal(facts.errors.length, 0);
  assert.equal(facts.interfaces[0]!.name, 'eth0');
  assert.equal(facts.interfaces[0]!.description, undefined);
  assert.equal(facts.metadata.sections[0]!.hardware, 'hw');
  assert.deepEqual(facts.metadata.names, [{ address: '10.0.0.9', names: ['good.example'] }]);
  assert.deepEqual(facts.metadata.packetComments, [{ frameNumber: 1, text: 'kept' }]);
});

test('classic pcap has empty metadata', () => {
  const { facts } = read(concat(new ByteWriter().u32(0xa1b2c3d4, true).u16(2, true).u16(4, true).zeros(8).u32(65535, true).u32(1, true).done()));
  assert.deepEqual(facts.metadata, { sections: [], packetComments: [], packetCommentsTotal: 0, sectionCommentsTotal: 0, interfaceCommentsTotal: 0, names: [], namesTotal: 0 });
});

test('escapeControls keeps a string on one line and shows hidden characters', () => {
  assert.equal(escapeControls('a\nb\r\tc\u001b[31m\u202ed\u2028e\u0000'), 'a\\nb\\r\\tc\\u{001b}[31m\\u{202e}d\\u{2028}e\\u{0000}');
  assert.equal(escapeControls('<script> C:\\x é 😀'), '<script> C:\\x é 😀');
});

test('the worker model: overview facts escaped, packet comments at the end of their packet lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpscope-meta-'));
  try {
    const path = join(dir, 'hostile.pcapng');
    writeFileSync(path, hostileCapture());
    const model = new CaptureModel(path, 1000);
    const o = model.overview().captureFacts;
    assert.deepEqual(o.interfaces, [{ index: 0, section: 0, name: HOSTILE.ifName, description: HOSTILE.ifDescription, linkType: 1, linkTypeName: o.interfaces[0]!.linkTypeName, comments: [HOSTILE.ifComment] }]);
    assert.deepEqual(o.sections, [{ index: 0, hardware: HOSTILE.shbHardware, os: HOSTILE.shbOs, application: HOSTILE.shbApp }]);
    assert.deepEqual(o.comments.map((c) => [c.where, c.text]), [
      ['section 0', HOSTILE.shbComment],
      ['interface 0', HOSTILE.ifComment],
      ['frame 1', HOSTILE.epbComment],
      ['frame 3', EPB_FORGED_ESCAPED],
      ['frame 4', HOSTILE.pbComment],
    ]);
    assert.equal(o.commentsTotal, 5);
    assert.equal(o.namesTotal, 2);
    assert.deepEqual(o.names[1], { address: '2001:db8::1', names: [HOSTILE.nrbName6] });

    const list = model.packetListText(-1, 'relative');
    const lines = list.text.trimEnd().split('\n');
    assert.equal(lines.length, list.lineFrames.length, 'one line per entry: a comment cannot add a line');
    const line = (frame: number) => lines[list.lineFrames.indexOf(frame)]!;
    assert.ok(line(1).endsWith(`stream 0  # ${HOSTILE.epbComment}`), line(1));
    assert.ok(line(3).endsWith(`  # ${EPB_FORGED_ESCAPED}`), line(3));
    assert.ok(line(4).endsWith(`  # ${HOSTILE.pbComment}`), line(4));
    assert.ok(!line(2).includes('#'), line(2));
    assert.ok(!lines.some((l) => l.includes('\u001b') || l.includes('\u202e')));
    // The flow's own list shows them too.
    const flow = model.packetListText(0, 'relative').text;
    assert.ok(flow.includes(`# ${HOSTILE.pbComment}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const cli = resolve(process.env.TCPSCOPE_DIST || 'dist', 'cli.js');
test('CLI summary names the interfaces and counts comments, escaped for the terminal', { skip: existsSync(cli) ? undefined : `no CLI bundle at ${cli}` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpscope-meta-'));
  try {
    const path = join(dir, 'hostile.pcapng');
    const file = pcapng(section({ comments: ['s'] }, idb({ name: 'eth0', description: 'uplink\u001b[2J' }), idb({ name: 'lo' }), epb({ data: syn(1), comment: 'a' }), epb({ data: syn(2), comment: 'b' })));
    writeFileSync(path, file);
    const text = execFileSync(process.execPath, [cli, 'summary', path], { encoding: 'utf8' });
    assert.match(text, /interface 0 +eth0 - uplink\\u\{001b\}\[2J, .*\(1\)/);
    assert.match(text, /interface 1 +lo, /);
    assert.match(text, /comments +2 on packets, 1 on sections, 0 on interfaces/);
    assert.ok(!text.includes('\u001b'));
    const json = JSON.parse(execFileSync(process.execPath, [cli, 'summary', '--format', 'json', path], { encoding: 'utf8' }));
    assert.deepEqual(json.comments, { section: 1, interface: 0, packet: 2 });
    assert.equal(json.interfaces[1].name, 'lo');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
