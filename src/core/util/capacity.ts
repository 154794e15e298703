/**
 * How many elements per-stream (or per-transition) arrays should make room for when `need` no longer fits in
 * `cap`. Doubling copies every array once per doubling; far enough into a file, the count so far scaled by the
 * share of the file still to come is a good guess of the final count, so the arrays grow once to about that.
 * A guess too high costs only address space (untouched pages of a typed array are never resident); a guess too low
 * falls back to doubling. Early in a file (under 1/64 of it) the scale is noise, and it is capped at 16x.
 */
export function grownCapacity(need: number, cap: number, fileOffset: number, fileSize: number): number {
  let c = Math.max(need, cap * 2);
  if (fileSize > 0 && fileOffset * 64 >= fileSize && fileOffset < fileSize) {
    const guess = Math.ceil(need * Math.min(16, (fileSize / fileOffset) * 1.05));
    if (guess > c) c = guess;
  }
  return c;
}
