/**
 * Summaries of a run's metric series, shared by the Train tab's charts, progress line and ledger.
 * Pure: no React, no DOM.
 */

/** The arithmetic mean (0 for an empty series). */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The middle value (the upper one of an even count; NaN for an empty series). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** An exponential moving average starting at the first value (TensorBoard's smoothing, weight 1 - alpha). */
export function smooth(values: readonly number[], alpha = 0.1): number[] {
  let s = values[0] ?? 0;
  return values.map((v) => (s = alpha * v + (1 - alpha) * s));
}

/** Points a live chart draws per series at most: a long run's curves show every k-th step, and the last. */
export const MAX_CHART_POINTS = 400;

/**
 * `xs` thinned to at most about `max` items, evenly (every k-th), always keeping the last. A chart
 * redrawn every step (with its data table) then costs the same at step 100 and step 100,000.
 */
export function thin<T>(xs: readonly T[], max = MAX_CHART_POINTS): T[] {
  const stride = Math.ceil(xs.length / Math.max(1, max));
  if (stride <= 1) return [...xs];
  const out = xs.filter((_, i) => i % stride === 0);
  if ((xs.length - 1) % stride !== 0) out.push(xs[xs.length - 1]!);
  return out;
}
