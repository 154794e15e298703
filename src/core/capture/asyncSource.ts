import { CaptureReader, MAX_RECORD_BYTES } from './reader';
import type { ReadOptions } from './source';
import type { CaptureFacts, CaptureSink } from './types';

/** A source that reads on another thread (Node's fs.promises FileHandle, a Blob slice...). */
export interface AsyncByteSource {
  readonly size?: number;
  /** Reads up to `length` bytes into `into` at `offset`; resolves 0 at the end. */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
}

export interface AsyncReadOptions extends ReadOptions {
  /** Yield to the event loop after each chunk (lets a worker receive a cancel message). Default true. */
  yieldBetweenChunks?: boolean;
}

/**
 * Double-buffered driver: while the reader parses one chunk on this thread, the read of the next chunk is already
 * under way on the I/O thread, so a large file costs max(read, parse) instead of their sum.
 *
 * Each buffer keeps HEADROOM bytes free at its front: the unconsumed tail of the previous chunk (less than one
 * record) is copied there, right before the new bytes, so records spanning chunks need no concatenation. A tail
 * longer than the headroom (a record over 256 KiB) takes a one-off copy.
 */
const HEADROOM = 256 * 1024;

export async function readCaptureAsync(
  source: AsyncByteSource,
  sink: CaptureSink,
  options: AsyncReadOptions = {},
): Promise<CaptureFacts & { stopped: boolean }> {
  const reader = new CaptureReader(sink);
  const chunk = options.chunkSize ?? 8 * 1024 * 1024;
  const bufs = [new Uint8Array(HEADROOM + chunk), new Uint8Array(HEADROOM + chunk)];
  let cur = 0;
  let stopped = false;

  const fill = async (buf: Uint8Array): Promise<number> => {
    // One read may return less than asked; keep going until the chunk is full or the file ends.
    let n = 0;
    while (n < chunk) {
      const got = await source.read(buf, HEADROOM + n, chunk - n);
      if (got <= 0) break;
      n += got;
    }
    return n;
  };

  let pending = fill(bufs[0]!);
  // Unconsumed bytes carried into the next chunk. When a record is longer than the headroom (or than a whole
  // chunk), the tail grows across iterations by concatenation; records are capped at MAX_RECORD_BYTES, so this
  // stays bounded and rare.
  let tail: Uint8Array = new Uint8Array(0);
  for (;;) {
    const got = await pending;
    const eof = got < chunk;
    let buf = bufs[cur]!;
    let start = HEADROOM - tail.length;
    let end = HEADROOM + got;
    if (tail.length > HEADROOM) {
      const joined = new Uint8Array(tail.length + got);
      joined.set(tail);
      joined.set(buf.subarray(HEADROOM, HEADROOM + got), tail.length);
      buf = joined;
      start = 0;
      end = joined.length;
    } else if (tail.length) {
      buf.set(tail, start);
    }
    // Start the next read before parsing this chunk: that is the overlap.
    const next = cur ^ 1;
    if (!eof) pending = fill(bufs[next]!);
    const used = reader.consume(buf, start, end, eof);
    options.onProgress?.(reader.facts.bytesRead);
    if (reader.done || eof) break;
    tail = used < end ? buf.slice(used, end) : new Uint8Array(0);
    if (tail.length > MAX_RECORD_BYTES + 64) break; // cannot happen: the reader rejects such lengths first
    if (options.shouldStop?.()) {
      stopped = true;
      await pending.catch(() => 0);
      break;
    }
    if (options.yieldBetweenChunks !== false) await new Promise<void>((r) => setTimeoutLike(r));
    cur = next;
  }
  return { ...reader.facts, stopped };
}

// setImmediate where it exists (Node, workers), a resolved promise elsewhere: the point is one event-loop turn.
declare const setImmediate: ((cb: () => void) => unknown) | undefined;
function setTimeoutLike(cb: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(cb);
  else void Promise.resolve().then(cb);
}
