/**
 * The fused training-mode BatchNorm on WASM (native/batchNorm.c through engine/execute.ts'
 * batchNormTraining) against a float64 reference and against today's tfjs formulation (the same
 * function on the CPU backend, which has no fused kernel).
 *
 * Tolerances: inputs are ~N(1.5, 3²), so y and dx are O(1-10). Float32 rounding of each element's
 * few operations is ~1e-7 relative; the channel sums are float32 over at most 256 rows, then
 * float64 (≤ 256·6e-8 ≈ 1.5e-5 relative worst case, ~1e-6 typical). So 2e-5·max(1, |reference|)
 * against float64. Against the CPU formulation the existing engine test's bounds (1e-5 output,
 * 1e-4 variance, 2e-4 gradients: engine/batchNorm.test.ts) hold unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../../engine/backend';
import { stockKernel } from './plumbing';
import { batchNormActivationTraining, batchNormAddReluTraining, batchNormReluTraining, batchNormTraining, relu, scaleChannels, silu } from '../../engine/execute';
import { BATCH_NORM_TRAINING, CHANNEL_DOT, RELU_GRAD, RUNNING_UPDATE, RUNNING_UPDATE_MANY, SILU, hasKernel } from '../batchNormOp';
import {
  BATCH_NORM_CASES,
  type BatchNormCase as Case,
  CHANNEL_DOT_CASES,
  type ChannelGateCase,
  gateReference,
  makeCase,
  makeGateCase,
  maxRelDiff,
  maxScaledDiff,
  reference,
  reluGradInputs,
  siluGrad64,
  silu64,
  values,
} from '../batchNormCases';

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

/** batchNormTraining on the current backend: y, mean, variance, dx, dgamma, dbeta as arrays. */
async function run({ x, gamma, beta, dy, shape }: Case): Promise<Float32Array[]> {
  const xs = tf.tensor4d(x, shape);
  const g = tf.tensor1d(gamma);
  const b = tf.tensor1d(beta);
  const dyT = tf.tensor4d(dy, shape);
  let stats: tf.Tensor[] = [];
  const y = batchNormTraining(xs, g, b, (mean, variance) => (stats = [mean, variance]));
  const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D), dyT)))([xs, g, b]);
  const all = [y, ...stats, ...grads];
  const out = await Promise.all(all.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([xs, g, b, dyT, ...all]);
  return out;
}

const CASES = BATCH_NORM_CASES;

describe('fused training-mode BatchNorm on wasm', () => {
  it('the backend has the fused kernel (so the tests below exercise it)', () => {
    expect(hasKernel(BATCH_NORM_TRAINING)).toBe(true);
  });

  it.each(CASES.map((s, i) => [s, i] as const))('%j: y, batch statistics and gradients within 2e-5 of float64', async (shape, i) => {
    const k = makeCase(shape, 100 + i);
    const ref = reference(k);
    const got = await run(k);
    const want = [ref.y, ref.mean, ref.variance, ref.dx, ref.dgamma, ref.dbeta];
    ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, j) => expect(maxRelDiff(got[j]!, want[j]!), name).toBeLessThanOrEqual(2e-5));
  });

  it.each(CASES.map((s, i) => [s, i] as const))('%j: matches the tfjs formulation (CPU backend) within the engine test bounds', async (shape, i) => {
    const k = makeCase(shape, 200 + i);
    const got = await run(k);
    expect(await switchBackend('cpu')).toBe(true);
    const want = await run(k);
    expect(await switchBackend('wasm')).toBe(true);
    const bounds = [1e-5, 1e-5, 1e-4, 2e-4, 2e-4, 2e-4];
    bounds.forEach((bound, j) => {
      let worst = 0;
      for (let e = 0; e < want[j]!.length; e++) worst = Math.max(worst, Math.abs(got[j]![e]! - want[j]![e]!));
      expect(worst, ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'][j]).toBeLessThan(bound);
    });
  });

  it('a mean far from zero (x = 100 ± 1): output, statistics and dx within 2e-5 of float64', async () => {
    // Sums of x in float32 lose the mean's low digits here (a 256-row block sums to ~25600); the kernel
    // recovers them from the deviations' sums (before it, y was off by 7e-5). dγ = Σ dy·(x - μ)·σ⁻¹ keeps
    // the float32 rounding of μ (~4e-6 at 100) times Σ dy: ~1e-4 here, in any BatchNorm whose saved μ is
    // float32; it is held to 2e-4.
    const k = makeCase([3, 15, 13, 20], 300, 1, 100);
    const ref = reference(k);
    const got = await run(k);
    const want = [ref.y, ref.mean, ref.variance, ref.dx, ref.dgamma, ref.dbeta];
    const bounds = [2e-5, 2e-5, 2e-5, 2e-5, 2e-4, 2e-5];
    ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, j) => expect(maxRelDiff(got[j]!, want[j]!), name).toBeLessThanOrEqual(bounds[j]!));
  });

  it('a wrong answer is caught: channels of gamma swapped differ by far more than the tolerance', async () => {
    const k = makeCase([2, 4, 4, 8], 7);
    const ref = reference(k);
    const got = await run({ ...k, gamma: Float32Array.from(k.gamma).reverse() });
    expect(maxRelDiff(got[0]!, ref.y)).toBeGreaterThan(1e-2);
    expect(maxRelDiff(got[3]!, ref.dx)).toBeGreaterThan(1e-3);
  });

  it('leaks nothing, with or without the statistics', () => {
    const x = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
    const [g, b] = [tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D];
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(batchNormTraining(a as tf.Tensor4D, g, b)))([x]));
    expect(tf.memory().numTensors).toBe(before);
    const kept: tf.Tensor[] = [];
    tf.dispose(batchNormTraining(x, g, b, (mean, variance) => kept.push(mean, variance)));
    tf.dispose(kept);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });
});

describe("the channel gate's gradient on wasm (squeeze-and-excitation)", () => {
  /** Gradients of Σ dy·scaleChannels(x, gate) for x and gate, on the current backend. */
  async function gateGrads({ shape, x, gate, dy }: ChannelGateCase): Promise<Float32Array[]> {
    const [xs, gs, dys] = [tf.tensor4d(x, shape), tf.tensor4d(gate, [shape[0], 1, 1, shape[3]]), tf.tensor4d(dy, shape)];
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(scaleChannels(a as tf.Tensor4D, g as tf.Tensor4D), dys)))([xs, gs]);
    const out = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose([xs, gs, dys, ...grads]);
    return out;
  }

  it.each(CHANNEL_DOT_CASES.map((s, i) => [s, i] as const))('%j: dx and dgate within 2e-5 of float64 (dgate relative to its terms)', async (shape, i) => {
    expect(hasKernel(CHANNEL_DOT)).toBe(true);
    const k = makeGateCase(shape, 700 + i);
    const ref = gateReference(k);
    const [dx, dgate] = await gateGrads(k);
    expect(maxScaledDiff(dx!, ref.dx)).toBeLessThanOrEqual(2e-5);
    expect(maxScaledDiff(dgate!, ref.dgate, ref.magnitude)).toBeLessThanOrEqual(2e-5);
  });

  it('the kernel runs (one call per gate gradient) and leaks nothing', async () => {
    const k = makeGateCase([2, 6, 6, 24], 9);
    const before = tf.memory().numTensors;
    const profile = await tf.profile(() => gateGrads(k));
    expect(profile.kernels.filter((r) => r.name === CHANNEL_DOT)).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives what tfjs\' broadcast-multiply gradient gives (CPU backend) within the same bound', async () => {
    const k = makeGateCase([3, 9, 9, 40], 11);
    const [dx, dgate] = await gateGrads(k);
    expect(await switchBackend('cpu')).toBe(true);
    const [cdx, cdgate] = await gateGrads(k);
    expect(await switchBackend('wasm')).toBe(true);
    const ref = gateReference(k);
    expect(Array.from(dx!)).toEqual(Array.from(cdx!)); // dy · gate: the same multiply
    expect(maxScaledDiff(dgate!, cdgate!, ref.magnitude)).toBeLessThanOrEqual(2e-5);
  });
});

describe("ReLU's fused gradient on wasm", () => {
  it('gives bit for bit the values of tfjs\' dy * step(x), zeros and ties included', async () => {
    expect(hasKernel(RELU_GRAD)).toBe(true);
    // Inputs with exact zeros (the kink: derivative 0, as step), negatives and positives; odd length (a scalar tail).
    const inputs = reluGradInputs();
    const [x, dy] = [tf.tensor1d(inputs.x), tf.tensor1d(inputs.dy)];
    const fused = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(relu(a), dy)))(x);
    const stock = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), dy)))(x);
    const [f, s] = [await fused.data(), await stock.data()];
    let differing = 0;
    for (let i = 0; i < f.length; i++) if (!Object.is(f[i], s[i])) differing++;
    expect(differing).toBe(0);
    // And it is not trivially equal: about half the gradient is zero, the rest is dy.
    expect(Array.from(f).filter((v) => v === 0).length).toBeGreaterThan(1500);
    tf.dispose([x, dy, fused, stock]);
  });
});

/** The fused kernels' outputs equal the separate ops' value for value (-0 and 0 are the same value). */
function expectSameValues(names: string[], fused: ArrayLike<number>[], apart: ArrayLike<number>[]): void {
  names.forEach((name, j) => {
    const [a, b] = [fused[j]!, apart[j]!];
    expect(a.length, name).toBe(b.length);
    let differing = 0;
    for (let e = 0; e < a.length; e++) if (a[e] !== b[e]) differing++;
    expect(differing, name).toBe(0);
  });
}

/**
 * y, the batch mean and variance, and the gradients of sum(y·dy) for x, gamma and beta, where
 * y = f(x, gamma, beta, onStats): a BatchNorm with an activation, fused or as separate ops.
 */
async function bnActivationPass(
  [x, gamma, beta, dy]: [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D],
  f: (x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, onStats: (m: tf.Tensor1D, v: tf.Tensor1D) => void) => tf.Tensor,
): Promise<ArrayLike<number>[]> {
  const stats: tf.Tensor[] = [];
  const onStats = (m: tf.Tensor1D, v: tf.Tensor1D) => void stats.push(m, v);
  const g = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D, onStats);
  const y = g(x, gamma, beta);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(g(a, b, c), dy)))([x, gamma, beta]);
  const out = await Promise.all([y, ...stats.slice(0, 2), ...grads].map((t) => t.data()));
  tf.dispose([y, ...stats, ...grads]);
  return out;
}

describe('BatchNorm and ReLU fused on wasm (batchNormReluTraining)', () => {
  it('gives the values of BatchNorm then ReLU: output, batch statistics and the three gradients', async () => {
    const shape: [number, number, number, number] = [3, 11, 13, 20]; // 429 rows: two blocks of the sums
    const x = tf.tensor4d(values(3 * 11 * 13 * 20, 7, 3, 0.5), shape);
    const gamma = tf.tensor1d(values(20, 8, 1, 0.2));
    const beta = tf.tensor1d(values(20, 9, 0.5));
    const dy = tf.tensor4d(values(3 * 11 * 13 * 20, 10), shape);
    const inputs = [x, gamma, beta, dy] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];
    const run = (fused: boolean) =>
      bnActivationPass(inputs, (a, g, b, onStats) => (fused ? batchNormReluTraining(a, g, b, onStats)! : relu(batchNormTraining(a, g, b, onStats))));
    const [fused, apart] = [await run(true), await run(false)];
    expectSameValues(['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'], fused, apart);
    // Not vacuous: the ReLU zeroes a good share of the outputs and their gradients.
    expect(Array.from(fused[0]!).filter((v) => v === 0).length).toBeGreaterThan(800);
    tf.dispose([x, gamma, beta, dy]);
  });
});

describe('a residual join fused on wasm (batchNormAddReluTraining)', () => {
  it('gives the values of BatchNorm, the addition and ReLU: output, statistics and all four gradients', async () => {
    const shape: [number, number, number, number] = [3, 11, 13, 22]; // 429 rows, 16 + 4 + 2 channels
    const n = 3 * 11 * 13 * 22;
    const x = tf.tensor4d(values(n, 17, 3, 0.5), shape);
    const gamma = tf.tensor1d(values(22, 18, 1, 0.2));
    const beta = tf.tensor1d(values(22, 19, 0.5));
    const residual = tf.tensor4d(values(n, 20, 2, -0.3), shape);
    const dy = tf.tensor4d(values(n, 21), shape);
    const run = async (fused: boolean) => {
      const stats: tf.Tensor[] = [];
      const onStats = (m: tf.Tensor1D, v: tf.Tensor1D) => stats.push(m, v);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => {
        const [a4, g1, b1, r4] = [a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, r as tf.Tensor4D];
        return fused ? batchNormAddReluTraining(a4, g1, b1, r4, onStats)! : relu(tf.add(batchNormTraining(a4, g1, b1, onStats), r4));
      };
      const y = f(x, gamma, beta, residual);
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(f(a, g, b, r), dy)))([x, gamma, beta, residual]);
      const out = await Promise.all([y, ...stats.slice(0, 2), ...grads].map((t) => t.data()));
      tf.dispose([y, ...stats, ...grads]);
      return out;
    };
    const [fused, apart] = [await run(true), await run(false)];
    expectSameValues(['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta', 'dresidual'], fused, apart);
    // Not vacuous: the ReLU zeroes a good share of the outputs, and the residual moved them (BatchNorm's output alone differs).
    expect(Array.from(fused[0]!).filter((v) => v === 0).length).toBeGreaterThan(2000);
    const bnOnlyTensor = batchNormTraining(x, gamma, beta);
    const bnOnly = await bnOnlyTensor.data();
    bnOnlyTensor.dispose();
    expect(Array.from(fused[0]!).filter((v, e) => v > 0 && v !== bnOnly[e]).length).toBeGreaterThan(2000);
    tf.dispose([x, gamma, beta, residual, dy]);
  });

  it('rejects a residual of another shape', () => {
    const x = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    const r = tf.zeros([1, 2, 2, 8]) as tf.Tensor4D;
    expect(() => batchNormAddReluTraining(x, tf.ones([4]), tf.zeros([4]), r)).toThrow(/residual of shape \[1, 2, 2, 8\]/);
    tf.dispose([x, r]);
  });
});

describe('SiLU by the native kernels on wasm', () => {
  // The kernels' own e^x (a degree-6 polynomial on [-ln2/2, ln2/2] and the exponent bits) is within a few
  // float32 ulp; sigmoid, the product and the derivative add a few roundings each: 1e-6 relative to
  // max(1, |value|) leaves ~8 ulp. Far inputs reach the clamps (e^x for |x| > 87): sigmoid is then 0 or 1
  // to float32's precision anyway.
  const xs = Float32Array.from([...values(4097, 31, 12), -100, -88, -87.5, -30, -1e-8, 0, 1e-8, 30, 87.5, 88.5, 100]);

  it('y = x·sigmoid(x) and dx = dy·silu\'(x) within 1e-6 of float64 (relative to max(1, |value|))', async () => {
    expect(hasKernel(SILU)).toBe(true);
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(values(xs.length, 32, 2));
    const y = silu(x);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(silu(a), dy)))(x);
    const [gy, gdx, gdy] = [await y.data(), await dx.data(), await dy.data()];
    let worstY = 0;
    let worstDx = 0;
    xs.forEach((v, i) => {
      const wy = silu64(v);
      const wdx = gdy[i]! * siluGrad64(v);
      worstY = Math.max(worstY, Math.abs(gy[i]! - wy) / Math.max(1, Math.abs(wy)));
      worstDx = Math.max(worstDx, Math.abs(gdx[i]! - wdx) / Math.max(1, Math.abs(wdx)));
    });
    expect(worstY).toBeLessThanOrEqual(1e-6);
    expect(worstDx).toBeLessThanOrEqual(1e-6);
    // And it is SiLU, not something near it: at -100 it is -0 to float32 (−3.7e-42 underflows), at 100 it is 100.
    expect(Math.abs(gy[xs.length - 11]!)).toBeLessThan(1e-30);
    expect(gy[xs.length - 1]).toBe(100);
    tf.dispose([x, dy, y, dx]);
  });

  it('agrees with tfjs\' x·sigmoid(x) within 1e-6 (tfjs\' sigmoid is its own approximation)', async () => {
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(values(xs.length, 33, 2));
    const f = (a: tf.Tensor) => tf.sum(tf.mul(silu(a), dy));
    const g = (a: tf.Tensor) => tf.sum(tf.mul(tf.mul(a, tf.sigmoid(a)), dy));
    const [ours, theirs] = [tf.grad(f)(x), tf.grad(g)(x)];
    const [a, b] = [await ours.data(), await theirs.data()];
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-6);
    tf.dispose([x, dy, ours, theirs]);
  });
});

describe('BatchNorm and SiLU fused on wasm (batchNormActivationTraining)', () => {
  it('gives the values of BatchNorm then SiLU: output, batch statistics and the three gradients', async () => {
    const shape: [number, number, number, number] = [3, 11, 13, 22]; // 429 rows: two blocks; 16 + 4 + 2 channels
    const n = 3 * 11 * 13 * 22;
    const x = tf.tensor4d(values(n, 41, 3, 0.5), shape);
    const gamma = tf.tensor1d(values(22, 42, 1, 0.2));
    const beta = tf.tensor1d(values(22, 43, 0.5));
    const dy = tf.tensor4d(values(n, 44), shape);
    const inputs = [x, gamma, beta, dy] as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];
    const run = (fused: boolean) =>
      bnActivationPass(inputs, (a, g, b, onStats) => (fused ? batchNormActivationTraining(a, g, b, 'silu', onStats)! : silu(batchNormTraining(a, g, b, onStats))));
    const [fused, apart] = [await run(true), await run(false)];
    // The standalone SiLU kernels' float operations, in BatchNorm's passes: the same values.
    expectSameValues(['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'], fused, apart);
    // Not vacuous: SiLU changed the output (negative pre-activations shrink toward 0).
    const bnOnlyTensor = batchNormTraining(x, gamma, beta);
    const bnOnly = await bnOnlyTensor.data();
    bnOnlyTensor.dispose();
    expect(Array.from(fused[0]!).filter((v, e) => Math.abs(v - bnOnly[e]!) > 0.1).length).toBeGreaterThan(2000);
    tf.dispose([x, gamma, beta, dy]);
  });
});

describe("the running statistics' update on wasm (one call)", () => {
  it("gives bit for bit tfjs' running·keep + batch·scale, and rejects tensors of different shapes", async () => {
    expect(hasKernel(RUNNING_UPDATE)).toBe(true);
    const c = 1283; // past any vector width, an odd tail
    const running = tf.tensor1d(values(c, 51, 2, 0.5));
    const batch = tf.tensor1d(values(c, 52, 3, 1));
    // PyTorch's momentum 0.1, and a variance's unbiasing scale m·n/(n - 1) that is not a float32 value.
    for (const [keep, scale] of [[0.9, 0.1], [1 - 0.1, (0.1 * 2048) / 2047]] as const) {
      const fused = tf.engine().runKernel(RUNNING_UPDATE, { running, batch }, { keep, scale }) as tf.Tensor;
      const apart = tf.add(tf.mul(running, tf.scalar(keep)), tf.mul(batch, scale));
      const [f, a] = [await fused.data(), await apart.data()];
      expect(Array.from(f)).toEqual(Array.from(a));
      // Not vacuous: the update moved the values.
      expect(Array.from(f).filter((v, i) => v !== running.dataSync()[i]).length).toBeGreaterThan(c / 2);
      tf.dispose([fused, apart]);
    }
    const other = tf.tensor1d(values(c - 1, 53));
    expect(() => tf.engine().runKernel(RUNNING_UPDATE, { running, batch: other }, { keep: 0.9, scale: 0.1 })).toThrow(/differ in shape/);
    tf.dispose([running, batch, other]);
  });

  it('all of them in one call: bit for bit the one-estimate kernel, in place where only a variable holds the data', async () => {
    expect(hasKernel(RUNNING_UPDATE_MANY)).toBe(true);
    const sizes = [1283, 4, 7, 96];
    const scales = [0.1, (0.1 * 2048) / 2047, 0.3, 0.05];
    const variables = sizes.map((n, k) => {
      const t = tf.tensor1d(values(n, 60 + k, 2, 0.5));
      const v = tf.variable(t, false);
      t.dispose();
      return v;
    });
    const batches = sizes.map((n, k) => tf.tensor1d(values(n, 70 + k, 3, 1)));
    const snapshot = tf.clone(variables[2]!); // shares estimate 2's data: that one gets a new tensor
    const want = await Promise.all(variables.map((v, k) => (tf.engine().runKernel(RUNNING_UPDATE, { running: v, batch: batches[k]! }, { keep: 0.9, scale: scales[k]! }) as tf.Tensor).data()));
    const inputs: tf.NamedTensorMap = {};
    variables.forEach((v, k) => Object.assign(inputs, { [`running${k}`]: v, [`batch${k}`]: batches[k]! }));
    const dataIds = variables.map((v) => v.dataId);
    const outputs = tf.engine().runKernel(RUNNING_UPDATE_MANY, inputs, { keep: 0.9, scale: scales }) as tf.Tensor[];
    expect(outputs.map((o, k) => o.dataId === dataIds[k])).toEqual([true, true, false, true]);
    for (const [k, o] of outputs.entries()) expect(Array.from(await o.data()), `estimate ${k}`).toEqual(Array.from(want[k]!));
    expect(Array.from(await snapshot.data()), 'the snapshot keeps its values').toEqual(Array.from(values(7, 62, 2, 0.5)));
    tf.dispose(outputs);
    expect(() => tf.engine().runKernel(RUNNING_UPDATE_MANY, inputs, { keep: 0.9, scale: scales.slice(1) })).toThrow(/one number an estimate/);
    tf.dispose([...variables, ...batches, snapshot]);
  });
});

describe('Add on wasm (native for float32 tensors of one shape, split when large; stock otherwise)', () => {
  it("gives bit for bit the stock kernel's sums for [32, 32, 32, 33] (odd channels: the SIMD tail)", async () => {
    const shape = [32, 32, 32, 33];
    const n = shape.reduce((p, q) => p * q);
    const a = tf.tensor(values(n, 5).map((v) => v * 1e3), shape);
    const b = tf.tensor(values(n, 6).map((v) => v * 1e-3), shape);
    const before = tf.memory().numTensors;
    const sum = tf.add(a, b);
    const stock = tf.engine().makeTensorFromTensorInfo(stockKernel('Add')({ inputs: { a, b }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo);
    const [got, want] = [await sum.data(), await stock.data()];
    let differing = 0;
    for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) differing++;
    expect(differing).toBe(0);
    expect(got[n - 1]).toBeCloseTo(a.dataSync()[n - 1]! + b.dataSync()[n - 1]!, 3);
    tf.dispose([sum, stock]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it('broadcasting and int32 adds (stock) and a small float32 one (native, one call) give the stock results', async () => {
    const big = tf.tensor(values(70_000, 7), [700, 100]);
    const row = tf.tensor(values(100, 8), [100]);
    const sums = (await tf.add(big, row).data()) as Float32Array;
    const [bv, rv] = [big.dataSync(), row.dataSync()];
    expect(sums[100 * 5 + 7]).toBe(Math.fround(bv[100 * 5 + 7]! + rv[7]!));
    expect(Array.from(await tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([10, 20, 30], 'int32')).data())).toEqual([11, 22, 33]);
    expect(Array.from(await tf.add(tf.tensor1d([0.5, 1]), tf.tensor1d([0.25, 2])).data())).toEqual([0.75, 3]);
    tf.dispose([big, row]);
  });
});
