/**
 * Moving the analysis' typed-array objects between threads: structured clone keeps an object's own fields (typed
 * arrays, Maps, numbers) but not its class. These give the class back and list the buffers to transfer rather
 * than copy. Only for objects our own threads send each other, never for data from a capture.
 */
export function reviveAs<T extends object>(cloned: unknown, ctor: abstract new (...args: never[]) => T, check: (o: T) => boolean): T {
  if (!cloned || typeof cloned !== 'object' || !check(cloned as T)) throw new Error(`not a cloned ${ctor.name}`);
  return Object.setPrototypeOf(cloned, ctor.prototype) as T;
}

/** The (non-shared) buffers behind an object's typed-array fields, and those of plain objects in its fields. */
export function typedArrayBuffers(o: object, out = new Set<ArrayBuffer>(), depth = 0): ArrayBuffer[] {
  for (const v of Object.values(o)) {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
    } else if (depth === 0 && v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      typedArrayBuffers(v as object, out, 1);
    }
  }
  return [...out];
}
