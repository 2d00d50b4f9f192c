/**
 * Live evaluation's pure parts: the fixed class-balanced held-out slice of the test set, its
 * cadence, the top-k predictions the Train tab draws, and a time-budget run's length from the
 * measured speed. No tfjs: the page and Node tests use them too.
 */

/** How a job evaluates while it trains (job.ts). */
export interface LiveEvalOptions {
  /** Images of the held-out slice (fewer when the test set is smaller). */
  heldOutImages: number;
  /** Seconds of training between the end of one held-out evaluation and the next. */
  everySeconds: number;
  /** The first evaluation comes this early (seconds since the job started), so a lesson sees a number at once. */
  firstAfterSeconds: number;
  /**
   * The first evaluation takes only this many images of the slice (its start, class-balanced too), so
   * the first number is on screen quickly; later ones take the whole slice.
   */
  firstImages: number;
  /** Test images (the first of the held-out slice) whose top classes each evaluation reports. */
  predictionImages: number;
  /** Classes reported per prediction image. */
  topK: number;
  /**
   * At most this share of the wall time goes to held-out evaluations: on a slow backend (the CPU
   * backend, a software GPU) the gap after an evaluation grows with its cost (`evaluationGap`).
   */
  maxShare?: number;
}

/**
 * Held-out evaluations run without test-time flip (the final whole-set evaluation has it when the
 * recipe asks): a flip doubles their cost, and they share the wall time with training.
 */
export const LIVE_EVAL_DEFAULTS: Readonly<LiveEvalOptions> = { heldOutImages: 1000, everySeconds: 15, firstAfterSeconds: 8, firstImages: 200, predictionImages: 8, topK: 3, maxShare: 0.25 };

/**
 * Seconds of training between the end of one held-out evaluation and the start of the next: the
 * cadence, or longer when an evaluation takes `evalSeconds` and would otherwise take more than
 * `maxShare` of the wall time.
 */
export function evaluationGap(live: Pick<LiveEvalOptions, 'everySeconds' | 'maxShare'>, evalSeconds = 0): number {
  const share = live.maxShare;
  if (!share || share >= 1) return live.everySeconds;
  return Math.max(live.everySeconds, (evalSeconds * (1 - share)) / share);
}

/**
 * A class-balanced slice of `labels` of at most `count` images: the classes take turns, each giving
 * its next image in test-set order, until `count` are taken or the set runs out. Deterministic (the
 * same slice for every run on the same data), and its first `classes` images are one per class.
 */
export function heldOutIndices(labels: Uint8Array, classes: number, count: number): Int32Array {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((label, i) => byClass[label]?.push(i));
  const want = Math.min(count, labels.length);
  const out: number[] = [];
  for (let round = 0; out.length < want; round++) {
    let took = false;
    for (let c = 0; c < classes && out.length < want; c++) {
      const i = byClass[c]![round];
      if (i !== undefined) {
        out.push(i);
        took = true;
      }
    }
    if (!took) break;
  }
  return Int32Array.from(out);
}

/** One test image's current prediction: its index in the test set, its true class, and the top classes. */
export interface Prediction {
  index: number;
  label: number;
  top: { label: number; probability: number }[];
}

/** The `k` most probable classes of row `row` of a row-major `rows x classes` probability matrix, most probable first (ties: lower class first). */
export function topK(probabilities: Float32Array, row: number, classes: number, k: number): { label: number; probability: number }[] {
  const p = probabilities.subarray(row * classes, (row + 1) * classes);
  return Array.from(p, (probability, label) => ({ label, probability }))
    .sort((a, b) => b.probability - a.probability || a.label - b.label)
    .slice(0, Math.min(k, classes));
}

/**
 * A time-budget run's total steps: the steps done plus as many as fit in the rest of the budget at
 * the measured seconds per step, less the share of each cadence the held-out evaluation takes
 * (`everySeconds` of training, then `evalSeconds` of evaluation) and any other work measured per
 * second of training (`otherPerTrainingSecond`: checkpoints). At least one more step.
 */
export function budgetTotalSteps(m: {
  budgetSeconds: number;
  elapsedSeconds: number;
  stepsDone: number;
  secondsPerStep: number;
  evalSeconds?: number;
  everySeconds?: number;
  otherPerTrainingSecond?: number;
}): number {
  const remaining = Math.max(0, m.budgetSeconds - m.elapsedSeconds);
  const evaluation = m.evalSeconds && m.everySeconds ? m.evalSeconds / m.everySeconds : 0;
  const trainingSeconds = remaining / (1 + evaluation + Math.max(0, m.otherPerTrainingSecond ?? 0));
  return m.stepsDone + Math.max(1, Math.floor(trainingSeconds / Math.max(1e-6, m.secondsPerStep)));
}
