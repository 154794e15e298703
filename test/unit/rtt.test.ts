import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memorySource } from '../../src/core/capture/source';
import { RTT_RESERVOIR } from '../../src/core/analysis/rtt';
import { analyzeFull, type FullAnalysis } from '../../src/core/fullAnalysis';
import { byTime, pcap, tcpConversation, type Rec } from '../support/builder';
import { listCaptures, sharedCapturesDir } from '../support/shared';

const T0 = 1_700_000_000;

/**
 * RttCollector.medianMs (no allocation, used to rank a million flows) must give exactly what stats().medianMs gives
 * the table's cells and the CLI's reports, or a column would sort in an order its own values contradict.
 */

interface Coverage {
  flows: number;
  measured: number;
  small: number;
  full: number;
  sampled: number;
}

function compare(full: FullAnalysis, label: string, seen: Coverage): void {
  const n = full.capture.flows.count;
  for (let s = 0; s < n; s++) {
    const st = full.rtt.stats(s);
    const m = full.rtt.medianMs(s);
    if (!st) {
      assert.ok(Number.isNaN(m), `${label} stream ${s}: no samples, medianMs ${m}`);
      continue;
    }
    assert.equal(m, st.medianMs, `${label} stream ${s} (${st.samples} samples)`);
    seen.measured++;
    if (st.samples <= 8) seen.small++;
    else if (st.samples <= RTT_RESERVOIR) seen.full++;
    else seen.sampled++;
  }
  seen.flows += n;
  // Out-of-range streams have no samples rather than throwing.
  assert.ok(Number.isNaN(full.rtt.medianMs(n + 5)));
  assert.ok(Number.isNaN(full.rtt.medianMs(-1)));
}

test('medianMs equals stats().medianMs on every flow of the shared captures', (t) => {
  const dir = sharedCapturesDir();
  if (!dir) return t.skip('no shared capture corpus (../shared/captures or $TCPSCOPE_CAPTURES)');
  const seen: Coverage = { flows: 0, measured: 0, small: 0, full: 0, sampled: 0 };
  for (const name of listCaptures(dir)) compare(analyzeFull(memorySource(new Uint8Array(readFileSync(join(dir, name))))), name, seen);
  t.diagnostic(`${seen.flows} flows, ${seen.measured} with RTT samples: ${seen.small} in a small block, ${seen.full} in a reservoir, ${seen.sampled} sampled`);
  // Each storage shape of the reservoir is exercised, or this test proves less than it says.
  assert.ok(seen.small > 0 && seen.full > 0 && seen.sampled > 0, JSON.stringify(seen));
});

test('medianMs on synthetic flows of 0 to 120 RTT samples, ties and reservoir sampling included', () => {
  let seed = 11;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const lists: Rec[][] = [];
  for (let i = 0; i < 121; i++) {
    const c = tcpConversation({ client: { ip: '10.0.0.1', port: 20000 + i }, server: { ip: '10.0.0.2', port: 80 }, start: T0 + i, rtt: 0.002 });
    c.handshake();
    // Each request is acknowledged after one of a few delays, so equal samples (ties) are common.
    for (let k = 0; k < i; k++) c.send('client', 100).wait((1 + rnd(6)) / 1000).ack('server').wait(0.001);
    lists.push(c.close().records);
  }
  const full = analyzeFull(memorySource(pcap(byTime(...lists))));
  const seen: Coverage = { flows: 0, measured: 0, small: 0, full: 0, sampled: 0 };
  compare(full, 'synthetic', seen);
  assert.ok(seen.small > 0 && seen.full > 0 && seen.sampled > 0, JSON.stringify(seen));
  // Asking again gives the same answer: the scratch buffer carries nothing from one call to the next.
  for (let s = full.capture.flows.count - 1; s >= 0; s--) assert.ok(Object.is(full.rtt.medianMs(s), full.rtt.stats(s)?.medianMs ?? NaN), `stream ${s}`);
});
