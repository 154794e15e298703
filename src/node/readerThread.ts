import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { analyzeCapture, type TcpPacketObserver } from '../core/analyzeCapture';
import { SegmentWriter, segmentBatch, segmentBatchBytes, type SegmentBatch } from '../core/analysis/segments';
import { openFileSource } from './fileSource';
import { ZeekConnTracker } from '../core/analysis/zeek';
import { HandshakeTracker } from '../core/analysis/handshake';
import { CaptureSideCollector } from '../core/diagnostics/captureSide';
import { HandshakeRules } from '../core/diagnostics/rules';
import { typedArrayBuffers } from '../core/util/transfer';
import {
  C_CANCEL,
  C_COUNTS,
  C_READ,
  C_RULES,
  C_RULES_GO,
  C_STATE,
  C_WRITTEN,
  F_BYTES_READ,
  F_READER_WAIT_MS,
  F_REF_NSEC,
  F_REF_SEC,
  ReaderState,
  RulesState,
  controlViews,
  type ReaderThreadData,
} from './segmentRing';

/**
 * The reader half of a parallel analysis (see parallel.ts): reads, decodes and numbers flows, and publishes every
 * TCP segment into the shared ring. At the end it posts the capture analysis (the flow table's arrays transferred,
 * not copied, or shared when this thread goes on to read them) and marks the ring done; on any failure it posts the
 * message and marks it failed. With `rules`, it then runs the diagnostics' handshake rules while the analysis
 * thread runs the others, and posts their findings.
 */
const data = workerData as ReaderThreadData;
const { ints, floats } = controlViews(data.control);
const batches: SegmentBatch[] = [];
for (let i = 0; i < data.slots; i++) batches.push(segmentBatch(data.ring, i * segmentBatchBytes(data.batchSegments), data.batchSegments));

let written = 0;
const next = (): SegmentBatch => {
  // Wait until the analysis has released the slot this batch reuses. A cancel does not end the wait: the analysis
  // drains every batch until the reader stops at its next buffer fill (shouldStop), so a cancelled pass still
  // returns everything read before it; an analysis that fails terminates this thread instead.
  for (;;) {
    const read = Atomics.load(ints, C_READ);
    if (written - read < data.slots) return batches[written % data.slots]!;
    const t = performance.now();
    Atomics.wait(ints, C_READ, read, 1000);
    floats[F_READER_WAIT_MS]! += performance.now() - t;
  }
};
const writer = new SegmentWriter(next, (_batch, count) => {
  if (written === 0 || floats[F_REF_SEC] !== floats[F_REF_SEC]) {
    floats[F_REF_SEC] = writer.refSec;
    floats[F_REF_NSEC] = writer.refNsec;
  }
  ints[C_COUNTS + (written % data.slots)] = count;
  Atomics.store(ints, C_WRITTEN, ++written);
  Atomics.notify(ints, C_WRITTEN);
});

function finish(state: ReaderState): void {
  Atomics.store(ints, C_STATE, state);
  Atomics.notify(ints, C_WRITTEN);
}

// Trackers that need nothing from the sequence analysis can run here to even out the two threads' work.
const zeek = data.beside.includes('zeek') ? new ZeekConnTracker() : undefined;
const shared = data.rules;
const handshakes = data.beside.includes('handshakes') ? new HandshakeTracker(1024, { shared }) : undefined;
const captureSide = data.beside.includes('captureSide') ? new CaptureSideCollector({ bucketSeconds: data.diagnostics.stormBucketSeconds ?? 1, shared }) : undefined;
const beside = [captureSide, zeek, handshakes].filter((t): t is NonNullable<typeof t> => t !== undefined);
// One observer calling each tracker directly, as fullAnalysis' does: the call sites stay monomorphic, where a loop
// over the trackers would dispatch on three or four classes per packet. (scripts/dev/reader.ts, five runs each of
// the reader's observers alone on the bench: the capture side cost 0.36 s through the loop, 0.25 s this way.)
const observer: TcpPacketObserver = {
  onTcpPacket(rec, d, stream, dir, ctx) {
    // The diagnostics' capture side tells the writer whether a packet is a duplicate copy: it goes before it.
    if (captureSide !== undefined) captureSide.onTcpPacket(rec, d, stream, dir, ctx);
    writer.onTcpPacket(rec, d, stream, dir, ctx);
    if (zeek !== undefined) zeek.onTcpPacket(rec, d, stream, dir, ctx);
    if (handshakes !== undefined) handshakes.onTcpPacket(rec, d, stream, dir, ctx);
  },
};
let source: ReturnType<typeof openFileSource> | undefined;
let read: ReturnType<typeof analyzeCapture> | undefined;
try {
  source = openFileSource(data.path);
  const capture = analyzeCapture(source, {
    observers: [observer],
    keepPacketIndex: data.keepPacketIndex,
    sharedFlows: shared,
    ...(data.chunkSize ? { chunkSize: data.chunkSize } : {}),
    onProgress: (bytes) => void (floats[F_BYTES_READ] = bytes),
    shouldStop: () => Atomics.load(ints, C_CANCEL) !== 0,
  });
  writer.flush();
  floats[F_REF_SEC] = capture.refSec;
  floats[F_REF_NSEC] = capture.refNsec;
  // Shared arrays are not transferable and need not be: what the rules read and is not shared (small tables) is
  // copied, so this thread keeps it. Zeek's tracker, which they do not read, is handed over either way.
  const transfer = shared ? [] : typedArrayBuffers(capture.flows);
  for (const t of beside) if (!shared || t === zeek) transfer.push(...typedArrayBuffers(t));
  if (capture.packetIndex) transfer.push(capture.packetIndex.stream.buffer as ArrayBuffer, capture.packetIndex.fileOffset.buffer as ArrayBuffer);
  data.port.postMessage({ capture, zeek, handshakes, captureSide }, transfer);
  read = capture;
  finish(ReaderState.Done);
} catch (e) {
  data.port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  finish(ReaderState.Failed);
} finally {
  source?.close();
}

if (read !== undefined && data.rules && handshakes !== undefined && captureSide !== undefined) {
  const capture = read;
  const [hs, side] = [handshakes, captureSide];
  // The shared arrays that growth left behind are still resident: V8 frees a shared buffer only after a collection
  // and a later turn of the thread's event loop, and shared memory does not count towards the allocation pressure
  // that schedules collections. Ordinary memory does, even untouched (so never resident): this much makes V8
  // collect, and the rules start on the next turn. Peak RSS of the bench's two-thread pass with diagnostics:
  // 858-863 MB without this, 822-836 with it (four runs and seven).
  void new ArrayBuffer(64 << 20);
  setImmediate(() => runRules(capture, hs, side));
}

/**
 * The handshake rules, on this thread's own trackers: their census at once, the rules once the analysis thread says
 * which streams were refused. Whatever goes wrong here, the analysis thread runs them itself (RulesState.Failed).
 */
function runRules(capture: ReturnType<typeof analyzeCapture>, hs: HandshakeTracker, side: CaptureSideCollector): void {
  try {
    // The census needs nothing from the analysis thread: it runs while that thread drains the ring.
    const rules = new HandshakeRules({ analysis: capture, handshakes: hs, captureSide: side }, data.diagnostics);
    Atomics.wait(ints, C_RULES_GO, 0);
    const go = receiveMessageOnPort(data.port)?.message as { refused?: unknown } | undefined;
    if (!(go?.refused instanceof Uint8Array)) throw new Error('no refused streams from the analysis thread');
    data.port.postMessage({ explain: rules.explain(go.refused) });
    rulesState(RulesState.Explained);
    data.port.postMessage({ rest: rules.rest() });
    rulesState(RulesState.Rest);
  } catch (e) {
    data.port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    rulesState(RulesState.Failed);
  }
}

function rulesState(state: RulesState): void {
  Atomics.store(ints, C_RULES, state);
  Atomics.notify(ints, C_RULES);
}
