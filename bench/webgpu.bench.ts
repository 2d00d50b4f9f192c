/**
 * `npm run bench:webgpu`: each WebGPU convolution kernel of the classroom presets' layers (forward,
 * input gradient, filter gradient), in headless Chromium, as GFLOP/s and as a fraction of the same
 * page's matMul rate (BENCH_MATMUL, default 512: 512^3, median of the runs), for the app's tiled
 * programs (src/workers/kernels/webgpu/tiledConv.ts), the older untiled ones (groupedConv.ts), and
 * tfjs' own kernel where tfjs has the conv (dense; depthwise). Old and new are timed in one page,
 * one after the other, so their ratio is meaningful on a shared machine; absolute figures are not.
 *
 * Layers (batch BENCH_BATCH, default 8): the grouped 3x3 convs of classroom_resnext29_8x4d's three
 * stages (the first block of stages 2 and 3 has stride 2), the stem, the 3x3 convs of its ResNet
 * twin classroom_resnet29_1x18d (dense), and a depthwise 3x3. BENCH_LAYERS=name,name picks some.
 * Medians of BENCH_RUNS (default 3) after one untimed run (shader compilation). Prints a table on
 * stderr and JSON on stdout. The page is a bare localhost page (WebGPU needs a secure origin) with
 * the bundle injected; no app build is needed.
 */
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';
import { serveStatic } from '../e2e/fixtures/staticServer';
import type { BenchLayer, WebgpuBenchResult } from './webgpu/page';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 8);
const MATMUL = Number(process.env.BENCH_MATMUL ?? 512);
const PAGE = fileURLToPath(new URL('./webgpu/page.ts', import.meta.url));

const layer = (name: string, size: number, inChannels: number, outChannels: number, groups: number, stride = 1): BenchLayer => ({
  name,
  batch: BATCH,
  size,
  inChannels,
  outChannels,
  groups,
  kernel: 3,
  stride,
  pad: 1,
});

const LAYERS: BenchLayer[] = [
  layer('resnext 8x4d stage 1 (32 ch, 8 groups, 32x32)', 32, 32, 32, 8),
  layer('resnext 8x4d stage 2 first (64 ch, 8 groups, stride 2)', 32, 64, 64, 8, 2),
  layer('resnext 8x4d stage 3 (128 ch, 8 groups, 8x8)', 8, 128, 128, 8),
  layer('stem (3 -> 16, 32x32)', 32, 3, 16, 1),
  layer('resnet 1x18d stage 1 (18 -> 18 dense, 32x32)', 32, 18, 18, 1),
  layer('resnet 1x18d stage 3 (72 -> 72 dense, 8x8)', 8, 72, 72, 1),
  layer('depthwise (64 ch, 16x16)', 16, 64, 64, 64),
];

async function main() {
  const wanted = process.env.BENCH_LAYERS?.split(',');
  const layers = wanted ? LAYERS.filter((l) => wanted.some((w) => l.name.includes(w))) : LAYERS;
  const bundle = await build({ entryPoints: [PAGE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-webgpu-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>webgpu bench</title>');
  writeFileSync(path.join(dir, 'bench.js'), bundle.outputFiles[0]!.text);
  const server = await serveStatic(dir);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(30 * 60_000);
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.error(`console: ${m.text().slice(0, 500)}`);
    });
    await page.goto(`${server.origin}/`);
    await page.addScriptTag({ url: '/bench.js', type: 'module' });
    await page.waitForFunction(() => 'benchWebgpu' in window);
    const r = (await page.evaluate(
      ([l, runs, size]) => (window as unknown as { benchWebgpu: (...a: unknown[]) => Promise<WebgpuBenchResult> }).benchWebgpu(l, runs, size),
      [layers, RUNS, MATMUL] as const,
    )) as WebgpuBenchResult;
    const e = (s: string) => console.error(s);
    e(`adapter: ${r.adapter ?? 'unknown'}; matMul ${r.matMul.size}^3: ${r.matMul.ms} ms, ${r.matMul.gflops} GFLOP/s (the 100% below)`);
    e(`${'layer'.padEnd(56)} ${'kernel'.padEnd(15)} ${'variant'.padEnd(8)} ${'ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'of matMul'.padStart(9)} ${'vs untiled'.padStart(10)}`);
    for (const t of r.timings) {
      const old = r.timings.find((o) => o.layer === t.layer && o.kernel === t.kernel && o.variant === 'untiled');
      const speedup = t.ms && old?.ms ? (old.ms / t.ms).toFixed(2) + 'x' : '';
      e(
        `${t.layer.padEnd(56)} ${t.kernel.padEnd(15)} ${t.variant.padEnd(8)} ${String(t.ms ?? t.error ?? '').padStart(9)} ${String(t.gflops ?? '').padStart(8)} ${t.fractionOfMatMul === undefined ? ''.padStart(9) : `${(100 * t.fractionOfMatMul).toFixed(1)}%`.padStart(9)} ${speedup.padStart(10)}`,
      );
    }
    console.log(JSON.stringify({ chromium: browser.version(), batch: BATCH, runs: RUNS, statistic: 'median ms, synced by await data()', ...r }, null, 2));
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
