import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memorySource } from '../../src/core/capture/source';
import { FlowReporter, type FlowReport } from '../../src/core/export/flowReport';
import { analyzeFull, type FullAnalysis } from '../../src/core/fullAnalysis';
import { CaptureModel } from '../../src/extension/captureModel';
import { FlowIndex, parseEndpoint } from '../../src/extension/flowIndex';
import type { FlowSortColumn, FlowsWhere } from '../../src/protocol/messages';
import { ACK, SYN, addressWords, byTime, pcap, tcpConversation, type Rec } from '../support/builder';

/**
 * The flows table's typed-array engine (src/extension/flowIndex.ts) against a plain reference: every order is
 * checked against a comparator sort of the CLI's flow reports, every filter against building each flow's text.
 */

const T0 = 1_700_000_000;

/** A mix of fates over IPv4 and IPv6, a few shared servers, deterministic. */
function mixedCapture(): Uint8Array {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const lists: Rec[][] = [];
  for (let i = 0; i < 160; i++) {
    const v6 = i % 7 === 3;
    const c = tcpConversation({
      client: { ip: v6 ? `2001:db8::${(i % 5) + 1}` : `10.0.${i % 3}.${(i % 11) + 1}`, port: 40000 + i },
      server: { ip: v6 ? '2001:db8::80' : `192.168.1.${(i % 4) + 1}`, port: [80, 443, 8080][i % 3]! },
      start: T0 + i * 0.05 + rnd(100) / 1000,
      rtt: 0.001 + rnd(50) / 1000,
      clientIsn: 1000 + i * 7919,
      serverIsn: 5000 + i * 104729,
    });
    const fate = rnd(7);
    if (fate === 0) c.refused();
    else if (fate === 1) c.segment('client', { flags: ACK, len: 100 }).ack('server');
    else if (fate === 5) c.segment('client', { flags: SYN });
    else {
      c.handshake().send('client', 200 + rnd(3000), { lostSegments: rnd(3) === 0 ? [0] : [] });
      if (rnd(3) === 0) c.wait(0.2).retransmit('client', c.nextSeq('client') - 100, 100);
      c.wait(0.01).ack('server').send('server', rnd(5000)).wait(0.01).ack('client');
      if (fate === 2) c.fin('client').wait(0.01).ack('server');
      else if (fate === 3) c.rst('server');
      else if (fate !== 4) c.close(rnd(2) ? 'client' : 'server');
    }
    lists.push(c.records);
  }
  return pcap(byTime(...lists));
}

const bytes = mixedCapture();
const full: FullAnalysis = analyzeFull(memorySource(bytes));
const reporter = new FlowReporter(full);
const reports: FlowReport[] = Array.from({ length: full.capture.flows.count }, (_, s) => reporter.report(s));
const index = new FlowIndex(full);

function endpointKey(text: string): number[] {
  const m = /^\[(.*)\]:(\d+)$/.exec(text) ?? /^(.*):(\d+)$/.exec(text)!;
  const v6 = text.startsWith('[');
  return [v6 ? 6 : 4, ...addressWords(m[1]!).map((w) => w >>> 0), Number(m[2])];
}

function compareArrays(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const findingCodes = (s: number) => full.findings.filter((f) => f.streams.includes(s)).map((f) => f.code).filter((c, i, all) => all.indexOf(c) === i);

function referenceCompare(column: FlowSortColumn): (a: FlowReport, b: FlowReport) => number {
  const num = (f: (r: FlowReport) => number | null) => (a: FlowReport, b: FlowReport) => (f(a) ?? Infinity) - (f(b) ?? Infinity) || 0;
  const str = (f: (r: FlowReport) => string) => (a: FlowReport, b: FlowReport) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0);
  const STATES = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'];
  const CONN = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'];
  switch (column) {
    case 'stream':
      return num((r) => r.stream);
    case 'client':
      return (a, b) => compareArrays(endpointKey(a.client), endpointKey(b.client));
    case 'server':
      return (a, b) => compareArrays(endpointKey(a.server), endpointKey(b.server));
    case 'packets':
      return num((r) => r.packets);
    case 'bytes':
      return num((r) => r.bytes);
    case 'startSeconds':
      return num((r) => r.startTime);
    case 'durationSeconds':
      return num((r) => r.duration);
    case 'clientState':
      return num((r) => STATES.indexOf(r.clientState));
    case 'serverState':
      return num((r) => STATES.indexOf(r.serverState));
    case 'connState':
      return num((r) => CONN.indexOf(r.connState));
    case 'history':
      return str((r) => r.history);
    case 'retransmissions':
      return num((r) => r.counters.retransmissions);
    case 'rttMs':
      return num((r) => r.rtt?.medianMs ?? null);
    case 'irttMs':
      return num((r) => r.irttMs);
    case 'findings':
      return str((r) => findingCodes(r.stream).join(' '));
    case 'joinedMidStream':
      return num((r) => (r.joinedMidStream ? 1 : 0));
  }
}

const COLUMNS: FlowSortColumn[] = [
  'stream',
  'client',
  'server',
  'packets',
  'bytes',
  'startSeconds',
  'durationSeconds',
  'clientState',
  'serverState',
  'connState',
  'history',
  'retransmissions',
  'rttMs',
  'irttMs',
  'findings',
  'joinedMidStream',
];

test('the capture has the variety the checks need', () => {
  const distinct = (f: (r: FlowReport) => unknown) => new Set(reports.map(f)).size;
  assert.equal(reports.length, 160);
  assert.ok(distinct((r) => r.clientState) >= 4, 'client end states');
  assert.ok(distinct((r) => r.serverState) >= 4, 'server end states');
  assert.ok(distinct((r) => r.connState) >= 4, 'conn_states');
  assert.ok(reports.some((r) => r.joinedMidStream));
  assert.ok(reports.some((r) => r.counters.retransmissions > 0));
  assert.ok(reports.some((r) => r.rtt === null) && reports.some((r) => r.rtt !== null));
  assert.ok(full.findings.some((f) => f.streams.length > 0), 'some finding names streams');
});

test('every column sorts like a comparator sort, ties by stream in both directions', () => {
  for (const column of COLUMNS) {
    const cmp = referenceCompare(column);
    for (const descending of [false, true]) {
      const expected = reports
        .slice()
        .sort((a, b) => (descending ? -cmp(a, b) : cmp(a, b)) || a.stream - b.stream)
        .map((r) => r.stream);
      assert.deepEqual(Array.from(index.order(column, descending)), expected, `${column} ${descending ? 'desc' : 'asc'}`);
    }
  }
});

test('the text filter matches the flow text without building it', () => {
  const text = (r: FlowReport) => `${r.stream} ${r.client} ${r.server}`.toLowerCase();
  const needles = ['10.0.1', ':80', '0.1:4', '1:40', '2001:db8', ']:443', '::80]', '.2:8080', '1:', '7', '15', 'db8::3]:40', 'x', '3 10.0', '168.1.2', ':4001', '[2001'];
  for (const needle of needles) {
    const expected = reports.filter((r) => text(r).includes(needle)).map((r) => r.stream);
    const got = index.view({ column: 'stream', descending: false }, needle.toUpperCase(), undefined);
    assert.deepEqual(got ? Array.from(got) : reports.map((r) => r.stream), expected, needle);
  }
});

test('conditions (endpoint, states, conn_state, finding) combine with the text and the sort', () => {
  const cases: { where: FlowsWhere; keep: (r: FlowReport) => boolean }[] = [
    { where: { endpoint: '192.168.1.2' }, keep: (r) => r.server.startsWith('192.168.1.2:') },
    { where: { endpoint: '192.168.1.2:443' }, keep: (r) => r.server === '192.168.1.2:443' },
    { where: { endpoint: '10.0.1.5' }, keep: (r) => r.client.startsWith('10.0.1.5:') },
    { where: { endpoint: '2001:db8::80' }, keep: (r) => r.server.startsWith('[2001:db8::80]:') },
    { where: { endpoint: '[2001:db8::3]:40017' }, keep: (r) => r.client === '[2001:db8::3]:40017' },
    { where: { endpoint: 'nonsense' }, keep: () => false },
    { where: { clientState: 'FIN_WAIT_2' }, keep: (r) => r.clientState === 'FIN_WAIT_2' },
    { where: { serverState: 'CLOSE_WAIT' }, keep: (r) => r.serverState === 'CLOSE_WAIT' },
    { where: { connState: 'REJ' }, keep: (r) => r.connState === 'REJ' },
    { where: { connState: 'SF', clientState: 'TIME_WAIT' }, keep: (r) => r.connState === 'SF' && r.clientState === 'TIME_WAIT' },
  ];
  const code = full.findings.find((f) => f.streams.length > 0)!.code;
  cases.push({ where: { finding: code }, keep: (r) => findingCodes(r.stream).includes(code) });
  for (const { where, keep } of cases) {
    const expected = reports.filter(keep).map((r) => r.stream);
    assert.ok(where.endpoint === 'nonsense' || expected.length > 0, `${JSON.stringify(where)} selects something`);
    const got = index.view({ column: 'stream', descending: false }, '', where);
    assert.deepEqual(Array.from(got!), expected, JSON.stringify(where));
    // With a sort and a text filter on top.
    const cmp = referenceCompare('packets');
    const sorted = reports
      .filter((r) => keep(r) && `${r.stream} ${r.client} ${r.server}`.includes('.'))
      .sort((a, b) => -cmp(a, b) || a.stream - b.stream)
      .map((r) => r.stream);
    assert.deepEqual(Array.from(index.view({ column: 'packets', descending: true }, '.', where)!), sorted, `${JSON.stringify(where)} sorted`);
    for (const s of sorted.slice(0, 3)) assert.equal(index.locate(s, { column: 'packets', descending: true }, '.', where), sorted.indexOf(s));
  }
  assert.equal(index.locate(reports.find((r) => r.connState !== 'REJ')!.stream, { column: 'stream', descending: false }, '', { connState: 'REJ' }), -1);
});

test('facets count the actual values', () => {
  const f = index.facets();
  const count = (key: (r: FlowReport) => string) => {
    const m = new Map<string, number>();
    for (const r of reports) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
    return [...m].map(([value, n]) => ({ value, count: n })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  };
  const sortByValue = (v: { value: string; count: number }[]) => v.slice().sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  assert.equal(f.flows, reports.length);
  assert.deepEqual(sortByValue(f.clientState), count((r) => r.clientState));
  assert.deepEqual(sortByValue(f.serverState), count((r) => r.serverState));
  assert.deepEqual(sortByValue(f.connState), count((r) => r.connState));
  for (const { value, count: n } of f.finding) assert.equal(n, reports.filter((r) => findingCodes(r.stream).includes(value)).length, value);
  const server = f.endpoint.find((e) => e.value === '192.168.1.1:80');
  assert.equal(server?.count, reports.filter((r) => r.server === '192.168.1.1:80').length);
  const host = f.endpoint.find((e) => e.value === '2001:db8::80');
  assert.equal(host?.count, reports.filter((r) => r.server.startsWith('[2001:db8::80]')).length);
});

test('parses endpoints the way the table prints them', () => {
  assert.deepEqual(parseEndpoint('10.0.0.1'), { ip: '10.0.0.1', port: -1 });
  assert.deepEqual(parseEndpoint(' 10.0.0.1:80 '), { ip: '10.0.0.1', port: 80 });
  assert.deepEqual(parseEndpoint('[2001:DB8::1]:443'), { ip: '2001:db8::1', port: 443 });
  assert.deepEqual(parseEndpoint('2001:db8::1'), { ip: '2001:db8::1', port: -1 });
  assert.equal(parseEndpoint('10.0.0.1:99999')?.port, -2);
  assert.equal(parseEndpoint('<script>'), null);
});

test('the capture model pages rows with the new columns, as the CLI reports them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpscope-model-'));
  try {
    const file = join(dir, 'mixed.pcap');
    writeFileSync(file, bytes);
    const model = new CaptureModel(file, 100000);
    const page = model.flows(0, 500, { column: 'retransmissions', descending: true }, '', { clientState: reports.find((r) => r.counters.retransmissions > 0)!.clientState });
    assert.ok(page.rows.length > 0 && page.rows[0]!.retransmissions > 0);
    for (const row of model.flows(0, 500, { column: 'stream', descending: false }, '').rows) {
      const r = reports[row.stream]!;
      assert.deepEqual(
        [row.clientState, row.serverState, row.connState, row.history, row.retransmissions, row.rttMs, row.irttMs, row.joinedMidStream, row.findings],
        [r.clientState, r.serverState, r.connState, r.history, r.counters.retransmissions, r.rtt?.medianMs ?? null, r.irttMs, r.joinedMidStream, findingCodes(r.stream)],
        `stream ${row.stream}`,
      );
    }
    const findings = model.findings();
    assert.equal(findings.total, full.findings.length);
    const rank = { error: 3, warning: 2, info: 1 };
    for (let i = 1; i < findings.findings.length; i++) assert.ok(rank[findings.findings[i - 1]!.severity] >= rank[findings.findings[i]!.severity]);
    // Thresholds reach the rules: with a huge minimum the failed-handshake rule goes quiet.
    const quiet = new CaptureModel(file, 100000, undefined, { failedHandshakeMinConnections: 1e9 });
    assert.ok(full.findings.some((f) => f.code === 'tcp.handshake.failed'), 'the default speaks');
    assert.ok(!quiet.findings().findings.some((f) => f.code === 'tcp.handshake.failed'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
