import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { analyzeCapture } from '../../src/core/analyzeCapture';
import { newPacketContext } from '../../src/core/analysis/packetContext';
import { SegmentReplayer, SegmentWriter, segmentBatch, segmentBatchBytes } from '../../src/core/analysis/segments';
import { fullAnalysisParts } from '../../src/core/fullAnalysis';
import { CaptureSideCollector } from '../../src/core/diagnostics/captureSide';
import { openFileSource } from '../../src/node/fileSource';

// A developer's tool for the analysis half of the two-thread pass, alone on one core:
//   replay.js dump <capture> <segments-file>      packs every TCP segment once (whole batches)
//   replay.js run <segments-file> [--nodiag]      times replaying them into the full analysis' observers
// The CPU time it prints is the analysis thread's share of a parallel run, without the reader competing: the
// trackers that run beside the reader in such a run (the handshake tracker and the diagnostics' capture side) are
// left out, unless --all.
const [cmd, a, b] = process.argv.slice(2);
const BATCH = 4096;
const buf = new ArrayBuffer(segmentBatchBytes(BATCH));
const batch = segmentBatch(buf, 0, BATCH);
const bytes = new Uint8Array(buf);
if (cmd === 'dump' && a && b) {
  const fd = openSync(b, 'w');
  const head = new Float64Array(2);
  const writer = new SegmentWriter(
    () => batch,
    (_b, count) => {
      writeSync(fd, new Uint32Array([count]));
      writeSync(fd, bytes);
    },
  );
  const src = openFileSource(a);
  // As in the reader thread: the capture side marks duplicate copies in the records.
  const r = analyzeCapture(src, { observers: [new CaptureSideCollector(), writer] });
  writer.flush();
  head[0] = r.refSec;
  head[1] = r.refNsec;
  writeSync(fd, new Uint32Array([0]));
  writeSync(fd, new Uint8Array(head.buffer));
  closeSync(fd);
  console.log(`dumped ${r.tcpPackets} segments`);
} else if (cmd === 'run' && a) {
  const parts = fullAnalysisParts({
    withoutDiagnostics: process.argv.includes('--nodiag'),
    ...(process.argv.includes('--all') ? {} : { elsewhere: ['handshakes', 'captureSide'] }),
  });
  const ctx = newPacketContext();
  ctx.fileSize = Number(process.env.FILE_SIZE ?? 0);
  const rep = new SegmentReplayer(parts.observers, ctx);
  const fd = openSync(a, 'r');
  const cnt = new Uint32Array(1);
  let n = 0;
  let replaySeconds = 0;
  const u0 = process.cpuUsage();
  for (;;) {
    readSync(fd, new Uint8Array(cnt.buffer), 0, 4, null);
    const count = cnt[0]!;
    if (count === 0) break;
    readSync(fd, bytes, 0, bytes.length, null);
    if (n === 0) ctx.refSec = ctx.refNsec = 0;
    const t = performance.now();
    rep.replay(batch, count);
    replaySeconds += (performance.now() - t) / 1000;
    n += count;
  }
  const u = process.cpuUsage(u0);
  if (process.argv.includes('--memory')) {
    for (const [name, part] of Object.entries(parts.parts)) {
      const t = typedBytes(part as object);
      const total = Object.values(t).reduce((x, y) => x + y, 0);
      console.log(name.padEnd(12), (total / 1e6).toFixed(0).padStart(5), 'MB', Object.entries(t).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}=${(v / 1e6).toFixed(0)}`).join(' '));
    }
  }
  console.log(`replayed ${n} segments: replay ${replaySeconds.toFixed(2)} s, process user ${(u.user / 1e6).toFixed(2)} s sys ${(u.system / 1e6).toFixed(2)} s, rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} else {
  console.error('usage: replay.js dump <capture> <segments> | run <segments> [--nodiag] [--all]');
  process.exit(2);
}

/** Bytes held in typed arrays by each part (capacity, not use): where the memory per flow goes. */
export function typedBytes(o: object): Record<string, number> {
  const out: Record<string, number> = {};
  const counted = new Set<ArrayBufferLike>();
  for (const [k, v] of Object.entries(o)) {
    if (ArrayBuffer.isView(v)) out[k] = v.byteLength;
    else if (Array.isArray(v) && v.length > 0 && v.every((w) => ArrayBuffer.isView(w))) {
      // Pages (several views may share one buffer: each buffer counts once, under the first field naming it).
      let n = 0;
      for (const w of v as ArrayBufferView[]) {
        if (counted.has(w.buffer)) continue;
        counted.add(w.buffer);
        n += w.byteLength;
      }
      if (n) out[k] = n;
    }
    else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      // NsOffsets and the like: one entry per field, its words together.
      let n = 0;
      for (const w of Object.values(v as object)) if (ArrayBuffer.isView(w)) n += w.byteLength;
      if (n) out[k] = n;
    }
  }
  return out;
}
