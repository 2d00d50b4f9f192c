/**
 * `npx tsx bench/trainEngine.bench.ts`: training speed of the engine (src/workers/training/trainer.ts) on the
 * tfjs 'wasm' backend in Node, for the two classroom presets at batch 32 and 64 and the two lesson
 * presets at batch 32 (BENCH_PRESETS=a,b: only those, at batch 32), against the backend's
 * large-matMul rate as the ceiling. Prints one JSON object; not a test.
 *
 * - imagesPerSecond: steps x batch over the wall time of `runSteps` (each step synced by await data),
 *   after a warm-up; augmentation, the optimizer and BN running statistics included.
 * - achieved MAC/s: imagesPerSecond x forward MACs per image (analyze(spec).stats.totals.macs) x 3
 *   (forward + input gradient + weight gradient).
 * - ceiling: the best of a few 1024x1024 by 1024x1024 matMuls (XNNPACK's fully-connected path).
 * - topKernelsMs: where one step's time goes (`tf.profile`, batch 32); profiledKernelsMs: all its kernels.
 * - wasmHeapMBSoFar: the wasm heap's size after the configuration (it only grows: a high-water mark).
 * Node's wasm runs single-threaded here. The machine is shared: `loadAverage` is printed so a run on
 * a busy machine can be recognised. BENCH_SECONDS (default 20) sets the time per configuration.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyze } from '../src/models';
import { switchBackend } from '../src/workers/engine/backend';
import { Trainer } from '../src/workers/training/trainer';
import { matMulMacsPerSecond } from './train/ceiling';
import { presetSpec } from './train/presetVariants';
import { syntheticCifar } from './train/synthetic';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_STEPS = 2;
/**
 * A ResNeXt-29 8x4d step needs ~57 MiB of wasm heap per image with tfjs' autodiff (ResNet-29 1x18d
 * ~44 MiB), so batch 64 of it passes the app's 3 GiB budget: it runs as two micro-batches of 32, as
 * the app would (same gradient and running statistics, BatchNorm normalising per micro-batch).
 */
type Config = { preset: string; batch: number; microBatch?: number };
const DEFAULT_CONFIGS: Config[] = [
  { preset: 'classroom_resnext29_8x4d', batch: 32 },
  { preset: 'classroom_resnext29_8x4d', batch: 64, microBatch: 32 },
  { preset: 'classroom_resnet29_1x18d', batch: 32 },
  { preset: 'classroom_resnet29_1x18d', batch: 64 },
  { preset: 'lesson_resnext11_8x4d', batch: 32 },
  { preset: 'lesson_resnet11_1x19d', batch: 32 },
];
/** BENCH_PRESETS=a,b runs only those presets (at batch 32), e.g. to interleave two trees' runs. */
const CONFIGS: Config[] = process.env.BENCH_PRESETS ? process.env.BENCH_PRESETS.split(',').map((preset) => ({ preset, batch: 32 })) : DEFAULT_CONFIGS;

/**
 * One profiled step: the top kernels by time, and the sum over all kernels except 'forward' (the
 * wrapper tfjs records around a tf.customGrad, whose kernels are also recorded on their own).
 */
async function topKernels(trainer: Trainer): Promise<{ top: Record<string, number>; totalMs: number }> {
  const profile = await tf.profile(async () => {
    await trainer.runSteps(1);
  });
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const totalMs = [...byKernel].filter(([k]) => k !== 'forward').reduce((sum, [, ms]) => sum + ms, 0);
  const top = Object.fromEntries(
    [...byKernel]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 10)
      .map(([k, ms]) => [k, +ms.toFixed(1)]),
  );
  return { top, totalMs: +totalMs.toFixed(1) };
}

setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
if (!(await switchBackend('wasm'))) throw new Error('wasm backend unavailable');
const loadBefore = os.loadavg();
const ceiling = await matMulMacsPerSecond(1024, 5);
const data = syntheticCifar(64 * 40);

const wasmHeapMB = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20;

const results = [];
for (const { preset: name, batch, microBatch } of CONFIGS) {
  const spec = presetSpec(name);
  const a = analyze(spec);
  if (!a.ok) throw new Error(`${name} does not analyze`);
  const macs = a.stats.totals.macs;
  const trainer = Trainer.create(spec, data, { batchSize: batch, epochs: 50, learningRate: 0.05, ...(microBatch ? { microBatchSize: microBatch } : {}) });
  await trainer.runSteps(WARMUP_STEPS);
  const tensors = tf.memory().numTensors;
  let steps = 0;
  let lastLoss = NaN;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    const ran = await trainer.runSteps(1, { onStep: (m) => (lastLoss = m.loss) });
    if (ran === 0) throw new Error(`${name}: the run ended before the time was up (more epochs)`);
    steps += ran;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (tf.memory().numTensors !== tensors) throw new Error(`${name} batch ${batch}: tensors leaked`);
  const imagesPerSecond = (steps * batch) / seconds;
  const macsPerSecond = imagesPerSecond * macs * 3;
  const profile = batch === 32 ? await topKernels(trainer) : undefined;
  trainer.dispose();
  results.push({
    preset: name,
    batch,
    ...(microBatch ? { microBatch } : {}),
    forwardMMacsPerImage: +(macs / 1e6).toFixed(2),
    params: a.stats.totals.params,
    steps,
    seconds: +seconds.toFixed(1),
    msPerStep: +((seconds * 1000) / steps).toFixed(0),
    imagesPerSecond: +imagesPerSecond.toFixed(1),
    achievedGMacsPerSecond: +(macsPerSecond / 1e9).toFixed(2),
    fractionOfMatMulCeiling: +(macsPerSecond / ceiling).toFixed(3),
    lastLoss: +lastLoss.toFixed(3),
    wasmHeapMBSoFar: Math.round(wasmHeapMB()),
    ...(profile ? { topKernelsMs: profile.top, profiledKernelsMs: profile.totalMs } : {}),
  });
}
console.log(
  JSON.stringify(
    {
      node: process.version,
      tfjs: tf.version.tfjs,
      backend: tf.getBackend(),
      wasmSimd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      cpus: os.cpus().length,
      loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: os.loadavg().map((l) => +l.toFixed(2)) },
      secondsPerConfig: SECONDS,
      ceiling: { what: 'matMul 1024x1024x1024, best of 5', gMacsPerSecond: +(ceiling / 1e9).toFixed(2) },
      results,
    },
    null,
    2,
  ),
);
