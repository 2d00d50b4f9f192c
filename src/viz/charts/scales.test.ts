import { describe, expect, it } from 'vitest';
import { makeScale, tickValues } from './scales';

describe('makeScale', () => {
  it('fits a log2 axis to the data exactly when unpadded', () => {
    expect(makeScale('log2', [1, 2, 4, 64], { pad: 0 }).domain()).toEqual([1, 64]);
  });

  it('never pads an all-positive linear axis below zero', () => {
    const [lo] = makeScale('linear', [2, 64, 128], { pad: 0.05 }).domain() as [number, number];
    expect(lo).toBe(0);
  });

  it('widens a single value into a usable domain', () => {
    const [lo, hi] = makeScale('linear', [5], { pad: 0 }).domain() as [number, number];
    expect(lo).toBeLessThan(5);
    expect(hi).toBeGreaterThan(5);
  });
});

describe('tickValues', () => {
  it('ticks a log2 axis at the powers of two', () => {
    const scale = makeScale('log2', [1, 64], { pad: 0 });
    expect(tickValues(scale, 'log2', 10)).toEqual([1, 2, 4, 8, 16, 32, 64]);
  });

  it('thins powers to every n-th when crowded', () => {
    const scale = makeScale('log2', [1, 2 ** 12], { pad: 0 });
    expect(tickValues(scale, 'log2', 4)).toEqual([1, 16, 256, 4096]);
  });

  it('ticks a log10 axis at the decades', () => {
    const scale = makeScale('log10', [1, 1000], { pad: 0 });
    expect(tickValues(scale, 'log10', 10)).toEqual([1, 10, 100, 1000]);
  });

  it('keeps only whole ticks for whole-number data', () => {
    const scale = makeScale('linear', [0, 7], { pad: 0 });
    expect(tickValues(scale, 'linear', 12, true).every(Number.isInteger)).toBe(true);
  });
});

describe('one point', () => {
  it('a whole number sits between its neighbours, with whole ticks (not 0.95 / 1.05)', () => {
    const x = makeScale('linear', [1], { pad: 0.05 });
    expect(x.domain()[0]).toBe(0);
    expect(x.domain()[1]).toBeGreaterThanOrEqual(2);
    expect(tickValues(x, 'linear', 5, true)).toEqual([0, 1, 2]);
    expect(tickValues(makeScale('linear', [50], { pad: 0 }), 'linear', 5, true)).toEqual([49, 50, 51]);
  });

  it('a fraction gets a tenth of itself either side and stays positive', () => {
    const y = makeScale('linear', [0.42], { pad: 0.05 });
    const [lo, hi] = y.domain() as [number, number];
    expect(lo).toBeGreaterThan(0.3);
    expect(lo).toBeLessThan(0.42);
    expect(hi).toBeGreaterThan(0.42);
    expect(hi).toBeLessThan(0.5);
    expect(makeScale('linear', [0], { pad: 0 }).domain()).toEqual([0, 1]);
    // A large count is not an index: a tenth either side, not one unit.
    const [a, b] = makeScale('linear', [25_028_904], { pad: 0 }).domain() as [number, number];
    expect(b - a).toBeGreaterThan(1e6);
  });
});
