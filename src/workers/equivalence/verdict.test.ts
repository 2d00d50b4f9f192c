/**
 * The verdict: equivalent only when every pair agrees within the tolerance; gradients at ReLU ties
 * are judged with one choice of ReLU's derivative there, and only there.
 */
import { describe, expect, it } from 'vitest';
import type { CheckResult, PairResult } from './check';
import { EQUIVALENCE_TOLERANCE, describeTie, verdictOf } from './verdict';

const d = (maxAbs: number) => ({ maxAbs, maxRel: maxAbs * 10 });
const pair = (over: Partial<PairResult> = {}): PairResult => ({ pair: 'a-c', eval: d(1e-7), train: d(2e-6), gradients: d(1e-6), ...over });
const result = (pairs: PairResult[], ties: CheckResult['ties'] = []): CheckResult => ({
  request: { kind: 'network', spec: {} as never, batch: 2, seed: 1 },
  backend: 'wasm',
  inputShape: [2, 16, 16, 3],
  outputShape: [2, 1, 1, 10],
  forms: [],
  pairs,
  worst: d(0),
  ties,
});
const tie = { op: 'layer2.2.relu', pair: 'a-c' as const, elements: 1, examples: [{ index: 10298, values: [4.17e-7, -9.54e-7] as [number, number] }] };

describe('verdictOf', () => {
  it('equivalent when everything is within the tolerance', () => {
    const v = verdictOf(result([pair(), pair({ pair: 'b-c' })]));
    expect(v).toEqual({ equivalent: true, worst: d(2e-6), ties: [] });
  });

  it('not equivalent when one difference exceeds it, with no tie to explain it', () => {
    expect(verdictOf(result([pair(), pair({ pair: 'b-c', gradients: d(7.11e-4) })])).equivalent).toBe(false);
    expect(verdictOf(result([pair({ eval: d(2e-5) })])).equivalent).toBe(false);
  });

  it('at a tie, judged by the gradients with one choice there; the raw figure is kept', () => {
    const v = verdictOf(result([pair({ gradients: d(7.11e-4), gradientsOneChoice: d(1.1e-6) })], [tie]));
    expect(v.equivalent).toBe(true);
    expect(v.worst.maxAbs).toBe(2e-6);
    expect(v.gradientsAtTies!.maxAbs).toBe(7.11e-4);
  });

  it('a tie explains nothing when the gradients still differ with one choice', () => {
    const v = verdictOf(result([pair({ gradients: d(7.11e-4), gradientsOneChoice: d(5e-4) })], [tie]));
    expect(v.equivalent).toBe(false);
    expect(v.worst.maxAbs).toBe(5e-4);
  });

  it('the tolerance is 1e-5', () => {
    expect(EQUIVALENCE_TOLERANCE).toBe(1e-5);
  });
});

describe('describeTie', () => {
  it('names the op, the count and the two sides', () => {
    expect(describeTie(tie)).toBe('layer2.2.relu: 1 element, e.g. +4.17e-7 in (a) and -9.54e-7 in (c)');
    expect(describeTie({ ...tie, elements: 3 })).toMatch(/^layer2\.2\.relu: 3 elements/);
  });
});
