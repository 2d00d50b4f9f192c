/**
 * "Cardinality vs width" over several seeds: the queue's order, and what the ledger's comparison
 * table says about its runs. Per model: the mean and sample standard deviation of the final test
 * accuracy over seeds. Between the models: the difference of the means with its standard error
 * (Welch: each model's own variance, sqrt(sd_a²/n_a + sd_b²/n_b)) and a plain verdict, whether the
 * difference is larger than twice that standard error, i.e. larger than the seed-to-seed spread
 * explains (about a 95% interval excluding zero for a handful of seeds; a rule of thumb, not a test
 * of significance). Pure: no React, no tfjs.
 */
import type { RunRecord } from '../runs';

/** Seeds per model of the comparison queue: with fewer than 2, no spread can be measured; 3 is the fewest that says much. */
export const COMPARISON_SEEDS = 3;

/** The difference must exceed this many standard errors to be called larger than the seed-to-seed spread. */
export const SPREAD_FACTOR = 2;

/** One run of the queue. */
export interface QueuedRun {
  preset: string;
  seed: number;
}

/**
 * The queue: every model once per seed, seeds in turn (A s1, B s1, A s2, B s2, ...), so a lesson
 * stopped part-way still has finished runs of both models.
 */
export function comparisonQueue(presets: readonly string[], seeds: number, firstSeed: number): QueuedRun[] {
  const queue: QueuedRun[] = [];
  for (let i = 0; i < seeds; i++) for (const preset of presets) queue.push({ preset, seed: firstSeed + i });
  return queue;
}

/** One model's final accuracies over seeds. */
export interface SeedSummary {
  model: string;
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN with fewer than 2 runs. */
  sd: number;
  /** The runs' seeds, in the order of `accuracies`. */
  seeds: number[];
  accuracies: number[];
}

export function summarize(model: string, runs: readonly { seed: number; accuracy: number }[]): SeedSummary {
  const n = runs.length;
  const accuracies = runs.map((r) => r.accuracy);
  const mean = n ? accuracies.reduce((s, a) => s + a, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1)) : NaN;
  return { model, n, mean, sd, seeds: runs.map((r) => r.seed), accuracies };
}

export type Verdict = 'larger' | 'within' | 'too-few';

export interface Comparison {
  a: SeedSummary;
  b: SeedSummary;
  /** mean(a) - mean(b). */
  difference: number;
  /** Welch's standard error of the difference; NaN unless both models have 2 or more runs. */
  standardError: number;
  verdict: Verdict;
  /** The verdict as one plain sentence, with the numbers of runs. */
  sentence: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

/** The difference of the two models' mean accuracies, its standard error and the verdict. */
export function compare(a: SeedSummary, b: SeedSummary): Comparison {
  const difference = a.mean - b.mean;
  const enough = a.n >= 2 && b.n >= 2;
  const standardError = enough ? Math.sqrt(a.sd ** 2 / a.n + b.sd ** 2 / b.n) : NaN;
  const verdict: Verdict = !enough ? 'too-few' : Math.abs(difference) > SPREAD_FACTOR * standardError ? 'larger' : 'within';
  const runs = `n = ${a.n} and ${b.n} seeds`;
  const ahead = difference >= 0 ? a.model : b.model;
  const sentence =
    verdict === 'too-few'
      ? `Too few runs to tell (${runs}): each model needs at least 2 finished seeds to measure the spread.`
      : verdict === 'larger'
        ? `${ahead} is ahead by ${pct(Math.abs(difference))} points, more than ${SPREAD_FACTOR} × its standard error (${pct(standardError)}): larger than the seed-to-seed spread (${runs}).`
        : `The difference (${pct(Math.abs(difference))} points) is within ${SPREAD_FACTOR} × its standard error (${pct(standardError)}): no larger than the seed-to-seed spread (${runs}).`;
  return { a, b, difference, standardError, verdict, sentence };
}

/** Settings that differ between runs of one comparison without making them a different experiment. */
const PER_RUN_SETTINGS = new Set(['seed', 'steps', 'microBatchSize', 'evalBatchSize']);

/** What makes runs comparable: the dataset and every setting but the seed (and those fixed per run). */
function experimentOf(run: RunRecord): string {
  const settings = Object.entries(run.settings)
    .filter(([k, v]) => !PER_RUN_SETTINGS.has(k) && v !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify([run.dataset, settings]);
}

/**
 * The comparison of `models` in the ledger: the finished runs of either model with the same dataset
 * and settings (seed aside) as the latest run of either, each model's final accuracies over seeds.
 * Undefined when the ledger has no run of either model. Runs are the ledger's, newest first or in
 * any order; a seed run twice counts once (its latest run).
 */
export function comparisonOf(runs: readonly RunRecord[], models: readonly [string, string]): Comparison | undefined {
  const ofModels = runs.filter((r) => models.includes(r.spec.name)).sort((x, y) => y.createdAt - x.createdAt);
  const latest = ofModels[0];
  if (!latest) return undefined;
  const experiment = experimentOf(latest);
  const finished = ofModels.filter((r) => r.status === 'finished' && r.final && experimentOf(r) === experiment);
  const [a, b] = models.map((model) => {
    const bySeed = new Map<number, number>();
    for (const r of finished) if (r.spec.name === model && !bySeed.has(r.settings.seed ?? NaN)) bySeed.set(r.settings.seed ?? NaN, r.final!.accuracy);
    return summarize(
      model,
      [...bySeed].sort(([x], [y]) => x - y).map(([seed, accuracy]) => ({ seed, accuracy })),
    );
  });
  return compare(a!, b!);
}
