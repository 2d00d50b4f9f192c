/**
 * `npm run bench:gpu`: on a machine with a GPU, the presets' training img/s on WebGPU against
 * PyTorch-CUDA on the app's own PyTorch export of the same net (bench/gpu/torch_cuda.py), same batch
 * and recipe. Not a test; it says plainly when it gets no GPU adapter (none, or only a software one
 * such as SwiftShader) or no CUDA, and skips that side. Prints a table on stderr and JSON on stdout.
 *
 * WebGPU runs in one of two places:
 * - Chromium (default): bench/train/index.html built with the app's Vite config, its worker trains
 *   with the app's Trainer. Headless Chromium (CHROMIUM_PATH) with the e2e flags plus Vulkan
 *   (--enable-features=Vulkan --use-angle=vulkan --use-vulkan); BENCH_CHROMIUM_FLAGS adds more.
 * - `--dawn`: Node with Dawn (the `webgpu` package, ./dawn.ts) as navigator.gpu, the same Trainer and
 *   kernels in-process (./dawnRun.ts); no browser. `npm run bench:gpu:pack` packs this mode into one
 *   folder for a machine without the repo's node_modules (./pack.ts).
 *
 * BENCH_PRESETS (default the two classroom presets; `name@cifar` too), BENCH_BATCHES (comma list,
 * default BENCH_BATCH or 32), BENCH_SECONDS (15) per preset and batch after one warm-up step,
 * BENCH_PYTHON (python3). `--profile` (Dawn): one step of each preset at the first batch under
 * tf.profile (GPU timestamps). BENCH_DAWN_FLAGS (space-separated) replaces Dawn's flags:
 * `backend=null enable-dawn-features=allow_unsafe_apis` times the host side of each step on any
 * machine (Dawn validates and records every call and runs none). BENCH_SIDES=webgpu or =pytorch runs one side only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExport } from '../../src/cli/exportCommand';
import type { BackendInfo } from '../../src/workers/protocol';
import type { StepProfile } from '../train/profile';
import { pytorchExportArgs } from '../train/presetVariants';
import type { StepTiming } from '../train/steps';
import { installDawn } from './dawn';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BATCHES = (process.env.BENCH_BATCHES ?? process.env.BENCH_BATCH ?? '32').split(',').map(Number);
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const PORT = Number(process.env.BENCH_PORT ?? 4193);
const PRESETS = process.env.BENCH_PRESETS?.split(',').filter(Boolean) ?? ['classroom_resnext29_8x4d', 'classroom_resnet29_1x18d'];
const SIDES = process.env.BENCH_SIDES?.split(',') ?? ['webgpu', 'pytorch'];
const DAWN = process.argv.includes('--dawn');
/** Dawn's flags (./dawn.ts); `backend=null` times the host side alone (no GPU work runs). */
const DAWN_FLAGS = process.env.BENCH_DAWN_FLAGS?.split(' ').filter(Boolean) ?? ['enable-dawn-features=allow_unsafe_apis'];
const PROFILE = process.argv.includes('--profile');
/** The matMul ceiling's size on the GPU (tfjs' matMul, size³, read back): large enough to keep a GPU busy. */
const CEILING_SIZE = Number(process.env.BENCH_GPU_MATMUL ?? 2048);
const GPU_FLAGS = ['--enable-features=Vulkan', '--use-angle=vulkan', '--use-vulkan', ...(process.env.BENCH_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? [])];

declare const trainBench: {
  open(): void;
  close(): void;
  api: { start(b: string): Promise<BackendInfo>; preset(name: string, batch: number, seconds: number): Promise<StepTiming> };
};

const log = (s: string) => console.error(s);
const round = (x: number) => +x.toFixed(2);

type Row = { model: string; batch: number; imagesPerSecond?: number; error?: string } & Record<string, unknown>;
type Side = { skipped: string } | { adapter?: string; results: Row[]; [k: string]: unknown };

const timingRow = (model: string, batch: number, t: StepTiming): Row => ({
  model,
  batch,
  steps: t.steps,
  imagesPerSecond: round(t.imagesPerSecond),
  macsPerSecond: Math.round(t.macsPerSecond),
  warmupSeconds: round(t.warmupSeconds),
  lastLoss: round(t.lastLoss),
  tensorsLeaked: t.tensorsLeaked,
});

/** Runs `fn` for each preset and batch, logging each result; a failing configuration is recorded and the rest go on. */
async function eachConfig(label: string, fn: (preset: string, batch: number) => Promise<StepTiming>): Promise<Row[]> {
  const results: Row[] = [];
  for (const preset of PRESETS) {
    for (const batch of BATCHES) {
      try {
        const t = await fn(preset, batch);
        log(`[${label}] ${preset} batch ${batch}: ${round(t.imagesPerSecond)} img/s (${t.steps} steps, warm-up ${round(t.warmupSeconds)} s)`);
        results.push(timingRow(preset, batch, t));
      } catch (e) {
        const error = (e as Error).message.split('\n')[0]!;
        log(`[${label}] ${preset} batch ${batch} failed: ${error}`);
        results.push({ model: preset, batch, error });
      }
    }
  }
  return results;
}

/** The adapter the page sees, before any training: none, software, or a GPU. */
async function adapterOf(page: import('@playwright/test').Page): Promise<{ found: boolean; software: boolean; description: string }> {
  return page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string>; isFallbackAdapter?: boolean } | null> } }).gpu;
    if (!gpu) return { found: false, software: false, description: 'navigator.gpu is missing' };
    const a = await gpu.requestAdapter();
    if (!a) return { found: false, software: false, description: 'requestAdapter() returned null' };
    const info = a.info ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
    return { found: true, software: info.architecture === 'swiftshader' || a.isFallbackAdapter === true, description };
  });
}

async function chromiumSide(): Promise<Side> {
  const { build, preview } = await import('vite');
  const { chromium } = await import('@playwright/test');
  const { CHROMIUM_ARGS, CHROMIUM_PATH } = await import('../../e2e/chromium');
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-gpu-'));
  try {
    await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, rollupOptions: { input: 'bench/train/index.html' } } });
    const server = await preview({ logLevel: 'error', build: { outDir }, preview: { port: PORT, strictPort: true } });
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...GPU_FLAGS] });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(10 * 60_000);
      page.on('pageerror', (e) => log(`[webgpu] page error: ${e.message}`));
      await page.goto(`http://localhost:${PORT}/bench/train/index.html`);
      await page.locator('body[data-ready="true"]').waitFor();
      const adapter = await adapterOf(page);
      if (!adapter.found) return { skipped: `no GPU adapter (${adapter.description})` };
      if (adapter.software) return { skipped: `no GPU adapter: only a software one (${adapter.description})` };
      log(`[webgpu] adapter: ${adapter.description}`);
      await page.evaluate(() => trainBench.open());
      await page.evaluate(() => trainBench.api.start('webgpu'));
      const results = await eachConfig('webgpu', (p, b) => page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [p, b, SECONDS] as const));
      await page.evaluate(() => trainBench.close());
      return { adapter: adapter.description, chromiumFlags: GPU_FLAGS, results };
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function dawnSide(): Promise<Side> {
  const dawn = await installDawn(DAWN_FLAGS);
  if ('skipped' in dawn) return dawn;
  const a = dawn.adapter;
  const description = a.nullBackend ? "Dawn's Null backend (host side only: no GPU work runs)" : [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  if (a.software && process.env.BENCH_ALLOW_SOFTWARE !== '1') return { skipped: `no GPU adapter: only a software one (${description}; BENCH_ALLOW_SOFTWARE=1 runs on it anyway)` };
  log(`[webgpu/dawn] adapter: ${description}${a.software ? ' (software)' : ''}; timestamp-query: ${a.features.includes('timestamp-query')}`);
  const run = await import('./dawnRun');
  await run.startWebgpu();
  const ceiling = await run.webgpuMatMulMacsPerSecond(CEILING_SIZE);
  log(`[webgpu/dawn] tfjs matMul ${CEILING_SIZE}³: ${(ceiling / 1e9).toFixed(1)} GMAC/s`);
  const results = await eachConfig('webgpu/dawn', (p, b) => run.timePreset(p, b, SECONDS));
  for (const r of results) if (r.macsPerSecond) r.ofCeiling = +((r.macsPerSecond as number) / ceiling).toFixed(3);
  const profiles: Array<StepProfile | { model: string; error: string }> = [];
  if (PROFILE) {
    const { printProfile } = await import('../train/profile');
    for (const preset of PRESETS) {
      try {
        const p = await run.profilePreset(preset, BATCHES[0]!);
        printProfile('webgpu/dawn', p, true);
        profiles.push(p);
      } catch (e) {
        profiles.push({ model: preset, error: (e as Error).message.split('\n')[0]! });
      }
    }
  }
  return { adapter: description, adapterInfo: a, runner: `Dawn for Node (${process.version})`, matMulCeiling: { size: CEILING_SIZE, macsPerSecond: Math.round(ceiling) }, results, ...(PROFILE ? { profiles } : {}) };
}

async function torchSide(): Promise<Side> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gpu-export-'));
  try {
    const rows: Row[] = [];
    let skipped: string | undefined;
    const results = await eachConfig('pytorch-cuda', async (preset, batch) => {
      if (skipped) throw new Error(skipped);
      const file = path.join(dir, `${preset.replace('@', '_at_')}.py`);
      const exported = runExport(pytorchExportArgs(preset, file));
      if (exported.code !== 0) throw new Error(`export of ${preset} failed: ${exported.stderr.trim()}`);
      const r = spawnSync(PYTHON, ['bench/gpu/torch_cuda.py', '--module', file, '--batch', String(batch), '--seconds', String(SECONDS)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error((skipped = `no PyTorch run: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').at(-1)}`));
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { skipped?: string } & Omit<StepTiming, 'tensorsLeaked'> & { device: string; torch: string };
      if (out.skipped) throw new Error((skipped = out.skipped));
      rows.push({ model: preset, batch, device: out.device, torch: out.torch });
      return { ...out, tensorsLeaked: 0 };
    });
    if (skipped && results.every((r) => r.error)) return { skipped };
    return { device: rows[0]?.device, torch: rows[0]?.torch, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const webgpu: Side = SIDES.includes('webgpu') ? await (DAWN ? dawnSide() : chromiumSide()) : { skipped: 'BENCH_SIDES' };
if ('skipped' in webgpu) log(`[webgpu] ${webgpu.skipped}`);
const torch: Side = SIDES.includes('pytorch') ? await torchSide() : { skipped: 'BENCH_SIDES' };
if ('skipped' in torch) log(`[pytorch-cuda] ${torch.skipped}`);
const comparison = [];
if ('results' in webgpu && 'results' in torch) {
  for (const preset of PRESETS) {
    for (const batch of BATCHES) {
      const w = webgpu.results.find((r) => r.model === preset && r.batch === batch)?.imagesPerSecond;
      const t = torch.results.find((r) => r.model === preset && r.batch === batch)?.imagesPerSecond;
      if (w && t) {
        comparison.push({ model: preset, batch, webgpuImagesPerSecond: w, pytorchCudaImagesPerSecond: t, ratio: +(w / t).toFixed(3) });
        log(`ours (WebGPU) / PyTorch-CUDA, ${preset}, batch ${batch}: ${w} / ${t} = ${(w / t).toFixed(3)}`);
      }
    }
  }
}
console.log(JSON.stringify({ batch: BATCHES[0], batches: BATCHES, secondsPerConfig: SECONDS, runner: DAWN ? 'dawn' : 'chromium', webgpu, pytorchCuda: torch, comparison }, null, 2));
