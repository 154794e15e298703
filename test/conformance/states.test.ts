import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/core/analyzeCapture';
import { openFileSource } from '../../src/node/fileSource';
import { EndpointStateTracker, TCP_STATE_NAMES, TcpState } from '../../src/core/analysis/endpointStates';
import { ZeekConnTracker, type ZeekConnState } from '../../src/core/analysis/zeek';
import { HandshakeTracker } from '../../src/core/analysis/handshake';
import { listCaptures, sharedCapturesDir } from '../support/shared';
import type { FlowTable } from '../../src/core/analysis/flowTable';

const dir = sharedCapturesDir();
const skip = dir ? false : 'no ../shared/captures here (set TCPSCOPE_CAPTURES to run)';

interface Run {
  streams: number;
  flows: FlowTable;
  states: EndpointStateTracker;
  zeek: ZeekConnTracker;
  handshake: HandshakeTracker;
}

function run(file: string): Run {
  const states = new EndpointStateTracker();
  const zeek = new ZeekConnTracker();
  const handshake = new HandshakeTracker();
  const src = openFileSource(join(dir!, file));
  const a = analyzeCapture(src, { observers: [states, zeek, handshake] });
  src.close();
  states.finish(a.lastSec, a.lastNsec);
  return { streams: a.flows.count, flows: a.flows, states, zeek, handshake };
}

function counts(r: Run) {
  const fc = r.states.finalStateCounts();
  const named = (arr: number[]) => Object.fromEntries(arr.map((n, i) => [TCP_STATE_NAMES[i], n]).filter(([, n]) => n));
  const zc = Object.fromEntries(Object.entries(r.zeek.connStateCounts()).filter(([, n]) => n));
  return { client: named(fc.client), server: named(fc.server), zeek: zc };
}

function meta(name: string): { verified_with_ss?: Record<string, number>; first_fin_by_stream?: Record<string, string> } {
  const p = join(dir!, 'tools', 'meta', `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : {};
}

/** Both twins of a generated capture (pcap and pcapng) when present. */
function twins(base: string): string[] {
  return [`${base}.pcap`, `${base}.pcapng`].filter((f) => existsSync(join(dir!, f)));
}

test('states: every capture in the corpus runs, printed as a table', { skip }, () => {
  const rows: string[] = [];
  for (const f of listCaptures(dir!)) {
    const r = run(f);
    const c = counts(r);
    rows.push(`${f.padEnd(56)} ${String(r.streams).padStart(5)}  client ${JSON.stringify(c.client)}  server ${JSON.stringify(c.server)}  zeek ${JSON.stringify(c.zeek)}`);
  }
  console.log(rows.join('\n'));
  assert.ok(rows.length > 0);
});


const count = (arr: number[], st: TcpState) => arr[st] ?? 0;

function endpointName(flows: FlowTable, stream: number, side: number): string {
  const e = flows.endpoint(stream, side);
  const w = e.words[0]!;
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}:${e.port}`;
}

test('states: gen_close_wait_leak — every server in CLOSE_WAIT, every client in FIN_WAIT_2, Zeek S2 (ss-verified)', { skip }, () => {
  const ss = meta('gen_close_wait_leak').verified_with_ss!;
  for (const f of twins('gen_close_wait_leak')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(r.streams, 50, f);
    assert.equal(count(fc.server, TcpState.CloseWait), ss.server_close_wait, f);
    assert.equal(count(fc.client, TcpState.FinWait2), ss.client_fin_wait_2, f);
    assert.equal(r.zeek.connStateCounts().S2, 50, f);
    // Client data, server ACK, client FIN; the server's ACK of the FIN adds no letter ('a' is recorded once).
    const histories = new Set(Array.from({ length: r.streams }, (_, s) => r.zeek.history(s)));
    assert.deepEqual([...histories], ['ShADaF'], f);
  }
});

test('states: gen_time_wait_pile_client — 100 client TIME_WAITs, none on the server, all SF (ss-verified)', { skip }, () => {
  const ss = meta('gen_time_wait_pile_client').verified_with_ss!;
  for (const f of twins('gen_time_wait_pile_client')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.client, TcpState.TimeWait), ss.client_time_wait, f);
    assert.equal(count(fc.server, TcpState.TimeWait), ss.server_time_wait, f);
    assert.equal(count(fc.server, TcpState.Closed), 100, f);
    assert.equal(r.zeek.connStateCounts().SF, 100, f);
  }
});

test('states: gen_http_graceful — the side that sent the first FIN ends in TIME_WAIT; counts match ss; SF x8', { skip }, () => {
  const m = meta('gen_http_graceful');
  for (const f of twins('gen_http_graceful')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.client, TcpState.TimeWait), m.verified_with_ss!.client_time_wait, f);
    assert.equal(count(fc.server, TcpState.TimeWait), m.verified_with_ss!.server_time_wait, f);
    assert.equal(r.zeek.connStateCounts().SF, 8, f);
    for (const [stream, who] of Object.entries(m.first_fin_by_stream!)) {
      const s = Number(stream);
      const side = endpointName(r.flows, s, 0) === who ? 0 : endpointName(r.flows, s, 1) === who ? 1 : -1;
      assert.notEqual(side, -1, `${f} stream ${s}: ${who} is not an endpoint`);
      assert.equal(r.states.stateOf(s, side), TcpState.TimeWait, `${f} stream ${s}: first FIN by ${who}`);
      const t = r.handshake.timing(s)!;
      assert.ok(t.ackFrame! > t.synAckFrame! && t.synAckFrame! > t.synFrame, `${f} stream ${s} handshake frames`);
      assert.ok(t.synToSynAckMs! >= 0 && t.synAckToAckMs! >= 0);
    }
  }
});

test('states: gen_reused_ports — only the last TIME_WAIT survives port reuse (ss-verified), SF x5', { skip }, () => {
  const ss = meta('gen_reused_ports').verified_with_ss!;
  for (const f of twins('gen_reused_ports')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.server, TcpState.TimeWait), ss.server_time_wait, f);
    assert.equal(r.states.finalState(r.streams - 1, 'server'), TcpState.TimeWait, f);
    assert.equal(r.zeek.connStateCounts().SF, 5, f);
  }
});

test('states: gen_rst_closed_port — refused x5, REJ x5', { skip }, () => {
  for (const f of twins('gen_rst_closed_port')) {
    const r = run(f);
    assert.equal(r.zeek.connStateCounts().REJ, 5, f);
    for (let s = 0; s < r.streams; s++) {
      assert.ok(r.states.refused(s), `${f} stream ${s}`);
      assert.equal(r.zeek.history(s), 'Sr');
    }
    assert.equal(count(r.states.finalStateCounts().client, TcpState.Closed), 5);
  }
});

test('states: gen_rst_unread_data — server RST, RSTR x3, both ends CLOSED', { skip }, () => {
  for (const f of twins('gen_rst_unread_data')) {
    const r = run(f);
    assert.equal(r.zeek.connStateCounts().RSTR, 3, f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.client, TcpState.Closed) + count(fc.server, TcpState.Closed), 6, f);
  }
});

test('states: gen_nmap_syn_scan — closed ports REJ, open ports (SYN, SYN-ACK, scanner RST) RSTO', { skip }, () => {
  const m = meta('gen_nmap_syn_scan') as { nmap_open_ports_reported?: number };
  for (const f of twins('gen_nmap_syn_scan')) {
    const r = run(f);
    const z = r.zeek.connStateCounts();
    assert.equal(r.streams, 1024, f);
    assert.equal(z.RSTO, m.nmap_open_ports_reported, f);
    assert.equal(z.REJ, 1024 - m.nmap_open_ports_reported!, f);
    let refused = 0;
    for (let s = 0; s < r.streams; s++) if (r.states.refused(s)) refused++;
    assert.equal(refused, z.REJ, f);
  }
});

test('states: gen_syn_flood_nocookies — server SYN_RECEIVED count equals ss, SYN-ACKs retransmitted', { skip }, () => {
  const ss = meta('gen_syn_flood_nocookies').verified_with_ss!;
  for (const f of twins('gen_syn_flood_nocookies')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.server, TcpState.SynReceived), ss.server_syn_recv_8s_after_flood, f);
    assert.equal(r.zeek.connStateCounts().S1, ss.server_syn_recv_8s_after_flood, f);
    let retried = 0;
    for (let s = 0; s < r.streams; s++) if (r.handshake.synAckRetries(s) > 0) retried++;
    assert.equal(retried, ss.server_syn_recv_8s_after_flood, f);
  }
});

test('states: gen_syn_backlog_full — 28 clients stuck in SYN_SENT with SYN retries, 2 established then half-closed', { skip }, () => {
  for (const f of twins('gen_syn_backlog_full')) {
    const r = run(f);
    const fc = r.states.finalStateCounts();
    assert.equal(count(fc.client, TcpState.SynSent), 28, f); // ss 4 s in: "28 SYN-SENT"
    assert.equal(r.zeek.connStateCounts().S0, 28, f);
    for (let s = 0; s < r.streams; s++) {
      if (r.states.finalState(s, 'client') === TcpState.SynSent) assert.ok(r.handshake.synRetries(s) >= 1, `${f} stream ${s}`);
    }
  }
});

test('states: mid-stream captures start ESTABLISHED and are marked joinedMidStream', { skip }, () => {
  const f = 'pub_sanders__tcp_teardown.pcapng';
  if (!existsSync(join(dir!, f))) return;
  const r = run(f);
  assert.ok(r.states.joinedMidStream(0));
  const st = r.states.streamStates(0);
  assert.deepEqual(st.endpoints.map((e) => e.initial), ['ESTABLISHED', 'ESTABLISHED']);
});

/** conn.log values from Zeek's own regression baselines (testing/btest/Baseline) for traces that are in the corpus. */
const ZEEK_BASELINES: Array<{ file: string; history: string[]; state?: ZeekConnState; bytes?: [number, number] }> = [
  { file: 'pub_zeek__tcp_single-rst.pcap', history: ['R'], state: 'OTH' },
  { file: 'pub_zeek__tcp_syn-then-stuff-then-rst.pcap', history: ['SaFR'], state: 'OTH' },
  { file: 'pub_zeek__tcp_missing-syn.pcap', history: ['^hADdFaf'], state: 'SF', bytes: [98, 9417] },
  { file: 'pub_zeek__tcp_http-on-irc-port-missing-syn.pcapng', history: ['^hADadFf'], state: 'SF', bytes: [136, 5007] },
  { file: 'pub_zeek__tcp_miss_end_data.pcap', history: ['ShADafgF'], state: 'SF', bytes: [538, 2902] },
  { file: 'pub_zeek__tcp_retransmit-fast009.pcap', history: ['ShADaGdgtR'], state: 'RSTO', bytes: [474, 23783] },
  { file: 'pub_zeek__tcp_one-sided-2745.pcap', history: ['^haf', '^haf'] },
  { file: 'pub_zeek__tcp_ctu-64702-888.pcap', history: ['^hAfdtFr'] },
  // Baselines printing endpoint records: orig SYN_SENT + resp RESET (REJ), orig CLOSED + resp RESET (RSTR).
  { file: 'pub_zeek__tcp_rst-inject-rae.pcap', history: [], state: 'REJ', bytes: [175, 0] },
  { file: 'pub_zeek__tcp_fin_retransmission.pcap', history: [], state: 'RSTR', bytes: [0, 0] },
];

test('zeek: conn_state, history and byte counts agree with Zeek baselines on the corpus traces', { skip }, () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const b of ZEEK_BASELINES) {
    if (!existsSync(join(dir!, b.file))) continue;
    checked++;
    const r = run(b.file);
    const got = Array.from({ length: r.streams }, (_, s) => r.zeek.history(s));
    if (b.history.length && JSON.stringify(got) !== JSON.stringify(b.history)) wrong.push(`${b.file}: history ${got} != ${b.history}`);
    if (b.state && r.zeek.connState(0) !== b.state) wrong.push(`${b.file}: conn_state ${r.zeek.connState(0)} != ${b.state}`);
    if (b.bytes && (r.zeek.origBytes(0) !== b.bytes[0] || r.zeek.respBytes(0) !== b.bytes[1])) {
      wrong.push(`${b.file}: bytes ${r.zeek.origBytes(0)}/${r.zeek.respBytes(0)} != ${b.bytes.join('/')}`);
    }
  }
  console.log(`zeek baselines: ${checked} traces checked, ${wrong.length} differ`);
  assert.deepEqual(wrong, []);
});
