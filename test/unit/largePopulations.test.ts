import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFull } from '../../src/core/fullAnalysis';
import { memorySource } from '../../src/core/capture/source';
import { FlowReporter, zeekConnLog } from '../../src/core/export/flowReport';
import { LINKTYPE, packet, pcap, pcapHeader, pcapRecord, concat, type Rec } from '../support/builder';

/**
 * Populations past what a spread call can take (about 120 000 arguments): rules and exports must loop, not spread,
 * over connections of one endpoint and letters of one history.
 */

const N = 130_000;

/** Frames built once, then copied with the client port patched: the builder is too slow for 100 000s of flows. */
function manyFlows(templates: Array<{ data: Uint8Array; fromClient: boolean }>, flows: number): Uint8Array {
  const header = pcapHeader({ linkType: LINKTYPE.RAW });
  const recs = templates.map((t) => pcapRecord({ data: t.data, sec: 1_700_000_000 }));
  const size = recs.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(header.length + size * flows);
  out.set(header);
  let o = header.length;
  for (let f = 0; f < flows; f++) {
    for (let k = 0; k < recs.length; k++) {
      const r = recs[k]!;
      out.set(r, o);
      // Raw IPv4 with a 20-byte header: the client's address and port are the source's or the destination's.
      const fromClient = templates[k]!.fromClient;
      const port = 1024 + (f % 60000);
      const host = 1 + Math.floor(f / 60000);
      out[o + 16 + (fromClient ? 12 : 16) + 3] = host;
      out[o + 16 + 20 + (fromClient ? 0 : 2)] = port >>> 8;
      out[o + 16 + 20 + (fromClient ? 0 : 2) + 1] = port & 0xff;
      o += r.length;
    }
  }
  return out;
}

test(`CLOSE_WAIT on one server across ${N} connections is one finding, not a stack overflow`, () => {
  const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 1024, dport: 80, link: { type: 'raw' } as const };
  const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 80, dport: 1024, link: { type: 'raw' } as const };
  const file = manyFlows(
    [
      { data: packet({ ...c, flags: 'S', seq: 100 }), fromClient: true },
      { data: packet({ ...s, flags: 'SA', seq: 500, ack: 101 }), fromClient: false },
      { data: packet({ ...c, flags: 'A', seq: 101, ack: 501 }), fromClient: true },
      // The client closes, the server acknowledges and never closes its side.
      { data: packet({ ...c, flags: 'FA', seq: 101, ack: 501 }), fromClient: true },
      { data: packet({ ...s, flags: 'A', seq: 501, ack: 102 }), fromClient: false },
    ],
    N,
  );
  const full = analyzeFull(memorySource(file));
  assert.equal(full.capture.flows.count, N);
  const cw = full.findings.find((f) => f.code === 'tcp.close_wait.excess');
  assert.ok(cw, `findings: ${full.findings.map((f) => f.code).join(', ')}`);
  assert.equal(cw.metrics['connections'] ?? N, N);
});

test(`a flow with ${N} resets of distinct sequence numbers has a history string and a conn.log row`, () => {
  const recs: Rec[] = [];
  const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 5000, dport: 80 };
  recs.push({ data: packet({ ...c, flags: 'S', seq: 1 }), sec: 1 });
  recs.push({ data: packet({ src: c.dst, dst: c.src, sport: 80, dport: 5000, flags: 'SA', seq: 9, ack: 2 }), sec: 1 });
  const rst = packet({ ...c, flags: 'R', seq: 2 });
  const file = pcap(recs);
  const body = pcapRecord({ data: rst, sec: 2 });
  const out = new Uint8Array(file.length + body.length * N);
  out.set(file);
  for (let i = 0; i < N; i++) {
    const o = file.length + i * body.length;
    out.set(body, o);
    // Ethernet 14 + IPv4 20: the TCP sequence number at 38..41.
    new DataView(out.buffer, o + 16 + 38, 4).setUint32(0, 2 + i);
  }
  const full = analyzeFull(memorySource(concat(out)));
  assert.equal(full.capture.flows.count, 1);
  const history = full.zeek.history(0);
  assert.ok(history.length > N / 2, `history of ${history.length} letters`);
  assert.ok(zeekConnLog(full).includes(history));
  assert.equal(new FlowReporter(full).report(0).history, history);
});
