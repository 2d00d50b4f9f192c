/**
 * The backend ladder for browsers: WebGPU, WASM (SIMD; threaded when cross-origin isolated:
 * docs/tfjs.md#wasm-threads-need-isolation-and-unminified-glue), WebGL, CPU. Each candidate must
 * start (a null adapter makes setBackend('webgpu') resolve false) and is then timed on a short
 * matMul probe: a software WebGPU adapter (SwiftShader) is far slower than WASM, so the name alone
 * does not decide. `?backend=` overrides the choice.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { spawnBrowserHelper, startKernelHelpers } from '../kernels/wasm/pool';
import { nativesRelaxedSimd } from '../kernels/wasm/native';
import wasmThreadedFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import wasmThreadedGlue from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { AdapterInfo, BackendInfo, BackendName, ProbeResult } from '../protocol';
import { switchBackend } from './backend';

export const BACKEND_LADDER: BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** XNNPACK's thread pool: one per logical core, at most 8 (the pthread workers tfjs' threaded build starts up front). */
const MAX_WASM_THREADS = 8;

/**
 * How many threads the WASM backend gets: `navigator.hardwareConcurrency` capped at 8, or
 * VITE_WASM_THREADS set when the app is built or served (benchmarks: 1 vs N threads).
 */
function wasmThreadCount(): number {
  const wanted = Number(import.meta.env.VITE_WASM_THREADS) || globalThis.navigator?.hardwareConcurrency || 1;
  return Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(wanted)));
}

const WASM_THREADS = wasmThreadCount();

/** Whether the app's kernel helpers can run here: a cross-origin isolated worker (startAppKernelHelpers). */
const HELPERS_POSSIBLE = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined' && globalThis.crossOriginIsolated === true;

/**
 * XNNPACK's own pool: one thread wherever the app's kernel helpers take the other cores, else all of them
 * (VITE_XNNPACK_THREADS set when the app is built or served: benchmarks). Each of XNNPACK's pool threads
 * spins up to a million iterations for its next operator before it sleeps, so after every XNNPACK
 * operator of a step (an Add, a dense convolution) it holds a core that the app's helpers then share
 * (docs/tfjs.md#xnnpacks-pool-spins-after-each-operator): with both pools the app's kernels split
 * 1.25-1.6x, with XNNPACK on one thread 1.45-1.94x (`npm run bench:train -- --kernels` in each set-up).
 */
function xnnpackThreadCount(): number {
  const set = Number(import.meta.env.VITE_XNNPACK_THREADS);
  if (set > 0) return Math.min(WASM_THREADS, Math.floor(set));
  return HELPERS_POSSIBLE && kernelHelperCount() > 0 ? 1 : WASM_THREADS;
}
const XNNPACK_THREADS = xnnpackThreadCount();
// One thread: the single-threaded SIMD build (no pthread workers to start). Otherwise tfjs picks
// the threaded build when the page is cross-origin isolated (SharedArrayBuffer), else the SIMD one.
if (WASM_THREADS < 2) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
else setThreadsCount(XNNPACK_THREADS);

// tfjs starts each pthread worker from a Blob of `factory.toString()`. Minified, that text refers to
// names outside the factory (its `_scriptDir` became `e`: "e is not defined" in every pthread
// worker). Give the factory the glue's own, unminified source text (a string literal, which no
// minifier touches): the Blob then defines the same factory, whole.
wasmThreadedFactory.toString = () => `(() => {\n${wasmThreadedGlue}\nreturn WasmBackendModuleThreadedSimd;\n})()`;

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
});

/** The probe: a 128x256 by 256x128 matMul (4.2 M MACs), timed after a warm-up. */
const PROBE = { m: 128, k: 256, n: 128, runs: 3 };

/**
 * tfjs-wasm caps XNNPACK's pool at `hardwareConcurrency / 2` (it assumes two hyperthreads per core),
 * read once as the module starts: one thread on a 2-core machine whatever `setThreadsCount` says.
 * While the WASM backend starts, let it read twice the count we chose.
 */
async function startWasm(): Promise<boolean> {
  const nav = globalThis.navigator;
  if (WASM_THREADS < 2 || !nav) return switchBackend('wasm');
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * XNNPACK_THREADS });
  try {
    return await switchBackend('wasm');
  } finally {
    Reflect.deleteProperty(nav, 'hardwareConcurrency');
  }
}

async function probe(backend: BackendName): Promise<ProbeResult> {
  try {
    if (!(await (backend === 'wasm' ? startWasm() : switchBackend(backend)))) return { backend, ok: false, error: 'did not start (no adapter or not supported)' };
    const a = tf.randomUniform([PROBE.m, PROBE.k]);
    const b = tf.randomUniform([PROBE.k, PROBE.n]);
    try {
      const warm = tf.matMul(a, b);
      await warm.data();
      warm.dispose();
      const t0 = performance.now();
      for (let i = 0; i < PROBE.runs; i++) {
        const c = tf.matMul(a, b);
        await c.data();
        c.dispose();
      }
      const seconds = (performance.now() - t0) / 1000 / PROBE.runs;
      return { backend, ok: true, gflops: (2 * PROBE.m * PROBE.k * PROBE.n) / seconds / 1e9 };
    } finally {
      tf.dispose([a, b]);
    }
  } catch (e) {
    return { backend, ok: false, error: (e as Error).message };
  }
}

async function webgpuAdapter(): Promise<AdapterInfo | undefined> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = (await gpu?.requestAdapter()) as { info?: Record<string, string>; isFallbackAdapter?: boolean } | null | undefined;
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  const architecture = info.architecture ?? '';
  return {
    vendor: info.vendor ?? '',
    architecture,
    description: info.description ?? info.device ?? '',
    software: architecture === 'swiftshader' || adapter.isFallbackAdapter === true,
  };
}

/**
 * A lost GPU device (driver reset, GPU unplugged, the browser revoking it) cannot be used again and
 * tfjs does not watch for it: fail the whole worker, so the page marks the run interrupted (with its
 * last checkpoint) and the next call starts a fresh worker and device (client.ts). tfjs never destroys
 * its device itself, so every loss is unexpected.
 */
function watchDeviceLoss(): void {
  const device = (tf.backend() as unknown as { device?: { lost: Promise<{ reason: string; message: string }> } }).device;
  void device?.lost.then(({ reason, message }) => {
    setTimeout(() => {
      throw new Error(`the GPU device was lost (${reason || 'unknown'}${message ? `: ${message}` : ''})`);
    });
  });
}

/**
 * One helper per core beside the caller's, at most MAX_WASM_THREADS - 1, or VITE_KERNEL_HELPERS set
 * when the app is built or served (benchmarks: 0 keeps them off).
 */
function kernelHelperCount(): number {
  const set = import.meta.env.VITE_KERNEL_HELPERS;
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const wanted = set !== undefined && set !== '' ? Number(set) : cores - 1;
  return Math.min(MAX_WASM_THREADS - 1, Math.max(0, Math.floor(wanted) || 0));
}

/**
 * Helper threads for the app's own native kernels (kernels/wasm/pool.ts), one per core beside the
 * caller's: only in a worker (the kernels' caller blocks in Atomics.wait, which a page may not) that
 * is cross-origin isolated (shared memory can be sent to a worker). Returns how many started.
 */
function startAppKernelHelpers(count: number): number {
  if (count <= 0 || !HELPERS_POSSIBLE) return 0;
  try {
    return startKernelHelpers(count, spawnBrowserHelper);
  } catch (error) {
    console.warn('the app kernels stay on one thread:', error);
    return 0;
  }
}

/**
 * Starts the best backend, or `preferred` when given and it starts. Probes every candidate so the
 * UI can show why one was chosen.
 */
export async function selectBackend(preferred?: BackendName): Promise<BackendInfo> {
  const probes: ProbeResult[] = [];
  for (const backend of BACKEND_LADDER) probes.push(await probe(backend));
  const working = probes.filter((p) => p.ok);
  let chosen: ProbeResult | undefined;
  let reason: string;
  const wanted = preferred && working.find((p) => p.backend === preferred);
  if (wanted) {
    chosen = wanted;
    reason = `chosen by ?backend=${preferred}`;
  } else {
    chosen = [...working].sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0))[0];
    const failed = preferred ? `?backend=${preferred} did not start (${probes.find((p) => p.backend === preferred)?.error ?? 'unknown backend'}); ` : '';
    reason = `${failed}fastest on the matMul probe`;
  }
  if (!chosen) throw new Error(`no tfjs backend could start: ${probes.map((p) => `${p.backend}: ${p.error}`).join('; ')}`);
  if (!(await switchBackend(chosen.backend))) throw new Error(`${chosen.backend} started for the probe but not again`);
  const info: BackendInfo = { backend: chosen.backend, reason, probes };
  if (chosen.backend === 'webgpu') {
    info.adapter = await webgpuAdapter();
    watchDeviceLoss();
  }
  if (chosen.backend === 'wasm') {
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const threads = simd && Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    const threadCount = threads ? getThreadsCount() : 1;
    info.wasm = { simd, threads, threadCount, kernelThreads: 1 + startAppKernelHelpers(kernelHelperCount()), relaxedSimd: nativesRelaxedSimd() };
  }
  return info;
}
