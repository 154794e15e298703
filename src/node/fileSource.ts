import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { AsyncByteSource } from '../core/capture/asyncSource';
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

/** An asynchronous file source: reads run on libuv's thread pool, overlapping the parse of the previous chunk. */
export async function openAsyncFileSource(path: string): Promise<AsyncByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const size = (await handle.stat()).size;
  let position = 0;
  return {
    size,
    async read(into, offset, length) {
      const { bytesRead } = await handle.read(into, offset, length, position);
      position += bytesRead;
      return bytesRead;
    },
    close: () => handle.close(),
  };
}
