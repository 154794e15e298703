import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PacketRecord } from '../../src/core/capture/types';
import { newPacketContext, setFlowContext, type PacketContext } from '../../src/core/analysis/packetContext';
import { newDecodedPacket, TCP_SYN } from '../../src/core/decode/packet';
import { FlowTable } from '../../src/core/analysis/flowTable';
import { HANDSHAKE, ISN, SERVER, feedScripted, p, type ScriptedPacket } from '../support/scripted';
import { EndpointStateTracker, TCP_STATE_NAMES, TcpState } from '../../src/core/analysis/endpointStates';
import { HandshakeTracker } from '../../src/core/analysis/handshake';

/**
 * Table-driven: each row is a packet sequence between a client (10.0.0.1:40000) and a server (10.0.0.2:9999),
 * and the exact transitions and final states the tracker must infer. Packets are one millisecond apart.
 */

interface Row {
  name: string;
  packets: ScriptedPacket[];
  /** "c:FROM>TO@frame" in capture order. */
  transitions: string[];
  final: { c: string; s: string };
  initial?: { c: string; s: string };
  joined?: boolean;
  refused?: boolean;
}

const ROWS: Row[] = [
  {
    name: 'graceful close, client first, separate ACK and FIN',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 100 }), p('s', 'A'), p('c', 'FA'), p('s', 'A'), p('s', 'FA'), p('c', 'A')],
    transitions: [
      'c:CLOSED>SYN_SENT@1',
      's:LISTEN>SYN_RECEIVED@2',
      'c:SYN_SENT>ESTABLISHED@3',
      's:SYN_RECEIVED>ESTABLISHED@3',
      'c:ESTABLISHED>FIN_WAIT_1@6',
      's:ESTABLISHED>CLOSE_WAIT@7',
      'c:FIN_WAIT_1>FIN_WAIT_2@7',
      's:CLOSE_WAIT>LAST_ACK@8',
      'c:FIN_WAIT_2>TIME_WAIT@9',
      's:LAST_ACK>CLOSED@9',
    ],
    final: { c: 'TIME_WAIT', s: 'CLOSED' },
    initial: { c: 'CLOSED', s: 'LISTEN' },
  },
  {
    name: 'graceful close, server first, FIN piggybacked on the ACK',
    packets: [...HANDSHAKE, p('s', 'FA'), p('c', 'FA'), p('s', 'A')],
    transitions: [
      'c:CLOSED>SYN_SENT@1',
      's:LISTEN>SYN_RECEIVED@2',
      'c:SYN_SENT>ESTABLISHED@3',
      's:SYN_RECEIVED>ESTABLISHED@3',
      's:ESTABLISHED>FIN_WAIT_1@4',
      'c:ESTABLISHED>CLOSE_WAIT@5',
      's:FIN_WAIT_1>FIN_WAIT_2@5',
      'c:CLOSE_WAIT>LAST_ACK@5',
      's:FIN_WAIT_2>TIME_WAIT@6',
      'c:LAST_ACK>CLOSED@6',
    ],
    final: { c: 'CLOSED', s: 'TIME_WAIT' },
  },
  {
    name: 'simultaneous close: the FINs cross, neither acknowledges the other',
    packets: [...HANDSHAKE, p('c', 'FA'), p('s', 'FA', { ack: ISN.c + 1 }), p('c', 'A'), p('s', 'A')],
    transitions: [
      'c:CLOSED>SYN_SENT@1',
      's:LISTEN>SYN_RECEIVED@2',
      'c:SYN_SENT>ESTABLISHED@3',
      's:SYN_RECEIVED>ESTABLISHED@3',
      'c:ESTABLISHED>FIN_WAIT_1@4',
      's:ESTABLISHED>FIN_WAIT_1@5',
      'c:FIN_WAIT_1>CLOSING@6',
      's:FIN_WAIT_1>CLOSING@6',
      's:CLOSING>TIME_WAIT@6',
      'c:CLOSING>TIME_WAIT@7',
    ],
    final: { c: 'TIME_WAIT', s: 'TIME_WAIT' },
  },
  {
    name: 'RST by the client: both CLOSED at the RST',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 10 }), p('c', 'RA')],
    transitions: ['c:CLOSED>SYN_SENT@1', 's:LISTEN>SYN_RECEIVED@2', 'c:SYN_SENT>ESTABLISHED@3', 's:SYN_RECEIVED>ESTABLISHED@3', 'c:ESTABLISHED>CLOSED@5', 's:ESTABLISHED>CLOSED@5'],
    final: { c: 'CLOSED', s: 'CLOSED' },
  },
  {
    name: 'RST by the server after the client closed (FIN_WAIT_2 killed)',
    packets: [...HANDSHAKE, p('c', 'FA'), p('s', 'A'), p('s', 'RA')],
    transitions: [
      'c:CLOSED>SYN_SENT@1',
      's:LISTEN>SYN_RECEIVED@2',
      'c:SYN_SENT>ESTABLISHED@3',
      's:SYN_RECEIVED>ESTABLISHED@3',
      'c:ESTABLISHED>FIN_WAIT_1@4',
      's:ESTABLISHED>CLOSE_WAIT@5',
      'c:FIN_WAIT_1>FIN_WAIT_2@5',
      's:CLOSE_WAIT>CLOSED@6',
      'c:FIN_WAIT_2>CLOSED@6',
    ],
    final: { c: 'CLOSED', s: 'CLOSED' },
  },
  {
    name: 'refused connection: SYN answered by RST-ACK, nothing listened',
    packets: [p('c', 'S'), p('s', 'RA')],
    transitions: ['c:CLOSED>SYN_SENT@1', 'c:SYN_SENT>CLOSED@2'],
    final: { c: 'CLOSED', s: 'CLOSED' },
    initial: { c: 'CLOSED', s: 'CLOSED' },
    refused: true,
  },
  {
    name: 'half-close: the server ACKs the FIN, keeps sending, never closes (CLOSE_WAIT)',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 37 }), p('s', 'A'), p('c', 'FA'), p('s', 'A'), p('s', 'PA', { len: 500 }), p('c', 'A')],
    transitions: [
      'c:CLOSED>SYN_SENT@1',
      's:LISTEN>SYN_RECEIVED@2',
      'c:SYN_SENT>ESTABLISHED@3',
      's:SYN_RECEIVED>ESTABLISHED@3',
      'c:ESTABLISHED>FIN_WAIT_1@6',
      's:ESTABLISHED>CLOSE_WAIT@7',
      'c:FIN_WAIT_1>FIN_WAIT_2@7',
    ],
    final: { c: 'FIN_WAIT_2', s: 'CLOSE_WAIT' },
  },
  {
    name: 'FIN never acknowledged: the peer stays ESTABLISHED (no proof it got the FIN)',
    packets: [...HANDSHAKE, p('c', 'FA')],
    transitions: ['c:CLOSED>SYN_SENT@1', 's:LISTEN>SYN_RECEIVED@2', 'c:SYN_SENT>ESTABLISHED@3', 's:SYN_RECEIVED>ESTABLISHED@3', 'c:ESTABLISHED>FIN_WAIT_1@4'],
    final: { c: 'FIN_WAIT_1', s: 'ESTABLISHED' },
  },
  {
    name: 'mid-stream join: both start ESTABLISHED, then a graceful close',
    packets: [p('c', 'PA', { len: 10 }), p('s', 'A'), p('c', 'FA'), p('s', 'FA'), p('c', 'A')],
    transitions: ['c:ESTABLISHED>FIN_WAIT_1@3', 's:ESTABLISHED>CLOSE_WAIT@4', 'c:FIN_WAIT_1>FIN_WAIT_2@4', 's:CLOSE_WAIT>LAST_ACK@4', 'c:FIN_WAIT_2>TIME_WAIT@5', 's:LAST_ACK>CLOSED@5'],
    final: { c: 'TIME_WAIT', s: 'CLOSED' },
    initial: { c: 'ESTABLISHED', s: 'ESTABLISHED' },
    joined: true,
  },
  {
    name: 'SYN retried twice with the same seq: one SYN_SENT, no new transition',
    packets: [p('c', 'S'), p('c', 'S', { seq: ISN.c }), p('c', 'S', { seq: ISN.c }), p('s', 'SA'), p('c', 'A')],
    transitions: ['c:CLOSED>SYN_SENT@1', 's:LISTEN>SYN_RECEIVED@4', 'c:SYN_SENT>ESTABLISHED@5', 's:SYN_RECEIVED>ESTABLISHED@5'],
    final: { c: 'ESTABLISHED', s: 'ESTABLISHED' },
  },
  {
    name: 'unanswered SYN: client SYN_SENT, server assumed LISTEN',
    packets: [p('c', 'S'), p('c', 'S', { seq: ISN.c })],
    transitions: ['c:CLOSED>SYN_SENT@1'],
    final: { c: 'SYN_SENT', s: 'LISTEN' },
  },
  {
    name: 'final ACK dropped by the server: its SYN-ACK retransmission takes back ESTABLISHED',
    packets: [p('c', 'S'), p('s', 'SA'), p('c', 'A'), p('s', 'SA', { seq: ISN.s })],
    transitions: ['c:CLOSED>SYN_SENT@1', 's:LISTEN>SYN_RECEIVED@2', 'c:SYN_SENT>ESTABLISHED@3'],
    final: { c: 'ESTABLISHED', s: 'SYN_RECEIVED' },
  },
  {
    name: 'handshake from a SYN-ACK (SYN not captured): client SYN_SENT is assumed',
    packets: [p('s', 'SA', { ack: ISN.c + 1 }), p('c', 'A')],
    transitions: ['s:LISTEN>SYN_RECEIVED@1', 'c:SYN_SENT>ESTABLISHED@2', 's:SYN_RECEIVED>ESTABLISHED@2'],
    final: { c: 'ESTABLISHED', s: 'ESTABLISHED' },
    initial: { c: 'SYN_SENT', s: 'LISTEN' },
  },
  {
    name: 'half-open scan: SYN, SYN-ACK, scanner RST',
    packets: [p('c', 'S'), p('s', 'SA'), p('c', 'R', { seq: ISN.c + 1 })],
    transitions: ['c:CLOSED>SYN_SENT@1', 's:LISTEN>SYN_RECEIVED@2', 'c:SYN_SENT>CLOSED@3', 's:SYN_RECEIVED>CLOSED@3'],
    final: { c: 'CLOSED', s: 'CLOSED' },
  },
];

function describe(t: EndpointStateTracker, stream: number): { transitions: string[]; final: { c: string; s: string }; initial: { c: string; s: string } } {
  const st = t.streamStates(stream);
  const who = (role: string) => (role === 'client' ? 'c' : 's');
  const ep = (role: string) => st.endpoints.find((e) => e.role === role)!;
  return {
    transitions: st.transitions.map((x) => `${who(x.role)}:${x.from}>${x.to}@${x.frame}`),
    final: { c: ep('client').final, s: ep('server').final },
    initial: { c: ep('client').initial, s: ep('server').initial },
  };
}

for (const row of ROWS) {
  test(`endpoint states: ${row.name}`, () => {
    const t = new EndpointStateTracker(2);
    const flows = feedScripted(row.packets, [t]);
    assert.equal(flows.count, 1);
    const got = describe(t, 0);
    assert.deepEqual(got.transitions, row.transitions);
    assert.deepEqual(got.final, row.final);
    if (row.initial) assert.deepEqual(got.initial, row.initial);
    assert.equal(t.joinedMidStream(0), row.joined ?? false);
    assert.equal(t.refused(0), row.refused ?? false);
  });
}

test('endpoint states: time in state adds up to the capture span, like tcpstates MS', () => {
  const t = new EndpointStateTracker();
  // frames at 0, 10, 12, 500, 600 ms; capture ends at 1000 ms
  feedScripted([p('c', 'S', { at: 0 }), p('s', 'SA', { at: 10 }), p('c', 'A', { at: 12 }), p('c', 'FA', { at: 500 }), p('s', 'A', { at: 600 })], [t]);
  t.finish(1_700_000_001, 0);
  const c = t.timeInState(0, 0);
  assert.equal(c[TcpState.Closed], 0);
  assert.equal(c[TcpState.SynSent], 12);
  assert.equal(c[TcpState.Established], 488);
  assert.equal(c[TcpState.FinWait1], 100);
  assert.equal(c[TcpState.FinWait2], 400);
  const s = t.timeInState(0, 1);
  assert.equal(s[TcpState.Listen], 10);
  assert.equal(s[TcpState.SynReceived], 2);
  assert.equal(s[TcpState.CloseWait], 400);
  const st = t.streamStates(0);
  const fw2 = st.transitions.find((x) => x.to === 'FIN_WAIT_2')!;
  assert.equal(fw2.msInFrom, 100);
  assert.equal(fw2.time, 0.6);
  assert.equal(st.endpoints[1].msInState.CLOSE_WAIT, 400);
});

test('endpoint states: a reused 4-tuple ends the earlier stream TIME_WAIT', () => {
  const t = new EndpointStateTracker();
  const flows = feedScripted([...HANDSHAKE, p('s', 'FA'), p('c', 'FA'), p('s', 'A'), p('c', 'S', { seq: 90000 })], [t]);
  assert.equal(flows.count, 2);
  const first = describe(t, 0);
  assert.equal(first.final.s, 'CLOSED');
  assert.deepEqual(first.transitions.slice(-1), ['s:TIME_WAIT>CLOSED@7']);
  assert.equal(t.stateOf(1, 0), TcpState.SynSent);
});

test('endpoint states: final-state counts by role', () => {
  const t = new EndpointStateTracker();
  feedScripted([...HANDSHAKE, p('c', 'FA'), p('s', 'A')], [t]);
  const counts = t.finalStateCounts();
  assert.equal(counts.client[TcpState.FinWait2], 1);
  assert.equal(counts.server[TcpState.CloseWait], 1);
  assert.equal(TCP_STATE_NAMES[t.finalState(0, 'server')], 'CLOSE_WAIT');
});

test('endpoint states: a million streams fit in typed arrays', () => {
  const t = new EndpointStateTracker(16);
  const flows = new FlowTable(1 << 20);
  const ctx: PacketContext = { ...newPacketContext(), refSec: 0, refNsec: 0 };
  const d = newDecodedPacket();
  d.ipVersion = 4;
  d.dst0 = SERVER;
  d.dstPort = 80;
  d.flags = TCP_SYN;
  const rec = { frameNumber: 0, tsSec: 0, tsNsec: 0 } as PacketRecord;
  const n = 1_000_000;
  for (let i = 0; i < n; i++) {
    d.src0 = (0x0b000000 + (i >>> 10)) >>> 0;
    d.srcPort = 1024 + (i & 1023);
    d.seq = i;
    rec.frameNumber = i + 1;
    const s = flows.add(d, rec.frameNumber, 0, 0, 60);
    setFlowContext(ctx, flows, s, rec, d);
    t.onTcpPacket(rec, d, s, flows.lastDir, ctx);
  }
  assert.equal(t.streamCount, n);
  assert.equal(t.finalStateCounts().client[TcpState.SynSent], n);
});

test('handshake timing: SYN retries, SYN-ACK retries, leg durations', () => {
  const h = new HandshakeTracker();
  feedScripted(
    [
      p('c', 'S', { at: 0 }),
      p('c', 'S', { seq: ISN.c, at: 1000 }),
      p('s', 'SA', { at: 1010 }),
      p('s', 'SA', { seq: ISN.s, at: 2010 }),
      p('c', 'A', { at: 2015 }),
      p('c', 'PA', { len: 5, at: 2016 }),
    ],
    [h],
  );
  const t = h.timing(0)!;
  assert.equal(t.synRetries, 1);
  assert.equal(t.synAckRetries, 1);
  assert.equal(t.synFrame, 1);
  assert.equal(t.synAckFrame, 3);
  assert.equal(t.ackFrame, 5);
  assert.equal(t.synToSynAckMs, 10);
  assert.equal(t.synAckToAckMs, 5);
  assert.equal(t.connectMs, 2015);
  assert.equal(t.synTime, 0);
  assert.equal(t.ackTime, 2.015);
});

test('handshake timing: unanswered SYN has no SYN-ACK or ACK; no SYN gives no timing', () => {
  const h = new HandshakeTracker();
  feedScripted([p('c', 'S'), p('c', 'S', { seq: ISN.c }), p('c', 'S', { seq: ISN.c })], [h]);
  const t = h.timing(0)!;
  assert.equal(t.synRetries, 2);
  assert.equal(t.synAckFrame, undefined);
  assert.equal(t.connectMs, undefined);
  const h2 = new HandshakeTracker();
  feedScripted([p('c', 'PA', { len: 3 }), p('s', 'A')], [h2]);
  assert.equal(h2.timing(0), undefined);
  assert.equal(h2.has(0), false);
});
