/**
 * `npm run bench:train [-- --profile]`: training speed of our engine in headless Chromium, per
 * backend the app's ladder can start here (WebGPU, WASM, WebGL, CPU), each in a fresh worker as the
 * app runs it, side by side with its peers in the same run. Not a test; prints one JSON object on
 * stdout and tables on stderr.
 *
 * Per backend:
 * - threads: what the backend computes on (WASM: the larger of XNNPACK's pool, `getThreadsCount()`, and the app kernels' threads, caller and helpers);
 * - ceiling: the backend's own large-matMul rate (1024x1024 by 1024x1024, best of 3) in MAC/s; where
 *   XNNPACK's pool has fewer threads than the step (the app's kernel helpers take the rest), that rate
 *   times threads / XNNPACK's threads;
 * - the classroom presets (classroom_resnext29_8x4d and its ResNet twin classroom_resnet29_1x18d)
 *   trained by the app's Trainer on random CIFAR-shaped data: images/s and achieved MAC/s
 *   (images/s x forward MACs x 3), and that as a fraction of the ceiling;
 * - ConvNetJS's CIFAR demo network at batch 4 ported to tfjs (bench/train/convnetjs.ts), against
 *   ConvNetJS's own trainer on that network (bench/train/convnetjsOwn.ts, Node, one thread), timed
 *   in this run right before the port on WASM;
 * - with --profile: one training step of each classroom preset (after two warm-up steps) under
 *   tf.profile, per tfjs kernel: ms, share of the step, GMAC/s of conv and matMul kernels
 *   (bench/train/profile.ts; BENCH_PROFILE_STEPS=n: the mean of n steps); the top BENCH_PROFILE_TOP (20) rows, each conv/matMul row split into its parts
 *   (matMul operand forms, conv input shapes) in the JSON and, with BENCH_PROFILE_PARTS=1, printed.
 * Peers, in the same run:
 * - PyTorch on the CPU (Debian's python3-torch, found by BENCH_PYTHON, default /usr/bin/python3):
 *   the app's own PyTorch export of each classroom preset (`npm run export -- <preset> --to pytorch`)
 *   trained by bench/train/torch_train.py with the Trainer's recipe at WASM's largest batch (32), on
 *   WASM's thread count (torch.set_num_threads) and on 1 thread, each run right after ours on that
 *   preset (on more than one thread both with OpenMP's default wait policy and with PASSIVE, which
 *   survives a shared machine; the faster counts); ours/PyTorch at the same threads and batch
 *   (`vsPyTorch`, `pytorch.comparison`). Skipped
 *   with a note when torch does not import (or BENCH_TORCH=0).
 * - ConvNetJS's own trainer, above.
 * Threads: WASM's come from the app (src/workers/engine/backends.ts); a build with
 * VITE_WASM_THREADS=1 in the environment gives the 1-thread figures, and PyTorch follows.
 * Every timed configuration runs one untimed warm-up step, then steps for BENCH_SECONDS (default 15),
 * at least one. BENCH_BACKENDS=wasm,webgpu picks backends; BENCH_PRESETS=a,b picks presets (`name@cifar`: the preset
 * on CIFAR-10's 32 px input, e.g. efficientnet_b0@cifar; PyTorch trains the export of the same net: --resolution 32 --classes 10). The page is built from
 * bench/train/index.html with the app's Vite config (its worker bundling, wasm files, COOP/COEP).
 * On a shared machine quote ratios from one run, not absolute figures.
 */
import { type Browser, chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';
import { runExport } from '../src/cli/exportCommand';
import { kernelPoolOptions } from '../src/workers/kernels/wasm/pool';
import type { BackendInfo, BackendName } from '../src/workers/protocol';
import { CONVNETJS_IMAGES_PER_SECOND } from './train/convnetjs';
import { type ConvNetJsOwnTiming, timeConvNetJsOwn } from './train/convnetjsOwn';
import { type StepProfile, printProfile } from './train/profile';
import { pytorchExportArgs } from './train/presetVariants';
import { type KernelPoolRow, printKernelPoolRows } from './kernelPoolCases';
import type { StepTiming } from './train/steps';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PROFILE = process.argv.includes('--profile');
/** --kernels: only the app's native kernels with the kernel helpers off and on (bench/kernelPoolCases.ts), WASM. */
const KERNELS = process.argv.includes('--kernels');
/** --same-run: each preset's first 3 steps with the kernel queue deferred and synchronous, compared bit for bit (WASM). */
const SAME_RUN = process.argv.includes('--same-run');
/**
 * In-page A/B switches, each `n` rounds per preset of WASM training at batch 32, alternating a setting off
 * and on in one page (the first one set runs; JSON key and field names as they were):
 * - BENCH_MATMUL_AB: XNNPACK for every A·B and A·Bᵀ, or the app's native kernels (kernels/wasm/matMul.ts);
 * - BENCH_RELAXED_AB: the native kernels' plain SIMD builds, or their relaxed SIMD builds (fused multiply-adds: kernels/wasm/native.ts);
 * - BENCH_SPIN_AB: the kernel pool caller's spin before sleeping off, or on (kernels/wasm/pool.ts kernelPoolOptions);
 * - BENCH_DENSE_AB: dense convolutions' forward and input gradient by XNNPACK, or by the native kernels (kernels/wasm/gradients.ts NATIVE_DENSE_CONV);
 * - BENCH_HELPER_SPIN_AB: the kernel helpers sleep at once after a request, or poll for the next one for BENCH_HELPER_SPIN_MS (0.2) ms first (kernelPoolOptions.helperSpinMs);
 * - BENCH_CHUNKS_AB: a split call cut into one chunk per thread, or BENCH_CHUNKS (4) (kernelPoolOptions.chunksPerThread);
 * - BENCH_MIN_WORK_AB: the work under which a call is not split, 2^19 multiply-add equivalents or BENCH_MIN_WORK (kernelPoolOptions.minWork);
 * - BENCH_DEFER_AB: the caller waits for each native call it posts, or posts it and goes on (kernelPoolOptions.deferred);
 * - BENCH_POOL_TIMING_AB: the kernel pool times its chunks, or not (kernelPoolOptions.timing);
 * - BENCH_TAPER_AB: split calls cut into equal chunks, or chunks that shrink towards the end (kernelPoolOptions.taper);
 * - BENCH_SHARE_SAVED_AB: tensors saved for the backward pass cloned by tfjs' engine, or shared (engine/savedTensors.ts); any backend;
 * - BENCH_BN_ROWS_AB: BatchNorm's output pass split 64 rows at a time, or 8 where the rows are few (kernels/wasm/batchNorm.ts bnRowOptions).
 * - BENCH_SWAP_AB: A·Bᵀ with few rows of A by transposing B, or as (B·Aᵀ)ᵀ (kernels/wasm/matMul.ts matMulSwapOptions).
 * - BENCH_COLUMNS_AB: A·B with fewer rows than columns split by rows, or by columns (kernels/wasm/matMul.ts matMulSplitOptions).
 * - BENCH_IM2COL_AB: dense convolutions with at most 4 input channels (EfficientNet's stem) by the direct kernel, or as im2col and the native product (kernels/wasm/gradients.ts im2colForwardOptions).
 * - BENCH_SILU_AB: BatchNorm-SiLU's backward reads the sigmoid the forward stored, or computes it in both its passes
 *   (BENCH_SILU_B=1: computes it once and stores the gradient; kernels/wasm/batchNorm.ts siluOptions).
 * - BENCH_FILL_AHEAD_AB: each step's batch filled at its step, or at the end of the step before (training/trainer.ts trainerOptions).
 * - BENCH_PARTIAL_SETTLE_AB: stock kernels and reads wait for every queued native call, or only for those that write what they read (kernelPoolOptions.partialSettle); alternate runs, not steps (it moves work across steps).
 * - BENCH_WINDOW_AB: the kernel queue's calls run in the order posted, or a thread may start any of the first WINDOW not done whose inputs are ready (kernelPoolOptions.window 1 / the app's).
 * - BENCH_RUNNING_MANY_AB: BatchNorm's running estimates updated by an op each, or all in one (training/batchNormStats.ts runningStatsOptions).
 * - BENCH_IN_PLACE_AB: the optimizer's new p and v and the running estimates as new tensors, or written over the old ones (kernels/wasm/batchNorm.ts updateOptions).
 * With BENCH_STEP_AB=1 a switch alternates step by step instead (A B B A, one trainer, n x BENCH_SECONDS per
 * preset): the medians of each setting's step times and their ratio, each side's quartiles for the spread.
 */
const STEP_AB = process.env.BENCH_STEP_AB === '1';
const HELPER_SPIN_MS = Number(process.env.BENCH_HELPER_SPIN_MS ?? 0.2);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 4);
/** The kernel queue's window as the app runs it (BENCH_WINDOW_AB's B side). */
const WINDOW = kernelPoolOptions.window;
const MIN_WORK = Number(process.env.BENCH_MIN_WORK ?? 1 << 17);
const AB_SWITCHES = [
  { env: 'BENCH_MATMUL_AB', api: 'nativeMatMul', values: [false, true], names: ['XNNPACK A·B', 'native'], key: 'matMulAB', fields: ['xnnpack', 'native'] },
  { env: 'BENCH_RELAXED_AB', api: 'relaxedSimd', values: [false, true], names: ['plain SIMD', 'relaxed SIMD'], key: 'relaxedSimdAB', fields: ['plain', 'relaxed'] },
  { env: 'BENCH_SPIN_AB', api: 'kernelSpin', values: [false, true], names: ['no spin', 'spin'], key: 'spinAB', fields: ['noSpin', 'spin'] },
  { env: 'BENCH_DENSE_AB', api: 'nativeDenseConv', values: [false, true], names: ['XNNPACK dense conv', 'native'], key: 'denseConvAB', fields: ['xnnpack', 'native'] },
  { env: 'BENCH_HELPER_SPIN_AB', api: 'helperSpin', values: [0, HELPER_SPIN_MS], names: ['helper sleeps', `helper spins ${HELPER_SPIN_MS} ms`], key: 'helperSpinAB', fields: ['sleeps', 'spins'] },
  { env: 'BENCH_CHUNKS_AB', api: 'chunksPerThread', values: [1, CHUNKS], names: ['1 chunk a thread', `${CHUNKS} chunks a thread`], key: 'chunksAB', fields: ['one', 'more'] },
  { env: 'BENCH_MIN_WORK_AB', api: 'minWork', values: [1 << 19, MIN_WORK], names: ['split from 2^19', `split from ${MIN_WORK}`], key: 'minWorkAB', fields: ['from2p19', 'other'] },
  { env: 'BENCH_DEFER_AB', api: 'deferred', values: [false, true], names: ['caller waits', 'deferred'], key: 'deferredAB', fields: ['waits', 'deferred'] },
  { env: 'BENCH_POOL_TIMING_AB', api: 'poolTiming', values: [true, false], names: ['chunks timed', 'untimed'], key: 'poolTimingAB', fields: ['timed', 'untimed'] },
  { env: 'BENCH_TAPER_AB', api: 'taper', values: [false, true], names: ['equal chunks', 'tapered'], key: 'taperAB', fields: ['equal', 'tapered'] },
  { env: 'BENCH_SHARE_SAVED_AB', api: 'shareSaved', values: [false, true], names: ['saved tensors cloned', 'shared'], key: 'shareSavedAB', fields: ['cloned', 'shared'] },
  { env: 'BENCH_BN_ROWS_AB', api: 'bnFineRows', values: [false, true], names: ['BN rows by 64', 'by 8 when few'], key: 'bnRowsAB', fields: ['rows64', 'fine'] },
  { env: 'BENCH_SWAP_AB', api: 'swapFewRows', values: [false, true], names: ['B transposed', '(B·Aᵀ)ᵀ'], key: 'swapAB', fields: ['transposeB', 'swapped'] },
  { env: 'BENCH_COLUMNS_AB', api: 'splitColumns', values: [false, true], names: ['by rows', 'by columns'], key: 'columnsAB', fields: ['byRows', 'byColumns'] },
  { env: 'BENCH_IM2COL_AB', api: 'im2colForward', values: [false, true], names: ['direct', 'im2col'], key: 'im2colAB', fields: ['direct', 'im2col'] },
  { env: 'BENCH_SILU_AB', api: 'siluGradient', values: [0, Number(process.env.BENCH_SILU_B ?? 2)], names: ['sigmoid stored', process.env.BENCH_SILU_B === '1' ? 'computed once' : 'computed twice'], key: 'siluAB', fields: ['stored', 'computed'] },
  { env: 'BENCH_FILL_AHEAD_AB', api: 'fillAhead', values: [false, true], names: ['batch filled at its step', 'filled ahead'], key: 'fillAheadAB', fields: ['atStep', 'ahead'] },
  { env: 'BENCH_PARTIAL_SETTLE_AB', api: 'partialSettle', values: [false, true], names: ['settle all', 'settle what is read'], key: 'partialSettleAB', fields: ['all', 'partial'] },
  { env: 'BENCH_WINDOW_AB', api: 'queueWindow', values: [1, WINDOW], names: ['calls in order', `a window of ${WINDOW}`], key: 'windowAB', fields: ['inOrder', 'window'] },
  { env: 'BENCH_RUNNING_MANY_AB', api: 'runningMany', values: [false, true], names: ['running estimates an op each', 'in one op'], key: 'runningManyAB', fields: ['each', 'many'] },
  { env: 'BENCH_IN_PLACE_AB', api: 'inPlace', values: [false, true], names: ['updates into new tensors', 'in place'], key: 'inPlaceAB', fields: ['newTensors', 'inPlace'] },
].map((ab) => ({ ...ab, rounds: Number(process.env[ab.env] ?? 0) })) as Array<{
  env: string;
  /** The worker's setter, given the off value, then the on value. */
  api: 'nativeMatMul' | 'relaxedSimd' | 'kernelSpin' | 'nativeDenseConv' | 'helperSpin' | 'chunksPerThread' | 'minWork' | 'deferred' | 'poolTiming' | 'taper' | 'shareSaved' | 'bnFineRows' | 'inPlace' | 'runningMany' | 'queueWindow' | 'fillAhead' | 'partialSettle' | 'swapFewRows' | 'splitColumns' | 'siluGradient' | 'im2colForward';
  values: [boolean, boolean] | [number, number];
  names: [string, string];
  key: string;
  fields: [string, string];
  rounds: number;
}>;
/**
 * BENCH_ROUNDS=n: only WASM at batch 32, n rounds; in each, every preset in turn, each followed by PyTorch on
 * it (same threads): per-round img/s and ratios (ours / PyTorch, each preset / the first) and their medians.
 * One round's figures move with the machine's load; the medians of alternating rounds are what the goals
 * compare.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 0);
/**
 * BENCH_POOL_TIMING=1: the kernel pool keeps its time statistics (ms per step in the caller's and the helpers'
 * chunks, waking, waiting: kernelPoolOptions.timing), at a clock reading or two per chunk; off, as the app
 * runs, only its counts.
 */
const POOL_TIMING = process.env.BENCH_POOL_TIMING === '1';
/** BENCH_PROFILE_PARTS=1: print each conv/matMul row's parts (by matMul form or input shapes; always in the JSON). */
const PROFILE_PARTS = process.env.BENCH_PROFILE_PARTS === '1';
const PROFILE_TOP = Number(process.env.BENCH_PROFILE_TOP ?? 20);
/** Steps profiled, each figure their mean per step (BENCH_PROFILE_STEPS, default 1). */
const PROFILE_STEPS = Math.max(1, Number(process.env.BENCH_PROFILE_STEPS ?? 1));
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const TORCH = process.env.BENCH_TORCH !== '0';
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'webgpu,wasm,webgl,cpu').split(',') as BackendName[];
const PORT = Number(process.env.BENCH_PORT ?? 4183);
/** BENCH_PRESETS=a,b measures those presets instead (e.g. the lesson presets). */
const PRESETS = process.env.BENCH_PRESETS ? process.env.BENCH_PRESETS.split(',') : ['classroom_resnext29_8x4d', 'classroom_resnet29_1x18d'];
/** Batch 8 everywhere (comparable across backends; the software GPUs take seconds per image), and 32 on WASM (BENCH_BATCHES=32: those on WASM only). */
const PRESET_BATCHES: Record<string, number[]> = { wasm: process.env.BENCH_BATCHES ? process.env.BENCH_BATCHES.split(',').map(Number) : [8, 32] };
const DEFAULT_PRESET_BATCHES = [8];
/** A step can take minutes on a software backend. */
const CALL_TIMEOUT_MS = 10 * 60_000;

type BenchApi = {
  open(): void;
  close(): void;
  api: {
    start(b: BackendName): Promise<BackendInfo>;
    threads(): Promise<number | undefined>;
    matMulMacsPerSecond(size: number, runs: number): Promise<number>;
    preset(name: string, batch: number, seconds: number): Promise<StepTiming>;
    nativeMatMul(on: boolean): void;
    relaxedSimd(on: boolean): Promise<boolean>;
    kernelSpin(on: boolean): void;
    nativeDenseConv(on: boolean): void;
    helperSpin(ms: number): void;
    chunksPerThread(n: number): void;
    minWork(n: number): void;
    deferred(on: boolean): void;
    poolTiming(on: boolean): void;
    taper(on: boolean): void;
    shareSaved(on: boolean): void;
    bnFineRows(on: boolean): void;
    inPlace(on: boolean): void;
    runningMany(on: boolean): void;
    queueWindow(n: number): void;
    fillAhead(on: boolean): void;
    partialSettle(on: boolean): void;
    swapFewRows(on: boolean): void;
    splitColumns(on: boolean): void;
    siluGradient(mode: number): void;
    im2colForward(on: boolean): void;
    profile(name: string, batch: number, warmup: number, top: number, steps: number): Promise<StepProfile>;
    stepAB(name: string, batch: number, seconds: number, setter: string, values: [unknown, unknown]): Promise<[number[], number[]]>;
    kernels(rounds: number, msPerCase: number): Promise<KernelPoolRow[]>;
    sameRun(name: string, batch: number, steps: number): Promise<{ params: number; differing: string[] }>;
    convnetjs(batch: number, seconds: number): Promise<StepTiming>;
  };
};
declare const trainBench: BenchApi;

const round = (x: number, digits = 2) => +x.toFixed(digits);
const gmacs = (x: number) => round(x / 1e9, 3);

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type ResultRow = {
  model: string;
  batch: number;
  threads?: number;
  steps: number;
  seconds: number;
  warmupSeconds: number;
  imagesPerSecond: number;
  forwardMMacsPerImage: number;
  achievedGMacsPerSecond: number;
  fractionOfCeiling: number;
  lastLoss: number;
  tensorsLeaked?: number;
  vsConvNetJS?: number;
  pytorchImagesPerSecond?: number;
  vsPyTorch?: number;
};

/** ConvNetJS's own trainer, timed once in this (Node) process: right before our port of its net on WASM. */
let convnetjsOwn: ConvNetJsOwnTiming | { error: string } | undefined;
function measureConvNetJsOwn(): void {
  if (convnetjsOwn) return;
  try {
    convnetjsOwn = timeConvNetJsOwn(SECONDS);
    console.error(`[convnetjs] own trainer on its CIFAR-10 demo net (Node, 1 thread, batch 4, adadelta): ${round(convnetjsOwn.imagesPerSecond)} img/s`);
  } catch (e) {
    convnetjsOwn = { error: (e as Error).message };
    console.error(`[convnetjs] own trainer failed (${(e as Error).message}); comparing with the old constant ${CONVNETJS_IMAGES_PER_SECOND} img/s`);
  }
}

interface RoundRow {
  model: string;
  round: number;
  imagesPerSecond: number;
  pytorchImagesPerSecond?: number;
  vsPyTorch?: number;
}

/** The value at fraction f of v sorted (the lower one between two): step times' median and quartiles. */
const quantile = (v: number[], f: number) => [...v].sort((a, b) => a - b)[Math.floor(f * (v.length - 1))]!;

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Per preset: median img/s and ours / PyTorch; per round and as the median: each preset / the first preset. */
function summarizeRounds(rows: RoundRow[], log: (s: string) => void) {
  const first = PRESETS[0]!;
  return PRESETS.map((model) => {
    const mine = rows.filter((r) => r.model === model);
    const vsPyTorch = mine.flatMap((r) => (r.vsPyTorch === undefined ? [] : [r.vsPyTorch]));
    const vsFirst = mine.map((r) => round(rows.find((f) => f.model === first && f.round === r.round)!.imagesPerSecond / r.imagesPerSecond, 3));
    const summary = {
      model,
      medianImagesPerSecond: round(median(mine.map((r) => r.imagesPerSecond))),
      ...(vsPyTorch.length ? { vsPyTorch, medianVsPyTorch: round(median(vsPyTorch), 3) } : {}),
      ...(model !== first ? { firstOverThis: vsFirst, medianFirstOverThis: round(median(vsFirst), 3) } : {}),
    };
    log(
      `${model}: median ${summary.medianImagesPerSecond} img/s` +
        (vsPyTorch.length ? `; ours / PyTorch ${vsPyTorch.join(', ')} (median ${summary.medianVsPyTorch})` : '') +
        (model !== first ? `; ${first} / this ${vsFirst.join(', ')} (median ${summary.medianFirstOverThis})` : ''),
    );
    return summary;
  });
}

async function benchBackend(browser: Browser, origin: string, backend: BackendName, torch: TorchPeer) {
  const page = await browser.newPage();
  page.setDefaultTimeout(CALL_TIMEOUT_MS);
  const log = (s: string) => console.error(`[${backend}] ${s}`);
  // Errors of the page, its worker and tfjs' pthread workers (a hung start is otherwise silent).
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) log(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) log(`${r.status()} for ${r.url()}`);
  });
  try {
    await page.goto(`${origin}/bench/train/index.html`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.evaluate(() => trainBench.open());
    const info = await withTimeout(page.evaluate((b) => trainBench.api.start(b), backend), `${backend} start`);
    const threads = await page.evaluate(() => trainBench.api.threads());
    if (POOL_TIMING) await page.evaluate(() => trainBench.api.poolTiming(true));
    const measured = await withTimeout(page.evaluate(() => trainBench.api.matMulMacsPerSecond(1024, 3)), `${backend} matMul`);
    // XNNPACK's pool on fewer threads than the step uses (the app's kernel helpers take the others): its
    // rate times threads / its threads, as if it scaled perfectly (measured: 1.27-1.29x on 2 threads here).
    const xnnpackThreads = info.wasm?.threads ? info.wasm.threadCount : 1;
    const ceilingScale = info.wasm && threads !== undefined && threads > xnnpackThreads ? threads / xnnpackThreads : 1;
    const ceiling = measured * ceilingScale;
    log(
      `threads ${threads ?? 'n/a (GPU)'}${info.wasm ? ` (WASM SIMD ${info.wasm.simd}, threaded build ${info.wasm.threads}, XNNPACK on ${xnnpackThreads}, the app's kernels on ${info.wasm.kernelThreads}, relaxed SIMD kernels ${info.wasm.relaxedSimd})` : ''}; ceiling ${gmacs(ceiling)} GMAC/s${ceilingScale > 1 ? ` (XNNPACK's ${gmacs(measured)} on ${xnnpackThreads} x ${ceilingScale})` : ''}`,
    );
    if (SAME_RUN) {
      if (backend !== 'wasm') return { backend, error: '--same-run checks the WASM kernel queue only' };
      const rows = [];
      for (const preset of PRESETS) {
        const r = await withTimeout(page.evaluate(([p, b]) => trainBench.api.sameRun(p, b, 3), [preset, TORCH_BATCH] as const), `${backend} ${preset} same run`);
        log(`${preset}: 3 steps queued and synchronous: ${r.differing.length === 0 ? `all ${r.params} parameters bit for bit the same` : `${r.differing.length} of ${r.params} differ (${r.differing.slice(0, 5).join(', ')})`}`);
        rows.push({ preset, ...r });
      }
      return { backend, wasm: info.wasm, threads, sameRun: rows };
    }
    if (KERNELS) {
      if (backend !== 'wasm') return { backend, error: '--kernels measures the WASM kernels only' };
      const rows = await withTimeout(page.evaluate(() => trainBench.api.kernels(3, 1000)), 'kernels');
      log('the app kernels, helpers off and on (3 alternating rounds, median ms per call):');
      printKernelPoolRows(rows, log);
      return { backend, wasm: info.wasm, threads, kernelPool: rows };
    }
    if (ROUNDS > 0) {
      if (backend !== 'wasm') return { backend, error: 'BENCH_ROUNDS measures WASM only' };
      const rows: RoundRow[] = [];
      for (let r = 1; r <= ROUNDS; r++)
        for (const preset of PRESETS) {
          const t = await withTimeout(page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [preset, TORCH_BATCH, SECONDS] as const), `${backend} ${preset}`);
          const peer = torch.timed(preset, threads ?? 1);
          const row: RoundRow = { model: preset, round: r, imagesPerSecond: round(t.imagesPerSecond), ...(peer ? { pytorchImagesPerSecond: peer, vsPyTorch: round(t.imagesPerSecond / peer, 3) } : {}) };
          log(`round ${r} ${preset} batch ${TORCH_BATCH}: ${row.imagesPerSecond} img/s${peer ? `, PyTorch ${peer} img/s (${row.vsPyTorch}x)` : ''}`);
          rows.push(row);
        }
      return { backend, wasm: info.wasm, threads, rounds: rows, roundsSummary: summarizeRounds(rows, log) };
    }
    /** n rounds per preset of training img/s with `set(false)` then `set(true)` (odd rounds) or the other way (even rounds: a trend in the machine's speed favours neither). */
    const alternate = async (n: number, set: (on: boolean) => Promise<unknown>, names: [string, string]) => {
      const rows: { model: string; round: number; off: number; on: number }[] = [];
      for (let r = 1; r <= n; r++)
        for (const preset of PRESETS) {
          const ips = async (on: boolean) => {
            await set(on);
            const t = await withTimeout(page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [preset, TORCH_BATCH, SECONDS] as const), `${backend} ${preset}`);
            return round(t.imagesPerSecond);
          };
          const [first, second] = r % 2 === 1 ? [false, true] : [true, false];
          const a = await ips(first);
          const b = await ips(second);
          const [off, on] = first ? [b, a] : [a, b];
          log(`round ${r} ${preset} batch ${TORCH_BATCH}: ${names[0]} ${off} img/s, ${names[1]} ${on} img/s (${round(on / off)}x)`);
          rows.push({ model: preset, round: r, off, on });
        }
      return rows;
    };
    for (const ab of AB_SWITCHES) {
      if (ab.rounds <= 0) continue;
      if (STEP_AB) {
        const rows = [];
        for (const preset of PRESETS) {
          const [off, on] = await withTimeout(page.evaluate(([p, b, s, f, v]) => trainBench.api.stepAB(p, b, s, f, v), [preset, TORCH_BATCH, ab.rounds * SECONDS, ab.api, ab.values] as const), `${backend} ${preset} step A/B`);
          const [medianOff, medianOn] = [round(quantile(off, 0.5)), round(quantile(on, 0.5))];
          const [quartilesOff, quartilesOn] = [[round(quantile(off, 0.25)), round(quantile(off, 0.75))], [round(quantile(on, 0.25)), round(quantile(on, 0.75))]];
          const row = { model: preset, steps: [off.length, on.length], medianMs: [medianOff, medianOn], quartilesMs: [quartilesOff, quartilesOn], speedUp: round(medianOff / medianOn, 3) };
          log(`${preset} batch ${TORCH_BATCH}, step by step: ${ab.names[0]} ${medianOff} ms (quartiles ${quartilesOff.join('-')}, ${off.length} steps), ${ab.names[1]} ${medianOn} ms (${quartilesOn.join('-')}, ${on.length} steps): ${row.speedUp}x`);
          rows.push(row);
        }
        return Object.assign({ backend, wasm: info.wasm, threads }, { [`${ab.key}Steps`]: { names: ab.names, rows } } as object);
      }
      if (backend !== 'wasm') return { backend, error: `${ab.env} measures WASM only` };
      const rows = await alternate(ab.rounds, (on) => page.evaluate(async ([f, v]) => void (await (trainBench.api[f] as (value: boolean | number) => unknown)(v)), [ab.api, ab.values[on ? 1 : 0]!] as const), ab.names);
      // Under the switch's own JSON key (the typed result keeps its usual fields only).
      return Object.assign({ backend, wasm: info.wasm, threads }, { [ab.key]: rows.map(({ off, on, ...r }) => ({ ...r, [ab.fields[0]]: off, [ab.fields[1]]: on })) } as object);
    }
    const row = (what: string, batch: number, t: StepTiming): ResultRow => {
      log(`${what} batch ${batch}: ${round(t.imagesPerSecond)} img/s (${t.steps} steps, warm-up ${round(t.warmupSeconds, 1)} s)`);
      const p = t.kernelPool;
      if (p)
        log(
          `  kernel pool per step: ${p.splitCalls} split calls, ${p.deferredCalls} deferred, ${p.helperChunks} chunks on helpers` +
            (POOL_TIMING ? `; caller ${p.callerMs} ms, helpers ${p.helperMs} ms in chunks; helpers' wake-up ${p.wakeMs} ms, caller waiting ${p.callerWaitMs} ms` : ' (BENCH_POOL_TIMING=1: where the time went)'),
        );
      return {
        model: what,
        batch,
        ...(threads !== undefined ? { threads } : {}),
        steps: t.steps,
        seconds: round(t.seconds, 1),
        warmupSeconds: round(t.warmupSeconds, 1),
        imagesPerSecond: round(t.imagesPerSecond),
        forwardMMacsPerImage: round(t.forwardMacsPerImage / 1e6, 3),
        achievedGMacsPerSecond: gmacs(t.macsPerSecond),
        fractionOfCeiling: round(t.macsPerSecond / ceiling, 3),
        lastLoss: round(t.lastLoss, 3),
        ...(t.tensorsLeaked ? { tensorsLeaked: t.tensorsLeaked } : {}),
        ...(t.kernelPool ? { kernelPool: t.kernelPool } : {}),
      };
    };
    const batches = PRESET_BATCHES[backend] ?? DEFAULT_PRESET_BATCHES;
    const results: ResultRow[] = [];
    for (const preset of PRESETS) {
      for (const batch of batches) {
        const t = await withTimeout(page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [preset, batch, SECONDS] as const), `${backend} ${preset}`);
        results.push(row(preset, batch, t));
        // PyTorch back to back with ours: on our thread count, then on 1 thread.
        if (backend === 'wasm' && batch === TORCH_BATCH) for (const n of new Set([threads ?? 1, 1])) torch.run(preset, n);
      }
    }
    if (backend === 'wasm' || !BACKENDS.includes('wasm')) measureConvNetJsOwn();
    const c = await withTimeout(page.evaluate(([b, s]) => trainBench.api.convnetjs(b, s), [4, SECONDS] as const), `${backend} convnetjs`);
    results.push(row('convnetjs_cifar10_demo', 4, c)); // vsConvNetJS: set when ConvNetJS's own figure is in
    const profile: Array<StepProfile | { model: string; batch: number; error: string }> = [];
    if (PROFILE) {
      const batch = Math.max(...batches);
      for (const preset of PRESETS) {
        try {
          const p = await withTimeout(page.evaluate(([m, b, top, steps]) => trainBench.api.profile(m, b, 2, top, steps), [preset, batch, PROFILE_TOP, PROFILE_STEPS] as const), `${backend} profile ${preset}`);
          const timed = results.find((r) => r.model === preset && r.batch === batch);
          if (timed) p.unprofiledStepMs = round((1000 * batch) / timed.imagesPerSecond, 1);
          printProfile(backend, p, PROFILE_PARTS);
          profile.push(p);
        } catch (e) {
          log(`profile of ${preset} failed: ${(e as Error).message}`);
          profile.push({ model: preset, batch, error: (e as Error).message.split('\n')[0]! });
        }
      }
    }
    await page.evaluate(() => trainBench.close());
    return {
      backend,
      adapter: info.adapter,
      wasm: info.wasm,
      ...(threads !== undefined ? { threads } : {}),
      ceiling: { what: ceilingScale > 1 ? `matMul 1024^3, best of 3, on XNNPACK's ${xnnpackThreads} thread(s) x ${ceilingScale}` : 'matMul 1024^3, best of 3', gMacsPerSecond: gmacs(ceiling) },
      results,
      ...(PROFILE ? { profile } : {}),
    };
  } catch (e) {
    log(`failed: ${(e as Error).message}`);
    return { backend, error: (e as Error).message.split('\n')[0] };
  } finally {
    await page.close();
  }
}

/** What bench/train/torch_train.py prints: our step timing's figures (no tensors to leak) and what ran. */
interface TorchTiming extends Omit<StepTiming, 'tensorsLeaked'> {
  model: string;
  torch: string;
  threads: number;
  batch: number;
}

const TORCH_SCRIPT = 'bench/train/torch_train.py';
/** PyTorch runs at WASM's largest batch. */
const TORCH_BATCH = Math.max(...(PRESET_BATCHES.wasm ?? DEFAULT_PRESET_BATCHES));

/** OpenMP wait policies PyTorch runs under on `threads` threads (see TorchPeer.run). */
const policies = (threads: number) => (threads > 1 ? [process.env.OMP_WAIT_POLICY ?? 'default', 'PASSIVE'] : [process.env.OMP_WAIT_POLICY ?? 'default']);
const policyEnv = (policy: string): NodeJS.ProcessEnv => (policy === 'default' ? process.env : { ...process.env, OMP_WAIT_POLICY: policy });

type TorchRow = Record<string, unknown> & { model: string; threads?: number; ompWaitPolicy?: string; imagesPerSecond?: number };

/**
 * PyTorch on the CPU on the app's export of each preset. `run(preset, threads)` is called right after
 * our WASM run of that preset at TORCH_BATCH, so the two are timed back to back.
 */
class TorchPeer {
  readonly results: TorchRow[] = [];
  readonly skipped?: string;
  private readonly version: string = '';
  private readonly files = new Map<string, string>();
  private readonly log = (s: string) => console.error(`[pytorch] ${s}`);

  constructor(dir: string) {
    if (!TORCH) {
      this.skipped = 'BENCH_TORCH=0';
      this.log('skipped (BENCH_TORCH=0)');
      return;
    }
    const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      this.skipped = `skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)${probe.error ? ` (${probe.error.message})` : ''}`;
      this.log(this.skipped);
      return;
    }
    this.version = probe.stdout.trim();
    for (const preset of PRESETS) {
      const file = path.join(dir, `${preset.replace('@', '-')}.py`);
      const exported = runExport(pytorchExportArgs(preset, file));
      if (exported.code === 0) this.files.set(preset, file);
      else this.log(`export of ${preset} failed: ${exported.stderr.trim()}`);
    }
  }

  /**
   * Trains `preset` at TORCH_BATCH on `threads` threads, unless already done. On more than one thread
   * twice: with OpenMP's wait policy as the environment has it and with OMP_WAIT_POLICY=PASSIVE (on a
   * shared machine libgomp's spinning at barriers can cost PyTorch most of its speed); the
   * comparison takes the faster, so ours is never flattered.
   */
  run(preset: string, threads: number): void {
    if (this.skipped) return;
    for (const policy of policies(threads)) {
      if (this.results.some((r) => r.model === preset && r.threads === threads && r.ompWaitPolicy === policy)) continue;
      this.runOnce(preset, threads, policy, policyEnv(policy));
    }
  }

  /** Trains `preset` again (BENCH_ROUNDS: once per round), as `run` does; the best img/s of this call, or undefined. */
  timed(preset: string, threads: number): number | undefined {
    if (this.skipped) return undefined;
    const from = this.results.length;
    for (const policy of policies(threads)) this.runOnce(preset, threads, policy, policyEnv(policy));
    const ips = this.results.slice(from).flatMap((r) => (r.imagesPerSecond === undefined ? [] : [r.imagesPerSecond]));
    return ips.length ? Math.max(...ips) : undefined;
  }

  private runOnce(preset: string, threads: number, ompWaitPolicy: string, env: NodeJS.ProcessEnv): void {
    const file = this.files.get(preset);
    if (!file) {
      this.results.push({ model: preset, batch: TORCH_BATCH, threads, ompWaitPolicy, error: 'export failed' });
      return;
    }
    const args = [TORCH_SCRIPT, '--module', file, '--batch', String(TORCH_BATCH), '--threads', String(threads), '--seconds', String(SECONDS)];
    const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: CALL_TIMEOUT_MS, env });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').at(-1)!;
      this.log(`${preset} ${threads} thread(s) failed: ${why}`);
      this.results.push({ model: preset, batch: TORCH_BATCH, threads, ompWaitPolicy, error: why });
      return;
    }
    const t = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchTiming;
    this.log(`${preset} batch ${t.batch}, ${t.threads} thread(s)${threads > 1 ? `, OMP_WAIT_POLICY ${ompWaitPolicy}` : ''}: ${round(t.imagesPerSecond)} img/s (${t.steps} steps, warm-up ${round(t.warmupSeconds, 1)} s)`);
    this.results.push({
      model: preset,
      batch: t.batch,
      threads: t.threads,
      ompWaitPolicy,
      steps: t.steps,
      seconds: round(t.seconds, 1),
      warmupSeconds: round(t.warmupSeconds, 1),
      imagesPerSecond: round(t.imagesPerSecond),
      forwardMMacsPerImage: round(t.forwardMacsPerImage / 1e6, 3),
      achievedGMacsPerSecond: gmacs(t.macsPerSecond),
      lastLoss: round(t.lastLoss, 3),
    });
  }

  /** PyTorch's best img/s for `preset` on `threads` threads. */
  best(preset: string, threads: number): TorchRow | undefined {
    return this.results
      .filter((r) => r.model === preset && r.threads === threads && r.imagesPerSecond !== undefined)
      .sort((x, y) => (y.imagesPerSecond ?? 0) - (x.imagesPerSecond ?? 0))[0];
  }

  report(): { skipped: string } | Record<string, unknown> {
    if (this.skipped) return { skipped: this.skipped };
    return {
      torch: this.version,
      python: PYTHON,
      script: TORCH_SCRIPT,
      recipe: 'the app export (npm run export -- <preset> --to pytorch), train mode, SGD momentum 0.9, weight decay 5e-4 on conv/FC weights, lr 0.05, cross-entropy, random N(0,1) CIFAR-shaped inputs',
      batch: TORCH_BATCH,
      results: this.results,
    };
  }
}

const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-train-'));
try {
  await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, rollupOptions: { input: 'bench/train/index.html' } } });
  const loadBefore = os.loadavg();

  const server = await preview({ logLevel: 'error', build: { outDir }, preview: { port: PORT, strictPort: true } });
  // GPU timestamps for WebGPU's per-kernel times (tfjs asks for 'timestamp-query' when the adapter has it).
  const args = PROFILE ? [...CHROMIUM_ARGS, '--enable-dawn-features=allow_unsafe_apis'] : CHROMIUM_ARGS;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args });
  const chromiumVersion = browser.version();
  const torch = new TorchPeer(outDir);
  const backends = [];
  try {
    for (const backend of BACKENDS) backends.push(await benchBackend(browser, `http://localhost:${PORT}`, backend, torch));
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }

  measureConvNetJsOwn();
  const convnetjsImagesPerSecond = convnetjsOwn && 'imagesPerSecond' in convnetjsOwn ? round(convnetjsOwn.imagesPerSecond) : CONVNETJS_IMAGES_PER_SECOND;
  for (const b of backends)
    for (const r of 'results' in b ? b.results : []) if (r.model === 'convnetjs_cifar10_demo') r.vsConvNetJS = round(r.imagesPerSecond / convnetjsImagesPerSecond);

  // Without a WASM run, PyTorch on 1 thread.
  for (const preset of PRESETS) torch.run(preset, 1);
  const pytorch = torch.report();
  const wasmRun = backends.find((b) => b.backend === 'wasm' && 'results' in b);
  const comparison = [];
  if (wasmRun && 'results' in wasmRun) {
    for (const preset of PRESETS) {
      const ours = wasmRun.results.find((r) => r.model === preset && r.batch === TORCH_BATCH);
      const peer = torch.best(preset, ours?.threads ?? 1);
      if (!ours || !peer?.imagesPerSecond) continue;
      ours.pytorchImagesPerSecond = peer.imagesPerSecond;
      ours.vsPyTorch = round(ours.imagesPerSecond / peer.imagesPerSecond, 3);
      comparison.push({ model: preset, batch: TORCH_BATCH, threads: ours.threads ?? 1, oursWasmImagesPerSecond: ours.imagesPerSecond, pytorchImagesPerSecond: peer.imagesPerSecond, pytorchOmpWaitPolicy: peer.ompWaitPolicy, ratio: ours.vsPyTorch });
    }
  }

  const report = {
    chromium: chromiumVersion,
    cpus: os.cpus().length,
    loadAverage: { before: loadBefore.map((l) => round(l)), after: os.loadavg().map((l) => round(l)) },
    secondsPerConfig: SECONDS,
    convnetjsImagesPerSecond,
    convnetjsOwn,
    backends,
    pytorch: { ...pytorch, ...(comparison.length ? { comparison } : {}) },
  };

  const e = (s: string) => console.error(s);
  e('\nbackend  model                       batch threads   img/s  GMAC/s  of ceiling  vs PyTorch  vs ConvNetJS');
  const line = (who: string, r: { model: string; batch?: unknown; threads?: unknown; imagesPerSecond?: unknown; achievedGMacsPerSecond?: unknown }, rest = '') =>
    e(`${who.padEnd(8)} ${r.model.padEnd(27)} ${String(r.batch ?? '').padStart(5)} ${String(r.threads ?? 'gpu').padStart(7)} ${String(r.imagesPerSecond ?? 'failed').padStart(7)} ${String(r.achievedGMacsPerSecond ?? '').padStart(7)}${rest}`);
  for (const b of backends)
    for (const r of 'results' in b ? b.results : [])
      line(b.backend, r, `${String(r.fractionOfCeiling).padStart(12)}${String(r.vsPyTorch ?? '').padStart(12)}${String(r.vsConvNetJS ?? '').padStart(14)}`);
  for (const r of torch.results) line('pytorch', r, (r.threads ?? 1) > 1 ? `   OMP_WAIT_POLICY ${r.ompWaitPolicy}` : '');
  if (torch.skipped) e(`pytorch  ${torch.skipped}`);
  line('convnetjs', { model: 'own trainer, demo net (Node)', batch: 4, threads: 1, imagesPerSecond: convnetjsImagesPerSecond });
  for (const c of comparison) e(`ours (wasm) / PyTorch-CPU, ${c.model}, batch ${c.batch}, ${c.threads} thread(s) each: ${c.ratio}`);
  for (const b of backends)
    for (const r of 'results' in b ? b.results : [])
      if (r.vsConvNetJS !== undefined) e(`ours (${b.backend}, tfjs port, batch 4) / ConvNetJS's own trainer (Node, 1 thread) on its CIFAR-10 demo net: ${r.vsConvNetJS}`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
