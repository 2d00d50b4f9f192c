/**
 * Helper threads for the app's native WASM kernels (native.ts). tfjs' threaded build parallelises
 * XNNPACK's operators only; the app's own kernels (grouped convolutions, BatchNorm, the Aᵀ·B weight
 * gradient) ran on one thread, most of a training step (docs/tfjs.md#wasm-threads-for-the-apps-own-kernels).
 *
 * Each helper is a worker that instantiates the same compiled modules on the same shared memories
 * and then waits on a small shared control block. `parallel()` cuts a kernel call into chunks, ranges
 * of one dimension (batch images, groups, channels, rows), in a work block all threads share; the
 * caller wakes the helpers and every thread claims the next chunk until none is left
 * (docs/tfjs.md#chunks-claimed-and-where-a-split-calls-time-goes). Every kernel's values are
 * independent of its range (native/*.c), so results are bit for bit those of one thread, whoever ran
 * which chunk.
 *
 * The caller blocks in `Atomics.wait`, which a page's main thread may not do: helpers start only in
 * a worker (or in Node), only where memory can be shared, and only when asked (`startKernelHelpers`).
 */
import { NATIVES, type Native, type NativeModule, setRebindListener } from './native';

/** A helper's control block, Int32 slots (one per helper). */
const REQUEST = 0; // sequence number of the latest request (the caller increments it)
const READY = 1; // 1 once the helper has instantiated every module
const HELPER_SPIN = 2; // µs the helper polls for its next request before it sleeps (kernelPoolOptions.helperSpinMs)
const CHUNKS_RUN = 3; // chunks the helper has run (statistics)
const STATS_BYTE = 16; // Float64 from here: ms the helper spent in chunks, ms from a request's posting to its first claim
const CONTROL_BYTES = STATS_BYTE + 16;

/**
 * The work block, shared by the caller and every helper: the current call's chunks, each a range of the
 * split dimension with its own argument list, claimed one at a time by whichever thread is free.
 * Int32 slots: NEXT (the next chunk to claim; CLOSED between calls), COUNT, MODULE, FUNCTION, ARGC, and
 * from FLAGS one per chunk (0: not done, 1: done, 2: threw); Float64 from POSTED_BYTE: when the call was
 * posted (ms since the epoch); from ARGS_BYTE each chunk's arguments.
 */
const NEXT = 0;
const COUNT = 1;
const MODULE = 2;
const FUNCTION = 3;
const ARGC = 4;
const FLAGS = 8;
const MAX_CHUNKS = 64;
const POSTED_BYTE = 4 * (FLAGS + MAX_CHUNKS);
const ARGS_BYTE = POSTED_BYTE + 8; // Float64 arguments (a float64 holds every int32 and float32 exactly)
const MAX_ARGS = 32;
const WORK_BYTES = ARGS_BYTE + 8 * MAX_ARGS * MAX_CHUNKS;
/** NEXT between calls: every claim gets a chunk index past any COUNT. */
const CLOSED = 1 << 30;

/**
 * `callerSpinMs`: how long the caller spins for the helpers' last chunks before sleeping in Atomics.wait
 * (ms; 0: sleep at once). Waking a sleeping thread takes tens to hundreds of µs on a virtual machine, as
 * long as a small kernel's half, and the caller's core has nothing else to do meanwhile. Measured in one
 * page, alternating (`BENCH_SPIN_AB=4 … npm run bench:train`): training img/s with / without,
 * EfficientNet-B0 at 32 px 1.01-1.19x, the ResNet twin 1.02-1.12x, the classroom ResNeXt 0.92-1.15x.
 * `helperSpinMs`: how long a helper polls for its next request before it sleeps.
 * `chunksPerThread`: how many chunks a call is cut into per thread; whichever thread is free claims the
 * next, so a helper that wakes late or runs slower takes fewer.
 * `minWork`: the work (multiply-add equivalents: PASS_COST) under which a call is not split: waking a
 * helper costs tens of microseconds.
 */
export const kernelPoolOptions = { callerSpinMs: 0.5, helperSpinMs: 0.2, chunksPerThread: 4, minWork: 1 << 19 };

/**
 * The helper's whole program, plain JavaScript with no imports, run from a Blob (browser) or by
 * worker_threads' eval (Node tests): it receives `{ control, work, modules }` once, then serves requests:
 * on each, it claims chunks of the work block's current call until none is left.
 */
export const HELPER_SOURCE = `
function serve(data) {
  const i32 = new Int32Array(data.control);
  const stats = new Float64Array(data.control, ${STATS_BYTE}, 2);
  const w32 = new Int32Array(data.work);
  const posted = new Float64Array(data.work, ${POSTED_BYTE}, 1);
  const args = new Float64Array(data.work, ${ARGS_BYTE}, ${MAX_ARGS * MAX_CHUNKS});
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
    let first = true;
    for (;;) {
      const c = Atomics.add(w32, ${NEXT}, 1);
      if (c >= Atomics.load(w32, ${COUNT})) break;
      const t0 = performance.timeOrigin + performance.now();
      if (first) stats[1] += t0 - posted[0];
      first = false;
      let flag = 1;
      try {
        const argc = w32[${ARGC}];
        const list = [];
        for (let i = 0; i < argc; i++) list.push(args[c * ${MAX_ARGS} + i]);
        functions[w32[${MODULE}]][w32[${FUNCTION}]](...list);
      } catch (error) {
        flag = 2;
        console.error('kernel helper:', error);
      }
      stats[0] += performance.timeOrigin + performance.now() - t0;
      i32[${CHUNKS_RUN}] += 1;
      Atomics.store(w32, ${FLAGS} + c, flag);
      Atomics.notify(w32, ${FLAGS} + c);
    }
  }
}
`;

/** How a helper is started: a browser Worker from a Blob, or worker_threads in Node. */
export type SpawnHelper = (source: string) => { postMessage(message: unknown): void; terminate(): unknown };

interface Helper {
  worker: { terminate(): unknown };
  i32: Int32Array;
  stats: Float64Array;
  sequence: number;
  /** How many of NATIVES the helper instantiated (a module made later runs on the caller's thread). */
  modules: number;
}

let helpers: Helper[] = [];
/** The work block (created with the helpers). */
let workBlock: { w32: Int32Array; posted: Float64Array; args: Float64Array } | undefined;
/**
 * Calls split over threads since the module loaded, the chunks the helpers ran (tests check that the
 * helpers did take work), and where the time went (ms, summed over calls and helpers): the caller's
 * chunks (`callerMs`), the helpers' chunks (`helperMs`), from posting a call to a helper's first claim
 * (`wakeMs`), the caller waiting for the helpers' last chunks after its own (`callerWaitMs`). The
 * helpers' figures are read from their control blocks (`readPoolStats`).
 */
const poolStats = { splitCalls: 0, helperChunks: 0, wakeMs: 0, callerMs: 0, helperMs: 0, callerWaitMs: 0 };
export type PoolStats = typeof poolStats;

/** poolStats with the helpers' own counts added (they keep them in their control blocks). */
export function readPoolStats(): PoolStats {
  const fromHelpers = helpers.reduce((t, h) => ({ chunks: t.chunks + Atomics.load(h.i32, CHUNKS_RUN), busy: t.busy + h.stats[0]!, wake: t.wake + h.stats[1]! }), { chunks: 0, busy: 0, wake: 0 });
  return { ...poolStats, helperChunks: poolStats.helperChunks + fromHelpers.chunks, helperMs: poolStats.helperMs + fromHelpers.busy, wakeMs: poolStats.wakeMs + fromHelpers.wake };
}
const now = (): number => performance.timeOrigin + performance.now();
/** Function indices per module, as the helpers number them. */
const functionIndex = new Map<number, Map<string, number>>();

/**
 * A split call's work is its cost in multiply-adds of the native products (one thread here: ~15 G/s).
 * Kernels that stream memory weight each element of a pass by what it costs against that, measured on
 * one thread (`npx tsx bench/batchNormKernels.bench.ts` at 8192 x 32: a plain pass ~0.45 ns an element,
 * a pass with an e^x per element (SiLU, sigmoid) ~2.3 ns; docs/tfjs.md#what-a-split-call-is-worth).
 * Counting elements as single multiply-adds kept EfficientNet's BatchNorms (at most ~300 K elements at
 * 32 px) on one thread.
 */
export const PASS_COST = { plain: 8, exp: 32 } as const;

/** How long the caller waits for a helper's chunk before it stops using them and runs the chunk itself. */
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
  const block = new SharedArrayBuffer(WORK_BYTES);
  workBlock = { w32: new Int32Array(block), posted: new Float64Array(block, POSTED_BYTE, 1), args: new Float64Array(block, ARGS_BYTE, MAX_ARGS * MAX_CHUNKS) };
  Atomics.store(workBlock.w32, NEXT, CLOSED);
  for (let h = 0; h < count; h++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const worker = spawn(HELPER_SOURCE);
    worker.postMessage({ control, work: block, modules });
    helpers.push({ worker, i32: new Int32Array(control), stats: new Float64Array(control, STATS_BYTE, 2), sequence: 0, modules: modules.length });
  }
  return helpers.length;
}

/** Stops the helpers (kernels run on the caller's thread again). */
export function stopKernelHelpers(): void {
  const last = readPoolStats();
  for (const h of helpers) h.worker.terminate();
  helpers = [];
  workBlock = undefined;
  Object.assign(poolStats, { helperChunks: last.helperChunks, helperMs: last.helperMs, wakeMs: last.wakeMs });
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
 * arguments for a range. Split over the ready helpers when `work` is worth it, else one call: the range
 * is cut into chunks (kernelPoolOptions.chunksPerThread per thread, at multiples of `grain`), and the
 * caller and the helpers claim them one at a time until none is left.
 */
export function parallel<T extends NativeModule>(native: Native<T>, fn: keyof T & string, total: number, grain: number, work: number, args: (lo: number, hi: number) => number[]): void {
  const call = (lo: number, hi: number): void => (native.exports[fn] as (...a: number[]) => void)(...args(lo, hi));
  const ready = work >= kernelPoolOptions.minWork && workBlock ? readyHelpers().filter((h) => native.index < h.modules) : [];
  const chunks = ready.length > 0 ? splitRange(total, Math.min(MAX_CHUNKS, (ready.length + 1) * kernelPoolOptions.chunksPerThread), grain) : [];
  if (chunks.length < 2 || !workBlock) {
    call(0, total);
    return;
  }
  poolStats.splitCalls += 1;
  const fnIndex = functionIndex.get(native.index)?.get(fn);
  if (fnIndex === undefined) throw new Error(`kernel helper: ${fn} is not an export of native module ${native.index}`);
  const { w32, posted, args: chunkArgs } = workBlock;
  // NEXT is CLOSED here: a helper still claiming from the last call gets nothing while this one is set up.
  let argc = 0;
  for (const [c, range] of chunks.entries()) {
    const list = args(...range);
    if (list.length > MAX_ARGS) throw new Error(`kernel helper: ${fn} has ${list.length} arguments (at most ${MAX_ARGS})`);
    argc = list.length;
    chunkArgs.set(list, c * MAX_ARGS);
    w32[FLAGS + c] = 0;
  }
  w32[MODULE] = native.index;
  w32[FUNCTION] = fnIndex;
  w32[ARGC] = argc;
  w32[COUNT] = chunks.length;
  posted[0] = now();
  Atomics.store(w32, NEXT, 0);
  for (const h of ready) {
    h.i32[HELPER_SPIN] = Math.round(kernelPoolOptions.helperSpinMs * 1000);
    h.sequence += 1;
    Atomics.store(h.i32, REQUEST, h.sequence);
    Atomics.notify(h.i32, REQUEST);
  }
  const callerStart = now();
  for (let c = Atomics.add(w32, NEXT, 1); c < chunks.length; c = Atomics.add(w32, NEXT, 1)) {
    call(...chunks[c]!);
    Atomics.store(w32, FLAGS + c, 1);
  }
  const callerEnd = now();
  poolStats.callerMs += callerEnd - callerStart;
  // Every chunk is claimed: wait for the helpers' last ones (spinning a little first: kernelPoolOptions).
  const redo: number[] = [];
  let lost = false;
  const spinEnd = performance.now() + kernelPoolOptions.callerSpinMs;
  for (let c = 0; c < chunks.length; c++) {
    while (Atomics.load(w32, FLAGS + c) === 0 && performance.now() < spinEnd) continue;
    while (!lost && Atomics.load(w32, FLAGS + c) === 0) {
      if (Atomics.wait(w32, FLAGS + c, 0, HELPER_TIMEOUT_MS) === 'timed-out') lost = true;
    }
    if (Atomics.load(w32, FLAGS + c) !== 1) redo.push(c);
  }
  Atomics.store(w32, NEXT, CLOSED);
  poolStats.callerWaitMs += now() - callerEnd;
  if (lost) {
    console.warn('kernel helper: no answer; the app kernels run on one thread from now on');
    stopKernelHelpers();
  }
  // A chunk a helper threw on or never finished: again on this thread (a kernel that throws here too
  // throws to the caller).
  for (const c of redo) call(...chunks[c]!);
}
