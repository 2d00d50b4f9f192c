/**
 * Squeeze-and-excitation in one kernel each way on wasm (squeezeExcite.ts through engine/execute.ts'
 * squeezeExcite) against a float64 reference, and wired into EfficientNet's training step in place of
 * the gate's op-by-op run.
 *
 * Tolerance: every value is a short chain of float32 operations on O(1) inputs: the channel sums are
 * float32 over at most 256 pixels then double (as the BatchNorm sums), the products' sums have C or R
 * (≤ 24) terms, e^x is within a few ulp. So 1e-5·max(1, |reference|) against float64, the bound the
 * BatchNorm kernels' tests use for their outputs (2e-5 there, with larger sums).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeOrThrow, findPreset, isTrainable, paramInfos, parameterGraph } from '../../../models';
import { switchBackend } from '../../engine/backend';
import { execute, squeezeExcite } from '../../engine/execute';
import { initParams, paramTensors } from '../../engine/params';
import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GRAD, hasKernel } from '../batchNormOp';
import { maxScaledDiff, values } from '../batchNormCases';

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** y and the gradients of Σ y·dy with respect to x, w1, b1, w2, b2, in float64. */
function reference(x: Float32Array, w1: Float32Array, b1: Float32Array, w2: Float32Array, b2: Float32Array, dy: Float32Array, [n, h, w, c]: number[], r: number) {
  const hw = h! * w!;
  const at = (i: number, m: number, ch: number) => (i * hw + m) * c! + ch;
  const p = new Float64Array(n! * c!);
  const dg = new Float64Array(n! * c!);
  for (let i = 0; i < n!; i++)
    for (let m = 0; m < hw; m++)
      for (let ch = 0; ch < c!; ch++) {
        p[i * c! + ch]! += x[at(i, m, ch)]! / hw;
        dg[i * c! + ch]! += dy[at(i, m, ch)]! * x[at(i, m, ch)]!;
      }
  const z1 = new Float64Array(n! * r);
  const a1 = new Float64Array(n! * r);
  for (let i = 0; i < n!; i++)
    for (let k = 0; k < r; k++) {
      let s = b1[k]!;
      for (let ch = 0; ch < c!; ch++) s += p[i * c! + ch]! * w1[ch * r + k]!;
      z1[i * r + k] = s;
      a1[i * r + k] = s * sigmoid(s);
    }
  const g = new Float64Array(n! * c!);
  for (let i = 0; i < n!; i++)
    for (let ch = 0; ch < c!; ch++) {
      let s = b2[ch]!;
      for (let k = 0; k < r; k++) s += a1[i * r + k]! * w2[k * c! + ch]!;
      g[i * c! + ch] = sigmoid(s);
    }
  const dz2 = dg.map((d, j) => d * g[j]! * (1 - g[j]!));
  const [dw1, db1, dw2, db2] = [new Float64Array(c! * r), new Float64Array(r), new Float64Array(r * c!), new Float64Array(c!)];
  const dz1 = new Float64Array(n! * r);
  const dp = new Float64Array(n! * c!);
  for (let i = 0; i < n!; i++) {
    for (let ch = 0; ch < c!; ch++) db2[ch]! += dz2[i * c! + ch]!;
    for (let k = 0; k < r; k++) {
      let da = 0;
      for (let ch = 0; ch < c!; ch++) {
        da += dz2[i * c! + ch]! * w2[k * c! + ch]!;
        dw2[k * c! + ch]! += a1[i * r + k]! * dz2[i * c! + ch]!;
      }
      const z = z1[i * r + k]!;
      const s = sigmoid(z);
      dz1[i * r + k] = da * s * (1 + z * (1 - s));
      db1[k]! += dz1[i * r + k]!;
    }
    for (let ch = 0; ch < c!; ch++)
      for (let k = 0; k < r; k++) {
        dw1[ch * r + k]! += p[i * c! + ch]! * dz1[i * r + k]!;
        dp[i * c! + ch]! += dz1[i * r + k]! * w1[ch * r + k]!;
      }
  }
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < n!; i++)
    for (let m = 0; m < hw; m++)
      for (let ch = 0; ch < c!; ch++) {
        const j = at(i, m, ch);
        y[j] = x[j]! * g[i * c! + ch]!;
        dx[j] = dy[j]! * g[i * c! + ch]! + dp[i * c! + ch]! / hw;
      }
  return { y, dx, dw1, db1, dw2, db2 };
}

/** [N, H, W, C] and R: 22 channels (a 16-channel chunk, a 4-channel one, scalars); 17x17 = 289 pixels (two 256-pixel blocks of the sums). */
const CASES: [number[], number][] = [
  [[3, 17, 17, 22], 6],
  [[2, 2, 2, 48], 12],
  [[5, 1, 1, 7], 3],
];

describe('squeeze-and-excitation in one kernel each way on wasm', () => {
  it('the backend has the kernels (so the tests below exercise them)', () => {
    expect(hasKernel(SQUEEZE_EXCITE) && hasKernel(SQUEEZE_EXCITE_GRAD)).toBe(true);
  });

  it.each(CASES)('%j, R = %i: y and the five gradients within 1e-5 of float64', async (shape, r) => {
    const c = shape[3]!;
    const size = shape.reduce((a, b) => a * b, 1);
    const [x, dy] = [values(size, 1, 2, 0.5), values(size, 2)];
    const [w1, b1, w2, b2] = [values(c * r, 3, 0.5), values(r, 4, 0.5), values(r * c, 5, 0.5), values(c, 6, 0.5)];
    const ts = [tf.tensor4d(x, shape as [number, number, number, number]), tf.tensor2d(w1, [c, r]), tf.tensor1d(b1), tf.tensor2d(w2, [r, c]), tf.tensor1d(b2)] as const;
    const dyT = tf.tensor4d(dy, shape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    const f = (...a: tf.Tensor[]) => squeezeExcite(a[0] as tf.Tensor4D, a[1] as tf.Tensor2D, a[2] as tf.Tensor1D, a[3] as tf.Tensor2D, a[4] as tf.Tensor1D);
    const y = f(...ts);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dyT)))([...ts]);
    const got = await Promise.all([y, ...grads].map((t) => t.data()));
    const want = reference(x, w1, b1, w2, b2, dy, shape, r);
    const names = ['y', 'dx', 'dw1', 'db1', 'dw2', 'db2'] as const;
    const worst = Object.fromEntries(names.map((k, i) => [k, maxScaledDiff(got[i]!, want[k])]));
    for (const k of names) expect(worst[k], `${k}: ${worst[k]}`).toBeLessThan(1e-5);
    tf.dispose([y, ...grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...ts, dyT]);
  });

  it('a wrong answer is caught: the gate transposed (w2 read as [C, R]) differs by far more than the tolerance', async () => {
    const [shape, r] = [[2, 3, 3, 8], 8];
    const size = 2 * 3 * 3 * 8;
    const [x, w1, b1, w2, b2] = [values(size, 1, 2, 0.5), values(64, 3, 0.5), values(8, 4, 0.5), values(64, 5, 0.5), values(8, 6, 0.5)];
    const y = squeezeExcite(tf.tensor4d(x, [2, 3, 3, 8]), tf.tensor2d(w1, [8, 8]), tf.tensor1d(b1), tf.tensor2d(w2, [8, 8]).transpose() as tf.Tensor2D, tf.tensor1d(b2));
    const want = reference(x, w1, b1, w2, b2, new Float32Array(size), shape, r);
    expect(maxScaledDiff(await y.data(), want.y)).toBeGreaterThan(1e-3);
  });

  it('rejects inputs whose shapes do not fit together', () => {
    const x = tf.zeros([2, 3, 3, 8]);
    const call = (w1: number[]) => tf.engine().runKernel(SQUEEZE_EXCITE, { x, w1: tf.zeros(w1), b1: tf.zeros([4]), w2: tf.zeros([4, 8]), b2: tf.zeros([8]) });
    expect(() => call([7, 4])).toThrow(/w1 \[C, R\]/);
  });

  it("EfficientNet-B0's training step runs its 16 gates through the kernels, with the op-by-op step's gate gradients within 1e-3", async () => {
    const spec = { ...findPreset('efficientnet_b0')!.spec, input: { resolution: 32, channels: 3, classes: 10 } };
    const a = analyzeOrThrow(spec);
    const params = paramTensors(initParams(parameterGraph(a), 11), true);
    const trainable = paramInfos(parameterGraph(a)).filter(isTrainable);
    const variables = trainable.map((info) => params.get(info.key) as tf.Variable);
    const x = tf.randomUniform([8, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const run = async (gatesOpByOp: boolean) => {
      const grads: Record<string, Float32Array> = {};
      const profile = await tf.profile(async () => {
        const { value, grads: g } = tf.variableGrads(() => {
          const y = execute(a.graph, x, { params, training: true, gatesOpByOp });
          return tf.sum(tf.mul(y, tf.linspace(-1, 1, y.size).reshape(y.shape))) as tf.Scalar;
        }, variables);
        for (const [i, info] of trainable.entries()) if (info.key.includes('.fc')) grads[info.key] = (await g[variables[i]!.name]!.data()) as Float32Array;
        tf.dispose([value, ...Object.values(g)]);
      });
      // Counted now: tfjs hands every tf.profile the same record object, which the next profile overwrites.
      const calls = new Map<string, number>();
      for (const k of profile.kernels) calls.set(k.name, (calls.get(k.name) ?? 0) + 1);
      return { grads, calls: (name: string) => calls.get(name) ?? 0 };
    };
    const [fused, apart] = [await run(false), await run(true)];
    expect([fused.calls(SQUEEZE_EXCITE), fused.calls(SQUEEZE_EXCITE_GRAD)]).toEqual([16, 16]);
    expect(apart.calls(SQUEEZE_EXCITE)).toBe(0);
    // The gates' own parameters: 16 gates x two layers x weight and bias. Through 16 blocks of BatchNorms
    // over a batch of 8 (1x1 maps at the end), last-bit differences grow; 1e-3 of the largest gradient of
    // each tensor still catches any wrong formula (a gate read transposed moves them by O(1)).
    const keys = Object.keys(fused.grads);
    expect(keys.length).toBe(64);
    for (const k of keys) {
      const [f, o] = [fused.grads[k]!, apart.grads[k]!];
      const scale = Math.max(...Array.from(o, Math.abs));
      expect(maxScaledDiff(f, o, new Float32Array(o.length).fill(scale)), k).toBeLessThan(1e-3);
    }
    tf.dispose([x, ...params.values()]);
  }, 120_000);
});
