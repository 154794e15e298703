import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureModel } from '../../src/extension/captureModel';
import { LADDER_HEAD, LADDER_TAIL } from '../../src/extension/flowDetail';
import type { LadderPacket } from '../../src/protocol/messages';
import { ACK, SYN, byTime, pcap, tcpConversation, type Rec, type TcpConversation } from '../support/builder';

/**
 * The flow detail and timeline builders on synthetic captures, through the real pass and the real CaptureModel
 * (the worker's object): relative numbers, roles, state changes, the head/tail cut and the timeline order.
 */

const T0 = 1_700_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tcpscope-flowdetail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function model(records: Rec[], packetLimit = 100_000): CaptureModel {
  const path = join(dir, `c${files++}.pcap`);
  writeFileSync(path, pcap(records));
  return new CaptureModel(path, packetLimit);
}

function conv(n: number, start: number, isn = 1000 + n * 7919): TcpConversation {
  return tcpConversation({
    client: { ip: '10.0.0.1', port: 40000 + n },
    server: { ip: '10.0.0.2', port: 80 },
    start: T0 + start,
    rtt: 0.01,
    clientIsn: isn,
    serverIsn: 0xfffff000 + n, // near the wrap: relative numbers must still start at 0
  });
}

const brief = (p: LadderPacket) =>
  `${p.fromClient ? 'c' : 's'} ${p.flags.join('+')} seq=${p.seq}${p.ack !== undefined ? ` ack=${p.ack}` : ''} len=${p.len}${p.role ? ` ${p.role}` : ''}`;

test('handshake, data and a client-first close: relative seq/ack, roles, state changes on the arrows', () => {
  const c = conv(0, 0).handshake().wait(0.001).send('client', 200).wait(0.005).send('server', 3000).wait(0.005).ack('client').wait(0.01).close('client');
  const m = model(c.records);
  const d = m.details.detail(0);
  assert.equal(d.client, '10.0.0.1:40000');
  assert.equal(d.server, '10.0.0.2:80');
  assert.equal(d.connState, 'SF');
  assert.equal(d.omitted, 0);
  assert.equal(d.total, d.packets.length);
  assert.deepEqual(d.packets.map(brief), [
    'c SYN seq=0 len=0 syn',
    's SYN+ACK seq=0 ack=1 len=0 syn-ack',
    'c ACK seq=1 ack=1 len=0 handshake-ack',
    'c PSH+ACK seq=1 ack=1 len=200',
    's ACK seq=1 ack=201 len=1460',
    's ACK seq=1461 ack=201 len=1460',
    's PSH+ACK seq=2921 ack=201 len=80',
    'c ACK seq=201 ack=3001 len=0',
    'c FIN+ACK seq=201 ack=3001 len=0 fin-active',
    's FIN+ACK seq=3001 ack=202 len=0 fin-passive',
    'c ACK seq=202 ack=3002 len=0 close-ack',
  ]);
  assert.deepEqual(d.packets.map((p) => p.index), d.packets.map((_, i) => i));
  // Times are relative to the flow's first packet.
  assert.equal(d.packets[0]!.timeSeconds, 0);
  assert.equal(d.packets[1]!.timeSeconds, 0.01);
  // The FIN exchange carries the state changes of both ends.
  assert.deepEqual(d.packets[0]!.states, [{ client: true, to: 'SYN_SENT' }]);
  assert.deepEqual(d.packets[8]!.states, [{ client: true, to: 'FIN_WAIT_1' }]);
  assert.deepEqual(d.packets[9]!.states, [
    { client: false, to: 'CLOSE_WAIT' },
    { client: true, to: 'FIN_WAIT_2' },
    { client: false, to: 'LAST_ACK' },
  ]);
  assert.deepEqual(d.packets[10]!.states, [
    { client: true, to: 'TIME_WAIT' },
    { client: false, to: 'CLOSED' },
  ]);

  const [client, server] = d.endpoints;
  assert.equal(client.role, 'client');
  assert.equal(client.address, '10.0.0.1:40000');
  assert.deepEqual(client.transitions.map((t) => `${t.from}>${t.to}@${t.frameNumber}`), [
    'CLOSED>SYN_SENT@1',
    'SYN_SENT>ESTABLISHED@3',
    'ESTABLISHED>FIN_WAIT_1@9',
    'FIN_WAIT_1>FIN_WAIT_2@10',
    'FIN_WAIT_2>TIME_WAIT@11',
  ]);
  assert.equal(client.final, 'TIME_WAIT');
  assert.equal(server.initial, 'LISTEN');
  assert.equal(server.final, 'CLOSED');
  // Time in state covers the flow start to the capture end, for each endpoint.
  for (const e of d.endpoints) {
    const sum = Object.values(e.msInState).reduce((x, y) => x + y, 0);
    assert.ok(Math.abs(sum - d.captureEndSeconds * 1000) < 1e-6, `${e.role}: ${sum} ms vs ${d.captureEndSeconds} s`);
  }
  assert.equal(client.transitions[1]!.timeSeconds, d.packets[2]!.timeSeconds);
  assert.equal(d.joinedMidStream, false);
  assert.equal(d.handshake?.synFrame, 1);
  assert.equal(d.handshake?.ackFrame, 3);
  assert.equal(d.handshake?.synRetries, 0);
  assert.equal(d.handshake?.synToSynAckMs, 10);
});

test('SYN retries, a retransmission and a server-first simultaneous close are marked', () => {
  const c = conv(1, 0);
  c.segment('client', { flags: SYN }).wait(1).segment('client', { flags: SYN, seq: c.nextSeq('client') - 1, advance: false }).wait(2);
  c.segment('client', { flags: SYN, seq: c.nextSeq('client') - 1, advance: false }).wait(0.01);
  c.segment('server', { flags: SYN | ACK }).wait(0.001).ack('client').wait(0.001);
  const seq = c.nextSeq('client');
  c.send('client', 100).wait(0.3).retransmit('client', seq, 100).wait(0.005).ack('server');
  // The FINs cross: neither acknowledges the other.
  const cs = c.nextSeq('client');
  const ss = c.nextSeq('server');
  c.segment('server', { flags: 'FA', ack: cs }).segment('client', { flags: 'FA', ack: ss }).wait(0.005);
  c.ack('server').ack('client');
  const d = model(c.records).details.detail(0);
  assert.deepEqual(
    d.packets.map((p) => [p.role ?? '', p.retry ?? 0, p.analysis.join(',')]),
    [
      ['syn', 0, ''],
      ['syn-retry', 1, 'retransmission'],
      ['syn-retry', 2, 'retransmission'],
      ['syn-ack', 0, ''],
      ['handshake-ack', 0, ''],
      ['', 0, ''],
      ['', 0, 'retransmission'],
      ['', 0, ''],
      ['fin-active', 0, ''],
      ['fin-simultaneous', 0, ''],
      // The first closer's ACK of the crossing FIN is its last ACK; the other side's ACK is just an ACK.
      ['close-ack', 0, ''],
      ['', 0, ''],
    ],
  );
  assert.equal(d.packets[8]!.fromClient, false, 'the server closed first');
  assert.equal(d.handshake?.synRetries, 2);
  assert.equal(d.handshake?.connectMs, 3011);
});

test('a refused connection: the RST answering the SYN is the refusal, both ends CLOSED', () => {
  const m = model(conv(2, 0).refused().records);
  const d = m.details.detail(0);
  // Wireshark numbers a side that never sent a SYN from 1, as it does for this RST.
  assert.deepEqual(d.packets.map(brief), ['c SYN seq=0 len=0 syn', 's RST+ACK seq=1 ack=1 len=0 rst-refused']);
  assert.equal(d.refused, true);
  assert.equal(d.connState, 'REJ');
  assert.deepEqual(d.endpoints.map((e) => e.final), ['CLOSED', 'CLOSED']);
  assert.deepEqual(d.packets[1]!.states, [{ client: true, to: 'CLOSED' }]);
});

test('a flow joined mid-stream has no handshake and starts ESTABLISHED; a later RST aborts', () => {
  const c = conv(3, 0);
  c.handshake();
  const skip = c.records.length;
  c.wait(0.01).send('client', 100).wait(0.01).ack('server').rst('client');
  const d = model(c.records.slice(skip)).details.detail(0);
  assert.equal(d.joinedMidStream, true);
  assert.equal(d.handshake, null);
  assert.deepEqual(d.endpoints.map((e) => e.initial), ['ESTABLISHED', 'ESTABLISHED']);
  assert.equal(d.packets.at(-1)!.role, 'rst');
  // Without a SYN, Wireshark bases relative numbers on the first segment seen: seq 1.
  assert.equal(d.packets[0]!.seq, 1);
});

test('a long flow shows its first and last packets, the middle is paged by position', () => {
  const c = conv(4, 0).handshake();
  for (let i = 0; i < 150; i++) c.wait(0.001).send('client', 100).wait(0.001).ack('server');
  c.wait(0.01).close('server');
  const m = model(c.records);
  const d = m.details.detail(0);
  const total = 3 + 300 + 3;
  assert.equal(d.total, total);
  assert.equal(d.packets.length, LADDER_HEAD + LADDER_TAIL);
  assert.equal(d.omitted, total - LADDER_HEAD - LADDER_TAIL);
  assert.deepEqual(d.packets.slice(0, LADDER_HEAD).map((p) => p.index), [...Array(LADDER_HEAD).keys()]);
  assert.equal(d.packets[LADDER_HEAD]!.index, total - LADDER_TAIL);
  assert.deepEqual(d.packets.slice(-3).map((p) => p.role), ['fin-active', 'fin-passive', 'close-ack']);
  assert.equal(d.packets.at(-3)!.fromClient, false);
  // Relative numbers in the middle of the flow: segment k of the client starts at 1 + 100k.
  const page = m.details.ladder(0, 100, 10);
  assert.equal(page.total, total);
  assert.equal(page.offset, 100);
  assert.deepEqual(page.packets.map((p) => p.index), [...Array(10).keys()].map((k) => 100 + k));
  const data = page.packets.filter((p) => p.fromClient);
  for (const p of data) assert.equal((p.seq - 1) % 100, 0);
  // Each server ACK acknowledges the client segment just before it.
  for (let k = 1; k < page.packets.length; k++) {
    const [prev, cur] = [page.packets[k - 1]!, page.packets[k]!];
    if (!cur.fromClient && prev.fromClient) assert.equal(cur.ack, prev.seq + prev.len);
  }
  // Pages are capped and clamped.
  assert.equal(m.details.ladder(0, total - 5, 1000).packets.length, 5);
  assert.equal(m.details.ladder(0, 0, 100_000).packets.length, 200);
  assert.throws(() => m.details.detail(99), /no TCP stream 99/);
});

test('a flow longer than the packet list limit says it is incomplete', () => {
  const c = conv(5, 0).handshake();
  for (let i = 0; i < 40; i++) c.wait(0.001).send('client', 10);
  const d = model(c.records, 20).details.detail(0);
  assert.equal(d.total, 20);
  assert.equal(d.complete, false);
});

test('the timeline orders flows by start, colours them by outcome, locates a time and counts density', () => {
  const sf = conv(10, 0.5).handshake().wait(0.1).send('client', 50).wait(0.01).close('client').records;
  const rej = conv(11, 0.1).refused().records;
  const s0 = conv(12, 0.2).segment('client', { flags: SYN }).records;
  const open = conv(13, 0.3).handshake().wait(2).send('client', 10).records;
  const m = model(byTime(sf, rej, s0, open));
  const page = m.details.timeline(0, 10);
  assert.equal(page.total, 4);
  assert.deepEqual(page.rows.map((r) => `${r.stream}:${r.connState}:${r.outcome}`), ['0:REJ:reset', '1:S0:unanswered', '2:S1:open', '3:SF:normal']);
  assert.equal(page.rows[0]!.startSeconds, 0);
  // The builder's float start times land within a microsecond (pcap keeps microseconds).
  assert.ok(Math.abs(page.rows[3]!.startSeconds - 0.4) < 2e-6, String(page.rows[3]!.startSeconds));
  assert.ok(page.rows[2]!.endSeconds > 2.2);
  assert.equal(m.details.locateTime(0.25), 3);
  assert.equal(m.details.locateTime(0.15), 2);
  assert.equal(m.details.locateTime(0), 0);
  const sum = m.details.summary(10);
  assert.equal(sum.flows, 4);
  assert.equal(sum.startSeconds, 0);
  assert.deepEqual(sum.outcomes, { normal: 1, reset: 1, unanswered: 1, open: 1, 'half-closed': 0, other: 0 });
  // The open flow spans almost the whole capture: it is active in every bin.
  assert.deepEqual(sum.density.open, Array(10).fill(1));
  assert.equal(sum.density.reset.reduce((a, b) => a + b, 0), 1);
  assert.equal(m.details.summary(1e9).bins, 4096);
});

test('the timeline sorts by start time when capture order is not time order', () => {
  const late = conv(20, 5).handshake().records;
  const early = conv(21, 1).handshake().records;
  const m = model([...late, ...early]);
  const rows = m.details.timeline(0, 10).rows;
  assert.deepEqual(rows.map((r) => r.stream), [1, 0]);
  assert.ok(rows[0]!.startSeconds < 0, 'stream 1 started before the reference (first) record');
  assert.equal(m.details.summary(4).startSeconds, rows[0]!.startSeconds);
  assert.equal(m.details.locateTime(0), 1);
  // The selected flow's row in that order, and nothing for a stream that does not exist.
  assert.deepEqual([0, 1].map((s) => m.details.timelineIndexOf(s)), [1, 0]);
  assert.deepEqual([-1, 2, 0.5, NaN].map((s) => m.details.timelineIndexOf(s)), [-1, -1, -1, -1]);
});

test('timelineIndexOf is the inverse of the timeline order, sorted or not', () => {
  // Starts at 3, 1, 4, 1 (a tie: stream order), 5, 9, 2, 6 seconds, in capture order.
  const starts = [3, 1, 4, 1, 5, 9, 2, 6];
  const shuffled = model(starts.flatMap((t, i) => conv(40 + i, t).handshake().records));
  const inOrder = model(byTime(...starts.map((t, i) => conv(50 + i, t).handshake().records)));
  for (const m of [shuffled, inOrder]) {
    const rows = m.details.timeline(0, 100).rows;
    assert.equal(rows.length, starts.length);
    rows.forEach((r, i) => assert.equal(m.details.timelineIndexOf(r.stream), i, `stream ${r.stream}`));
  }
  assert.deepEqual(shuffled.details.timeline(0, 100).rows.map((r) => r.stream), [1, 3, 6, 0, 2, 4, 7, 5]);
});

test('findings with a time window reach the timeline summary', () => {
  const leaked = Array.from({ length: 4 }, (_, i) =>
    conv(30 + i, i * 0.1).handshake().wait(0.001).send('client', 100).wait(0.005).ack('server').fin('client').wait(0.005).ack('server').wait(2).records,
  );
  const sum = model(byTime(...leaked)).details.summary(8);
  const cw = sum.findings.find((f) => f.code === 'tcp.close_wait.excess');
  assert.ok(cw, JSON.stringify(sum.findings.map((f) => f.code)));
  assert.ok(cw.startSeconds >= 0 && cw.endSeconds > cw.startSeconds);
  assert.deepEqual(sum.outcomes['half-closed'], 4);
});
