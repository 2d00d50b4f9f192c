/** What bench:tta prints of a run: its held-out timeline and the seconds it took to reach each accuracy. */

export interface TimelinePoint {
  seconds: number;
  images: number;
  heldOutAccuracy: number;
}

/** The accuracies whose time-to-reach the bench reports. */
export const THRESHOLDS = [0.5, 0.6, 0.7, 0.8] as const;

/** Seconds of the first evaluation at or above each threshold (null: not reached), keyed "50%", "60%", ... */
export function secondsTo(timeline: readonly TimelinePoint[]): Record<string, number | null> {
  return Object.fromEntries(THRESHOLDS.map((t) => [`${Math.round(t * 100)}%`, timeline.find((p) => p.heldOutAccuracy >= t)?.seconds ?? null]));
}

/** The median of the numbers, to `digits` decimals (null when there are none, or when half or more of the runs did not reach it). */
export function medianOrNull(values: readonly (number | null)[], digits = 1): number | null {
  if (values.length === 0) return null;
  // A run that never reached the accuracy counts as slower than any that did.
  const sorted = values.map((v) => v ?? Infinity).sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const m = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Number.isFinite(m) ? +m.toFixed(digits) : null;
}

/** Per threshold: the median over seeds of the seconds to reach it. */
export function medianSecondsTo(runs: readonly Record<string, number | null>[]): Record<string, number | null> {
  return Object.fromEntries(THRESHOLDS.map((t) => `${Math.round(t * 100)}%`).map((k) => [k, medianOrNull(runs.map((r) => r[k] ?? null))]));
}

/** ours / theirs per threshold where both reached it. */
export function ratios(ours: Record<string, number | null>, theirs: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.keys(ours).map((k) => [k, ours[k] != null && theirs[k] != null && theirs[k]! > 0 ? +(ours[k]! / theirs[k]!).toFixed(2) : null]));
}

/** Seconds of the first evaluation at or above `accuracy` (null: not reached). */
export function secondsToReach(timeline: readonly TimelinePoint[], accuracy: number): number | null {
  return timeline.find((p) => p.heldOutAccuracy >= accuracy)?.seconds ?? null;
}

/**
 * Where our run never reached the fixed thresholds, the ratio at the best held-out accuracy it did
 * reach: our seconds to it over PyTorch's seconds to it.
 */
export function atOurBest(ours: readonly TimelinePoint[], theirs: readonly TimelinePoint[]) {
  if (ours.length === 0) return null;
  const accuracy = Math.max(...ours.map((p) => p.heldOutAccuracy));
  const oursSeconds = secondsToReach(ours, accuracy);
  const theirSeconds = secondsToReach(theirs, accuracy);
  return { accuracy, oursSeconds, pytorchSeconds: theirSeconds, ratio: oursSeconds !== null && theirSeconds ? +(oursSeconds / theirSeconds).toFixed(2) : null };
}

/** Training images per wall second (evaluations included) at the last evaluation. */
export function effectiveImagesPerSecond(timeline: readonly TimelinePoint[]): number | null {
  const last = timeline.at(-1);
  return last && last.seconds > 0 ? +(last.images / last.seconds).toFixed(1) : null;
}
