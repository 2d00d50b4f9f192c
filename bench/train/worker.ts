/**
 * The training benchmark's worker (one per backend, like the app's runtime worker): starts a backend
 * through the app's ladder, measures its large-matMul rate, times training steps of our engine and
 * (--profile) profiles one step per kernel (./profile.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { type BackendWasm, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as Comlink from 'comlink';
import type { BackendName } from '../../src/workers/protocol';
import { selectBackend } from '../../src/workers/engine/backends';
import { savedTensorOptions } from '../../src/workers/engine/savedTensors';
import { runningStatsOptions } from '../../src/workers/training/batchNormStats';
import { trainerOptions } from '../../src/workers/training/trainer';
import { bnRowOptions, siluOptions, updateOptions } from '../../src/workers/kernels/wasm/batchNorm';
import { type PoolStats, kernelPoolOptions, kernelThreads, readPoolStats, spawnBrowserHelper, startKernelHelpers } from '../../src/workers/kernels/wasm/pool';

/** The kernel pool's spin as the app runs it. */
const KERNEL_SPIN = { ...kernelPoolOptions };
import { NATIVE_DENSE_CONV, NATIVE_MATMUL_MAX_B, nativeMatMulOptions } from '../../src/workers/kernels/wasm/gradients';
import { nativesRelaxedSimd, useRelaxedSimd } from '../../src/workers/kernels/wasm/native';
import { matMulSplitOptions, matMulSwapOptions } from '../../src/workers/kernels/wasm/matMul';
import { im2colForwardOptions } from '../../src/workers/kernels/wasm/gradients';
import { type KernelPoolRow, kernelPoolRows } from '../kernelPoolCases';
import { matMulMacsPerSecond } from './ceiling';
import { ConvNetJsNet, convNetJsForwardMacs } from './convnetjs';
import { type StepProfile, profileStep } from './profile';
import { type StepTiming, presetTrainer, timeSteps } from './steps';

const api = {
  async start(backend: BackendName) {
    const info = await selectBackend(backend);
    if (info.backend !== backend) throw new Error(`${backend} did not start: ${info.reason}`);
    // The kernel helpers instantiate their modules on their own threads: wait until they take work.
    const end = Date.now() + 10_000;
    while (info.wasm && kernelThreads() < info.wasm.kernelThreads && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return info;
  },

  /** The CPU threads the backend computes on: on WASM XNNPACK's pool or the app kernels' (caller and helpers), the larger; 1 on CPU (JavaScript); undefined on the GPU backends. */
  threads(): number | undefined {
    if (tf.getBackend() === 'cpu') return 1;
    if (tf.getBackend() !== 'wasm') return undefined;
    try {
      return Math.max(getThreadsCount(), kernelThreads());
    } catch {
      return undefined;
    }
  },

  matMulMacsPerSecond,


  /**
   * A preset's `steps` steps from one seed with the kernel queue as the app runs it (deferred calls, the
   * window, partial settles) and with every native call run before the caller goes on: the number of
   * parameters (weights, BN statistics) whose values differ in any bit (0: the queue's order is right).
   */
  async sameRun(name: string, batch: number, steps: number): Promise<{ params: number; differing: string[] }> {
    const run = async (deferred: boolean) => {
      const saved = kernelPoolOptions.deferred;
      kernelPoolOptions.deferred = deferred;
      const { trainer } = presetTrainer(name, batch);
      try {
        await trainer.runSteps(steps);
        return (await trainer.checkpoint()).params;
      } finally {
        trainer.dispose();
        kernelPoolOptions.deferred = saved;
      }
    };
    const [queued, synchronous] = [await run(true), await run(false)];
    const differing = [...queued].filter(([k, v]) => v.values.some((x, i) => !Object.is(x, synchronous.get(k)!.values[i]))).map(([k]) => k);
    return { params: queued.size, differing };
  },

  /** A preset trained by the app's Trainer (augmentation, SGD, BN statistics included). */
  async preset(name: string, batch: number, seconds: number, microBatch?: number): Promise<StepTiming> {
    const { trainer, step, forwardMacs } = presetTrainer(name, batch, microBatch);
    try {
      const before = readPoolStats();
      const timing = await timeSteps(step, batch, seconds, forwardMacs);
      const after = readPoolStats();
      if (after.splitCalls === before.splitCalls) return timing;
      // Per step (the warm-up step's split calls included: one step in many).
      const per = (k: keyof PoolStats) => Math.round(((after[k] - before[k]) / (timing.steps + 1)) * 100) / 100;
      const kernelPool = Object.fromEntries((Object.keys(after) as (keyof PoolStats)[]).map((k) => [k, per(k)])) as PoolStats;
      return { ...timing, kernelPool };
    } finally {
      trainer.dispose();
    }
  },

  /**
   * One trainer of a preset, its steps alternating between `setter(values[0])` and `setter(values[1])` in the
   * order A B B A (a drift of the machine's speed favours neither) for `seconds`: every step's ms by value.
   * On a shared machine whose speed moves by 10-30% over seconds, step by step alternation measures a few
   * per cent that alternating runs of seconds cannot.
   */
  async stepAB(name: string, batch: number, seconds: number, setter: string, values: [unknown, unknown]): Promise<[number[], number[]]> {
    const set = (api as unknown as Record<string, (v: unknown) => unknown>)[setter];
    if (!set) throw new Error(`stepAB: no setter ${setter}`);
    const { trainer, step } = presetTrainer(name, batch);
    try {
      for (const v of values) {
        await set(v);
        await step();
      }
      const ms: [number[], number[]] = [[], []];
      const t0 = performance.now();
      for (let i = 0; performance.now() - t0 < seconds * 1000; i++) {
        const which = [0, 1, 1, 0][i % 4]!;
        await set(values[which]);
        const s = performance.now();
        await step();
        ms[which]!.push(performance.now() - s);
      }
      return ms;
    } finally {
      await set(values[1]);
      trainer.dispose();
    }
  },

  /** `steps` training steps of a preset under tf.profile (figures per step), after `warmup` untimed steps; the `top` kernels by time. */
  async profile(name: string, batch: number, warmup = 2, top = 20, steps = 1): Promise<StepProfile> {
    const { trainer, step, forwardMacs } = presetTrainer(name, batch);
    // Kernels run to completion inside their own time: queued native calls would count for whichever kernel
    // (or scope) settles them, an Identity run inside the kernel say. The step's time outside kernels is then
    // the caller's own work, which the unprofiled step overlaps with the helpers' kernel work.
    const deferred = kernelPoolOptions.deferred;
    kernelPoolOptions.deferred = false;
    try {
      for (let i = 0; i < warmup; i++) await step();
      return await profileStep(step, { model: name, batch, macsExpected: 3 * forwardMacs * batch, top, steps });
    } finally {
      kernelPoolOptions.deferred = deferred;
      trainer.dispose();
    }
  },

  /** Native A·B and A·Bᵀ as the app runs them (on), or XNNPACK for all of them (off). */
  nativeMatMul(on: boolean): void {
    nativeMatMulOptions.maxB = on ? NATIVE_MATMUL_MAX_B : 0;
  },

  /** Dense convolutions' forward and input gradient by the native kernels as the app runs them (on), or by XNNPACK (off); WASM only. */
  nativeDenseConv(on: boolean): void {
    NATIVE_DENSE_CONV.enabled = on;
  },

  /** How many chunks a split kernel call is cut into per thread; WASM only. */
  chunksPerThread(n: number): void {
    kernelPoolOptions.chunksPerThread = n;
  },

  /** Native calls posted to the kernel queue without the caller waiting (on, as the app runs them), or waited for one by one (off); WASM only. */
  deferred(on: boolean): void {
    kernelPoolOptions.deferred = on;
  },

  /** The kernel pool's time statistics kept (on: a clock reading or two per chunk) or not, as the app runs; WASM only. */
  poolTiming(on: boolean): void {
    kernelPoolOptions.timing = on;
  },

  /** Split kernel calls cut into chunks that shrink towards the end (on, as the app runs), or equal ones; WASM only. */
  taper(on: boolean): void {
    kernelPoolOptions.taper = on;
  },

  /** The optimizer's and the running estimates' updates written over the old values where only their variables hold them (on, as the app runs) or into new tensors (off); WASM only. */
  inPlace(on: boolean): void {
    updateOptions.inPlace = on;
  },

  /** A·Bᵀ with few rows of A as (B·Aᵀ)ᵀ (on, as the app runs) or with B transposed (off); WASM only. */
  swapFewRows(on: boolean): void {
    matMulSwapOptions.swapFewRows = on;
  },

  /** How BatchNorm-SiLU's backward gets the sigmoid: 0 stored by the forward, 1 computed once and the gradient stored, 2 computed in both passes; WASM only. */
  siluGradient(mode: number): void {
    siluOptions.gradient = (['stored', 'once', 'twice'] as const)[mode]!;
  },

  /** Dense convolutions with few input channels as im2col and the native product (on, as the app runs) or by the direct kernel (off); WASM only. */
  im2colForward(on: boolean): void {
    im2colForwardOptions.maxChannels = on ? 4 : 0;
  },

  /** A·B with fewer rows than columns split by columns (on, as the app runs) or by rows (off); WASM only. */
  splitColumns(on: boolean): void {
    matMulSplitOptions.columns = on;
  },

  /** Stock kernels and reads wait only for the queued calls that write what they read (on, as the app runs) or for all (off). */
  partialSettle(on: boolean): void {
    kernelPoolOptions.partialSettle = on;
  },

  /** The next step's batch filled at the end of a step (on, as the app runs) or at its own step (off). */
  fillAhead(on: boolean): void {
    trainerOptions.fillAhead = on;
  },

  /** How many of the oldest calls not done the kernel threads may claim from (1: in the order posted); WASM only. */
  queueWindow(n: number): void {
    kernelPoolOptions.window = n;
  },

  /** BatchNorm's running estimates updated in one op (on, as the app runs) or an op each (off). */
  runningMany(on: boolean): void {
    runningStatsOptions.many = on;
  },

  /** BatchNorm's output pass over few rows split 8 rows at a time (on, as the app runs) or 64 (off); WASM only. */
  bnFineRows(on: boolean): void {
    bnRowOptions.fine = on;
  },

  /** Tensors saved for the backward pass shared (on, as the app runs: engine/savedTensors.ts) or cloned by tfjs' engine (off). */
  shareSaved(on: boolean): void {
    savedTensorOptions.share = on;
  },

  /** The work (multiply-add equivalents) under which a kernel call is not split; WASM only. */
  minWork(n: number): void {
    kernelPoolOptions.minWork = n;
  },

  /** How long (ms) the kernel helpers poll for their next request before they sleep (0: at once); WASM only. */
  helperSpin(ms: number): void {
    kernelPoolOptions.helperSpinMs = ms;
  },

  /** The kernel pool caller's spin before sleeping as the app runs it (on), or none (off: it sleeps at once); WASM only. */
  kernelSpin(on: boolean): void {
    kernelPoolOptions.callerSpinMs = on ? KERNEL_SPIN.callerSpinMs : 0;
  },

  /** The native kernels' relaxed SIMD builds (on, as the app runs them where they validate) or their plain builds (off); WASM only. */
  async relaxedSimd(on: boolean): Promise<boolean> {
    const threads = kernelThreads();
    useRelaxedSimd(on, tf.backend() as BackendWasm); // stops the kernel helpers (they hold the old instances)
    startKernelHelpers(threads - 1, spawnBrowserHelper);
    const end = Date.now() + 10_000;
    while (kernelThreads() < threads && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return nativesRelaxedSimd();
  },

  /** The app's native kernels with the kernel helpers off and on, alternating (bench/kernelPoolCases.ts); WASM only. */
  async kernels(rounds: number, msPerCase: number): Promise<KernelPoolRow[]> {
    const helpers = Math.min(7, Math.max(1, (navigator.hardwareConcurrency || 2) - 1));
    return kernelPoolRows(rounds, msPerCase, () => startKernelHelpers(helpers, spawnBrowserHelper));
  },

  /** ConvNetJS's CIFAR demo network, cycling through 16 random batches held on the backend. */
  async convnetjs(batch: number, seconds: number): Promise<StepTiming> {
    const net = new ConvNetJsNet();
    const batches = Array.from({ length: 16 }, (_, i) => ({
      x: tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 2 * i) as tf.Tensor4D,
      labels: tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2 * i + 1) as tf.Tensor1D, 10) as tf.Tensor2D,
    }));
    let i = 0;
    try {
      return await timeSteps(() => {
        const b = batches[i++ % batches.length]!;
        return net.step(b.x, b.labels);
      }, batch, seconds, convNetJsForwardMacs());
    } finally {
      net.dispose();
      tf.dispose(batches.flatMap((b) => [b.x, b.labels]));
    }
  },
};

export type { StepTiming };
export type TrainBenchWorker = typeof api;
Comlink.expose(api);
