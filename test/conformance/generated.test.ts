import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFull } from '../../src/core/fullAnalysis';
import type { Finding } from '../../src/core/diagnostics/types';
import { openFileSource } from '../../src/node/fileSource';

/**
 * The diagnostics on scenario captures the shared corpus does not carry, made with its own generators
 * (test/fixtures/generated/README.md). Each capture's meta.json says what happened; the findings must say the same.
 */
const dir = join(process.cwd(), 'test', 'fixtures', 'generated');

function findingsOf(name: string): Finding[] {
  const src = openFileSource(join(dir, `${name}.pcap`));
  try {
    return analyzeFull(src).findings;
  } finally {
    src.close();
  }
}

function only(findings: Finding[], code: string): Finding {
  const f = findings.filter((x) => x.code === code);
  assert.equal(f.length, 1, `one ${code} in ${findings.map((x) => x.code).join(', ') || 'nothing'}`);
  return f[0]!;
}

function worst(findings: Finding[]): string[] {
  return findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code}`);
}

function meta(name: string): { scenario: string; verified_with_ss?: Record<string, number> } {
  return JSON.parse(readFileSync(join(dir, `${name}.meta.json`), 'utf8'));
}

test('a client host that crashes and comes back: the server retransmits into silence until the reset', () => {
  const f = only(findingsOf('gen_half_open_peer_crash'), 'tcp.half_open');
  assert.equal(f.severity, 'warning');
  assert.match(f.endpoint!, /^10\.77\.0\.1:\d+$/, 'the silent peer is the client');
  // RTO 200 ms doubling over the 6 s outage: 5 or 6 retransmissions, the last one answered by the reset.
  assert.ok((f.metrics.unansweredRetransmissions as number) >= 5);
  assert.equal(f.metrics.endedByReset, 1);
  assert.match(meta('gen_half_open_peer_crash').scenario, /RSTs the next retransmission/);
});

test('SYN flood from spoofed sources with SYN cookies on: a flood, not a scan', () => {
  const all = findingsOf('gen_syn_flood_hping3');
  const f = only(all, 'tcp.syn.flood');
  assert.equal(f.endpoint, '10.77.0.2:8080');
  assert.equal(f.metrics.sources, 300);
  assert.ok(!all.some((x) => x.code === 'tcp.port_scan'));
});

test('a server that closes first piles up TIME_WAIT on its own side', () => {
  const f = only(findingsOf('gen_time_wait_pile_server'), 'tcp.time_wait.churn');
  assert.equal(f.endpoint, '10.77.0.2');
  assert.equal(f.metrics.connections, meta('gen_time_wait_pile_server').verified_with_ss!.server_time_wait);
  assert.equal(f.metrics.asClient, 0);
});

test('a receiver that never reads: a zero-window stall the reset ended, not a recovery', () => {
  const f = only(findingsOf('gen_zero_window_dead'), 'tcp.zero_window.stall');
  assert.equal(f.endpoint, '10.77.0.2:9901');
  assert.equal(f.metrics.unrecovered, 1);
  assert.ok((f.metrics.probes as number) > 0);
});

test('snaplen 66: the SYNs are cut inside their options, which is the capture, not the network', () => {
  const all = findingsOf('gen_snaplen66');
  const f = only(all, 'capture.snaplen');
  assert.equal(f.category, 'capture');
  // 3 connections: each SYN and SYN-ACK carries 20 bytes of options, 8 more than -s 66 keeps.
  assert.deepEqual([f.metrics.optionsCut, f.metrics.headerCut], [6, 0]);
  assert.deepEqual(worst(all), []);
});

test('an abortive close (SO_LINGER 0) three times is no population problem', () => {
  assert.deepEqual(worst(findingsOf('gen_rst_linger0')), []);
});
