import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrainCheckpoint } from '../workers/protocol';
import { joinCheckpoint, splitCheckpoint } from './checkpointParts';

const section = (sizes: number[], seed: number) =>
  new Map(sizes.map((n, i) => [`layer${i}.weight`, { shape: [n], values: Float32Array.from({ length: n }, (_, j) => seed + i + j / 7) }]));

const checkpoint = (sizes: number[], ema: boolean): TrainCheckpoint =>
  ({
    version: 1,
    specName: 'test',
    step: 5,
    settings: {} as TrainCheckpoint['settings'],
    params: section(sizes, 1),
    momentum: section(sizes, 100),
    ...(ema ? { ema: section(sizes, 1000) } : {}),
    rng: { algorithm: 'mulberry32', seed: 1, step: 5 },
  }) as TrainCheckpoint;

describe('a checkpoint in stored parts', () => {
  it('stays whole when it fits in one part', () => {
    const c = checkpoint([3, 4], false);
    const s = splitCheckpoint(c, 1024);
    expect(s.manifest).toBeUndefined();
    expect(s.checkpoint).toBe(c);
  });

  it('splits into parts of at most the limit and joins back to the same values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }), fc.boolean(), fc.integer({ min: 4, max: 64 }), (sizes, ema, partBytes) => {
        const c = checkpoint(sizes, ema);
        const s = splitCheckpoint(c, partBytes);
        const total = sizes.reduce((a, b) => a + b, 0) * (ema ? 3 : 2) * 4;
        if (total <= partBytes) {
          expect(s.manifest).toBeUndefined();
          return;
        }
        for (const part of s.parts) expect(part.reduce((n, a) => n + a.byteLength, 0)).toBeLessThanOrEqual(partBytes);
        // The stored record carries no values.
        for (const v of s.checkpoint.params.values()) expect(v.values.length).toBe(0);
        const back = joinCheckpoint(s.checkpoint, s.manifest!, s.parts);
        expect(back).toEqual(c);
      }),
    );
  });

  it('refuses parts that are missing or do not add up', () => {
    const s = splitCheckpoint(checkpoint([30, 30], true), 64);
    expect(() => joinCheckpoint(s.checkpoint, s.manifest!, s.parts.slice(1))).toThrow(/parts stored/);
    expect(() => joinCheckpoint(s.checkpoint, s.manifest!, [...s.parts.slice(0, -1), undefined])).toThrow(/parts stored/);
    expect(() => joinCheckpoint(s.checkpoint, { ...s.manifest!, lengths: s.manifest!.lengths.map((n) => n + 1) }, s.parts)).toThrow(/end early/);
    expect(() => joinCheckpoint(s.checkpoint, { ...s.manifest!, lengths: s.manifest!.lengths.map((n) => n - 1) }, s.parts)).toThrow(/more than/);
  });
});
