import { describe, expect, it } from 'vitest';
import { mean, median, smooth, thin } from './series';

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

  it('thin: at most about `max` points, evenly, always with the last', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    expect(thin(xs.slice(0, 10), 400)).toEqual(xs.slice(0, 10));
    const t = thin(xs, 400);
    expect(t.length).toBeLessThanOrEqual(401);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBe(1000);
    expect(t.slice(0, 3)).toEqual([0, 3, 6]);
    expect(thin(xs.slice(0, 1000), 400).at(-1)).toBe(999);
    expect(thin([], 400)).toEqual([]);
  });
});
