/**
 * `npx tsx bench/depthwise.bench.ts`: every depthwise layer of EfficientNet-B0 at 32 px (BENCH_PRESETS, default
 * efficientnet_b0@cifar; `name@cifar`: on CIFAR-10's 32 px input) at batch 32 on tfjs' 'wasm' backend in Node
 * (one thread): the forward by tfjs' own DepthwiseConv2dNative (XNNPACK's depthwise operator) against the app's
 * native kernel (kernels/wasm/groupedConv.ts nativeDepthwise, which replaces it), and the input gradient by the
 * native kernel; alternating, best of BENCH_REPS (default 30) per layer. Prints ms and GMAC/s per layer (MACs
 * counted over every tap, padding included), the sums weighted by how often each layer occurs, and the largest
 * |difference| between the two forwards. Not a test.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type GraphItem, analyzeOrThrow } from '../src/models';
import { switchBackend } from '../src/workers/engine/backend';
import { nativeDepthwiseBackpropInput } from '../src/workers/kernels/wasm/groupedConv';
import { stockKernel } from '../src/workers/kernels/wasm/plumbing';
import { presetSpec } from './train/presetVariants';

const PRESETS = (process.env.BENCH_PRESETS ?? 'efficientnet_b0@cifar').split(',');
const REPS = Number(process.env.BENCH_REPS ?? 30);
const BATCH = 32;

setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
if (!(await switchBackend('wasm'))) throw new Error('wasm backend unavailable');
const backend = tf.backend() as BackendWasm;

/** [size, channels, kernel, stride, pad] of every depthwise layer, with how often it occurs. */
const layers = new Map<string, number>();
const collect = (items: GraphItem[]): void => {
  for (const it of items) {
    if (it.kind === 'node') collect(it.children);
    else if (it.type === 'conv' && (it.groups ?? 1) > 1 && it.groups === it.input.channels && it.groups === it.output.channels) {
      const key = [it.input.height, it.input.channels, it.kernel ?? 1, it.stride ?? 1, it.padding ?? 0].join();
      layers.set(key, (layers.get(key) ?? 0) + 1);
    }
  }
};
for (const name of PRESETS) collect(analyzeOrThrow(presetSpec(name)).graph.children);

/** Best ms of `f` (synchronous on WASM; the output disposed). */
function best(f: () => tf.TensorInfo): number {
  let ms = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const y = f();
    ms = Math.min(ms, performance.now() - t0);
    backend.disposeData(y.dataId);
  }
  return ms;
}

const sums = { xnnpack: 0, native: 0, inputGradient: 0 };
let largest = 0;
const rows = [];
for (const [key, count] of layers) {
  const [size, c, k, stride, pad] = key.split(',').map(Number) as [number, number, number, number, number];
  const x = tf.randomNormal([BATCH, size, size, c], 0, 1, 'float32', 1);
  const f = tf.randomNormal([k, k, c, 1], 0, 1, 'float32', 2);
  const padding: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
  const attrs = { strides: [stride, stride], pad: padding, dilations: [1, 1], dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], [k, k, c, 1], stride, 1, padding, undefined, true);
  const dy = tf.randomNormal([BATCH, info.outHeight, info.outWidth, c], 0, 1, 'float32', 3);
  const stock = () => stockKernel('DepthwiseConv2dNative')({ inputs: { x, filter: f }, backend, attrs }) as tf.TensorInfo;
  const ours = () => tf.engine().runKernel('DepthwiseConv2dNative', { x, filter: f }, attrs) as tf.Tensor;
  const a = tf.engine().makeTensorFromTensorInfo(stock());
  const b = ours();
  largest = Math.max(largest, tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
  tf.dispose([a, b]);
  let [xnnpack, native] = [Infinity, Infinity];
  for (let round = 0; round < 2; round++) {
    xnnpack = Math.min(xnnpack, best(stock));
    native = Math.min(native, best(() => ours()));
  }
  const inputGradient = best(() => nativeDepthwiseBackpropInput(backend, dy, f, info));
  const macs = BATCH * info.outHeight * info.outWidth * c * k * k;
  const g = (ms: number) => +(macs / ms / 1e6).toFixed(2);
  console.log(`[${BATCH},${size},${size},${c}] ${k}x${k} s${stride} x${count}: forward XNNPACK ${xnnpack.toFixed(3)} ms (${g(xnnpack)} GMAC/s) → native ${native.toFixed(3)} ms (${g(native)}); input gradient ${inputGradient.toFixed(3)} ms (${g(inputGradient)})`);
  sums.xnnpack += xnnpack * count;
  sums.native += native * count;
  sums.inputGradient += inputGradient * count;
  rows.push({ size, channels: c, kernel: k, stride, count, xnnpackMs: +xnnpack.toFixed(3), nativeMs: +native.toFixed(3), inputGradientMs: +inputGradient.toFixed(3) });
  tf.dispose([x, f, dy]);
}
console.log(`sum (ms, each layer times its count): forward ${sums.xnnpack.toFixed(2)} → ${sums.native.toFixed(2)}, input gradient ${sums.inputGradient.toFixed(2)}; largest |difference| of the forwards ${largest.toExponential(2)}`);
console.log(JSON.stringify({ presets: PRESETS, batch: BATCH, reps: REPS, sumsMs: sums, largestDifference: largest, rows }));
