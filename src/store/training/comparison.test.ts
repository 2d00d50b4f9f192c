import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../runs';
import { COMPARISON_SEEDS, compare, comparisonOf, comparisonQueue, summarize } from './comparison';

const seeds = (accuracies: number[]) => accuracies.map((accuracy, i) => ({ seed: i + 1, accuracy }));

describe('comparisonQueue', () => {
  it('interleaves the models seed by seed, from the first seed', () => {
    expect(comparisonQueue(['x', 'y'], COMPARISON_SEEDS, 7)).toEqual([
      { preset: 'x', seed: 7 },
      { preset: 'y', seed: 7 },
      { preset: 'x', seed: 8 },
      { preset: 'y', seed: 8 },
      { preset: 'x', seed: 9 },
      { preset: 'y', seed: 9 },
    ]);
    expect(COMPARISON_SEEDS).toBeGreaterThanOrEqual(3);
  });

  it('a queue stopped after any two runs has run both models', () => {
    const queue = comparisonQueue(['x', 'y'], 4, 1);
    for (let i = 0; i + 2 <= queue.length; i += 2) expect(new Set(queue.slice(i, i + 2).map((q) => q.preset))).toEqual(new Set(['x', 'y']));
  });
});

describe('summarize', () => {
  it('gives the mean and the sample standard deviation (n - 1)', () => {
    const s = summarize('x', seeds([0.6, 0.62, 0.64]));
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.62, 12);
    // Population sd would be 0.01633; the sample sd divides by n - 1.
    expect(s.sd).toBeCloseTo(0.02, 12);
    expect(s.seeds).toEqual([1, 2, 3]);
  });

  it('has no spread with one run, and no mean with none', () => {
    expect(summarize('x', seeds([0.5])).sd).toBeNaN();
    expect(summarize('x', []).mean).toBeNaN();
  });
});

describe('compare', () => {
  it("Welch's standard error and a difference larger than the spread", () => {
    const c = compare(summarize('resnext', seeds([0.6, 0.62, 0.64])), summarize('resnet', seeds([0.55, 0.56, 0.57])));
    expect(c.difference).toBeCloseTo(0.06, 12);
    // sqrt(0.02² / 3 + 0.01² / 3)
    expect(c.standardError).toBeCloseTo(Math.sqrt(0.0005 / 3), 12);
    expect(c.verdict).toBe('larger');
    expect(c.sentence).toBe('resnext is ahead by 6.0 points, more than 2 × its standard error (1.3): larger than the seed-to-seed spread (n = 3 and 3 seeds).');
  });

  it('a difference within twice the standard error is no larger than the spread', () => {
    const c = compare(summarize('resnext', seeds([0.6, 0.62, 0.64])), summarize('resnet', seeds([0.58, 0.61, 0.6])));
    expect(c.difference).toBeCloseTo(0.0233333, 6);
    expect(c.standardError).toBeCloseTo(Math.sqrt(0.0004 / 3 + 0.000233333 / 3), 6);
    expect(c.verdict).toBe('within');
    expect(c.sentence).toMatch(/^The difference \(2\.3 points\) is within 2 × its standard error \(1\.5\)/);
  });

  it('needs two runs of each model', () => {
    const c = compare(summarize('resnext', seeds([0.6, 0.7])), summarize('resnet', seeds([0.5])));
    expect(c.verdict).toBe('too-few');
    expect(c.standardError).toBeNaN();
    expect(c.sentence).toContain('n = 2 and 1 seeds');
  });
});

describe('comparisonOf', () => {
  let clock = 0;
  const run = (model: string, seed: number, accuracy: number, extra: Partial<RunRecord> = {}, settings: Partial<RunRecord['settings']> = {}): RunRecord =>
    ({
      id: `${model}-${seed}-${clock}`,
      createdAt: ++clock,
      status: 'finished',
      spec: { name: model },
      settings: { seed, batchSize: 64, recipe: 'fast', ...settings },
      dataset: 'cifar10',
      final: { accuracy },
      ...extra,
    }) as unknown as RunRecord;

  it("takes the finished runs of the latest run's experiment, one per seed", () => {
    const runs = [
      run('a', 1, 0.9, {}, { recipe: 'paper' }), // another experiment
      run('a', 1, 0.6),
      run('b', 1, 0.5),
      run('a', 2, 0.62),
      run('b', 2, 0.52),
      run('a', 3, 0.1, { status: 'stopped' }), // stopped part-way: not a final accuracy
      run('c', 3, 0.99), // another model
      run('a', 2, 0.64), // seed 2 again: the latest counts
    ];
    const c = comparisonOf(runs, ['a', 'b'])!;
    expect(c.a.accuracies).toEqual([0.6, 0.64]);
    expect(c.b.accuracies).toEqual([0.5, 0.52]);
    expect(c.a.seeds).toEqual([1, 2]);
    expect(c.difference).toBeCloseTo(0.11, 12);
  });

  it('is undefined without runs of either model', () => {
    expect(comparisonOf([run('c', 1, 0.5)], ['a', 'b'])).toBeUndefined();
  });
});
