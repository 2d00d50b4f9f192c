/**
 * `npx tsx bench/matMul.bench.ts`: the 1x1 convolutions' products of the presets (BENCH_PRESETS, default
 * efficientnet_b0@cifar and the two classroom presets; `name@cifar`: on CIFAR-10's 32 px input) at batch
 * 32, through tfjs' BatchMatMul on the 'wasm' backend in Node (one thread): A·B (forward) and A·Bᵀ (input
 * gradient) by XNNPACK (nativeMatMulOptions.maxB = 0; A·Bᵀ after tfjs' transpose of B) against the
 * native kernels (kernels/wasm/matMul.ts), alternating, best of BENCH_REPS (default 15) per shape.
 * Prints GMAC/s per shape, the sums of ms weighted by how often each shape occurs, and the largest
 * difference between the two (0: the same float operations in the same order). Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type GraphItem, analyzeOrThrow } from '../src/models';
import { presetSpec } from './train/presetVariants';
import { switchBackend } from '../src/workers/engine/backend';
import { NATIVE_MATMUL_MAX_B, nativeMatMulOptions } from '../src/workers/kernels/wasm/gradients';

const PRESETS = (process.env.BENCH_PRESETS ?? 'efficientnet_b0@cifar,classroom_resnext29_8x4d,classroom_resnet29_1x18d').split(',');
const REPS = Number(process.env.BENCH_REPS ?? 15);
const BATCH = 32;

setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
if (!(await switchBackend('wasm'))) throw new Error('wasm backend unavailable');

/** [M, K, N] of every dense 1x1 stride-1 convolution (a matMul in the engine), with how often it occurs. */
const shapes = new Map<string, number>();
const collect = (items: GraphItem[]): void => {
  for (const it of items) {
    if (it.kind === 'node') collect(it.children);
    else if (it.type === 'conv' && (it.kernel ?? 1) === 1 && (it.groups ?? 1) === 1 && (it.stride ?? 1) === 1) {
      const key = [BATCH * it.input.height * it.input.width, it.input.channels, it.output.channels].join();
      shapes.set(key, (shapes.get(key) ?? 0) + 1);
    }
  }
};
for (const name of PRESETS) {
  collect(analyzeOrThrow(presetSpec(name)).graph.children);
}

/** Best ms of `f` (its output read back) with the native kernels on or off. */
function best(native: boolean, f: () => tf.Tensor): number {
  nativeMatMulOptions.maxB = native ? NATIVE_MATMUL_MAX_B : 0;
  let ms = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const y = f();
    y.dataSync();
    ms = Math.min(ms, performance.now() - t0);
    y.dispose();
  }
  return ms;
}

const sums = { xnnpack: [0, 0], native: [0, 0] };
let largestDifference = 0;
const rows = [];
for (const [key, count] of shapes) {
  const [m, k, n] = key.split(',').map(Number) as [number, number, number];
  const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
  const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
  const dy = tf.randomNormal([m, n], 0, 1, 'float32', 3);
  const forward = () => tf.matMul(a, b);
  const inputGradient = () => tf.matMul(dy, b, false, true);
  const times = { xnnpack: [0, 0], native: [0, 0] };
  for (const native of [false, true, false, true]) {
    const which = native ? 'native' : 'xnnpack';
    const [f, g] = [best(native, forward), best(native, inputGradient)];
    times[which] = times[which][0] ? [Math.min(times[which][0]!, f), Math.min(times[which][1]!, g)] : [f, g];
  }
  for (const f of [forward, inputGradient]) {
    nativeMatMulOptions.maxB = 0;
    const x = f();
    nativeMatMulOptions.maxB = NATIVE_MATMUL_MAX_B;
    const y = f();
    largestDifference = Math.max(largestDifference, tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]!);
    tf.dispose([x, y]);
  }
  for (const w of ['xnnpack', 'native'] as const) for (const i of [0, 1]) sums[w][i]! += count * times[w][i]!;
  const rate = (ms: number) => Math.round((m * k * n) / ms / 1e5) / 10;
  rows.push({ m, k, n, count, forward: { xnnpack: rate(times.xnnpack[0]!), native: rate(times.native[0]!) }, inputGradient: { xnnpack: rate(times.xnnpack[1]!), native: rate(times.native[1]!) } });
  console.error(
    `[${m}, ${k}]·[${k}, ${n}] x${count}: A·B ${rate(times.xnnpack[0]!)} → ${rate(times.native[0]!)} GMAC/s, A·Bᵀ ${rate(times.xnnpack[1]!)} → ${rate(times.native[1]!)} (XNNPACK → native)`,
  );
  tf.dispose([a, b, dy]);
}
nativeMatMulOptions.maxB = NATIVE_MATMUL_MAX_B;
const ms = (v: number) => Math.round(v * 10) / 10;
console.error(`sum (ms, each shape times its count): A·B ${ms(sums.xnnpack[0]!)} → ${ms(sums.native[0]!)}, A·Bᵀ ${ms(sums.xnnpack[1]!)} → ${ms(sums.native[1]!)}; largest |difference| ${largestDifference}`);
console.log(JSON.stringify({ presets: PRESETS, batch: BATCH, reps: REPS, sumsMs: { forward: { xnnpack: ms(sums.xnnpack[0]!), native: ms(sums.native[0]!) }, inputGradient: { xnnpack: ms(sums.xnnpack[1]!), native: ms(sums.native[1]!) } }, largestDifference, rows }, null, 2));
