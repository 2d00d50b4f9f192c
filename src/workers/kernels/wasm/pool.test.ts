/**
 * The app's native kernels split over a helper thread (pool.ts; a worker_threads worker here, a Web
 * Worker in the app) give bit for bit the values of one thread: grouped convolution forward and both
 * gradients, the depthwise filter gradient, the A·B (split by rows and by columns) and A·Bᵀ products, the Aᵀ·B weight gradient (plain and im2col), the max
 * pool's gradient, the training-mode BatchNorm's passes, ReLU's gradient, Add and the SGD update of several parameters in one call. The helpers start while the kernels' memories are small, so the
 * memories grow while they run.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../../engine/backend';
import { batchNormActivationTraining, batchNormTraining, relu } from '../../engine/execute';
import { groupedConv2dWith } from '../../engine/groupedConv';
import { SgdMomentum } from '../../training/optimizer';
import { native as batchNormNative } from './batchNorm';
import { nativeOptions } from './native';
import { HELPER_ENTRY, kernelPoolOptions, kernelThreads, parallel, readPoolStats, serial, settleKernels, splitRange, startKernelHelpers, stopKernelHelpers } from './pool';

// tfjs' memory is not shared in Node (its plain build): the modules copy through shared memories of
// their own, which helper threads can use (native.ts). The kernels are the same.
beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  nativeOptions.ownMemory = true;
  expect(await switchBackend('wasm')).toBe(true);
});
afterAll(() => {
  stopKernelHelpers();
  nativeOptions.ownMemory = false;
});

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const t4 = (shape: [number, number, number, number], seed: number) => tf.tensor4d(values(shape.reduce((a, b) => a * b), seed), shape);

/** Split calls of the last everyKernel's BatchNorm over few rows (its two output passes, forward and backward, with helpers). */
let fewRowsSplitCalls = 0;

/** Every split kernel on inputs large enough to be split; the outputs as arrays. */
async function everyKernel(): Promise<Float32Array[]> {
  const out: tf.Tensor[] = [];
  // Grouped 3x3, 8 groups of 4 channels, stride 1 and 2.
  for (const stride of [1, 2]) {
    const x = t4([4, 16 * stride, 16 * stride, 32], 1 + stride);
    const f = t4([3, 3, 4, 32], 3 + stride);
    const conv = (a: tf.Tensor, b: tf.Tensor) => groupedConv2dWith('wasm', a as tf.Tensor4D, b as tf.Tensor4D, 8, stride, 1);
    const y = conv(x, f);
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 7);
    out.push(y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, f]));
  }
  // Depthwise, 36 channels (split 4 at a time: 20 + 16).
  {
    const x = t4([8, 16, 16, 36], 11);
    const f = t4([3, 3, 36, 1], 12);
    const dy = t4([8, 16, 16, 36], 13);
    out.push(...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)))([x, f]));
  }
  // A 3-channel 3x3 convolution at stride 2 (EfficientNet's stem): im2col split by images, then the product by rows.
  out.push(tf.conv2d(t4([16, 32, 32, 3], 17), t4([3, 3, 3, 32], 18), 2, [[0, 0], [1, 1], [1, 1], [0, 0]]));
  // A·B and A·Bᵀ with 601 rows (not a multiple of the 4-row tile) and 50 columns (not a multiple of 8).
  {
    const a = tf.tensor2d(values(601 * 70, 23), [601, 70]);
    out.push(tf.matMul(a, tf.tensor2d(values(70 * 50, 24), [70, 50])), tf.matMul(a, tf.tensor2d(values(50 * 70, 25), [50, 70]), false, true));
  }
  // A·B with 20 rows and 203 columns: split by columns (matMul.ts splitsColumns), 8 at a time, the last range 8k + 3 wide.
  out.push(tf.matMul(tf.tensor2d(values(20 * 70, 33), [20, 70]), tf.tensor2d(values(70 * 203, 34), [70, 203])));
  // Aᵀ·B with 70 rows of C (not a multiple of the 4-row tile) and a dense 3x3 filter gradient (im2col).
  out.push(tf.matMul(tf.tensor2d(values(600 * 70, 21), [600, 70]), tf.tensor2d(values(600 * 50, 22), [600, 50]), true, false));
  // A·Bᵀ with 40 rows of A and B [260, 300]: as (B·Aᵀ)ᵀ (matMul.ts swapsFewRows), A's transpose, the
  // product split by B's rows and the result's transpose (16 rows at a time: 260 is not a multiple).
  out.push(tf.matMul(tf.tensor2d(values(40 * 300, 28), [40, 300]), tf.tensor2d(values(260 * 300, 29), [260, 300]), false, true));
  // Aᵀ·B over 2500 rows: three chunks of rows (matMul.ts transposedProductChunk), then their sum.
  out.push(tf.matMul(tf.tensor2d(values(2500 * 70, 26), [2500, 70]), tf.tensor2d(values(2500 * 50, 27), [2500, 50]), true, false));
  {
    const x = t4([4, 16, 16, 8], 31);
    const dy = t4([4, 16, 16, 16], 32);
    out.push(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)))([x, t4([3, 3, 8, 16], 33)])[1]!);
  }
  // Max pool 3x3 stride 2 over ReLU outputs (ties at zero: the first match takes the gradient).
  {
    const x = t4([16, 32, 32, 18], 51);
    out.push(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(a as tf.Tensor4D), 3, 2, 1), t4([16, 16, 16, 18], 52))))(x));
  }
  // BatchNorm over 36 channels, forward and gradients: 16368 rows, split by blocks of 256 (the last one short).
  {
    const x = t4([16, 31, 33, 36], 41);
    const gamma = tf.tensor1d(values(36, 42));
    const beta = tf.tensor1d(values(36, 43));
    const dy = t4([16, 31, 33, 36], 44);
    out.push(batchNormTraining(x, gamma, beta));
    out.push(...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), dy)))([x, gamma, beta]));
  }
  // BatchNorm with a fused SiLU over 64 rows of 1202 channels (EfficientNet's last stages): the output passes
  // split 8 rows at a time, the sums by channels, 16 at a time (the last range 2 short of a vector), forward and gradients.
  {
    const x = t4([16, 2, 2, 1202], 45);
    const gamma = tf.tensor1d(values(1202, 46));
    const beta = tf.tensor1d(values(1202, 47));
    const dy = t4([16, 2, 2, 1202], 48);
    const bnSilu = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNormActivationTraining(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 'silu')!;
    const before = readPoolStats().splitCalls;
    out.push(bnSilu(x, gamma, beta));
    out.push(...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(bnSilu(a, g, b), dy)))([x, gamma, beta]));
    fewRowsSplitCalls = readPoolStats().splitCalls - before;
  }
  // ReLU's fused gradient over 600000 elements (split by elements).
  {
    const x = tf.tensor1d(values(600_000, 61));
    const dy = tf.tensor1d(values(600_000, 62));
    out.push(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(relu(a), dy)))(x));
  }
  // Add of two float32 tensors of one shape (600001 elements: split by elements, the last range short).
  out.push(tf.add(tf.tensor1d(values(600_001, 63)), tf.tensor1d(values(600_001, 64))));
  // The SGD update of three parameters in one call (40001 + 7 + 25003 weights laid end to end: chunks
  // cross the parameters' ends), decay on the first and last, two Nesterov steps.
  {
    const params = [40_001, 7, 25_003].map((n, k) => ({ key: `p${k}`, variable: tf.variable(tf.tensor1d(values(n, 71 + k)), true, `pool-sgd-${Math.random()}`), decay: k !== 1 }));
    const sgd = new SgdMomentum(params, { momentum: 0.9, weightDecay: 5e-4, nesterov: true });
    for (const [step, lr] of [0.1, 0.03].entries()) {
      const grads = Object.fromEntries(params.map((p, k) => [p.variable.name, tf.tensor1d(values(p.variable.size, 81 + 3 * step + k))]));
      sgd.apply(grads, lr);
      tf.dispose(Object.values(grads));
    }
    out.push(...params.map((p) => p.variable.clone()), ...params.map((p) => sgd.buffers.get(p.key)!.clone()));
    sgd.dispose();
    tf.dispose(params.map((p) => p.variable));
  }
  const arrays = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(out);
  return arrays;
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('native kernels on a helper thread', () => {
  it('splits ranges at the grain, covering [0, total) once', () => {
    expect(splitRange(70, 2, 4)).toEqual([
      [0, 36],
      [36, 70],
    ]);
    expect(splitRange(8, 3, 1)).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
    ]);
    expect(splitRange(3, 2, 4)).toEqual([[0, 3]]);
    expect(splitRange(1, 4, 1)).toEqual([[0, 1]]);
  });

  it('tapers chunks towards the end: contiguous, at the grain, none empty, none larger than the one before', () => {
    expect(splitRange(1000, 8, 1, true).map(([lo, hi]) => hi - lo)).toEqual([222, 194, 167, 139, 111, 83, 56, 28]);
    for (const [total, parts, grain] of [[70, 8, 4], [32768, 8, 64], [9, 8, 1], [10, 8, 1], [33, 8, 4], [100, 12, 1], [5, 2, 1], [129, 64, 1]] as const) {
      const ranges = splitRange(total, parts, grain, true);
      expect(ranges.length).toBe(Math.max(1, Math.min(parts, Math.ceil(total / grain))));
      ranges.forEach(([lo, hi], i) => {
        expect(lo).toBe(i === 0 ? 0 : ranges[i - 1]![1]);
        expect(lo % grain).toBe(0);
        expect(hi).toBeGreaterThan(lo);
        if (i > 0 && i < ranges.length - 1) expect(hi - lo).toBeLessThanOrEqual(ranges[i - 1]![1] - ranges[i - 1]![0]); // (the last may be cut short by total)
      });
      expect(ranges.at(-1)![1]).toBe(total);
    }
  });

  it('gives bit for bit the values of one thread, and the helper takes work', async () => {
    const spawn = (source: string) => new Worker(`${source}\n${HELPER_ENTRY.node}`, { eval: true });
    expect(startKernelHelpers(1, spawn)).toBe(1);
    await until(() => kernelThreads() === 2, 20_000);
    expect(kernelThreads()).toBe(2);
    const before = readPoolStats();
    const split = await everyKernel();
    // 2 x (forward, input and filter gradient) + depthwise filter + im2col and its product + A·B, A·Bᵀ, A·B by columns + 2 Aᵀ·B + max pool +
    // BatchNorm's forward (two sums and the output) and backward (the sums and dx) + a few rows' BatchNorm's two output passes + ReLU's gradient + 2 SGD updates
    // + the chunked Aᵀ·B (its chunks; its sum of 3 x 3500 floats is too small to split) + A·Bᵀ's transpose and product + the Add.
    const after = readPoolStats();
    expect(after.splitCalls - before.splitCalls).toBeGreaterThanOrEqual(29);
    expect(fewRowsSplitCalls, 'the sums and output passes over 64 rows split, forward and backward (none when by blocks and 64 rows)').toBeGreaterThanOrEqual(4);
    expect(after.helperChunks - before.helperChunks, 'chunks the helper ran').toBeGreaterThan(0);
    stopKernelHelpers();
    expect(kernelThreads()).toBe(1);
    const alone = await everyKernel();
    expect(split.length).toBe(alone.length);
    for (const [i, a] of alone.entries()) {
      const b = split[i]!;
      expect(b.length).toBe(a.length);
      let differing = 0;
      for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) differing++;
      expect(differing, `output ${i}`).toBe(0);
    }
  });
});

/**
 * The queue with deferred calls (the app's setting on tfjs' own memory, which Node's tfjs cannot share):
 * the module here runs on a shared memory of its own, and the test stands in for a backend on it. A
 * chain of dependent calls (each adds b to a over a prefix of it, in 1-8 chunks, 2/3 of them tiny) must
 * run in the order posted with no chunk lost or run twice, whichever thread claims what; a backend's
 * reads wait for the queue, and its frees are held while calls are queued.
 */
describe('deferred calls on the queue', () => {
  it('run in order, every chunk once, with two helpers; reads settle the queue and frees wait for it', async () => {
    const spawn = (source: string) => new Worker(`${source}\n${HELPER_ENTRY.node}`, { eval: true });
    expect(startKernelHelpers(2, spawn)).toBe(2);
    await until(() => kernelThreads() === 3, 20_000);
    expect(kernelThreads()).toBe(3);
    const frees: number[] = [];
    const fake = { readSync: () => 'read', time: async (f: () => void) => f(), wasm: { _free: (p: number) => void frees.push(p) } };
    // The module as if on this backend's memory (own properties shadow Native's getters).
    Object.defineProperty(batchNormNative, 'onBackendMemory', { configurable: true, get: () => true });
    Object.defineProperty(batchNormNative, 'boundBackend', { configurable: true, get: () => fake });
    const minWork = kernelPoolOptions.minWork;
    kernelPoolOptions.minWork = 1;
    try {
      const memory = batchNormNative.sharing()!.memory;
      const n = 4096;
      const pa = (batchNormNative.exports.heap_base() + 4095) & ~4095;
      const pb = pa + 4 * n;
      if (memory.buffer.byteLength < pb + 4 * n) memory.grow(Math.ceil((pb + 4 * n - memory.buffer.byteLength) / 65536));
      new Float32Array(memory.buffer, pa, n).fill(0);
      new Float32Array(memory.buffer, pb, n).fill(1);
      const sizes = Array.from({ length: 30_000 }, (_, r) => (r % 3 === 0 ? n : 1 + (r % 97)));
      const before = readPoolStats();
      let held = 0;
      for (const [r, size] of sizes.entries()) {
        // Work 0 every fifth call: one chunk; else split (at most 8 chunks, at multiples of 4).
        parallel(batchNormNative, 'add_arrays', size, 4, r % 5 === 0 ? 0 : 1 << 20, (i0, i1) => [pa, pb, pa, i0, i1]);
        if (r % 500 === 250) {
          // Freed now: held while calls are queued (else freed at once); a read settles the queue, and the free goes with it.
          const freed = frees.length;
          fake.wasm._free(r);
          if (frees.length === freed) held++;
          expect(fake.readSync()).toBe('read');
          expect(frees.at(-1)).toBe(r);
        }
      }
      const after = readPoolStats();
      expect(after.deferredCalls - before.deferredCalls).toBe(sizes.length);
      expect(held, 'frees held behind queued calls').toBeGreaterThan(0);
      expect(after.helperChunks - before.helperChunks, 'chunks the helpers ran').toBeGreaterThan(0);
      settleKernels();
      const a = new Float32Array(memory.buffer, pa, n);
      let wrong = 0;
      for (let i = 0; i < n; i++) if (a[i] !== sizes.filter((size) => i < size).length) wrong++;
      expect(wrong, 'elements off the chain of adds').toBe(0);
    } finally {
      kernelPoolOptions.minWork = minWork;
      delete (batchNormNative as { onBackendMemory?: unknown }).onBackendMemory;
      delete (batchNormNative as { boundBackend?: unknown }).boundBackend;
      stopKernelHelpers();
    }
  });
});

/**
 * Deferred calls with their buffers (Access): a thread may start a later call while an earlier one runs,
 * where the later one reads nothing the earlier writes and writes nothing it reads or writes
 * (kernelPoolOptions.window). Random calls over six buffers (ReLU's gradient and Add split in chunks, a running
 * estimate's update in one; some in place) must give what running them one by one gives, bit for bit,
 * and a read of one buffer between them (settleKernels with its range) what the calls before it give.
 */
describe('deferred calls ordered by the buffers they use', () => {
  it('give the values of the calls in order, with calls started ahead of earlier ones only in a window over 1', async () => {
    const spawn = (source: string) => new Worker(`${source}\n${HELPER_ENTRY.node}`, { eval: true });
    expect(startKernelHelpers(2, spawn)).toBe(2);
    await until(() => kernelThreads() === 3, 20_000);
    const frees: number[] = [];
    const fake = { readSync: () => 'read', time: async (f: () => void) => f(), wasm: { _free: (p: number) => void frees.push(p) } };
    Object.defineProperty(batchNormNative, 'onBackendMemory', { configurable: true, get: () => true });
    Object.defineProperty(batchNormNative, 'boundBackend', { configurable: true, get: () => fake });
    const [minWork, window] = [kernelPoolOptions.minWork, kernelPoolOptions.window];
    kernelPoolOptions.minWork = 1;
    try {
      const memory = batchNormNative.sharing()!.memory;
      const n = 8192;
      const base = (batchNormNative.exports.heap_base() + 4095) & ~4095;
      const buffers = Array.from({ length: 6 }, (_, k) => base + 4 * n * k);
      const end = buffers.at(-1)! + 4 * n;
      if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      const run = (windowSize: number, calls: number, seed: number) => {
        kernelPoolOptions.window = windowSize;
        const start = buffers.map((_, k) => values(n, seed + k));
        start.forEach((v, k) => new Float32Array(memory.buffer, buffers[k], n).set(v));
        const model = start.map((v) => Float32Array.from(v));
        let r = seed;
        const pick = () => {
          r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
          return r >>> 16;
        };
        const before = readPoolStats();
        let partialWrong = 0;
        frees.length = 0;
        for (let i = 0; i < calls; i++) {
          const [a, b, out] = [pick() % 6, pick() % 6, pick() % 6];
          const access = { reads: [buffers[a]!, buffers[a]! + 4 * n, buffers[b]!, buffers[b]! + 4 * n], writes: [buffers[out]!, buffers[out]! + 4 * n] };
          const [ma, mb, mo] = [model[a]!, model[b]!, model[out]!];
          const op = pick() % 4;
          if (op < 2) {
            // a·k + b·k, k = 1/2 or 1/4 (keeps the values finite against the Adds).
            const k = op === 0 ? 0.5 : 0.25;
            serial(batchNormNative, 'running_update', [n, k, k, buffers[a]!, buffers[b]!, buffers[out]!], access);
            for (let e = 0; e < n; e++) mo[e] = Math.fround(Math.fround(ma[e]! * k) + Math.fround(mb[e]! * k));
          } else if (op === 2) {
            parallel(batchNormNative, 'add_arrays', n, 4, 1 << 20, (i0, i1) => [buffers[a]!, buffers[b]!, buffers[out]!, i0, i1], access);
            for (let e = 0; e < n; e++) mo[e] = Math.fround(ma[e]! + mb[e]!);
          } else {
            // dx = dy · (y > 0): y = a, dy = b.
            parallel(batchNormNative, 'relu_backward', n, 4, 1 << 20, (i0, i1) => [buffers[a]!, buffers[b]!, buffers[out]!, i0, i1], access);
            for (let e = 0; e < n; e++) mo[e] = mb[e]! * (ma[e]! > 0 ? 1 : 0);
          }
          if (i % 250 === 125) {
            // A read of one buffer waits only for the calls that write it: then it holds what the calls so far give.
            const k = pick() % 6;
            settleKernels([buffers[k]!, buffers[k]! + 4 * n]);
            const got = new Float32Array(memory.buffer, buffers[k], n);
            for (let e = 0; e < n; e++) if (!Object.is(got[e], model[k]![e])) partialWrong++;
            fake.wasm._free(i); // held while calls posted before it run
          }
        }
        settleKernels();
        const after = readPoolStats();
        let wrong = 0;
        model.forEach((want, k) => {
          const got = new Float32Array(memory.buffer, buffers[k], n);
          for (let e = 0; e < n; e++) if (!Object.is(got[e], want[e])) wrong++;
        });
        const freed = Array.from({ length: Math.floor((calls - 126) / 250) + 1 }, (_, k) => 125 + 250 * k);
        expect(frees, 'every free released, in order, once the calls before it ran').toEqual(freed);
        return { wrong: wrong + partialWrong, ahead: after.aheadChunks - before.aheadChunks, live: model.reduce((t, m) => t + m.filter((v) => v !== 0 && Number.isFinite(v)).length, 0) };
      };
      const windowed = run(16, 6000, 7);
      expect(windowed.wrong, 'elements off the calls in order (window 16)').toBe(0);
      expect(windowed.ahead, 'chunks started while an earlier call was not done').toBeGreaterThan(0);
      expect(windowed.live, 'not vacuous: values left that are not 0').toBeGreaterThan(0);
      const ordered = run(1, 3000, 11);
      expect(ordered.wrong, 'elements off the calls in order (window 1)').toBe(0);
      expect(ordered.ahead, 'window 1: in the order posted').toBe(0);
    } finally {
      [kernelPoolOptions.minWork, kernelPoolOptions.window] = [minWork, window];
      delete (batchNormNative as { onBackendMemory?: unknown }).onBackendMemory;
      delete (batchNormNative as { boundBackend?: unknown }).boundBackend;
      stopKernelHelpers();
    }
  });
});
