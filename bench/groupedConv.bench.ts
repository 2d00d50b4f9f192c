/**
 * `npx tsx bench/groupedConv.bench.ts`: one 32x4d grouped 3x3 layer of ResNeXt (Cin = Cout = 128,
 * groups 32, batch 8, 16x16, stride 1, pad 1), forward and forward+backward, in headless Chromium on
 * every tfjs backend that starts (webgpu, wasm, webgl, cpu). Timed: groupedConv2d (what the app
 * uses), split+concat, the other exact formulations, and dense 3x3 convs of equal MACs
 * (16 -> 32 channels: exactly 128*4 = 16*32 MACs per pixel and tap; 23 -> 23: the nearest square).
 *
 * Medians of BENCH_RUNS (default 5) after one warm-up, each synced by `await data()` on every
 * output. Before timing, groupedConv2d is checked against split+concat on the same backend.
 * The page code is bundled on the fly with esbuild and injected into the app's preview build.
 * BENCH_BACKENDS=webgpu,wasm,... picks backends; BENCH_BLOCK_DIAGONAL=1 adds the G x MACs dense form;
 * BENCH_ALL=1 adds depthwiseExpanded and im2col on webgpu too (slow there);
 * BENCH_LAYER='{"inChannels":512,...}' overrides fields of the layer (the dense rows follow its MACs).
 * On wasm the app's training kernels (src/workers/kernels/wasm) are registered first, as the app
 * does: stock wasm has no Conv2DBackpropFilter and no depthwise gradients.
 * The machine's noise is large (2 vCPUs, shared): compare ratios within one run, not across runs.
 */
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';

const PORT = 4176;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'webgpu,wasm,webgl,cpu').split(',');
const BLOCK_DIAGONAL = process.env.BENCH_BLOCK_DIAGONAL === '1';
const ALL = process.env.BENCH_ALL === '1';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WASM_DIR = `${ROOT}node_modules/@tensorflow/tfjs-backend-wasm/dist/`;

const LAYER = { batch: 8, size: 16, inChannels: 128, outChannels: 128, groups: 32, kernel: 3, stride: 1, pad: 1, ...JSON.parse(process.env.BENCH_LAYER ?? '{}') };

/** Runs in the page (bundled with tfjs and the project's sources). */
const PAGE_ENTRY = `
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { switchBackend } from './src/workers/engine/backend';
import { groupedConv2d, groupedConv2dWith, groupedConvMethodFor } from './src/workers/engine/groupedConv';
import { groupedConvGeometry } from './src/workers/kernels/groupedConvOp';

setWasmPaths('/__tfjs_wasm/');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function time(runs, f) {
  const once = async () => {
    const t0 = performance.now();
    const outs = f();
    await Promise.all(outs.map((t) => t.data()));
    const ms = performance.now() - t0;
    tf.dispose(outs);
    return ms;
  };
  await once();
  const ms = [];
  for (let i = 0; i < runs; i++) ms.push(await once());
  return median(ms);
}

window.benchGroupedConv = async (backend, layer, runs, blockDiagonal, all) => {
  // switchBackend registers the app's kernels, as the app does: without them stock wasm cannot take a conv's filter gradient.
  if (!(await switchBackend(backend))) return { backend, error: 'did not start' };
  const wasmTrainingKernels = backend === 'wasm';
  const { batch: n, size: h, inChannels: cin, outChannels: cout, groups, kernel: k, stride, pad } = layer;
  const ho = Math.floor((h + 2 * pad - k) / stride) + 1;
  const geometry = groupedConvGeometry([n, h, h, cin], [k, k, cin / groups, cout], groups, stride, pad);
  const chosen = groupedConvMethodFor(backend, geometry);
  const grouped = (f) => ({
    x: tf.randomUniform([n, h, h, cin], -1, 1),
    w: tf.randomUniform([k, k, cin / groups, cout], -0.1, 0.1),
    dy: tf.randomUniform([n, ho, ho, cout], -1, 1),
    conv: (x, w) => f(x, w, groups, stride, pad),
    macs: n * ho * ho * cout * k * k * (cin / groups),
  });
  const dense = (ci, co) => ({
    x: tf.randomUniform([n, h, h, ci], -1, 1),
    w: tf.randomUniform([k, k, ci, co], -0.1, 0.1),
    dy: tf.randomUniform([n, ho, ho, co], -1, 1),
    conv: (x, w) => tf.conv2d(x, w, stride, [[0, 0], [pad, pad], [pad, pad], [0, 0]]),
    macs: n * ho * ho * co * k * k * ci,
  });
  const variants = {
    ['groupedConv2d (' + chosen + ')']: grouped(groupedConv2d),
  };
  // On webgpu the sum over a small inner axis (depthwiseExpanded) and the patch copies (im2col) take
  // 10-30 s per step on SwiftShader: only with BENCH_ALL=1.
  const others = backend === 'webgpu' && !all ? ['split', 'depthwise'] : ['split', 'depthwise', 'depthwiseExpanded', 'im2col'];
  for (const m of [...others, ...(blockDiagonal ? ['blockDiagonal'] : [])]) {
    if (m !== chosen) variants[m] = grouped((...a) => groupedConv2dWith(m, ...a));
  }
  // Dense 3x3 convs with the MACs of the grouped one: Cout*Cin/G per pixel and tap.
  const perTap = cout * (cin / groups);
  const a = Math.round(Math.sqrt(perTap / 2));
  if (2 * a * a === perTap) variants['dense ' + a + '->' + 2 * a + ' (equal MACs)'] = dense(a, 2 * a);
  const c = Math.round(Math.sqrt(perTap));
  variants['dense ' + c + '->' + c + ' (' + ((c * c) / perTap).toFixed(2) + 'x MACs)'] = dense(c, c);

  // Correctness on this backend first: groupedConv2d against split+concat (y, dx, dfilter).
  const ref = variants.split ?? variants['groupedConv2d (split)'];
  const outs = (conv) => {
    const y = conv(ref.x, ref.w);
    const [dx, dw] = tf.grads((x, w) => conv(x, w))([ref.x, ref.w], ref.dy);
    return [y, dx, dw];
  };
  const ours = outs(variants['groupedConv2d (' + chosen + ')'].conv);
  const theirs = outs(ref.conv);
  const data = await Promise.all([...ours, ...theirs].map((t) => t.data()));
  const check = { y: maxAbsDiff(data[0], data[3]), dx: maxAbsDiff(data[1], data[4]), dfilter: maxAbsDiff(data[2], data[5]) };
  tf.dispose([...ours, ...theirs]);

  const results = {};
  for (const [name, v] of Object.entries(variants)) {
    const tensorsBefore = tf.memory().numTensors;
    try {
      const forwardMs = await time(runs, () => [v.conv(v.x, v.w)]);
      const grads = tf.grads((x, w) => v.conv(x, w));
      const forwardBackwardMs = await time(runs, () => grads([v.x, v.w], v.dy));
      results[name] = { forwardMs: +forwardMs.toFixed(1), forwardBackwardMs: +forwardBackwardMs.toFixed(1), mmacs: +(v.macs / 1e6).toFixed(2) };
    } catch (e) {
      results[name] = { error: String(e.message ?? e).slice(0, 200) };
    }
    const leaked = tf.memory().numTensors - tensorsBefore;
    if (leaked !== 0) results[name].tensorsLeaked = leaked;
    tf.dispose([v.x, v.w, v.dy]);
  }
  return { backend, chosen, wasmTrainingKernels, checkVsSplit: check, numTensorsLeft: tf.memory().numTensors, results };
};
`;

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} did not start`);
}

interface Timing {
  forwardMs?: number;
  forwardBackwardMs?: number;
  error?: string;
}

interface BackendResult {
  backend: string;
  chosen?: string;
  error?: string;
  results?: Record<string, Timing>;
}

function ratios(r: BackendResult): Record<string, number> {
  const res = r.results ?? {};
  const ours = Object.entries(res).find(([k]) => k.startsWith('groupedConv2d'))?.[1];
  const split = res.split ?? ours;
  const dense = Object.entries(res).find(([k]) => k.startsWith('dense'))?.[1];
  const ratio = (a?: number, b?: number) => (a && b ? +(a / b).toFixed(2) : NaN);
  return {
    splitOverGroupedConv2dForward: ratio(split?.forwardMs, ours?.forwardMs),
    splitOverGroupedConv2dForwardBackward: ratio(split?.forwardBackwardMs, ours?.forwardBackwardMs),
    groupedConv2dOverDenseForward: ratio(ours?.forwardMs, dense?.forwardMs),
    groupedConv2dOverDenseForwardBackward: ratio(ours?.forwardBackwardMs, dense?.forwardBackwardMs),
  };
}

async function main() {
  const bundle = await build({
    stdin: { contents: PAGE_ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'groupedConv.bench.page.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  const script = bundle.outputFiles[0]!.text;
  execSync('npx vite build --logLevel error', { stdio: 'inherit', cwd: ROOT });
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], { stdio: 'ignore', detached: true, cwd: ROOT });
  try {
    await waitForServer(`http://localhost:${PORT}/`);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const out: (BackendResult & { ratios?: Record<string, number> })[] = [];
    for (const backend of BACKENDS) {
      const page = await browser.newPage();
      await page.route('**/__tfjs_wasm/*.wasm', (route) =>
        route.fulfill({ body: readFileSync(WASM_DIR + new URL(route.request().url()).pathname.split('/').pop()!), contentType: 'application/wasm' }),
      );
      page.on('pageerror', (e) => console.error(`[${backend}] page error: ${e.message}`));
      await page.goto(`http://localhost:${PORT}/`);
      await page.addScriptTag({ content: script, type: 'module' });
      await page.waitForFunction(() => 'benchGroupedConv' in window);
      const t0 = Date.now();
      const r = (await page.evaluate(
        ([b, layer, runs, bd, all]) =>
          (window as unknown as { benchGroupedConv: (...a: unknown[]) => Promise<BackendResult> }).benchGroupedConv(b, layer, runs, bd, all),
        [backend, LAYER, RUNS, BLOCK_DIAGONAL, ALL] as const,
      )) as BackendResult;
      out.push({ ...r, ratios: r.results ? ratios(r) : undefined });
      console.error(`${backend}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      await page.close();
    }
    await browser.close();
    console.log(JSON.stringify({ layer: LAYER, runs: RUNS, statistic: 'median ms, synced by await data()', backends: out }, null, 2));
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}

await main();
