/**
 * Aᵀ·B by the native kernel (through tfjs' BatchMatMul with transposeA on 'wasm') against a float64
 * plain loop, on shapes that exercise every tile and tail: rows past a block of 128, K not a multiple
 * of 4, N not a multiple of 8 or 4.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Mulberry32, uniformArray } from '../../../models';
import { switchBackend } from '../../engine/backend';

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(k * n);
  for (let r = 0; r < m; r++) for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) c[i * n + j]! += a[r * k + i]! * b[r * n + j]!;
  return c;
}

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
    const got = await c.data();
    const want = reference(a, b, m, k, n);
    const scale = Math.max(1, ...Array.from(want, Math.abs));
    const worst = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]!)));
    expect(worst / scale).toBeLessThanOrEqual(1e-5);
    tf.dispose([ta, tb, c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
