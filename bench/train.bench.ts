/**
 * `npm run bench:train`: training speed of our engine in headless Chromium, per backend the app's
 * ladder can start here (WebGPU, WASM, WebGL, CPU), each in a fresh worker as the app runs it.
 * Not a test; prints one JSON object (and a summary table on stderr).
 *
 * Per backend:
 * - ceiling: the backend's own large-matMul rate (1024x1024 by 1024x1024, best of 3) in MAC/s;
 * - the classroom presets (classroom_resnext29_8x4d and its ResNet twin classroom_resnet29_1x18d)
 *   trained by the app's Trainer on random CIFAR-shaped data: images/s and achieved MAC/s
 *   (images/s x forward MACs x 3), and that as a fraction of the ceiling;
 * - ConvNetJS's CIFAR demo network at batch 4 (bench/train/convnetjs.ts), against ConvNetJS's own
 *   ~80 img/s on this machine.
 * Every timed configuration runs one untimed warm-up step, then steps for BENCH_SECONDS (default 15),
 * at least one. BENCH_BACKENDS=wasm,webgpu picks backends. The page is built from
 * bench/train/index.html with the app's Vite config (its worker bundling, wasm files, COOP/COEP).
 */
import { type Browser, chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';
import type { BackendInfo, BackendName } from '../src/workers/protocol';
import { CONVNETJS_IMAGES_PER_SECOND } from './train/convnetjs';
import type { StepTiming } from './train/worker';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'webgpu,wasm,webgl,cpu').split(',') as BackendName[];
const PORT = Number(process.env.BENCH_PORT ?? 4183);
const PRESETS = ['classroom_resnext29_8x4d', 'classroom_resnet29_1x18d'];
/** Batch 8 everywhere (comparable across backends; the software GPUs take seconds per image), and 32 on WASM. */
const PRESET_BATCHES: Record<string, number[]> = { wasm: [8, 32] };
const DEFAULT_PRESET_BATCHES = [8];
/** A step can take minutes on a software backend. */
const CALL_TIMEOUT_MS = 10 * 60_000;

type BenchApi = {
  open(): void;
  close(): void;
  api: {
    start(b: BackendName): Promise<BackendInfo>;
    matMulMacsPerSecond(size: number, runs: number): Promise<number>;
    preset(name: string, batch: number, seconds: number): Promise<StepTiming>;
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

async function benchBackend(browser: Browser, origin: string, backend: BackendName) {
  const page = await browser.newPage();
  page.setDefaultTimeout(CALL_TIMEOUT_MS);
  const log = (s: string) => console.error(`[${backend}] ${s}`);
  try {
    await page.goto(`${origin}/bench/train/index.html`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.evaluate(() => trainBench.open());
    const info = await withTimeout(page.evaluate((b) => trainBench.api.start(b), backend), `${backend} start`);
    const ceiling = await withTimeout(page.evaluate(() => trainBench.api.matMulMacsPerSecond(1024, 3)), `${backend} matMul`);
    log(`ceiling ${gmacs(ceiling)} GMAC/s`);
    const row = (what: string, batch: number, t: StepTiming) => {
      log(`${what} batch ${batch}: ${round(t.imagesPerSecond)} img/s (${t.steps} steps, warm-up ${round(t.warmupSeconds, 1)} s)`);
      return {
        model: what,
        batch,
        steps: t.steps,
        seconds: round(t.seconds, 1),
        warmupSeconds: round(t.warmupSeconds, 1),
        imagesPerSecond: round(t.imagesPerSecond),
        forwardMMacsPerImage: round(t.forwardMacsPerImage / 1e6, 3),
        achievedGMacsPerSecond: gmacs(t.macsPerSecond),
        fractionOfCeiling: round(t.macsPerSecond / ceiling, 3),
        lastLoss: round(t.lastLoss, 3),
        ...(t.tensorsLeaked ? { tensorsLeaked: t.tensorsLeaked } : {}),
      };
    };
    const results = [];
    for (const preset of PRESETS) {
      for (const batch of PRESET_BATCHES[backend] ?? DEFAULT_PRESET_BATCHES) {
        const t = await withTimeout(page.evaluate(([p, b, s]) => trainBench.api.preset(p, b, s), [preset, batch, SECONDS] as const), `${backend} ${preset}`);
        results.push(row(preset, batch, t));
      }
    }
    const c = await withTimeout(page.evaluate(([b, s]) => trainBench.api.convnetjs(b, s), [4, SECONDS] as const), `${backend} convnetjs`);
    results.push({ ...row('convnetjs_cifar10_demo', 4, c), vsConvNetJS: round(c.imagesPerSecond / CONVNETJS_IMAGES_PER_SECOND) });
    await page.evaluate(() => trainBench.close());
    return {
      backend,
      adapter: info.adapter,
      wasm: info.wasm,
      ceiling: { what: 'matMul 1024^3, best of 3', gMacsPerSecond: gmacs(ceiling) },
      results,
    };
  } catch (e) {
    log(`failed: ${(e as Error).message}`);
    return { backend, error: (e as Error).message.split('\n')[0] };
  } finally {
    await page.close();
  }
}

const outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-train-'));
await build({ logLevel: 'error', build: { outDir, emptyOutDir: true, rollupOptions: { input: 'bench/train/index.html' } } });
const server = await preview({ logLevel: 'error', build: { outDir }, preview: { port: PORT, strictPort: true } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const loadBefore = os.loadavg();
try {
  const backends = [];
  for (const backend of BACKENDS) backends.push(await benchBackend(browser, `http://localhost:${PORT}`, backend));
  const report = {
    chromium: browser.version(),
    cpus: os.cpus().length,
    loadAverage: { before: loadBefore.map((l) => round(l)), after: os.loadavg().map((l) => round(l)) },
    secondsPerConfig: SECONDS,
    convnetjsImagesPerSecond: CONVNETJS_IMAGES_PER_SECOND,
    backends,
  };
  console.error('\nbackend  model                       batch   img/s  GMAC/s  of ceiling');
  for (const b of backends)
    for (const r of 'results' in b ? (b.results ?? []) : [])
      console.error(`${b.backend.padEnd(8)} ${r.model.padEnd(27)} ${String(r.batch).padStart(5)} ${String(r.imagesPerSecond).padStart(7)} ${String(r.achievedGMacsPerSecond).padStart(7)} ${String(r.fractionOfCeiling).padStart(10)}`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  rmSync(outDir, { recursive: true, force: true });
}
