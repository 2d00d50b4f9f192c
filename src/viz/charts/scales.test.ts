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
