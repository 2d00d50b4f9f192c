/**
 * `npm run bench:gpu`: on a machine with a GPU, the classroom presets' training img/s on WebGPU
 * (headless Chromium on the Vulkan driver) against PyTorch-CUDA on the app's own PyTorch export of
 * the same net (bench/gpu/torch_cuda.py), same batch (BENCH_BATCH, default 32) and recipe. Not a
 * test; it says plainly when it gets no GPU adapter (none, or only a software one such as
 * SwiftShader) or no CUDA, and skips that side. Prints a table on stderr and JSON on stdout.
 *
 * The page is bench/train/index.html built with the app's Vite config (as `npm run bench:train`),
 * its worker trains with the app's Trainer; BENCH_SECONDS (default 15) per preset after one warm-up
 * step. Chromium: the e2e flags plus Vulkan (--enable-features=Vulkan --use-angle=vulkan
 * --use-vulkan); BENCH_CHROMIUM_FLAGS adds more (space-separated). BENCH_PYTHON picks the Python.
 */
import { chromium } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../e2e/chromium';
import { runExport } from '../../src/cli/exportCommand';
import type { BackendInfo } from '../../src/workers/protocol';
import type { StepTiming } from '../train/worker';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BATCH = Number(process.env.BENCH_BATCH ?? 32);
const PYTHON = process.env.BENCH_PYTHON ?? 'python3';
const PORT = Number(process.env.BENCH_PORT ?? 4193);
const PRESETS = ['classroom_resnext29_8x4d', 'classroom_resnet29_1x18d'];
const GPU_FLAGS = ['--enable-features=Vulkan', '--use-angle=vulkan', '--use-vulkan', ...(process.env.BENCH_CHROMIUM_FLAGS?.split(' ').filter(Boolean) ?? [])];

declare const trainBench: {
  open(): void;
  close(): void;
  api: { start(b: string): Promise<BackendInfo>; preset(name: string, batch: number, seconds: number): Promise<StepTiming> };
};

const log = (s: string) => console.error(s);
const round = (x: number) => +x.toFixed(2);

type Side = { skipped: string } | { adapter?: string; results: Record<string, unknown>[] };

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

async function webgpuSide(outDir: string): Promise<Side> {
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
    const results = [];
    for (const preset of PRESETS) {
      const t = await page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [preset, BATCH, SECONDS] as const);
      log(`[webgpu] ${preset} batch ${BATCH}: ${round(t.imagesPerSecond)} img/s (${t.steps} steps, warm-up ${round(t.warmupSeconds)} s)`);
      results.push({ model: preset, batch: BATCH, steps: t.steps, imagesPerSecond: round(t.imagesPerSecond), warmupSeconds: round(t.warmupSeconds), lastLoss: round(t.lastLoss) });
    }
    await page.evaluate(() => trainBench.close());
    return { adapter: adapter.description, results };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

function torchSide(outDir: string): Side {
  const results = [];
  for (const preset of PRESETS) {
    const file = path.join(outDir, `${preset}.py`);
    const exported = runExport([preset, '--to', 'pytorch', '--out', file]);
    if (exported.code !== 0) return { skipped: `export of ${preset} failed: ${exported.stderr.trim()}` };
    const r = spawnSync(PYTHON, ['bench/gpu/torch_cuda.py', '--module', file, '--batch', String(BATCH), '--seconds', String(SECONDS)], { encoding: 'utf8' });
    if (r.status !== 0) return { skipped: `no PyTorch run: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').at(-1)}` };
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { skipped?: string; imagesPerSecond: number; device: string; steps: number };
    if (out.skipped) return { skipped: out.skipped };
    log(`[pytorch-cuda] ${preset} batch ${BATCH} on ${out.device}: ${round(out.imagesPerSecond)} img/s (${out.steps} steps)`);
    results.push({ model: preset, batch: BATCH, ...out, imagesPerSecond: round(out.imagesPerSecond) });
  }
  return { results };
}

const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-gpu-'));
try {
  await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, rollupOptions: { input: 'bench/train/index.html' } } });
  const webgpu = await webgpuSide(outDir);
  if ('skipped' in webgpu) log(`[webgpu] ${webgpu.skipped}`);
  const torch = torchSide(outDir);
  if ('skipped' in torch) log(`[pytorch-cuda] ${torch.skipped}`);
  const comparison = [];
  if ('results' in webgpu && 'results' in torch) {
    for (const preset of PRESETS) {
      const w = webgpu.results.find((r) => r.model === preset)?.imagesPerSecond as number | undefined;
      const t = torch.results.find((r) => r.model === preset)?.imagesPerSecond as number | undefined;
      if (w && t) {
        comparison.push({ model: preset, batch: BATCH, webgpuImagesPerSecond: w, pytorchCudaImagesPerSecond: t, ratio: +(w / t).toFixed(3) });
        log(`ours (WebGPU) / PyTorch-CUDA, ${preset}, batch ${BATCH}: ${(w / t).toFixed(3)}`);
      }
    }
  }
  console.log(JSON.stringify({ batch: BATCH, secondsPerConfig: SECONDS, chromiumFlags: GPU_FLAGS, webgpu, pytorchCuda: torch, comparison }, null, 2));
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
