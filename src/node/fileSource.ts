import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ByteSource } from '../core/capture/source';

/** A synchronous file-backed ByteSource: reads straight into the reader's buffer, never the whole file. */
export function openFileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  let position = 0;
  let closed = false;
  return {
    size,
    read(into, offset, length) {
      const n = readSync(fd, into, offset, length, position);
      position += n;
      return n;
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}
