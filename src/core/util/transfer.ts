/**
 * Moving the analysis' typed-array objects between threads: structured clone keeps an object's own fields (typed
 * arrays, Maps, numbers) but not its class. These give the class back and list the buffers to transfer rather
 * than copy. Only for objects our own threads send each other, never for data from a capture.
 */
export function reviveAs<T extends object>(cloned: unknown, ctor: abstract new (...args: never[]) => T, check: (o: T) => boolean): T {
  if (!cloned || typeof cloned !== 'object' || !check(cloned as T)) throw new Error(`not a cloned ${ctor.name}`);
  return Object.setPrototypeOf(cloned, ctor.prototype) as T;
}

/** The (non-shared) buffers behind an object's typed-array fields. */
export function typedArrayBuffers(o: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(o)) if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}
