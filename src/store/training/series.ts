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
