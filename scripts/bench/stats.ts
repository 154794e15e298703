/**
 * Statistics for the bench's paired comparisons. On these VMs one pass's time swings by 20-40% from round to round
 * (the vCPUs' speed drifts in phases of seconds), so a share like "diagnostics add 12%" is an estimate with an error
 * bar, and a verdict on a target must say how sure it is.
 */

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  // Terms C(n, i) / 2^n built up in logs: n stays small (rounds), but 2^n overflows nothing this way.
  let logTerm = -n * Math.LN2;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logTerm += Math.log((n - i + 1) / i);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

export interface MedianInterval {
  low: number;
  high: number;
  /** The interval's exact coverage (at least the level asked for). */
  coverage: number;
}

/**
 * A confidence interval for the median of the population `xs` was drawn from, assuming only that the draws are
 * independent: the order statistics x(k) and x(n+1-k) of the sorted sample, with k the largest rank for which
 * P(Binomial(n, 1/2) < k) <= (1 - level) / 2 (the sign test's interval). Null when the sample is too small for the
 * level (fewer than 6 values at 95%).
 */
export function medianInterval(xs: readonly number[], level = 0.95): MedianInterval | null {
  const n = xs.length;
  const tail = (1 - level) / 2;
  let k = 0;
  while (k + 1 <= n >> 1 && binomialHalfCdf(n, k) <= tail) k++;
  if (k === 0) return null;
  const a = [...xs].sort((x, y) => x - y);
  return { low: a[k - 1]!, high: a[n - k]!, coverage: 1 - 2 * binomialHalfCdf(n, k - 1) };
}

export type Verdict = 'ok' | 'MISS' | 'unsure';

/**
 * Whether a share is at most `max`: ok when the whole interval is, MISS when the median is not, unsure otherwise
 * (more rounds would tell), and unsure too when there are too few rounds for an interval.
 */
export function verdictAtMost(xs: readonly number[], max: number, level = 0.95): Verdict {
  const m = median(xs);
  if (m > max) return 'MISS';
  const ci = medianInterval(xs, level);
  return ci && ci.high <= max ? 'ok' : 'unsure';
}
