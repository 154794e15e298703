import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySource } from '../../src/core/capture/source';
import { analyzeFull } from '../../src/core/fullAnalysis';
import type { Finding } from '../../src/core/diagnostics/types';
import { ACK, RST, SYN, byTime, pcap, tcpConversation, type Rec, type TcpConversation } from '../support/builder';

/**
 * Each rule on small captures built from scratch: a positive case that must produce exactly the finding, and a
 * near miss that must not. Real-capture cases are in test/conformance/diagnostics.test.ts.
 */

const T0 = 1_700_000_000;
const SERVER = { ip: '10.0.0.2', port: 8080 };

function conv(n: number, start: number, opts: { client?: string; serverPort?: number; rtt?: number } = {}): TcpConversation {
  return tcpConversation({
    client: { ip: opts.client ?? '10.0.0.1', port: 40000 + n },
    server: { ip: SERVER.ip, port: opts.serverPort ?? SERVER.port },
    start: T0 + start,
    rtt: opts.rtt ?? 0.01,
    clientIsn: 1000 + n * 7919,
    serverIsn: 5000 + n * 104729,
  });
}

function diagnoseRecords(records: Rec[]): Finding[] {
  return analyzeFull(memorySource(pcap(records))).findings;
}

function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code).sort();
}

function only(findings: Finding[], code: string): Finding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `expected one ${code}, got ${JSON.stringify(codes(findings))}`);
  return hits[0]!;
}

function graceful(n: number, start: number): Rec[] {
  return conv(n, start).handshake().wait(0.001).send('client', 200).wait(0.005).send('server', 3000).wait(0.005).ack('client').wait(0.01).close('client').records;
}

test('a healthy capture has no warning or error', () => {
  const findings = diagnoseRecords(byTime(...Array.from({ length: 5 }, (_, i) => graceful(i, i * 0.2))));
  assert.deepEqual(
    findings.filter((f) => f.severity !== 'info').map((f) => f.code),
    [],
  );
});

test('tcp.close_wait.excess groups connections left half-closed by one endpoint', () => {
  const leaked = Array.from({ length: 4 }, (_, i) =>
    conv(i, i * 0.1).handshake().wait(0.001).send('client', 100).wait(0.005).ack('server').fin('client').wait(0.005).ack('server').wait(2).records,
  );
  const f = only(diagnoseRecords(byTime(...leaked)), 'tcp.close_wait.excess');
  assert.equal(f.endpoint, '10.0.0.2:8080');
  assert.deepEqual(f.streams, [0, 1, 2, 3]);
  assert.equal(f.metrics.connections, 4);
  assert.equal(f.metrics.peersInFinWait2, 4);
  assert.equal(f.severity, 'warning');
  // Closed on both sides: nothing.
  assert.ok(!codes(diagnoseRecords(byTime(...[0, 1, 2, 3].map((i) => graceful(i, i * 0.1))))).includes('tcp.close_wait.excess'));
});

test('tcp.syn.flood: many spoofed sources, half-open handshakes; one source is not a flood', () => {
  const half = (i: number, src: string) => {
    const c = conv(i, i * 0.005, { client: src });
    c.segment('client', { flags: SYN }).wait(0.01).segment('server', { flags: SYN | ACK }).wait(1);
    return c.segment('server', { flags: SYN | ACK, seq: c.nextSeq('server') - 1, advance: false }).records;
  };
  const flood = byTime(...Array.from({ length: 120 }, (_, i) => half(i, `192.0.2.${1 + (i % 100)}`)));
  const f = only(diagnoseRecords(flood), 'tcp.syn.flood');
  assert.equal(f.endpoint, '10.0.0.2:8080');
  assert.equal(f.metrics.halfOpen, 120);
  assert.equal(f.metrics.sources, 100);
  assert.equal(f.severity, 'error');
  const single = byTime(...Array.from({ length: 120 }, (_, i) => half(i, '192.0.2.1')));
  assert.ok(!codes(diagnoseRecords(single)).includes('tcp.syn.flood'));
});

test('tcp.port_scan: one source, many ports, RST answers; not a flood', () => {
  const probes = Array.from({ length: 60 }, (_, i) => conv(i, i * 0.002, { serverPort: 1 + i }).refused().records);
  const findings = diagnoseRecords(byTime(...probes));
  const f = only(findings, 'tcp.port_scan');
  assert.equal(f.endpoint, '10.0.0.1');
  assert.equal(f.metrics.ports, 60);
  assert.equal(f.metrics.refused, 60);
  assert.ok(!codes(findings).includes('tcp.syn.flood'));
  // The scan explains the refusals: no separate refused summary for them.
  assert.ok(!codes(findings).includes('tcp.connection.refused'));
});

test('tcp.connection.refused summarises refused connections per server', () => {
  const f = only(diagnoseRecords(byTime(conv(0, 0).refused().records, conv(1, 0.5).refused().records)), 'tcp.connection.refused');
  assert.equal(f.metrics.connections, 2);
  assert.equal(f.severity, 'info');
  assert.equal(f.endpoint, '10.0.0.2:8080');
});

test('tcp.zero_window.stall: long stall that recovers; a short one is ignored', () => {
  const stall = (seconds: number) => {
    const c = conv(0, 0).handshake().wait(0.001).send('server', 5000).wait(0.005);
    c.ack('client', { win: 0 }).wait(seconds / 2);
    c.segment('server', { flags: ACK, len: 0, seq: c.nextSeq('server') - 1, advance: false }).wait(0.005);
    c.ack('client', { win: 0 }).wait(seconds / 2);
    return c.ack('client', { win: 65535 }).wait(0.005).send('server', 1000).wait(0.005).ack('client').close('server').records;
  };
  const f = only(diagnoseRecords(stall(2)), 'tcp.zero_window.stall');
  assert.equal(f.endpoint, '10.0.0.1:40000');
  assert.match(f.message, /the window reopened/);
  assert.equal(f.severity, 'warning');
  assert.ok(Number(f.metrics.totalSeconds) >= 2);
  assert.ok(!codes(diagnoseRecords(stall(0.2))).includes('tcp.zero_window.stall'));
});

test('tcp.time_wait.churn: one client closing many short connections first', () => {
  const many = Array.from({ length: 60 }, (_, i) => graceful(i, i * 0.05));
  const f = only(diagnoseRecords(byTime(...many)), 'tcp.time_wait.churn');
  assert.equal(f.endpoint, '10.0.0.1');
  assert.equal(f.metrics.connections, 60);
  assert.equal(f.metrics.peakTimeWait, 60);
  assert.equal(f.metrics.assumedTimeWaitSeconds, 60);
  assert.ok(!codes(diagnoseRecords(byTime(...many.slice(0, 10)))).includes('tcp.time_wait.churn'));
});

test('tcp.retransmission.storm: heavy loss in one second; a clean transfer has none', () => {
  const c = conv(0, 0).handshake().wait(0.001);
  const lost = Array.from({ length: 25 }, (_, k) => k * 4 + 1);
  const first = c.nextSeq('server');
  c.send('server', 100 * 1460, { lostSegments: lost, gap: 0.001 }).wait(0.02);
  for (const k of lost) c.retransmit('server', first + k * 1460, 1460).wait(0.002);
  c.ack('client').wait(0.01).close('client');
  const f = only(diagnoseRecords(c.records), 'tcp.retransmission.storm');
  assert.equal(f.metrics.retransmissions, 25);
  assert.deepEqual(f.streams, [0]);
  const clean = conv(1, 0).handshake().send('server', 100 * 1460, { gap: 0.001 }).ack('client').close('client').records;
  assert.ok(!codes(diagnoseRecords(clean)).includes('tcp.retransmission.storm'));
});

test('tcp.rst.storm: one host resetting many connections at once', () => {
  const reset = (i: number) => conv(i, i * 0.004).handshake().wait(0.001).send('client', 100).wait(0.002).rst('server').records;
  const f = only(diagnoseRecords(byTime(...Array.from({ length: 150 }, (_, i) => reset(i)))), 'tcp.rst.storm');
  assert.equal(f.endpoint, '10.0.0.2');
  assert.equal(f.metrics.resets, 150);
  assert.ok(!codes(diagnoseRecords(byTime(...Array.from({ length: 20 }, (_, i) => reset(i))))).includes('tcp.rst.storm'));
});

test('tcp.rst.storm: hot buckets of one host make one storm; a quiet bucket between them adds nothing', () => {
  // 120 resets in [0, 1) s, 30 in [1, 2) s, 120 in [2, 3) s, all from the server.
  const at = (i: number) => (i < 120 ? i * 0.008 : i < 150 ? 1 + (i - 120) * 0.03 : 2 + (i - 150) * 0.008);
  const reset = (i: number) => conv(i, at(i)).handshake().rst('server').records;
  const f = only(diagnoseRecords(byTime(...Array.from({ length: 270 }, (_, i) => reset(i)))), 'tcp.rst.storm');
  assert.equal(f.endpoint, '10.0.0.2');
  assert.equal(f.metrics.resets, 240);
  assert.equal(f.metrics.connections, 240);
  assert.deepEqual(f.window, { start: 0, end: 3 });
  // Streams are listed in the order of their resets, the first bucket's before the last one's.
  assert.ok(f.streams.every((s, k) => k === 0 || s > f.streams[k - 1]!));
  assert.ok(f.streams.every((s) => s < 120 || s >= 150));
});

test('tcp.rst.storm groups resets by their exact sender, IPv6 senders included', () => {
  // The capture side keeps each reset's sender address key from the packet; it must name the sender as the flow
  // table does. Two IPv6 servers sending 75 resets each are two quiet hosts, not one storm.
  const reset = (i: number, server: string) =>
    tcpConversation({ client: { ip: `2001:db8::c${i % 7}`, port: 40000 + i }, server: { ip: server, port: 443 }, start: T0 + i * 0.004, rtt: 0.01, clientIsn: 1000 + i * 7919, serverIsn: 5000 + i * 104729 })
      .handshake()
      .rst('server').records;
  const one = analyzeFull(memorySource(pcap(byTime(...Array.from({ length: 150 }, (_, i) => reset(i, '2001:db8::2'))))));
  const f = only(one.findings, 'tcp.rst.storm');
  assert.equal(f.endpoint, '2001:db8::2');
  assert.equal(f.metrics.resets, 150);
  const two = byTime(...Array.from({ length: 150 }, (_, i) => reset(i, i % 2 ? '2001:db8::2' : '2001:db8::3')));
  assert.ok(!codes(diagnoseRecords(two)).includes('tcp.rst.storm'));
  // And the keys kept are the flow table's, for both address families.
  const v4 = byTime(...Array.from({ length: 5 }, (_, i) => conv(i, i * 0.01).handshake().rst('client').records));
  for (const run of [one, analyzeFull(memorySource(pcap(v4)))]) {
    const c = run.captureSide;
    assert.ok(c.rstCount > 0);
    for (let k = 0; k < c.rstCount; k++) assert.equal(c.rstKey[k], run.capture.flows.addressKey(c.rstStream[k]!, c.rstSide[k]!));
  }
});

test('tcp.half_open: retransmissions into silence after the connection was established', () => {
  const c = conv(0, 0).handshake().wait(0.001).send('client', 100).wait(0.005).ack('server').wait(1);
  const seq = c.nextSeq('client');
  c.send('client', 500);
  for (const backoff of [0.2, 0.4, 0.8, 1.6]) c.wait(backoff).retransmit('client', seq, 500);
  const f = only(diagnoseRecords(c.records), 'tcp.half_open');
  assert.equal(f.endpoint, '10.0.0.2:8080');
  assert.equal(f.metrics.unansweredRetransmissions, 4);
  // Answered retransmissions are ordinary loss, not silence.
  const d = conv(1, 0).handshake().wait(0.001);
  const s2 = d.nextSeq('client');
  d.send('client', 500, { lostSegments: [0] }).wait(0.2).retransmit('client', s2, 500).wait(0.01).ack('server');
  assert.ok(!codes(diagnoseRecords(d.records)).includes('tcp.half_open'));
});

test('tcp.half_open: a peer that comes back without state and resets the next retransmission went silent all the same', () => {
  // As in gen_half_open_peer_crash (../shared/captures/tools/g_misc.sh): the server pushes data, the client host
  // goes silent, the server backs off, and the rebooted client's kernel answers a retransmission with a RST.
  const c = conv(0, 0).handshake().wait(0.001).send('server', 7).wait(0.001).ack('client').wait(0.25);
  const seq = c.nextSeq('server');
  c.send('server', 7);
  for (const backoff of [0.2, 0.4, 0.8, 1.6, 3.2]) c.wait(backoff).retransmit('server', seq, 7);
  c.wait(0.0001).rst('client');
  const f = only(diagnoseRecords(c.records), 'tcp.half_open');
  assert.equal(f.endpoint, '10.0.0.1:40000');
  assert.equal(f.metrics.unansweredRetransmissions, 5);
  assert.equal(f.metrics.endedByReset, 1);
  // A reset after fewer retransmissions than the rule asks for is not silence.
  const d = conv(1, 0).handshake().wait(0.001);
  const s2 = d.nextSeq('server');
  d.send('server', 7).wait(0.2).retransmit('server', s2, 7).wait(0.4).retransmit('server', s2, 7).wait(0.0001).rst('client');
  assert.ok(!codes(diagnoseRecords(d.records)).includes('tcp.half_open'));
});

test('tcp.accept_queue.overflow: a live listener whose clients must resend SYNs', () => {
  const ok = conv(0, 0).handshake().records;
  const retried = [1, 2, 3].map((i) => {
    const c = conv(i, 0.01 * i);
    c.segment('client', { flags: SYN }).wait(1);
    c.segment('client', { flags: SYN, seq: c.nextSeq('client') - 1, advance: false }).wait(2);
    c.segment('client', { flags: SYN, seq: c.nextSeq('client') - 1, advance: false });
    return c.records;
  });
  const findings = diagnoseRecords(byTime(ok, ...retried));
  const f = only(findings, 'tcp.accept_queue.overflow');
  assert.equal(f.endpoint, '10.0.0.2:8080');
  assert.equal(f.metrics.connections, 3);
  assert.equal(f.metrics.synRetransmissions, 6);
  assert.ok(!codes(findings).includes('tcp.syn.flood'));
  // Nobody ever answered: not an overloaded listener but a failed handshake.
  const dead = diagnoseRecords(byTime(...retried));
  assert.ok(!codes(dead).includes('tcp.accept_queue.overflow'));
  assert.ok(codes(dead).includes('tcp.handshake.failed'));
});

test('tcp.handshake.slow and tcp.handshake.failed', () => {
  const slow = conv(0, 0);
  slow.segment('client', { flags: SYN }).wait(1.0);
  slow.segment('client', { flags: SYN, seq: slow.nextSeq('client') - 1, advance: false }).wait(0.01);
  slow.segment('server', { flags: SYN | ACK }).wait(0.001).segment('client', { flags: ACK });
  const f = only(diagnoseRecords(slow.records), 'tcp.handshake.slow');
  assert.ok(Number(f.metrics.slowestSeconds) >= 1);
  const unanswered = conv(1, 0);
  unanswered.segment('client', { flags: SYN });
  only(diagnoseRecords(unanswered.records), 'tcp.handshake.failed');
  const fast = conv(2, 0).handshake().records;
  assert.deepEqual(codes(diagnoseRecords(fast)).filter((c) => c.startsWith('tcp.handshake')), []);
});

test('capture.* findings are kept apart from network ones', () => {
  const good = byTime(graceful(0, 0), graceful(1, 0.1));
  const file = pcap(good);
  const cut = file.subarray(0, file.length - 10);
  const findings = analyzeFull(memorySource(cut)).findings;
  const f = only(findings, 'capture.truncated');
  assert.equal(f.category, 'capture');
  assert.equal(typeof f.metrics.offset, 'number');
  // Every finding carries the fields the contract promises.
  for (const x of findings) {
    for (const k of ['code', 'severity', 'category', 'message', 'explanation', 'streams', 'frames', 'metrics'] as const) assert.ok(k in x, `${x.code} lacks ${k}`);
  }
  // RST without ACK from a host that never talked: flows joined mid-stream are a capture fact, not a network problem.
  const lone = conv(3, 0);
  lone.segment('server', { flags: RST, seq: 77, advance: false });
  const j = analyzeFull(memorySource(pcap(lone.records))).findings;
  assert.equal(only(j, 'capture.joined_mid_stream').category, 'capture');
  void ACK;
});

test('capture.duplicate_packets: the same IPv4 packet twice within 50 ms; the same bytes 100 ms later are no copy', () => {
  const c = conv(0, 0).handshake().wait(0.001).send('client', 1000).wait(0.005).ack('server').wait(0.01).close('client');
  const recs = c.records;
  // The client's data segment (the 4th record) captured a second time 1 ms later, as a second capture point would.
  const data = recs[3]!;
  const copy = { ...data, nsec: (data.nsec ?? 0) + 1_000_000 };
  const f = only(diagnoseRecords([...recs.slice(0, 4), copy, ...recs.slice(4)]), 'capture.duplicate_packets');
  assert.equal(f.category, 'capture');
  assert.equal(f.metrics.packets, 1);
  assert.deepEqual(f.frames, [5]);
  assert.deepEqual(f.streams, [0]);
  // The same bytes 100 ms later are a retransmission as far as the capture can tell, not a copy.
  const late = { ...data, nsec: (data.nsec ?? 0) + 100_000_000 };
  const laterRecs = byTime(recs, [late]);
  assert.ok(!codes(diagnoseRecords(laterRecs)).includes('capture.duplicate_packets'));
});

test('capture.duplicate_packets: copies that come after other packets of the same direction are copies too', () => {
  // Two capture points whose copies lag by a few packets: A B A' B', as in a capture of a bridge on two interfaces.
  const c = conv(0, 0).handshake().wait(0.001).send('client', 1000).send('client', 1000).wait(0.02).ack('server').wait(0.01).close('client');
  const recs = c.records;
  const [a, b] = [recs[3]!, recs[4]!];
  const lag = (r: Rec) => ({ ...r, nsec: (r.nsec ?? 0) + 2_000_000 });
  const f = only(diagnoseRecords(byTime(recs, [lag(a), lag(b)])), 'capture.duplicate_packets');
  assert.equal(f.metrics.packets, 2);
  assert.deepEqual(f.frames, [6, 7]);
  // The same bytes with another IP id are a retransmission, whatever the timing.
  const data = a.data.slice();
  data[14 + 4] ^= 0x5a; // Ethernet, then the IPv4 id
  const other = { ...a, data, nsec: (a.nsec ?? 0) + 2_000_000 };
  assert.ok(!codes(diagnoseRecords(byTime(recs, [other]))).includes('capture.duplicate_packets'));
});

/** A connection from an IPv6 client that the server closes first (so the server ends in TIME_WAIT). */
function serverClosed(client: string, port: number, start: number, isn: number, serverPort = 80): Rec[] {
  return tcpConversation({
    client: { ip: client, port },
    server: { ip: '2001:db8::2', port: serverPort },
    start: T0 + start,
    rtt: 0.01,
    clientIsn: isn,
    serverIsn: isn + 77_777,
  })
    .handshake()
    .wait(0.001)
    .send('client', 100)
    .wait(0.005)
    .send('server', 500)
    .wait(0.005)
    .close('server').records;
}

test('tcp.time_wait.churn counts the busiest destination exactly, IPv6 addresses included', () => {
  // 60 connections the server closes: 3 client addresses x 20 ports, so every port is shared by three addresses
  // and every destination (ip:port) is used once.
  const distinct = Array.from({ length: 60 }, (_, i) => serverClosed(`2001:db8::a${i % 3}`, 40000 + (i % 20), i * 0.01, 1000 + i * 7919));
  const f = only(diagnoseRecords(byTime(...distinct)), 'tcp.time_wait.churn');
  assert.equal(f.endpoint, '2001:db8::2');
  assert.equal(f.metrics.connections, 60);
  assert.equal(f.metrics.busiestDestinationConnections, 1);
  // 30 destinations, each connected to two ports of the server: 2 connections per destination.
  const reused = Array.from({ length: 60 }, (_, i) => serverClosed(`2001:db8::b${i % 2}`, 41000 + ((i >> 1) % 15), i * 0.01, 5000 + i * 104729, i < 30 ? 80 : 81));
  const g = only(diagnoseRecords(byTime(...reused)), 'tcp.time_wait.churn');
  assert.equal(g.metrics.connections, 60);
  assert.equal(g.metrics.busiestDestinationConnections, 2);
});

test('tcp.time_wait.churn counts the busiest destination exactly when one port is shared by many addresses', () => {
  // Client port 40000 from 20 addresses once each and from a 21st three times (to three server ports): that port's
  // bucket holds 21 distinct addresses, more than a short list keeps. 40 more clients on other ports.
  const once = Array.from({ length: 20 }, (_, i) => serverClosed(`2001:db8::c${(i + 1).toString(16)}`, 40000, i * 0.01, 9000 + i * 7919));
  const thrice = [80, 81, 82].map((p, i) => serverClosed('2001:db8::dd', 40000, 0.3 + i * 0.01, 20000 + i * 104729, p));
  const others = Array.from({ length: 40 }, (_, i) => serverClosed(`2001:db8::e${(i + 1).toString(16)}`, 42000 + i, 0.5 + i * 0.01, 30000 + i * 7919));
  const f = only(diagnoseRecords(byTime(...once, ...thrice, ...others)), 'tcp.time_wait.churn');
  assert.equal(f.metrics.connections, 63);
  assert.equal(f.metrics.busiestDestinationConnections, 3);
});

test('tcp.time_wait.churn from one client to one server: one destination takes every connection', () => {
  const many = Array.from({ length: 60 }, (_, i) => graceful(i, i * 0.05));
  const f = only(diagnoseRecords(byTime(...many)), 'tcp.time_wait.churn');
  assert.equal(f.metrics.busiestDestinationConnections, 60);
  assert.equal(f.metrics.asClient, 60);
});
