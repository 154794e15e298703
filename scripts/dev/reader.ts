import { analyzeCapture, type TcpPacketObserver } from '../../src/core/analyzeCapture';
import { HandshakeTracker } from '../../src/core/analysis/handshake';
import { SegmentWriter, segmentBatch, segmentBatchBytes } from '../../src/core/analysis/segments';
import { CaptureSideCollector } from '../../src/core/diagnostics/captureSide';
import { openFileSource } from '../../src/node/fileSource';

// A developer's tool for the reader half of the two-thread pass, alone on one core:
//   reader.js <capture> [--nodiag]
// runs what the reader thread runs (read, decode, flow table, segment writer, handshake tracker and, unless
// --nodiag, the diagnostics' capture side before the writer) with the segments going nowhere, and prints the time.
// Pair two runs with scripts/dev/pinned-pair.sh to see what the capture side costs the reader.
const file = process.argv[2];
if (!file) {
  console.error('usage: reader.js <capture> [--nodiag]');
  process.exit(2);
}
const batch = segmentBatch(new ArrayBuffer(segmentBatchBytes(4096)), 0, 4096);
const writer = new SegmentWriter(
  () => batch,
  () => {},
);
const observers: TcpPacketObserver[] = [];
// One observer calling each directly, as the reader thread's does.
const captureSide = process.argv.includes('--nodiag') ? undefined : new CaptureSideCollector();
const handshakes = new HandshakeTracker();
observers.push({
  onTcpPacket(rec, d, stream, dir, ctx) {
    if (captureSide !== undefined) captureSide.onTcpPacket(rec, d, stream, dir, ctx);
    writer.onTcpPacket(rec, d, stream, dir, ctx);
    handshakes.onTcpPacket(rec, d, stream, dir, ctx);
  },
});
const source = openFileSource(file);
const t = performance.now();
const r = analyzeCapture(source, { observers });
writer.flush();
source.close();
console.log(`${r.tcpPackets} TCP packets, ${r.flows.count} flows: ${((performance.now() - t) / 1000).toFixed(2)} s`);
