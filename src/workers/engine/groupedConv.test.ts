/**
 * groupedConv2d on the tfjs CPU backend against a plain-loop float64 reference: the forward pass
 * and the gradients dL/dx, dL/dfilter (L = sum(y * dy)) through tf.grads. Every exact formulation
 * other than the WebGPU kernels (checked in e2e/groupedConv.spec.ts) is checked the same way.
 * Tolerance: 1e-5 max abs (float32 against float64; the values are of order 1).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GROUPED_CONV_METHODS, groupedConv2d, groupedConv2dSplit, groupedConv2dWith, groupedConvMethodFor, type GroupedConvMethod } from './groupedConv';
import { GROUPED_CONV_CASES, caseData, maxAbsDiff, referenceGroupedConv } from './groupedConvCases';
import { groupedConvGeometry } from '../kernels/groupedConvOp';

const TOLERANCE = 1e-5;

type Conv = (x: tf.Tensor4D, f: tf.Tensor4D, groups: number, stride: number, pad: number) => tf.Tensor4D;

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

async function check(conv: Conv, caseIndex: number): Promise<{ y: number; dx: number; dfilter: number }> {
  const k = GROUPED_CONV_CASES[caseIndex]!;
  const d = caseData(k, 11 + caseIndex);
  const ref = referenceGroupedConv(k, d);
  const x = tf.tensor4d(d.x, d.xShape);
  const filter = tf.tensor4d(d.filter, d.filterShape);
  const dy = tf.tensor4d(d.dy, d.yShape);
  const y = conv(x, filter, k.groups, k.stride, k.pad);
  expect(y.shape).toEqual(d.yShape);
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D, k.groups, k.stride, k.pad), dy)));
  const [dx, dfilter] = grads([x, filter]) as [tf.Tensor, tf.Tensor];
  const diffs = {
    y: maxAbsDiff(await y.data(), ref.y),
    dx: maxAbsDiff(await dx.data(), ref.dx),
    dfilter: maxAbsDiff(await dfilter.data(), ref.dfilter),
  };
  tf.dispose([x, filter, dy, y, dx, dfilter]);
  return diffs;
}

const cases = GROUPED_CONV_CASES.map((k, i) => [k.name, i] as const);

describe('groupedConv2d (cpu backend) against the plain-loop reference', () => {
  it.each(cases)('%s: forward, dx and dfilter within 1e-5', async (_name, i) => {
    const diffs = await check(groupedConv2d, i);
    expect(diffs.y).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.dx).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.dfilter).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe.each(GROUPED_CONV_METHODS.filter((m): m is Exclude<GroupedConvMethod, 'webgpu' | 'wasm'> => m !== 'webgpu' && m !== 'wasm'))('the %s formulation', (method) => {
  it.each(cases)('%s: forward, dx and dfilter within 1e-5', async (_name, i) => {
    const diffs = await check((...args) => groupedConv2dWith(method, ...args), i);
    expect(diffs.y).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.dx).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.dfilter).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('the reference itself can fail', () => {
  it('a filter with one group swapped differs from the reference by far more than the tolerance', async () => {
    const i = GROUPED_CONV_CASES.findIndex((k) => k.groups === 4 && k.outChannels === 12 && k.kernel === 3);
    const k = GROUPED_CONV_CASES[i]!;
    // The wrong grouping: output group g reads input group (g+1) mod G.
    const wrong: Conv = (x, f, groups, stride, pad) => {
      const cinG = k.inChannels / groups;
      const rolled = tf.concat([tf.slice(x, [0, 0, 0, cinG], [-1, -1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, cinG])], 3);
      return groupedConv2dSplit(rolled, f, groups, stride, pad);
    };
    const diffs = await check(wrong, i);
    expect(diffs.y).toBeGreaterThan(0.1);
  });
});

describe('groupedConv2d', () => {
  it('rejects groups that do not divide the channels, and a filter of the wrong in-depth', () => {
    const x = tf.zeros([1, 4, 4, 6]) as tf.Tensor4D;
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, 4, 1, 1)).toThrow(/groups \(4\) must divide/);
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 2, 8]) as tf.Tensor4D, 3, 1, 1)).toThrow(/groups \(3\) must divide Cin \(6\) and Cout \(8\)/);
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 3, 6]) as tf.Tensor4D, 3, 1, 1)).toThrow(/in-depth 3 must be Cin\/groups = 2/);
  });

  it('computes the output size as PyTorch does (floor)', () => {
    expect(groupedConvGeometry([1, 7, 8, 4], [3, 3, 2, 4], 2, 2, 1)).toMatchObject({ outHeight: 4, outWidth: 4 });
    expect(groupedConvGeometry([1, 7, 7, 4], [1, 1, 2, 4], 2, 2, 0)).toMatchObject({ outHeight: 4, outWidth: 4 });
  });

  it('picks the measured formulation per backend (bench/groupedConv.bench.ts)', () => {
    const layer = (cin: number, cout: number, groups: number) => groupedConvGeometry([8, 16, 16, cin], [3, 3, cin / groups, cout], groups, 1, 1);
    const x32x4d = layer(128, 128, 32);
    expect(groupedConvMethodFor('webgpu', x32x4d)).toBe('webgpu');
    expect(groupedConvMethodFor('wasm', x32x4d)).toBe('wasm');
    expect(groupedConvMethodFor('wasm', layer(512, 512, 32))).toBe('wasm');
    expect(groupedConvMethodFor('wasm', layer(24, 24, 4))).toBe('depthwiseExpanded'); // 6 per group: not a multiple of 4
    expect(groupedConvMethodFor('wasm', layer(80, 80, 8))).toBe('split'); // 10 per group: not a multiple of 4
    expect(groupedConvMethodFor('webgl', x32x4d)).toBe('im2col');
    expect(groupedConvMethodFor('cpu', x32x4d)).toBe('split');
    expect(groupedConvMethodFor('cpu', layer(64, 64, 1))).toBe('split');
    expect(groupedConvMethodFor('cpu', layer(64, 128, 64))).toBe('depthwise');
    expect(groupedConvMethodFor('wasm', layer(64, 64, 64))).toBe('depthwise');
    expect(groupedConvMethodFor('wasm', layer(64, 128, 64))).toBe('depthwiseExpanded');
    expect(groupedConvMethodFor('wasm', layer(32, 32, 8))).toBe('wasm'); // classroom ResNeXt-29 8x4d, stage 1
    expect(groupedConvMethodFor('wasm', layer(64, 64, 8))).toBe('wasm'); // 8 per group
  });

  it('leaves no tensors behind over 20 forward+backward calls inside tf.tidy', () => {
    const k = GROUPED_CONV_CASES[4]!;
    const d = caseData(k);
    const x = tf.tensor4d(d.x, d.xShape);
    const filter = tf.tensor4d(d.filter, d.filterShape);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(groupedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, k.groups, k.stride, k.pad)));
    const step = () =>
      tf.tidy(() => {
        groupedConv2d(x, filter, k.groups, k.stride, k.pad);
        grads([x, filter]);
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, filter]);
  });
});
