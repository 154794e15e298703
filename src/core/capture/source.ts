import { CaptureReader, MAX_RECORD_BYTES } from './reader';
import type { CaptureFacts, CaptureSink } from './types';

/** Anything that can fill a buffer synchronously: a file descriptor (fs.readSync), or bytes already in memory. */
export interface ByteSource {
  /** Total size when known, for progress. */
  readonly size?: number;
  /** Reads up to `length` bytes into `into` at `offset`; returns 0 at the end. */
  read(into: Uint8Array, offset: number, length: number): number;
}

export interface ReadOptions {
  /** Buffer size; records larger than this grow it (up to MAX_RECORD_BYTES). */
  chunkSize?: number;
  /** Called after each buffer fill with the number of bytes consumed so far. */
  onProgress?: (bytesRead: number) => void;
  /** Polled after each buffer fill; returning true stops reading (cancellation). */
  shouldStop?: () => boolean;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  let pos = 0;
  return {
    size: bytes.length,
    read(into, offset, length) {
      const n = Math.min(length, bytes.length - pos);
      into.set(bytes.subarray(pos, pos + n), offset);
      pos += n;
      return n;
    },
  };
}

/**
 * Drives a CaptureReader over a ByteSource with one reusable buffer. Only the unconsumed tail of a fill (less than
 * one record) is ever moved; memory stays at one buffer whatever the file size.
 */
export function readCapture(source: ByteSource, sink: CaptureSink, options: ReadOptions = {}): CaptureFacts & { stopped: boolean } {
  const reader = new CaptureReader(sink);
  // 1 MiB measured faster than 8 MiB: the parse reads the bytes while the kernel's copy is still in the CPU cache.
  let buf = new Uint8Array(options.chunkSize ?? 1024 * 1024);
  let filled = 0;
  let eof = false;
  let stopped = false;
  while (!reader.done) {
    while (!eof && filled < buf.length) {
      const n = source.read(buf, filled, buf.length - filled);
      if (n <= 0) eof = true;
      else filled += n;
    }
    const used = reader.consume(buf, 0, filled, eof);
    if (used > 0) {
      buf.copyWithin(0, used, filled);
      filled -= used;
    }
    if (!reader.done && reader.needBytes > buf.length) {
      // needBytes is bounded by the reader's own length checks, so this never grows past MAX_RECORD_BYTES.
      const grown = new Uint8Array(Math.min(Math.max(reader.needBytes, buf.length * 2), MAX_RECORD_BYTES + 64));
      grown.set(buf.subarray(0, filled));
      buf = grown;
    }
    options.onProgress?.(reader.facts.bytesRead);
    if (options.shouldStop?.()) {
      stopped = true;
      break;
    }
  }
  return { ...reader.facts, stopped };
}
