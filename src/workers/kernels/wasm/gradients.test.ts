/**
 * The WASM training kernels against the CPU backend: every gradient our models take on 'wasm' is computed
 * on both backends from the same inputs and compared. Tolerance: max |wasm − cpu| ≤ 1e-4 absolute and
 * ≤ 1e-5 relative to the largest gradient magnitude; the achieved figures are printed at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../../engine/backend';
import { registerKernels } from '..';
import { WASM_COPY_KERNEL_NAMES, WASM_GRADIENT_KERNEL_NAMES } from '.';
import { IM2COL_LIMIT, NATIVE_DENSE_CONV, NATIVE_FILTER_GRADIENT } from './gradients';

const ABS_TOLERANCE = 1e-4;
const REL_TOLERANCE = 1e-5;
const TIMEOUT_MS = 60_000;

/** In Node the wasm binaries load from the package's dist folder as a plain path (a file:// URL works too). */
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;

type Grads = (...inputs: tf.Tensor[]) => tf.Tensor;
interface Comparison {
  maxAbsDiff: number;
  maxMagnitude: number;
}
const achieved: Array<{ case: string } & Comparison> = [];

beforeAll(async () => {
  setWasmPaths(WASM_DIR);
  expect(await switchBackend('wasm')).toBe(true);
}, TIMEOUT_MS);

afterAll(() => {
  if (achieved.length === 0) return;
  const relative = (a: Comparison) => a.maxAbsDiff / Math.max(1, a.maxMagnitude);
  const worstAbs = achieved.reduce((w, a) => (a.maxAbsDiff > w.maxAbsDiff ? a : w));
  const worstRel = achieved.reduce((w, a) => (relative(a) > relative(w) ? a : w));
  console.log(
    `wasm vs cpu gradients, ${achieved.length} cases: worst max-abs diff ${worstAbs.maxAbsDiff.toExponential(2)} (${worstAbs.case}, ` +
      `|grad| ≤ ${worstAbs.maxMagnitude.toFixed(1)}); worst relative ${relative(worstRel).toExponential(2)} (${worstRel.case})`,
  );
});

/** Seeded N(0, scale²) values; tfjs draws them in JavaScript, so both backends get identical bits. */
function values(shape: number[], seed: number, scale = 1): Float32Array {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale).dataSync() as Float32Array);
}

async function gradsOn(backend: string, f: Grads, inputs: Float32Array[], shapes: number[][]): Promise<Float32Array[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
  const gs = tf.grads(f)(xs);
  const out = (await Promise.all(gs.map((g) => g.data()))) as Float32Array[];
  tf.dispose([...xs, ...gs]);
  return out;
}

function compare(a: Float32Array[], b: Float32Array[]): Comparison {
  let maxAbsDiff = 0;
  let maxMagnitude = 0;
  a.forEach((ai, i) => {
    const bi = b[i]!;
    expect(ai.length).toBe(bi.length);
    for (let j = 0; j < ai.length; j++) {
      const diff = Math.abs(ai[j]! - bi[j]!);
      maxAbsDiff = Number.isNaN(diff) ? Infinity : Math.max(maxAbsDiff, diff);
      maxMagnitude = Math.max(maxMagnitude, Math.abs(bi[j]!));
    }
  });
  return { maxAbsDiff, maxMagnitude };
}

function expectClose(name: string, c: Comparison): void {
  achieved.push({ case: name, ...c });
  expect(c.maxMagnitude, `${name}: gradient is all zeros`).toBeGreaterThan(0.05);
  expect(c.maxAbsDiff, name).toBeLessThanOrEqual(ABS_TOLERANCE);
  expect(c.maxAbsDiff / Math.max(1, c.maxMagnitude), name).toBeLessThanOrEqual(REL_TOLERANCE);
}

/** Gradients of `f` w.r.t. every input on wasm and on cpu, compared. */
async function checkGrads(name: string, f: Grads, shapes: number[][], seed = 1): Promise<void> {
  const inputs = shapes.map((s, i) => values(s, seed + i));
  const onWasm = await gradsOn('wasm', f, inputs, shapes);
  const onCpu = await gradsOn('cpu', f, inputs, shapes);
  expectClose(name, compare(onWasm, onCpu));
}

/** The values of `f` on wasm and on cpu, compared (a convolution's gradients do not depend on its forward's values). */
async function checkValues(name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], seed = 1): Promise<void> {
  const inputs = shapes.map((s, i) => values(s, seed + i));
  const on = async (backend: string) => {
    expect(await tf.setBackend(backend)).toBe(true);
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const y = f(...xs);
    const out = (await y.data()) as Float32Array;
    tf.dispose([...xs, y]);
    return out;
  };
  expectClose(`${name} forward`, compare([await on('wasm')], [await on('cpu')]));
}

/** A weighted sum, so each output element gets a different upstream gradient. */
function weightedSum(y: tf.Tensor, seed: number): tf.Tensor {
  return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', seed)));
}

const PADS = ['same', 'valid', 'explicit'] as const;
type PadName = (typeof PADS)[number];

function pad(name: PadName, k: number): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  const p = (k - 1) / 2;
  return name === 'explicit'
    ? [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ]
    : name;
}

describe("registerKernels('wasm')", () => {
  it('registers each kernel for wasm only, and is idempotent', () => {
    const cpuBefore = tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
    const names = [...WASM_GRADIENT_KERNEL_NAMES, ...WASM_COPY_KERNEL_NAMES];
    const wasmBefore = names.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    registerKernels('wasm');
    registerKernels('wasm');
    expect(names.map((k) => tf.getKernel(k, 'wasm')?.kernelFunc)).toEqual(wasmBefore);
    expect(wasmBefore.every((f) => f !== undefined)).toBe(true);
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).toBe(cpuBefore);
    // Replaced stock kernels keep their setupFunc (the cwrap the replacement delegates to), so
    // registering before the backend initialises works too.
    for (const name of ['Conv2D', 'Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad', 'BatchMatMul']) {
      expect(tf.getKernel(name, 'wasm')?.setupFunc, name).toBeTypeOf('function');
    }
    expect(WASM_GRADIENT_KERNEL_NAMES).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'MaxPoolGrad',
        'AvgPoolGrad',
      ]),
    );
  });
});

// Each case three times: forward, input and filter gradient by the native direct kernels (where the
// padding is symmetric; the rest falls through to XNNPACK and im2col), and with XNNPACK's forward and
// the phase-decomposed input gradient, the filter gradient as im2col + GEMM (every case here is under
// the size limit) or as the transposed convolution that larger layers take.
describe.each([
  ['the native direct kernels', true, IM2COL_LIMIT.floats],
  ['XNNPACK and im2col', false, IM2COL_LIMIT.floats],
  ['XNNPACK and the transposed convolution', false, 0],
])('conv2d and its gradients (input and filter), NHWC, dilation 1, by %s', (_, direct, limit) => {
  const saved = IM2COL_LIMIT.floats;
  beforeAll(() => {
    IM2COL_LIMIT.floats = limit;
    NATIVE_FILTER_GRADIENT.enabled = direct;
    NATIVE_DENSE_CONV.enabled = direct;
  });
  afterAll(() => {
    IM2COL_LIMIT.floats = saved;
    NATIVE_FILTER_GRADIENT.enabled = true;
    NATIVE_DENSE_CONV.enabled = true;
  });
  for (const k of [1, 3, 5, 7]) {
    for (const stride of [1, 2]) {
      for (const padName of PADS) {
        const name = `conv2d k${k} s${stride} ${padName}`;
        it(
          name,
          async () => {
            // Height 9 and width 10: odd and even sizes, so 'same' padding is asymmetric along one axis.
            const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad(padName, k));
            const shapes = [
              [2, 9, 10, 3],
              [k, k, 3, 4],
            ];
            await checkGrads(name, (x, w) => weightedSum(conv(x!, w!), 7), shapes);
            await checkValues(name, conv, shapes);
          },
          TIMEOUT_MS,
        );
      }
    }
  }

  it(
    'conv2d 3x3 stride 2 with more channels than the batch (the filter gradient contracts N·OH·OW)',
    async () => {
      await checkGrads('conv2d k3 s2 16->8 same', (x, w) => weightedSum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'), 7), [
        [3, 8, 8, 16],
        [3, 3, 16, 8],
      ]);
    },
    TIMEOUT_MS,
  );

  it(
    "EfficientNet's stem, 3 -> 8 channels 3x3 at stride 2 with 1 pixel of padding (im2col and the native product)",
    async () => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, pad('explicit', 3));
      const shapes = [
        [2, 32, 32, 3],
        [3, 3, 3, 8],
      ];
      await checkValues('stem conv2d k3 s2 pad 1', conv, shapes);
      await checkGrads('stem conv2d k3 s2 pad 1', (x, w) => weightedSum(conv(x!, w!), 7), shapes);
    },
    TIMEOUT_MS,
  );

  it.each([
    [18, 18],
    [6, 10],
    [4, 7],
  ])(
    'conv2d 3x3 %i -> %i channels (output channels past a multiple of 4: the direct kernel\'s masked tail; the ResNet twin\'s 18)',
    async (ci, co) => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
      const shapes = [
        [2, 6, 7, ci],
        [3, 3, ci, co],
      ];
      await checkGrads(`conv2d k3 ${ci}->${co}`, (x, w) => weightedSum(conv(x!, w!), 7), shapes);
      await checkValues(`conv2d k3 ${ci}->${co}`, conv, shapes);
    },
    TIMEOUT_MS,
  );

  it(
    'fused conv2d with bias and relu',
    async () => {
      const f: Grads = (x, w, b) =>
        weightedSum(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation: 'relu' }), 7);
      await checkGrads('fused conv2d bias relu', f, [[2, 6, 6, 3], [3, 3, 3, 4], [4]]);
    },
    TIMEOUT_MS,
  );
});

describe('strided 1x1 convolutions on wasm (gathered pixels and the native products)', () => {
  it.each([
    [[2, 9, 10, 6], 5, 2, 'valid'],
    [[2, 9, 10, 6], 5, 2, 'same'],
    [[3, 8, 8, 16], 32, 2, 'valid'],
    [[1, 7, 7, 4], 3, 3, 'same'],
    [[2, 6, 6, 8], 8, 1, 'valid'],
  ] as const)('x %j, %i output channels, stride %i, %s: the forward equals the CPU backend\'s within 1e-5', async (xShape, co, stride, padding) => {
    const x = values([...xShape], 3);
    const w = values([1, 1, xShape[3], co], 4);
    const run = async (backend: string) => {
      await switchBackend(backend);
      return tf.tidy(() => tf.conv2d(tf.tensor4d(x, [...xShape]), tf.tensor4d(w, [1, 1, xShape[3], co]), stride, padding)).data();
    };
    const onWasm = (await run('wasm')) as Float32Array;
    const onCpu = (await run('cpu')) as Float32Array;
    await switchBackend('wasm');
    expectClose(`conv2d 1x1 s${stride} ${padding} forward`, compare([onWasm], [onCpu]));
  });
});

describe('depthwiseConv2d gradients, channel multiplier 1', () => {
  for (const k of [1, 3, 5, 7]) {
    for (const stride of [1, 2]) {
      for (const padName of PADS) {
        const name = `depthwise k${k} s${stride} ${padName}`;
        it(
          name,
          async () => {
            await checkGrads(name, (x, w) => weightedSum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad(padName, k)), 7), [
              [2, 9, 10, 5],
              [k, k, 5, 1],
            ]);
          },
          TIMEOUT_MS,
        );
      }
    }
  }
});

// The native depthwise kernels (groupedConv.c: depthwise_conv, depthwise_conv_backprop_input) vectorise 16
// channels, then 4, then one: 21 channels run all three; EfficientNet's late layers at 32 px are 1x1 and
// 2x2 images under 5x5 filters, where most taps lie outside the input; stride 2 with k 1 leaves input
// pixels that no tap reaches (their gradient is zero).
describe('depthwise convolution by the native kernels (forward and input gradient against the CPU backend)', () => {
  const cases = [
    [[2, 9, 10, 21], 3, 1, 'same'],
    [[2, 9, 10, 21], 5, 2, 'same'],
    [[2, 8, 8, 21], 3, 2, 'explicit'],
    [[3, 2, 2, 20], 5, 1, 'same'],
    [[3, 2, 2, 20], 5, 2, 'same'],
    [[4, 1, 1, 36], 5, 1, 'same'],
    [[2, 7, 6, 21], 1, 2, 'valid'],
    [[2, 7, 6, 3], 4, 3, 'valid'],
  ] as const;
  it.each(cases)('x %j, k %i, stride %i, %s: the forward equals the CPU backend\'s within 1e-5', async (xShape, k, stride, padding) => {
    const x = values([...xShape], 5);
    const w = values([k, k, xShape[3], 1], 6);
    const run = async (backend: string) => {
      await switchBackend(backend);
      return tf.tidy(() => tf.depthwiseConv2d(tf.tensor4d(x, [...xShape]), tf.tensor4d(w, [k, k, xShape[3], 1]), stride, pad(padding, k))).data();
    };
    const onWasm = (await run('wasm')) as Float32Array;
    const onCpu = (await run('cpu')) as Float32Array;
    await switchBackend('wasm');
    expectClose(`depthwise ${JSON.stringify(xShape)} k${k} s${stride} ${padding} forward`, compare([onWasm], [onCpu]));
  });
  it.each(cases)('x %j, k %i, stride %i, %s: the gradients equal the CPU backend\'s', async (xShape, k, stride, padding) => {
    const name = `depthwise ${JSON.stringify(xShape)} k${k} s${stride} ${padding}`;
    await checkGrads(name, (x, w) => weightedSum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad(padding, k)), 7), [[...xShape], [k, k, xShape[3], 1]]);
  });
});

describe('pooling gradients', () => {
  // Ties must break the way the CPU backend breaks them (the first window position): the "ties" case.
  const cases: Array<[string, (x: tf.Tensor4D) => tf.Tensor, number[]]> = [
    ['maxPool 3x3 s2 pad 1', (x) => tf.maxPool(tf.relu(x), 3, 2, 1), [2, 9, 10, 5]],
    ['maxPool 3x3 s2 same', (x) => tf.maxPool(tf.relu(x), 3, 2, 'same'), [2, 10, 10, 5]],
    ['maxPool 2x2 s2 valid', (x) => tf.maxPool(tf.relu(x), 2, 2, 'valid'), [2, 10, 10, 5]],
    // Each pixel twice side by side: a window's maximum is often a tie that gradients flow through
    // (ties of relu's zeros get no gradient), over vector lanes (4 channels) and the scalar tail.
    ['maxPool 3x3 s2 pad 1, ties', (x) => tf.maxPool(tf.reshape<tf.Rank.R4>(tf.tile(tf.reshape(x, [90, 1, 6]), [1, 2, 1]), [2, 9, 10, 6]), 3, 2, 1), [2, 9, 5, 6]],
    ['maxPool 2x2 s2 valid, odd size', (x) => tf.maxPool(x, 2, 2, 'valid'), [2, 9, 9, 5]],
    ['avgPool 2x2 s2 valid', (x) => tf.avgPool(x, 2, 2, 'valid'), [2, 10, 10, 5]],
    ['avgPool 3x3 s2 same', (x) => tf.avgPool(x, 3, 2, 'same'), [2, 9, 9, 5]],
    ['avgPool 3x3 s1 same', (x) => tf.avgPool(x, 3, 1, 'same'), [2, 9, 9, 5]],
  ];
  for (const [name, op, shape] of cases) {
    it(name, async () => checkGrads(name, (x) => weightedSum(op(x as tf.Tensor4D), 7), [shape]), TIMEOUT_MS);
  }
});

describe('other ops in our models', () => {
  const cases: Array<[string, Grads, number[][]]> = [
    ['mean over [1,2]', (x) => weightedSum(tf.mean(x, [1, 2]), 7), [[2, 5, 6, 4]]],
    [
      'batchNorm with moments',
      (x, gamma, beta) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        return weightedSum(tf.batchNorm(x, mean, variance, beta, gamma, 1e-3), 7);
      },
      [[4, 5, 5, 3], [3], [3]],
    ],
    ['relu', (x) => weightedSum(tf.relu(x), 7), [[2, 4, 4, 3]]],
    ['sigmoid', (x) => weightedSum(tf.sigmoid(x), 7), [[2, 4, 4, 3]]],
    ['matMul', (a, b) => weightedSum(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), 7), [[6, 5], [5, 3]]],
    ['matMul transposeA transposeB', (a, b) => weightedSum(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true), 7), [[5, 6], [3, 5]]],
    ['batched matMul', (a, b) => weightedSum(tf.matMul(a, b), 7), [[2, 6, 5], [2, 5, 3]]],
    ['concat', (a, b) => weightedSum(tf.concat([a, b], 3), 7), [[2, 3, 3, 2], [2, 3, 3, 4]]],
    ['slice', (x) => weightedSum(tf.slice(x, [0, 1, 1, 0], [2, 3, 2, 2]), 7), [[2, 5, 5, 3]]],
    ['add with broadcast', (x, b) => weightedSum(tf.add(x, b), 7), [[2, 3, 3, 4], [4]]],
    ['addN', (a, b) => weightedSum(tf.addN([a, b, a]), 7), [[2, 3, 3, 4], [2, 3, 3, 4]]],
  ];
  for (const [name, f, shapes] of cases) {
    it(name, async () => checkGrads(name, f, shapes), TIMEOUT_MS);
  }
});

/** conv3x3 s1 → relu → conv3x3 s2 → maxPool → depthwise 3x3 → mean → dense, softmax cross-entropy. */
function tinyCnnLoss(params: Record<string, tf.Tensor>, x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar {
  let h = tf.relu(tf.conv2d(x, params.conv1 as tf.Tensor4D, 1, 'same'));
  h = tf.conv2d(h, params.conv2 as tf.Tensor4D, 2, 'same');
  h = tf.maxPool(h, 3, 2, 1);
  h = tf.depthwiseConv2d(h, params.dw as tf.Tensor4D, 1, 'same');
  const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, params.dense as tf.Tensor2D), params.bias!);
  return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
}

const TINY_SHAPES: Record<string, number[]> = { conv1: [3, 3, 3, 8], conv2: [3, 3, 8, 12], dw: [3, 3, 12, 1], dense: [12, 5], bias: [5] };

describe('tiny CNN', () => {
  it(
    'loss gradient w.r.t. every variable equals the CPU backend',
    async () => {
      const init = Object.fromEntries(Object.entries(TINY_SHAPES).map(([k, s], i) => [k, values(s, 100 + i, 0.5)]));
      const xs = values([4, 16, 16, 3], 1);
      const run = async (backend: string): Promise<Float32Array[]> => {
        expect(await tf.setBackend(backend)).toBe(true);
        const params = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, tf.variable(tf.tensor(v, TINY_SHAPES[k]), true, `${k}_${backend}`)]));
        const x = tf.tensor4d(xs, [4, 16, 16, 3]);
        const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5) as tf.Tensor2D;
        const { value, grads } = tf.variableGrads(() => tinyCnnLoss(params, x, labels));
        const out = (await Promise.all(Object.keys(TINY_SHAPES).map((k) => grads[`${k}_${backend}`]!.data()))) as Float32Array[];
        tf.dispose([value, x, labels, ...Object.values(grads), ...Object.values(params)]);
        return out;
      };
      expectClose('tiny CNN loss gradient', compare(await run('wasm'), await run('cpu')));
    },
    TIMEOUT_MS,
  );

  it(
    'trains 20 SGD steps on wasm without leaking tensors or backend buffers',
    async () => {
      expect(await tf.setBackend('wasm')).toBe(true);
      const params = Object.fromEntries(Object.entries(TINY_SHAPES).map(([k, s], i) => [k, tf.variable(tf.tensor(values(s, 200 + i, 0.3), s))]));
      const x = tf.tensor4d(values([4, 16, 16, 3], 2), [4, 16, 16, 3]);
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5) as tf.Tensor2D;
      const optimizer = tf.train.sgd(0.05);
      const step = (): number => {
        const loss = optimizer.minimize(() => tinyCnnLoss(params, x, labels), true)!;
        const value = loss.dataSync()[0]!;
        loss.dispose();
        return value;
      };
      const first = step();
      const tensorsAfterFirst = tf.memory().numTensors;
      const buffersAfterFirst = tf.backend().numDataIds();
      let last = first;
      for (let i = 0; i < 19; i++) {
        last = step();
        expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
        expect(tf.backend().numDataIds()).toBe(buffersAfterFirst);
      }
      expect(last).toBeLessThan(first); // it learns: the gradients point downhill
      optimizer.dispose();
      tf.dispose([x, labels, ...Object.values(params)]);
    },
    TIMEOUT_MS,
  );
});
