/**
 * Aᵀ·B, A·B and A·Bᵀ by the native kernels (through tfjs' BatchMatMul on 'wasm') against a float64
 * plain loop, on shapes that exercise every tile and tail: rows past a block, K not a multiple of 4, N
 * not a multiple of 8 or 4, fewer than 4 rows or columns, Aᵀ·B over chunks of rows; and a B past the native kernels' size, which
 * XNNPACK takes. Both builds, relaxed SIMD (fused multiply-adds) and plain (native.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mulberry32, uniformArray } from '../../../models';
import { switchBackend } from '../../engine/backend';
import { matMulChunkOptions, matMulSplitOptions, matMulSwapOptions, splitsColumns, swapsFewRows, transposedProductChunk } from './matMul';
import { nativesRelaxedSimd, useRelaxedSimd } from './native';

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(k * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) c[i * n + j]! += a[r * k + i]! * b[r * n + j]!;
  return c;
}

/** Within 1e-5 of the float64 values, relative to the largest entry. */
function expectClose(got: Float32Array | Int32Array | Uint8Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst / scale).toBeLessThanOrEqual(1e-5);
}

/** `a` and `b` (`size` floats each) bit for bit the same, and not vacuously: the values are not all alike. */
function expectSameBits(a: Float32Array, b: Float32Array, size: number): void {
  expect(a.length).toBe(size);
  expect(b.length).toBe(size);
  let differing = 0;
  for (let i = 0; i < size; i++) if (!Object.is(a[i], b[i])) differing++;
  expect(differing).toBe(0);
  expect(new Set(a).size).toBeGreaterThan(size / 2);
}

afterAll(() => useRelaxedSimd(true, tf.backend() as BackendWasm));

describe.each([
  ['relaxed SIMD', true],
  ['plain SIMD', false],
] as const)('native products, %s build', (_build, relaxed) => {
  beforeAll(() => useRelaxedSimd(relaxed, tf.backend() as BackendWasm));

  it('runs the build asked for', () => {
    tf.dispose(tf.matMul(tf.ones([8, 8]), tf.ones([8, 8]), true, false));
    expect(nativesRelaxedSimd()).toBe(relaxed);
  });

  describe('matMul A·B and A·Bᵀ on wasm (native kernel up to its B size, XNNPACK past it)', () => {
    it.each([
      [1, 1, 1],
      [3, 5, 2],
      [7, 9, 6],
      [13, 17, 21],
      [300, 13, 11],
      [5000, 3, 16],
      [9, 4100, 9],
      [33, 96, 4],
      [8, 1024, 600],
      [20, 70, 203],
    ])('A [%i, %i] · B [k, %i]: within 1e-5 of float64, B plain and transposed', async (m, k, n) => {
      const random = new Mulberry32(m * 7919 + k * 31 + n);
      const a = uniformArray(m * k, 1, random);
      const b = uniformArray(k * n, 1, random);
      const want = new Float64Array(m * n);
      for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) want[r * n + j]! += a[r * k + i]! * b[i * n + j]!;
      const before = tf.memory().numTensors;
      const [ta, tb] = [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])];
      const tbT = tf.transpose(tb);
      const c = tf.matMul(ta, tb);
      const cT = tf.matMul(ta, tbT, false, true);
      expect(c.shape).toEqual([m, n]);
      expect(cT.shape).toEqual([m, n]);
      expectClose(await c.data(), want);
      expectClose(await cT.data(), want);
      tf.dispose([ta, tb, tbT, c, cT]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it.each([
    [32, 1152, 192],
    [8, 300, 37],
    [13, 96, 40],
  ])('A [%i, %i] · B [%i, k]ᵀ with few rows of A runs as (B·Aᵀ)ᵀ: bit for bit A·Bᵀ with B transposed', async (m, k, n) => {
    expect(swapsFewRows(m, k, n)).toBe(true);
    const random = new Mulberry32(m + k + n);
    const [ta, tb] = [tf.tensor2d(uniformArray(m * k, 1, random), [m, k]), tf.tensor2d(uniformArray(n * k, 1, random), [n, k])];
    const swapped = (await tf.matMul(ta, tb, false, true).data()) as Float32Array;
    matMulSwapOptions.swapFewRows = false;
    try {
      expect(swapsFewRows(m, k, n)).toBe(false);
      expectSameBits(swapped, (await tf.matMul(ta, tb, false, true).data()) as Float32Array, m * n);
    } finally {
      matMulSwapOptions.swapFewRows = true;
    }
    tf.dispose([ta, tb]);
  });

  it.each([
    [32, 192, 1152],
    [20, 70, 203],
    [13, 17, 21],
  ])('A [%i, %i] · B [k, %i] with fewer rows than columns runs split by columns: bit for bit split by rows', async (m, k, n) => {
    expect(splitsColumns(m, n)).toBe(true);
    const random = new Mulberry32(m * 3 + k + n);
    const [ta, tb] = [tf.tensor2d(uniformArray(m * k, 1, random), [m, k]), tf.tensor2d(uniformArray(k * n, 1, random), [k, n])];
    const byColumns = (await tf.matMul(ta, tb).data()) as Float32Array;
    matMulSplitOptions.columns = false;
    try {
      expect(splitsColumns(m, n)).toBe(false);
      expectSameBits(byColumns, (await tf.matMul(ta, tb).data()) as Float32Array, m * n);
    } finally {
      matMulSplitOptions.columns = true;
    }
    tf.dispose([ta, tb]);
  });

  describe('matMul with a transposed left operand on wasm (native kernel)', () => {
    it.each([
      [300, 13, 11],
      [129, 8, 8],
      [1, 4, 4],
      [512, 64, 32],
      [257, 7, 3],
      [1000, 1, 9],
    ])('A [%i, %i], B [%i x N=%i]: within 1e-5 of float64 (relative to the largest entry)', async (m, k, n) => {
      const random = new Mulberry32(m * 131 + k * 17 + n);
      const a = uniformArray(m * k, 1, random);
      const b = uniformArray(m * n, 1, random);
      const before = tf.memory().numTensors;
      const [ta, tb] = [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [m, n])];
      const c = tf.matMul(ta, tb, true, false);
      expect(c.shape).toEqual([k, n]);
      expectClose(await c.data(), reference(a, b, m, k, n));
      tf.dispose([ta, tb, c]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('over chunks of rows (A [2500, 70], B [2500, 50]: chunks of 1024, 1024 and 452 rows): within 1e-5 of float64, and not the sum split by rows of C', async () => {
      const [m, k, n] = [2500, 70, 50];
      expect(transposedProductChunk(m)).toBe(1024);
      const random = new Mulberry32(7);
      const a = uniformArray(m * k, 1, random);
      const b = uniformArray(m * n, 1, random);
      const [ta, tb] = [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [m, n])];
      const chunked = (await tf.matMul(ta, tb, true, false).data()) as Float32Array;
      expectClose(chunked, reference(a, b, m, k, n));
      const saved = { ...matMulChunkOptions };
      matMulChunkOptions.minRows = 0;
      try {
        expect(transposedProductChunk(m)).toBe(0);
        const byRows = (await tf.matMul(ta, tb, true, false).data()) as Float32Array;
        expectClose(byRows, reference(a, b, m, k, n));
        expect(chunked.some((v, i) => v !== byRows[i]), 'the chunks add in another order').toBe(true);
      } finally {
        Object.assign(matMulChunkOptions, saved);
      }
      tf.dispose([ta, tb]);
    });
  });
});
