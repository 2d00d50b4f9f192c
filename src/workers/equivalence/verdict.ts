/**
 * What a check's numbers mean, in one place for the page, the CLI and the tests. Pure: no tfjs.
 */
import type { CheckResult, Diff, PairResult } from './check';
import type { ReluTie } from './ties';

/** float32 agreement the forms must reach: max |difference| over outputs and gradients. */
export const EQUIVALENCE_TOLERANCE = 1e-5;

export interface Verdict {
  equivalent: boolean;
  /** The largest difference the verdict rests on (gradients with one choice at ReLU ties, where there are ties). */
  worst: Diff;
  /** ReLU inputs at a tie, one entry per op and pair; empty when there is none. */
  ties: ReluTie[];
  /** Where there are ties: the largest gradient difference before one choice was made at them. */
  gradientsAtTies?: Diff;
}

const worse = (a: Diff, b: Diff): Diff => ({ maxAbs: Math.max(a.maxAbs, b.maxAbs), maxRel: Math.max(a.maxRel, b.maxRel) });
const ZERO: Diff = { maxAbs: 0, maxRel: 0 };

/** The gradient difference a pair is judged by. */
export const judgedGradients = (p: PairResult): Diff => p.gradientsOneChoice ?? p.gradients;

/**
 * Equivalent when, for every pair, outputs in both modes and every gradient agree within the
 * tolerance; at ReLU ties the gradients are those taken with one choice of ReLU's derivative there
 * (the raw ones are kept and shown: `gradientsAtTies`).
 */
export function verdictOf(result: CheckResult, tolerance = EQUIVALENCE_TOLERANCE): Verdict {
  let worst = ZERO;
  let raw = ZERO;
  for (const p of result.pairs) {
    worst = worse(worst, worse(worse(p.eval, p.train), judgedGradients(p)));
    raw = worse(raw, p.gradients);
  }
  const ties = result.ties ?? [];
  return { equivalent: worst.maxAbs <= tolerance, worst, ties, ...(ties.length > 0 ? { gradientsAtTies: raw } : {}) };
}

const sign = (x: number) => (x > 0 ? `+${x.toExponential(2)}` : x.toExponential(2));

/** "layer2.2.relu: 1 element, +4.17e-7 in (a) and -9.54e-7 in (c)". */
export function describeTie(t: ReluTie): string {
  const [p, q] = [t.pair[0], t.pair[2]];
  const e = t.examples[0];
  const example = e ? `, e.g. ${sign(e.values[0])} in (${p}) and ${sign(e.values[1])} in (${q})` : '';
  return `${t.op}: ${t.elements} element${t.elements === 1 ? '' : 's'}${example}`;
}
