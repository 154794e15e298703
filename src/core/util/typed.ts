/** Typed arrays of every kind the core keeps per flow or per packet. */
export type Typed = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

type TypedCtor<T extends Typed> = { new (n: number): T; new (buffer: ArrayBufferLike): T; BYTES_PER_ELEMENT: number };

/**
 * A zeroed typed array of `n` elements; over a SharedArrayBuffer when `shared`, so that another thread can read it
 * in place instead of having it copied or taken away (the reader thread's trackers: src/node/readerThread.ts).
 */
export function typedArray<T extends Typed>(ctor: TypedCtor<T>, n: number, shared = false): T {
  return shared ? new ctor(new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT)) : new ctor(n);
}

/** Whether `a` lives in shared memory (so grow keeps it there). */
export function isShared(a: Typed): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/**
 * A copy of `a`, resized to `size` elements (new elements are zero), in shared memory when `a` is. Callers double
 * their capacity.
 */
export function grow<T extends Typed>(a: T, size: number): T {
  const b = typedArray(a.constructor as TypedCtor<T>, size, isShared(a));
  b.set(a as never);
  return b;
}

/** Streams a tracker zeroes ahead of the ones it has seen (see touchAhead). */
export const TOUCH_STREAMS = 4096;

/**
 * Writes zeros over the entries of streams [from, from + TOUCH_STREAMS) (capped at `cap`) of each array, which holds
 * `length / cap` entries per stream, and returns the new bound. Why: fresh typed-array memory is untouched pages,
 * and the first access decides the page fault. A read maps the kernel's shared zero page; the write that follows
 * (a counter's `++`, a flag's `|=`) faults a second time, and with the other analysis thread running in the same
 * process that fault flushes both cores' TLBs by interrupt. A tracker whose first access to a new stream's state
 * is a read (most of them) paid that on every page of every per-stream array; writing first faults once. Streams
 * appear in order, so everything past the bound is unseen and zero is its value. Arrays a tracker initialises to
 * something else (and so writes first anyway) stay out of the list.
 */
export function touchAhead(arrays: readonly Typed[], cap: number, from: number): number {
  const to = Math.min(cap, from + TOUCH_STREAMS);
  for (const a of arrays) {
    const per = a.length / cap;
    a.fill(0, from * per, to * per);
  }
  return to;
}
