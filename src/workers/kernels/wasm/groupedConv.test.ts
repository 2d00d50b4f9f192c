/**
 * The WASM grouped-convolution kernels (native SIMD, groupedConv.ts) against the float64 plain-loop
 * reference, on every shared test case: forward, input gradient and filter gradient within 1e-5; both
 * builds, relaxed SIMD (fused multiply-adds) and plain (native.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../../engine/backend';
import { groupedConv2dWith } from '../../engine/groupedConv';
import { nativeFilterGradientOptions } from './groupedConv';
import { nativesOnBackendMemory, nativesRelaxedSimd, useRelaxedSimd } from './native';
import { GROUPED_CONV_CASES, type GroupedConvCase, caseData, maxAbsDiff, referenceGroupedConv } from '../../engine/groupedConvCases';

const TOLERANCE = 1e-5;

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

afterAll(() => useRelaxedSimd(true, tf.backend() as BackendWasm));

describe.each([
  ['relaxed SIMD', true],
  ['plain SIMD', false],
] as const)('grouped convolution by the wasm kernels (%s build) against the float64 reference', (_build, relaxed) => {
  beforeAll(() => useRelaxedSimd(relaxed, tf.backend() as BackendWasm));

  it('runs the build asked for (Node validates relaxed SIMD with --experimental-wasm-relaxed-simd: vite.config.ts)', () => {
    const k = GROUPED_CONV_CASES[2]!;
    const d = caseData(k, 1);
    tf.dispose(groupedConv2dWith('wasm', tf.tensor4d(d.x, d.xShape), tf.tensor4d(d.filter, d.filterShape), k.groups, k.stride, k.pad));
    expect(nativesRelaxedSimd()).toBe(relaxed);
  });

  it.each(GROUPED_CONV_CASES.map((k, i) => [k.name, i] as const))('%s: forward, dx and dfilter within 1e-5', async (_name, i) => {
    const k = GROUPED_CONV_CASES[i]!;
    const d = caseData(k, 11 + i);
    const ref = referenceGroupedConv(k, d);
    const before = tf.memory().numTensors;
    const conv = (a: tf.Tensor, b: tf.Tensor) => groupedConv2dWith('wasm', a as tf.Tensor4D, b as tf.Tensor4D, k.groups, k.stride, k.pad);
    const x = tf.tensor4d(d.x, d.xShape);
    const filter = tf.tensor4d(d.filter, d.filterShape);
    const dy = tf.tensor4d(d.dy, d.yShape);
    const y = conv(x, filter);
    expect(y.shape).toEqual(d.yShape);
    const [dx, dfilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, filter]) as [tf.Tensor, tf.Tensor];
    expect(maxAbsDiff(await y.data(), ref.y)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(await dx.data(), ref.dx)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(await dfilter.data(), ref.dfilter)).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose([x, filter, dy, y, dx, dfilter]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("runs on tfjs' own memory: no copies in or out (native.ts)", () => {
    const k = GROUPED_CONV_CASES[2]!;
    const d = caseData(k, 1);
    tf.dispose(groupedConv2dWith('wasm', tf.tensor4d(d.x, d.xShape), tf.tensor4d(d.filter, d.filterShape), k.groups, k.stride, k.pad));
    expect(nativesOnBackendMemory()).toBe(true);
  });

  it('a wrong filter is caught: the reference differs by far more than the tolerance', async () => {
    const i = GROUPED_CONV_CASES.findIndex((k) => k.groups > 1);
    const k = GROUPED_CONV_CASES[i]!;
    const d = caseData(k, 11 + i);
    const ref = referenceGroupedConv(k, d);
    const reversed = Float32Array.from(d.filter).reverse();
    const y = groupedConv2dWith('wasm', tf.tensor4d(d.x, d.xShape), tf.tensor4d(reversed, d.filterShape), k.groups, k.stride, k.pad);
    expect(maxAbsDiff(await y.data(), ref.y)).toBeGreaterThan(0.01);
  });
});

/**
 * Batches of more than one chunk of images: the filter gradient is summed per chunk, then the chunks in
 * order (groupedConv.ts nativeFilterGradientOptions). 19 images: chunks of 8, 8 and 3.
 */
describe('the filter gradient over chunks of images (wasm)', () => {
  const BIG: GroupedConvCase[] = [
    { name: 'groups 8 (8x4d), 3x3, stride 1, pad 1, 5x6, batch 19', batch: 19, height: 5, width: 6, inChannels: 32, outChannels: 32, groups: 8, kernel: 3, stride: 1, pad: 1 },
    { name: 'depthwise 24, 5x5, stride 2, pad 2, 7x7, batch 19', batch: 19, height: 7, width: 7, inChannels: 24, outChannels: 24, groups: 24, kernel: 5, stride: 2, pad: 2 },
    { name: 'groups 1, 3x3, stride 2, pad 1, 6x6, batch 19', batch: 19, height: 6, width: 6, inChannels: 6, outChannels: 10, groups: 1, kernel: 3, stride: 2, pad: 1 },
  ];
  const filterGradient = async (k: GroupedConvCase, imagesPerChunk: number) => {
    const saved = nativeFilterGradientOptions.imagesPerChunk;
    nativeFilterGradientOptions.imagesPerChunk = imagesPerChunk;
    try {
      const d = caseData(k, 5);
      const [x, filter, dy] = [tf.tensor4d(d.x, d.xShape), tf.tensor4d(d.filter, d.filterShape), tf.tensor4d(d.dy, d.yShape)];
      const conv = (a: tf.Tensor, b: tf.Tensor) => groupedConv2dWith('wasm', a as tf.Tensor4D, b as tf.Tensor4D, k.groups, k.stride, k.pad);
      const [, dfilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, filter]) as [tf.Tensor, tf.Tensor];
      const out = (await dfilter.data()) as Float32Array;
      tf.dispose([x, filter, dy, dfilter]);
      return { out, ref: referenceGroupedConv(k, d).dfilter };
    } finally {
      nativeFilterGradientOptions.imagesPerChunk = saved;
    }
  };

  it.each(BIG.map((k) => [k.name, k] as const))('%s: within 1e-5 of float64, and not bit for bit the split by units (the chunks ran)', async (_name, k) => {
    expect(nativeFilterGradientOptions.imagesPerChunk).toBe(8);
    const chunked = await filterGradient(k, 8);
    const byUnits = await filterGradient(k, 0);
    expect(maxAbsDiff(chunked.out, chunked.ref)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(byUnits.out, byUnits.ref)).toBeLessThanOrEqual(TOLERANCE);
    // Another summation order: some element differs in its last bits (so the chunked kernels did run).
    expect(chunked.out.some((v, i) => v !== byUnits.out[i])).toBe(true);
  });
});
