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
import { nativesOnBackendMemory, nativesRelaxedSimd, useRelaxedSimd } from './native';
import { GROUPED_CONV_CASES, caseData, maxAbsDiff, referenceGroupedConv } from '../../engine/groupedConvCases';

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
