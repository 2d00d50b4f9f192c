/**
 * Timed training steps of the app's Trainer on whatever tfjs backend is active: the training bench's
 * worker (bench/train/worker.ts, in Chromium) and the real-GPU bench's Dawn runner (bench/gpu/dawnRun.ts,
 * in Node) time presets the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../src/models';
import type { PoolStats } from '../../src/workers/kernels/wasm/pool';
import { Trainer } from '../../src/workers/training/trainer';
import { presetSpec } from './presetVariants';
import { syntheticCifar } from './synthetic';

export interface StepTiming {
  /** Training steps timed (after the warm-up), each synced by reading its loss back. */
  steps: number;
  seconds: number;
  /** Wall time of the first (untimed) step: shader compilation, XNNPACK operator creation. */
  warmupSeconds: number;
  imagesPerSecond: number;
  forwardMacsPerImage: number;
  /** imagesPerSecond x forward MACs x 3 (forward, input gradient, weight gradient). */
  macsPerSecond: number;
  lastLoss: number;
  tensorsLeaked: number;
  /** WASM with kernel helpers: where a step's split calls spent their time, ms per step (kernels/wasm/pool.ts poolStats). */
  kernelPool?: PoolStats;
}

/** One untimed warm-up step, then steps until `seconds` have passed; each `step` resolves with its loss (a sync). */
export async function timeSteps(step: () => Promise<number>, batch: number, seconds: number, forwardMacs: number): Promise<StepTiming> {
  const w0 = performance.now();
  await step();
  const warmupSeconds = (performance.now() - w0) / 1000;
  const tensors = tf.memory().numTensors;
  let steps = 0;
  let lastLoss: number;
  const t0 = performance.now();
  do {
    lastLoss = await step();
    steps++;
  } while (performance.now() - t0 < seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const imagesPerSecond = (steps * batch) / elapsed;
  return {
    steps,
    seconds: elapsed,
    warmupSeconds,
    imagesPerSecond,
    forwardMacsPerImage: forwardMacs,
    macsPerSecond: imagesPerSecond * forwardMacs * 3,
    lastLoss,
    tensorsLeaked: tf.memory().numTensors - tensors,
  };
}

/** The app's Trainer on a preset (or `name@variant`) with synthetic CIFAR data, and one step of it. */
export function presetTrainer(name: string, batch: number, microBatch?: number) {
  const spec = presetSpec(name);
  const a = analyze(spec);
  if (!a.ok) throw new Error(`${name} does not analyze`);
  const trainer = Trainer.create(spec, syntheticCifar(batch * 8), { batchSize: batch, epochs: 1000, learningRate: 0.05, ...(microBatch ? { microBatchSize: microBatch } : {}) });
  let loss = NaN;
  const step = async () => {
    await trainer.runSteps(1, { onStep: (m) => (loss = m.loss) });
    return loss;
  };
  return { trainer, step, forwardMacs: a.stats.totals.macs };
}
