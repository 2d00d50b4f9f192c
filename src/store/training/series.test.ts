import { describe, expect, it } from 'vitest';
import { mean, median, smooth } from './series';

describe('series helpers', () => {
  it('mean (0 for none)', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBe(0);
  });

  it('median: the middle value, the upper of an even count, NaN for none; the input is not sorted in place', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('smooth: an exponential moving average from the first value', () => {
    expect(smooth([])).toEqual([]);
    expect(smooth([2, 2, 2])).toEqual([2, 2, 2]);
    const s = smooth([0, 10], 0.5);
    expect(s).toEqual([0, 5]);
  });
});
