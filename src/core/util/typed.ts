/** Typed arrays of every kind the core keeps per flow or per packet. */
export type Typed = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** A copy of `a`, resized to `size` elements (new elements are zero). Callers double their capacity. */
export function grow<T extends Typed>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a as never);
  return b;
}
