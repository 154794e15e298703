import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFull } from '../../src/core/fullAnalysis';
import type { Finding } from '../../src/core/diagnostics/types';
import { openFileSource } from '../../src/node/fileSource';
import { listCaptures, sharedCapturesDir } from '../support/shared';

/**
 * The diagnostics on the real scenario captures of ../shared/captures, whose tools/meta/*.json say what really
 * happened (socket states read with ss). Prints what every capture produces.
 */
const dir = sharedCapturesDir();
const skip = dir ? false : 'no ../shared/captures here (set TCPSCOPE_CAPTURES to run)';

function findingsOf(capture: string): Finding[] {
  const src = openFileSource(join(dir!, capture));
  try {
    return analyzeFull(src).findings;
  } finally {
    src.close();
  }
}

function has(findings: Finding[], code: string): Finding[] {
  return findings.filter((f) => f.code === code);
}

function each(name: string, fn: (capture: string) => void): void {
  for (const ext of ['.pcap', '.pcapng']) {
    const capture = name + ext;
    if (existsSync(join(dir ?? '', capture))) fn(capture);
  }
}

test('diagnostics on the real scenario captures', { skip }, () => {
  each('gen_close_wait_leak', (c) => {
    const f = has(findingsOf(c), 'tcp.close_wait.excess');
    assert.equal(f.length, 1, c);
    assert.equal(f[0]!.endpoint, '10.77.0.2:8080', c);
    assert.equal(f[0]!.metrics.connections, 50, c); // ss: server_close_wait=50
    assert.equal(f[0]!.metrics.peersInFinWait2, 50, c); // ss: client_fin_wait_2=50
    assert.equal(f[0]!.severity, 'error', c);
  });
  each('gen_syn_flood_nocookies', (c) => {
    const f = has(findingsOf(c), 'tcp.syn.flood');
    assert.equal(f.length, 1, c);
    assert.equal(f[0]!.endpoint, '10.77.0.2:8080', c);
    assert.ok(Number(f[0]!.metrics.sources) >= 100, c);
  });
  each('gen_nmap_syn_scan', (c) => {
    const all = findingsOf(c);
    assert.equal(has(all, 'tcp.port_scan').length, 1, c);
    assert.equal(has(all, 'tcp.port_scan')[0]!.metrics.ports, 1024, c);
    assert.equal(has(all, 'tcp.syn.flood').length, 0, c);
  });
  each('gen_time_wait_pile_client', (c) => {
    const f = has(findingsOf(c), 'tcp.time_wait.churn');
    assert.equal(f.length, 1, c);
    assert.equal(f[0]!.metrics.connections, 100, c); // ss: client_time_wait=100
  });
  each('gen_zero_window_recovery', (c) => {
    const f = has(findingsOf(c), 'tcp.zero_window.stall');
    assert.equal(f.length, 1, c);
    assert.equal(f[0]!.metrics.unrecovered, 0, c);
    assert.match(f[0]!.message, /the window reopened/, c);
  });
  each('gen_syn_backlog_full', (c) => {
    const all = findingsOf(c);
    assert.equal(has(all, 'tcp.accept_queue.overflow').length, 1, c);
    assert.equal(has(all, 'tcp.syn.flood').length, 0, c);
  });
  each('gen_rst_closed_port', (c) => {
    const f = has(findingsOf(c), 'tcp.connection.refused');
    assert.equal(f.reduce((n, x) => n + Number(x.metrics.connections), 0), 5, c);
  });
  each('gen_truncated_midrecord', (c) => assert.equal(has(findingsOf(c), 'capture.truncated').length, 1, c));
  // tcpdump -s 60: every header with the timestamp option (32 bytes) is cut inside its options; nothing else wrong.
  each('gen_snaplen60', (c) => {
    const all = findingsOf(c);
    const [f] = has(all, 'capture.snaplen');
    assert.ok(f && f.metrics.optionsCut === f.metrics.packets && (f.metrics.packets as number) > 0, c);
    assert.deepEqual(all.filter((x) => x.severity !== 'info').map((x) => x.code), [], c);
  });
  for (const healthy of ['gen_http_graceful', 'gen_http_lo_ipv4_sll_nsec', 'gen_http_lo_ipv6_sll2', 'gen_keepalive', 'gen_reused_ports']) {
    each(healthy, (c) => {
      const bad = findingsOf(c).filter((f) => f.severity !== 'info');
      assert.deepEqual(bad.map((f) => f.code), [], `${c} is healthy`);
    });
  }
  // What every capture produces, for the record.
  const rows: string[] = [];
  for (const c of listCaptures(dir!)) {
    const fs = findingsOf(c);
    rows.push(`${c.padEnd(58)} ${fs.map((f) => `${f.severity[0]}:${f.code}${f.endpoint ? '@' + f.endpoint : ''}`).join(' ') || '-'}`);
  }
  console.log(rows.join('\n'));
});
