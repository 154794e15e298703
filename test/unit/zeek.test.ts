import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HANDSHAKE, ISN, feedScripted, p, type ScriptedPacket, type Who } from '../support/scripted';
import { ZeekConnTracker, ZeekEndpointState, type ZeekConnState } from '../../src/core/analysis/zeek';

/**
 * Table-driven: packet sequences between a client (10.0.0.1:40000) and a server (10.0.0.2, port 9999 unless the row
 * says 80 — a port in Zeek's likely_server_ports, which changes who Zeek calls the originator), and the conn_state
 * and history Zeek would log. Rows marked "Zeek baseline" reproduce conn_state-RST-behavior from Zeek's own tests.
 */

interface Row {
  name: string;
  packets: ScriptedPacket[];
  state: ZeekConnState;
  history: string;
  dport?: number;
  /** Side Zeek calls the originator: 'c' or 's'. */
  orig?: Who;
  bytes?: [number, number];
}

const ROWS: Row[] = [
  { name: 'S0: SYN, no reply', packets: [p('c', 'S')], state: 'S0', history: 'S' },
  { name: 'S0: a SYN retransmitted with the same seq adds no letter', packets: [p('c', 'S'), p('c', 'S', { seq: ISN.c })], state: 'S0', history: 'S' },
  { name: 'S1: established, not closed', packets: HANDSHAKE, state: 'S1', history: 'ShA' },
  { name: 'S1: SYN and SYN-ACK only (a SYN flood victim)', packets: [p('c', 'S'), p('s', 'SA')], state: 'S1', history: 'Sh' },
  {
    name: 'SF: normal establishment and termination',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 10 }), p('s', 'PA', { len: 20 }), p('c', 'FA'), p('s', 'FA'), p('c', 'A')],
    state: 'SF',
    history: 'ShADdFf',
    bytes: [10, 20],
  },
  { name: 'REJ: SYN answered by RST', packets: [p('c', 'S'), p('s', 'RA')], state: 'REJ', history: 'Sr' },
  { name: 'S2: originator closed, no reply', packets: [...HANDSHAKE, p('c', 'FA'), p('s', 'A')], state: 'S2', history: 'ShAFa' },
  { name: 'S3: responder closed, no reply', packets: [...HANDSHAKE, p('s', 'FA'), p('c', 'A')], state: 'S3', history: 'ShAf' },
  { name: 'RSTO: originator aborted', packets: [...HANDSHAKE, p('c', 'RA')], state: 'RSTO', history: 'ShAR' },
  { name: 'RSTR: responder aborted', packets: [...HANDSHAKE, p('s', 'RA')], state: 'RSTR', history: 'ShAr' },
  { name: 'RSTOS0: SYN then RST, no SYN-ACK (Zeek baseline "SR")', packets: [p('c', 'S'), p('c', 'R', { seq: ISN.c + 1 })], state: 'RSTOS0', history: 'SR' },
  {
    name: 'RSTOS0: an early ACK of the SYN does not count as a reply (Zeek baseline "SaR")',
    packets: [p('c', 'S'), p('s', 'A'), p('c', 'R', { seq: ISN.c + 1 })],
    state: 'RSTOS0',
    history: 'SaR',
  },
  {
    name: 'OTH: SYN, early ACK, FIN, RST (Zeek baseline "SaFR")',
    packets: [p('c', 'S'), p('s', 'A'), p('c', 'FA', { seq: ISN.c + 1 }), p('c', 'R', { seq: ISN.c + 2 })],
    state: 'OTH',
    history: 'SaFR',
  },
  { name: 'OTH: a lone RST (Zeek baseline "R")', packets: [p('c', 'R')], state: 'OTH', history: 'R' },
  {
    name: 'RSTRH: SYN-ACK then RST from a likely server port, no SYN',
    packets: [p('s', 'SA', { ack: ISN.c + 1 }), p('s', 'RA', { ack: ISN.c + 1 })],
    dport: 80,
    state: 'RSTRH',
    history: '^hr',
    orig: 'c',
  },
  { name: 'SH: SYN then FIN, no SYN-ACK', packets: [p('c', 'S'), p('c', 'FA')], state: 'SH', history: 'SF' },
  {
    name: 'SHR: SYN-ACK then FIN from the responder, no SYN',
    packets: [p('s', 'SA', { ack: ISN.c + 1 }), p('s', 'FA', { ack: ISN.c + 1 })],
    dport: 80,
    state: 'SHR',
    history: '^hf',
    orig: 'c',
  },
  { name: 'OTH: midstream traffic', packets: [p('c', 'PA', { len: 10 }), p('s', 'A')], state: 'OTH', history: 'Da', orig: 'c' },
  {
    name: 'flip: midstream data from a likely server port makes its peer the originator',
    packets: [p('s', 'PA', { len: 10 }), p('c', 'A')],
    dport: 80,
    state: 'OTH',
    history: '^dA',
    orig: 'c',
  },
  {
    name: 'flip: a SYN-ACK first, then an ACK: "^h" (Zeek TCP_Endpoint::CheckHistory)',
    packets: [p('s', 'SA', { ack: ISN.c + 1 }), p('c', 'A')],
    state: 'OTH',
    history: '^hA',
    orig: 'c',
  },
  {
    name: 't: one retransmitted segment, T',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 100 }), p('c', 'PA', { len: 100, seq: ISN.c + 1 })],
    state: 'S1',
    history: 'ShADT',
  },
  {
    name: 't: ten retransmissions give a second T (logarithmic)',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 100 }), ...Array.from({ length: 10 }, () => p('c', 'PA', { len: 100, seq: ISN.c + 1 }))],
    state: 'S1',
    history: 'ShADTT',
  },
  { name: 'w: zero window advertised by the responder', packets: [...HANDSHAKE, p('s', 'A', { win: 0 })], state: 'S1', history: 'ShAaw' },
  {
    name: 'g: the responder acknowledges bytes the capture never saw',
    packets: [...HANDSHAKE, p('c', 'PA', { len: 100, seq: ISN.c + 101 }), p('s', 'A', { ack: ISN.c + 201 })],
    state: 'S1',
    history: 'ShADaG',
  },
  { name: 'q: SYN+FIN', packets: [p('c', 'SF')], state: 'SH', history: 'Q' },
  { name: 'i: FIN+RST', packets: [...HANDSHAKE, p('c', 'FRA')], state: 'RSTO', history: 'ShAI' },
  {
    name: 'r repeated only for a new seq',
    packets: [...HANDSHAKE, p('s', 'R', { seq: ISN.s + 1 }), p('s', 'R', { seq: ISN.s + 1 }), p('s', 'R', { seq: ISN.s + 9 })],
    state: 'RSTR',
    history: 'ShArr',
  },
];

for (const row of ROWS) {
  test(`zeek: ${row.name}`, () => {
    const z = new ZeekConnTracker();
    const flows = feedScripted(row.packets, [z], { dport: row.dport });
    assert.equal(flows.count, 1);
    assert.equal(z.history(0), row.history);
    assert.equal(z.connState(0), row.state);
    if (row.orig) {
      // Client is the side that sent the SYN or received the SYN-ACK; A is whoever sent the first packet.
      const firstFrom = row.packets[0]!.from;
      const origIsA = z.originatorSide(0) === 0;
      assert.equal(origIsA ? firstFrom : firstFrom === 'c' ? 's' : 'c', row.orig);
    }
    if (row.bytes) assert.deepEqual([z.origBytes(0), z.respBytes(0)], row.bytes);
  });
}

test('zeek: every conn_state value is covered by the table', () => {
  const covered = new Set(ROWS.map((r) => r.state));
  for (const s of ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const) assert.ok(covered.has(s), s);
});

test('zeek: endpoint states and counts per conn_state', () => {
  const z = new ZeekConnTracker();
  feedScripted([...HANDSHAKE, p('c', 'FA'), p('s', 'FA'), p('c', 'A')], [z]);
  assert.equal(z.endpointState(0, 0), ZeekEndpointState.Closed);
  assert.equal(z.endpointState(0, 1), ZeekEndpointState.Closed);
  assert.equal(z.connStateCounts().SF, 1);
});

test('zeek: long histories spill past the inline buffer intact', () => {
  const z = new ZeekConnTracker();
  const rsts = Array.from({ length: 30 }, (_, i) => p(i % 2 ? 'c' : 's', 'R', { seq: 7000 + i * 10 }));
  feedScripted([...HANDSHAKE, ...rsts], [z]);
  assert.equal(z.history(0), 'ShA' + 'rR'.repeat(15));
});
