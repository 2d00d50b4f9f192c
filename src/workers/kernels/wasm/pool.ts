/**
 * Helper threads for the app's native WASM kernels (native.ts). tfjs' threaded build parallelises
 * XNNPACK's operators only; the app's own kernels (grouped convolutions, BatchNorm, the Aᵀ·B weight
 * gradient) ran on one thread, most of a training step (docs/tfjs.md#wasm-threads-for-the-apps-own-kernels).
 *
 * Each helper is a worker that instantiates the same compiled modules on the same shared memories
 * and then waits on a small shared control block. `parallel()` splits a kernel call into ranges of
 * one dimension (batch images, groups, channels, rows), hands all but the first to the helpers,
 * runs the first itself and waits for the rest. Every kernel's values are independent of the split
 * (native/*.c), so results are bit for bit those of one thread, whatever the helpers do.
 *
 * The caller blocks in `Atomics.wait`, which a page's main thread may not do: helpers start only in
 * a worker (or in Node), only where memory can be shared, and only when asked (`startKernelHelpers`).
 */
import { NATIVES, type Native, type NativeModule, setRebindListener } from './native';

/** The control block, Int32 slots. */
const REQUEST = 0; // sequence number of the latest request (the caller increments it)
const DONE = 1; // sequence number of the latest finished request (the helper sets it)
const MODULE = 2;
const FUNCTION = 3;
const ARGC = 4;
const STATUS = 5; // 0: ok, 1: the kernel threw (its message is in the console of the helper)
const READY = 6; // 1 once the helper has instantiated every module
const HELPER_SPIN = 7; // µs the helper polls for its next request before it sleeps (kernelPoolOptions.helperSpinMs)
const ARGS_BYTE = 64; // Float64 arguments from here (a float64 holds every int32 and float32 exactly)
const MAX_ARGS = 32;
const TIMES_BYTE = ARGS_BYTE + 8 * MAX_ARGS; // Float64: when the helper started and ended its latest request (ms since the epoch)
const CONTROL_BYTES = TIMES_BYTE + 16;

/**
 * How long the caller spins for a helper's end before sleeping in Atomics.wait (ms; 0: sleep at once).
 * Waking a sleeping thread takes tens to hundreds of µs on a virtual machine, as long as a small kernel's
 * half, and the caller's core has nothing else to do meanwhile. Measured in one page, alternating
 * (`BENCH_SPIN_AB=4 … npm run bench:train`): training img/s with / without, EfficientNet-B0 at 32 px
 * 1.01-1.19x, the ResNet twin 1.02-1.12x, the classroom ResNeXt 0.92-1.15x. A helper spinning for its
 * next request as well (50 or 250 µs) was no better overall and takes the core XNNPACK's pool shares.
 */
export const kernelPoolOptions = { callerSpinMs: 0.5, helperSpinMs: 0 };

/**
 * The helper's whole program, plain JavaScript with no imports, run from a Blob (browser) or by
 * worker_threads' eval (Node tests): it receives `{ control, modules }` once, then serves requests.
 */
export const HELPER_SOURCE = `
function serve(data) {
  const i32 = new Int32Array(data.control);
  const args = new Float64Array(data.control, ${ARGS_BYTE}, ${MAX_ARGS});
  const times = new Float64Array(data.control, ${TIMES_BYTE}, 2);
  const functions = data.modules.map((m) => {
    const exports = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
    return m.functions.map((name) => exports[name]);
  });
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  let seen = Atomics.load(i32, ${REQUEST});
  for (;;) {
    const spinEnd = performance.now() + i32[${HELPER_SPIN}] / 1000;
    while (Atomics.load(i32, ${REQUEST}) === seen && performance.now() < spinEnd) continue;
    Atomics.wait(i32, ${REQUEST}, seen);
    const request = Atomics.load(i32, ${REQUEST});
    if (request === seen) continue;
    seen = request;
    times[0] = performance.timeOrigin + performance.now();
    let status = 0;
    try {
      const argc = i32[${ARGC}];
      const list = [];
      for (let i = 0; i < argc; i++) list.push(args[i]);
      functions[i32[${MODULE}]][i32[${FUNCTION}]](...list);
    } catch (error) {
      status = 1;
      console.error('kernel helper:', error);
    }
    times[1] = performance.timeOrigin + performance.now();
    Atomics.store(i32, ${STATUS}, status);
    Atomics.store(i32, ${DONE}, request);
    Atomics.notify(i32, ${DONE});
  }
}
`;

/** How a helper is started: a browser Worker from a Blob, or worker_threads in Node. */
export type SpawnHelper = (source: string) => { postMessage(message: unknown): void; terminate(): unknown };

interface Helper {
  worker: { terminate(): unknown };
  i32: Int32Array;
  args: Float64Array;
  times: Float64Array;
  sequence: number;
  /** How many of NATIVES the helper instantiated (a module made later runs on the caller's thread). */
  modules: number;
}

let helpers: Helper[] = [];
/**
 * Calls split over threads since the module loaded (tests check that the helpers did take work), and where
 * their time went (ms, summed over calls and helpers): from posting a range to the helper starting it
 * (`wakeMs`), the caller's own range (`callerMs`), the helpers' ranges (`helperMs`), the caller waiting
 * for a helper after its own range (`callerWaitMs`), a helper done before the caller (`helperIdleMs`).
 */
export const poolStats = { splitCalls: 0, wakeMs: 0, callerMs: 0, helperMs: 0, callerWaitMs: 0, helperIdleMs: 0 };
const now = (): number => performance.timeOrigin + performance.now();
/** Function indices per module, as the helpers number them. */
const functionIndex = new Map<number, Map<string, number>>();

/**
 * Work (multiply-adds, or elements times passes) under which a call is not split: waking a helper
 * costs tens of microseconds.
 */
export const MIN_PARALLEL_WORK = 1 << 19;

/** How long the caller waits for a helper before it stops using them and runs the range itself. */
const HELPER_TIMEOUT_MS = 60_000;

/**
 * Starts `count` helper threads (none if memory cannot be shared or Atomics.wait is not allowed
 * here); returns how many started. Idempotent: a second call keeps the running helpers.
 */
export function startKernelHelpers(count: number, spawn: SpawnHelper): number {
  if (helpers.length > 0 || count <= 0) return helpers.length;
  if (typeof SharedArrayBuffer === 'undefined') return 0;
  const modules = NATIVES.map((n) => n.sharing());
  if (modules.some((m) => m === undefined)) return 0;
  for (const [i, m] of modules.entries()) functionIndex.set(i, new Map(m!.functions.map((name, j) => [name, j])));
  for (let h = 0; h < count; h++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const worker = spawn(HELPER_SOURCE);
    worker.postMessage({ control, modules });
    helpers.push({
      worker,
      i32: new Int32Array(control),
      args: new Float64Array(control, ARGS_BYTE, MAX_ARGS),
      times: new Float64Array(control, TIMES_BYTE, 2),
      sequence: 0,
      modules: modules.length,
    });
  }
  return helpers.length;
}

/** Stops the helpers (kernels run on the caller's thread again). */
export function stopKernelHelpers(): void {
  for (const h of helpers) h.worker.terminate();
  helpers = [];
}

// Helpers hold instances on the modules' memories: when a module moves to another memory they stop.
setRebindListener(stopKernelHelpers);

/** Helpers that have started and can take work. */
function readyHelpers(): Helper[] {
  return helpers.filter((h) => Atomics.load(h.i32, READY) === 1);
}

/** How many threads kernels run on now (the caller and its ready helpers). */
export function kernelThreads(): number {
  return 1 + readyHelpers().length;
}

/** How the helper's program receives its one message: in a browser Worker, and in a worker_threads worker. */
export const HELPER_ENTRY = {
  browser: 'self.onmessage = (e) => serve(e.data);',
  node: "require('node:worker_threads').parentPort.once('message', serve);",
} as const;

/** The helpers in the browser: a Worker from a Blob (no separate file for a bundler to rename). */
export function spawnBrowserHelper(source: string): Worker {
  const url = URL.createObjectURL(new Blob([`${source}\n${HELPER_ENTRY.browser}\n`], { type: 'text/javascript' }));
  try {
    return new Worker(url, { name: 'kernel-helper' });
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * [lo, hi) ranges of [0, total) for `parts` threads, cut at multiples of `grain` (the kernel's
 * vector or tile width, so each range runs its fast path); fewer ranges when there is too little.
 */
export function splitRange(total: number, parts: number, grain: number): [number, number][] {
  const units = Math.ceil(total / grain);
  const n = Math.max(1, Math.min(parts, units));
  const per = Math.ceil(units / n);
  const ranges: [number, number][] = [];
  for (let lo = 0; lo < total; lo += per * grain) ranges.push([lo, Math.min(total, lo + per * grain)]);
  return ranges.length > 0 ? ranges : [[0, total]];
}

/**
 * Runs `fn` of `native` over [0, total) of its split dimension: `args(lo, hi)` gives the call's
 * arguments for a range. Split over the ready helpers when `work` is worth it, else one call.
 */
export function parallel<T extends NativeModule>(native: Native<T>, fn: keyof T & string, total: number, grain: number, work: number, args: (lo: number, hi: number) => number[]): void {
  const call = (lo: number, hi: number): void => (native.exports[fn] as (...a: number[]) => void)(...args(lo, hi));
  const ready = work >= MIN_PARALLEL_WORK ? readyHelpers().filter((h) => native.index < h.modules) : [];
  const ranges = ready.length > 0 ? splitRange(total, ready.length + 1, grain) : [[0, total] as [number, number]];
  if (ranges.length === 1) {
    call(0, total);
    return;
  }
  poolStats.splitCalls += 1;
  const fnIndex = functionIndex.get(native.index)?.get(fn);
  if (fnIndex === undefined) throw new Error(`kernel helper: ${fn} is not an export of native module ${native.index}`);
  const posted: [Helper, [number, number], number][] = [];
  for (const [i, range] of ranges.slice(1).entries()) {
    const h = ready[i]!;
    const list = args(...range);
    if (list.length > MAX_ARGS) throw new Error(`kernel helper: ${fn} has ${list.length} arguments (at most ${MAX_ARGS})`);
    h.args.set(list);
    h.i32[MODULE] = native.index;
    h.i32[FUNCTION] = fnIndex;
    h.i32[ARGC] = list.length;
    h.i32[HELPER_SPIN] = Math.round(kernelPoolOptions.helperSpinMs * 1000);
    h.sequence += 1;
    const postedAt = now();
    Atomics.store(h.i32, REQUEST, h.sequence);
    Atomics.notify(h.i32, REQUEST);
    posted.push([h, range, postedAt]);
  }
  const callerStart = now();
  call(...ranges[0]!);
  const callerEnd = now();
  poolStats.callerMs += callerEnd - callerStart;
  const redo: [number, number][] = [];
  let lost = false;
  for (const [h, range, postedAt] of posted) {
    // Spin a little before sleeping (kernelPoolOptions).
    const spinEnd = performance.now() + kernelPoolOptions.callerSpinMs;
    while (Atomics.load(h.i32, DONE) !== h.sequence && performance.now() < spinEnd) continue;
    while (!lost && Atomics.load(h.i32, DONE) !== h.sequence) {
      if (Atomics.wait(h.i32, DONE, h.sequence - 1, HELPER_TIMEOUT_MS) === 'timed-out') lost = true;
    }
    if (lost || Atomics.load(h.i32, STATUS) !== 0) redo.push(range);
    else {
      const [start, end] = [h.times[0]!, h.times[1]!];
      poolStats.wakeMs += start - postedAt;
      poolStats.helperMs += end - start;
      poolStats.callerWaitMs += Math.max(0, now() - callerEnd);
      poolStats.helperIdleMs += Math.max(0, callerEnd - end);
    }
  }
  if (lost) {
    console.warn('kernel helper: no answer; the app kernels run on one thread from now on');
    stopKernelHelpers();
  }
  // A helper that threw or stopped answering: its range again on this thread (a kernel that throws
  // here too throws to the caller).
  for (const range of redo) call(...range);
}
