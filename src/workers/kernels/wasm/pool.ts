/**
 * Helper threads for the app's native WASM kernels (native.ts). tfjs' threaded build parallelises
 * XNNPACK's operators only; the app's own kernels (grouped convolutions, BatchNorm, the Aᵀ·B weight
 * gradient) ran on one thread, most of a training step (docs/tfjs.md#wasm-threads-for-the-apps-own-kernels).
 *
 * Each helper is a worker that instantiates the same compiled modules on the same shared memories.
 * `parallel()` cuts a kernel call into chunks, ranges of one dimension (batch images, groups, channels,
 * rows), and posts it to a queue all threads share; every thread claims the next chunk of the oldest
 * call it may start (docs/tfjs.md#chunks-claimed-and-where-a-split-calls-time-goes): the oldest not done,
 * or a later one among the next few that uses no buffer an earlier one still writes (the Call's `Access`;
 * docs/tfjs.md#a-window-of-calls-ordered-by-their-buffers). Where the modules run on tfjs' own memory
 * the caller does not wait for its calls: it goes on with tfjs while the helpers run them, and joins in
 * where anything else touches memory they write (`settleKernels`;
 * docs/tfjs.md#native-calls-queued-the-caller-goes-on-while-the-helpers-run-them).
 * Every kernel's values are independent of its range (native/*.c), so results are bit for bit those of
 * one thread, whoever ran which chunk.
 *
 * The caller blocks in `Atomics.wait`, which a page's main thread may not do: helpers start only in
 * a worker (or in Node), only where memory can be shared, and only when asked (`startKernelHelpers`).
 */
import { NATIVES, type Native, type NativeModule, setRebindListener } from './native';
import { heapRanges, setSettle } from './plumbing';

/** A helper's control block, Int32 slots (one per helper). */
const READY = 1; // 1 once the helper has instantiated every module
const HELPER_SPIN = 2; // µs the helper polls for more work before it sleeps (kernelPoolOptions.helperSpinMs)
const CHUNKS_RUN = 3; // chunks the helper has run (statistics)
const CHUNKS_AHEAD = 4; // of them, chunks of a call claimed while an earlier call was not done (statistics)
const STATS_BYTE = 16; // Float64 from here: ms the helper spent in chunks, ms from a call's posting to the helper's first claim in it
const CONTROL_BYTES = STATS_BYTE + 16;

/**
 * The work queue, shared by the caller and every helper: a ring of SLOTS calls. A call is cut into
 * chunks (ranges of its split dimension, each with its own argument list); threads claim chunks of the
 * oldest call they may start, among the first `window` calls not yet done (kernelPoolOptions.window): a
 * call may start once every earlier call it depends on is done (DEPS, from the buffers each reads and
 * writes, given by the caller: `Access`); with window 1, or calls posted without their buffers, in the
 * order posted. Int32 slots of the header: HEAD, the sequence number (mod 2^23) of the oldest call not
 * done (every call before it is); TAIL, that of the next call to post; EPOCH, a counter moved on by every
 * post and every call done (threads with nothing to claim wait for it to move); SLEEPERS, threads asleep
 * on EPOCH (notified only when some are); TIMING, whether chunks are timed; WINDOW, the window.
 * A slot: Int32 CLAIM (the call's sequence number times 256 plus its next chunk to claim, claimed by
 * compare-and-swap, so a thread acting on a stale read claims nothing), COUNT (chunks), DONE (chunks
 * done), MODULE, FUNCTION, ARGC, DEPS (bit i: the call depends on the call i + 1 before it), COMPLETE
 * (the sequence number of the last call done in this slot), then from FLAGS one per chunk (0: not done,
 * 1: done, 2: a helper threw on it, 3: the caller runs it again); Float64 POSTED (when the call was
 * posted, ms since the epoch) and from ARGS each chunk's arguments.
 */
const HEAD = 0;
const TAIL = 1;
const EPOCH = 2;
const SLEEPERS = 3;
const TIMING = 4; // 1: the threads time their chunks (kernelPoolOptions.timing)
const WINDOW = 5;
const HEADER_INTS = 16; // a cache line: the header does not share one with a slot
const CLAIM = 0;
const COUNT = 1;
const DONE = 2;
const MODULE = 3;
const FUNCTION = 4;
const ARGC = 5;
const DEPS = 6;
const COMPLETE = 7;
const FLAGS = 8;
const MAX_CHUNKS = 64;
const MAX_ARGS = 32;
const SLOTS = 64;
/** Calls a call's DEPS can name (bits 0-30): the largest window. */
const MAX_WINDOW = 31;
const SLOT_POSTED = 4 * (FLAGS + MAX_CHUNKS); // byte offsets within a slot
const SLOT_ARGS = SLOT_POSTED + 8; // Float64 arguments (a float64 holds every int32 and float32 exactly)
const SLOT_BYTES = SLOT_ARGS + 8 * MAX_ARGS * MAX_CHUNKS;
const WORK_BYTES = 4 * HEADER_INTS + SLOTS * SLOT_BYTES;
/** Sequence numbers are kept mod 2^23 (CLAIM holds one times 256, a positive int32). */
const SEQUENCE_MASK = (1 << 23) - 1;
/** DEPS of a call whose buffers are not known: every call before it. */
const ALL_BEFORE = 0x7fffffff;

/**
 * `callerSpinMs`: how long the caller spins for the helpers' last chunks before sleeping in Atomics.wait
 * (ms; 0: sleep at once). Waking a sleeping thread takes tens to hundreds of µs on a virtual machine, as
 * long as a small kernel's half, and the caller's core has nothing else to do meanwhile. Measured in one
 * page, alternating (`BENCH_SPIN_AB=4 … npm run bench:train`): training img/s with / without,
 * EfficientNet-B0 at 32 px 1.01-1.19x, the ResNet twin 1.02-1.12x, the classroom ResNeXt 0.92-1.15x.
 * `helperSpinMs`: how long a helper polls for more work before it sleeps.
 * `chunksPerThread`: how many chunks a call is cut into per thread; whichever thread is free claims the
 * next, so a helper that wakes late or runs slower takes fewer.
 * `minWork`: the work (multiply-add equivalents: PASS_COST) under which a call is not split: waking a
 * helper costs tens of microseconds.
 * `deferred`: calls of modules on tfjs' own memory are posted to the queue and the caller returns at once
 * (the helpers run them while the caller goes on with tfjs' JavaScript: the next ops, the gradient tape);
 * the caller joins in whenever it needs memory the queue may still write (`settleKernels`). False: the
 * caller waits for every call it posts.
 * `taper`: split calls are cut into chunks that shrink towards the end (splitRange), not equal ones.
 * `timing`: the pool's time statistics (`readPoolStats`: ms in chunks, waking, waiting) are kept. Off by
 * default: they take a clock reading or two per chunk and per call, and in a cross-origin isolated
 * browser worker `performance.now()` costs ~0.4 µs (measured in Chromium 156; ~30 ns in Node), ~2 ms
 * of a training step's ~5000 readings. Spins read the clock every SPIN_POLLS polls for the same reason.
 * `window`: how many of the oldest calls not yet done a thread may claim chunks of (1 to 31): where the
 * oldest has no chunk left to claim, a thread goes on with a later call that does not depend on it
 * instead of waiting (a call's dependencies: `Access`). 1: the calls run in the order posted.
 * `partialSettle`: a stock kernel or a read waits only for the queued calls that write what it reads
 * (settleKernels with ranges): the caller goes on with tfjs (a step's last reads, reporting the step)
 * while the helpers finish the calls before; the trainer settles all before the next step allocates
 * (kernels/index.ts settleQueuedKernels). False: for every queued call.
 */
export const kernelPoolOptions = { callerSpinMs: 0.5, helperSpinMs: 0.2, chunksPerThread: 4, minWork: 1 << 19, deferred: true, timing: false, taper: true, window: 16, partialSettle: true };

/** Polls of a spin between its clock readings. */
const SPIN_POLLS = 32;

/**
 * The queue's protocol steps both sides run, written once as JavaScript source: the helpers' program
 * (HELPER_SOURCE) embeds them, and the caller makes its functions of them (queueSteps). Each takes the
 * work block's Int32 view as `w32` and slot indices from `slotOf`.
 *
 * ready(j, s, head): whether call j (slot s) may start: every call it depends on (DEPS) is done, or
 * before head. claim(head): a chunk claimed among the first WINDOW calls from head: j * 256 + chunk, -1
 * if none may be claimed now, -2 if a compare-and-swap lost a race (look again). chunkDone(j, s, c):
 * chunk c of call j counted done; the thread that finishes a call's last chunk marks it COMPLETE, moves
 * HEAD past every call done and moves EPOCH on.
 */
const READY_SOURCE = `
  const ready = (j, s, head) => {
    let deps = w32[s + ${DEPS}];
    const before = (j - head) & ${SEQUENCE_MASK};
    for (let i = 0; deps !== 0; i++, deps >>>= 1) {
      if ((deps & 1) === 0) continue;
      const k = (j - 1 - i) & ${SEQUENCE_MASK};
      if (((k - head) & ${SEQUENCE_MASK}) > before) continue;
      if (Atomics.load(w32, slotOf(k) + ${COMPLETE}) !== k) return false;
    }
    return true;
  };`;
const CLAIM_SOURCE = `
  const claim = (head) => {
    const tail = Atomics.load(w32, ${TAIL});
    const window = w32[${WINDOW}];
    for (let j = head, n = 0; j !== tail && n < window; j = (j + 1) & ${SEQUENCE_MASK}, n++) {
      const s = slotOf(j);
      const v = Atomics.load(w32, s + ${CLAIM});
      if (v >>> 8 !== j || (v & 255) >= w32[s + ${COUNT}]) continue;
      if (n > 0 && !ready(j, s, head)) continue;
      return Atomics.compareExchange(w32, s + ${CLAIM}, v, v + 1) === v ? v : -2;
    }
    return -1;
  };`;
const DONE_SOURCE = `
  const chunkDone = (j, s, c) => {
    Atomics.store(w32, s + ${FLAGS} + c, 1);
    if (Atomics.add(w32, s + ${DONE}, 1) + 1 !== Atomics.load(w32, s + ${COUNT})) return;
    Atomics.store(w32, s + ${COMPLETE}, j);
    for (;;) {
      const h = Atomics.load(w32, ${HEAD});
      if (Atomics.load(w32, slotOf(h) + ${COMPLETE}) !== h) break;
      Atomics.compareExchange(w32, ${HEAD}, h, (h + 1) & ${SEQUENCE_MASK});
    }
    Atomics.add(w32, ${EPOCH}, 1);
    if (Atomics.load(w32, ${SLEEPERS}) > 0) Atomics.notify(w32, ${EPOCH});
  };`;
/** The caller's QueueSteps: a function body of w32 and slotOf. */
const QUEUE_STEPS = `${READY_SOURCE}${CLAIM_SOURCE}${DONE_SOURCE}\n  return { claim, chunkDone };`;

/**
 * The helper's whole program, plain JavaScript with no imports, run from a Blob (browser) or by
 * worker_threads' eval (Node tests): it receives `{ control, work, modules }` once, then runs the
 * queue's chunks as they come, sleeping when there is nothing to claim.
 */
export const HELPER_SOURCE = `
function serve(data) {
  const i32 = new Int32Array(data.control);
  const stats = new Float64Array(data.control, ${STATS_BYTE}, 2);
  const w32 = new Int32Array(data.work);
  const f64 = new Float64Array(data.work);
  const functions = data.modules.map((m) => {
    const exports = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
    return m.functions.map((name) => exports[name]);
  });
  Atomics.store(i32, ${READY}, 1);
  Atomics.notify(i32, ${READY});
  const slotOf = (j) => ${HEADER_INTS} + (j % ${SLOTS}) * ${SLOT_BYTES / 4};
  // Waits while EPOCH is still e: polls first, then sleeps (counted in SLEEPERS).
  const idle = (e) => {
    const spinEnd = performance.now() + i32[${HELPER_SPIN}] / 1000;
    for (let n = 1; Atomics.load(w32, ${EPOCH}) === e; n++) if (n % ${SPIN_POLLS} === 0 && performance.now() >= spinEnd) break;
    if (Atomics.load(w32, ${EPOCH}) !== e) return;
    Atomics.add(w32, ${SLEEPERS}, 1);
    Atomics.wait(w32, ${EPOCH}, e);
    Atomics.sub(w32, ${SLEEPERS}, 1);
  };
  ${READY_SOURCE}
  ${CLAIM_SOURCE}
  ${DONE_SOURCE}
  let lastCall = -1;
  for (;;) {
    const e = Atomics.load(w32, ${EPOCH});
    const head = Atomics.load(w32, ${HEAD});
    if (head === Atomics.load(w32, ${TAIL})) {
      idle(e);
      continue;
    }
    const got = claim(head);
    if (got === -2) continue;
    if (got < 0) {
      idle(e);
      continue;
    }
    const j = got >>> 8;
    const c = got & 255;
    const s = slotOf(j);
    if (j !== head) i32[${CHUNKS_AHEAD}] += 1;
    const timing = w32[${TIMING}] === 1;
    const t0 = timing ? performance.timeOrigin + performance.now() : 0;
    if (timing && j !== lastCall) stats[1] += t0 - f64[(s * 4 + ${SLOT_POSTED}) / 8];
    lastCall = j;
    let flag = 1;
    try {
      const argc = w32[s + ${ARGC}];
      const at = (s * 4 + ${SLOT_ARGS}) / 8 + c * ${MAX_ARGS};
      const list = [];
      for (let i = 0; i < argc; i++) list.push(f64[at + i]);
      functions[w32[s + ${MODULE}]][w32[s + ${FUNCTION}]](...list);
    } catch (error) {
      flag = 2;
      console.error('kernel helper:', error);
    }
    if (timing) stats[0] += performance.timeOrigin + performance.now() - t0;
    i32[${CHUNKS_RUN}] += 1;
    if (flag === 2) {
      // Left for the caller to run again (it waits on EPOCH).
      Atomics.store(w32, s + ${FLAGS} + c, 2);
      Atomics.add(w32, ${EPOCH}, 1);
      Atomics.notify(w32, ${EPOCH});
      continue;
    }
    chunkDone(j, s, c);
  }
}
`;

/** How a helper is started: a browser Worker from a Blob, or worker_threads in Node. */
export type SpawnHelper = (source: string) => { postMessage(message: unknown): void; terminate(): unknown };

interface Helper {
  worker: { terminate(): unknown };
  i32: Int32Array;
  stats: Float64Array;
  /** How many of NATIVES the helper instantiated (a module made later runs on the caller's thread). */
  modules: number;
}

let helpers: Helper[] = [];

/** The work queue (created with the helpers) and the caller's own count of calls posted. */
/** The buffers a queued call reads and writes: byte ranges [lo, hi) of the modules' memory, flat (lo, hi, lo, hi, …). */
export interface Access {
  readonly reads: readonly number[];
  readonly writes: readonly number[];
}

/** The queue's protocol steps on the caller's side: the helpers' own, from the same source (QUEUE_STEPS). */
interface QueueSteps {
  claim(head: number): number;
  chunkDone(j: number, s: number, c: number): void;
}

interface Queue {
  w32: Int32Array;
  f64: Float64Array;
  /** Sequence number of the next call to post (TAIL as the caller last wrote it). */
  tail: number;
  /** Names of each module's functions, by the index the helpers use. */
  functions: string[][];
  /** The same, name to index, per module (looked up on every post). */
  indices: Map<string, number>[];
  steps: QueueSteps;
  /** The buffers of the last SLOTS calls posted, by sequence number mod SLOTS (undefined: not known). */
  recent: (Access | undefined)[];
  /** The spans of their reads and of their writes (bounds), alike. */
  bounds: ([[number, number], [number, number]] | undefined)[];
}
let queue: Queue | undefined;

/**
 * Calls split over threads since the module loaded, the chunks the helpers ran (tests check that the
 * helpers did take work), and where the time went (ms, summed over calls and helpers): the caller's
 * chunks (`callerMs`), the helpers' chunks (`helperMs`), from posting a call to a helper's first claim
 * in it (`wakeMs`: with deferred calls, also the time it waited behind the calls before it), the caller
 * waiting for the helpers' chunks when it needs the queue run (`callerWaitMs`); calls posted without
 * the caller waiting for them (`deferredCalls`); chunks of a call started while an earlier call was not
 * done (`aheadChunks`, the caller's and the helpers'). The helpers' figures are read from their control
 * blocks (`readPoolStats`). The ms figures grow only while `kernelPoolOptions.timing` is on.
 */
const poolStats = { splitCalls: 0, deferredCalls: 0, helperChunks: 0, aheadChunks: 0, wakeMs: 0, callerMs: 0, helperMs: 0, callerWaitMs: 0 };
export type PoolStats = typeof poolStats;

/** poolStats with the helpers' own counts added (they keep them in their control blocks). */
export function readPoolStats(): PoolStats {
  const fromHelpers = helpers.reduce((t, h) => ({ chunks: t.chunks + Atomics.load(h.i32, CHUNKS_RUN), ahead: t.ahead + Atomics.load(h.i32, CHUNKS_AHEAD), busy: t.busy + h.stats[0]!, wake: t.wake + h.stats[1]! }), { chunks: 0, ahead: 0, busy: 0, wake: 0 });
  return { ...poolStats, helperChunks: poolStats.helperChunks + fromHelpers.chunks, aheadChunks: poolStats.aheadChunks + fromHelpers.ahead, helperMs: poolStats.helperMs + fromHelpers.busy, wakeMs: poolStats.wakeMs + fromHelpers.wake };
}
const now = (): number => performance.timeOrigin + performance.now();

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
  let makeSteps: (w32: Int32Array, slotOf: (j: number) => number) => QueueSteps;
  try {
    makeSteps = new Function('w32', 'slotOf', QUEUE_STEPS) as typeof makeSteps;
  } catch {
    return 0; // no code from strings here (a content security policy): one thread
  }
  const block = new SharedArrayBuffer(WORK_BYTES);
  const functions = modules.map((m) => m!.functions);
  const w32 = new Int32Array(block);
  // No call done or claimable in any slot yet (sequence numbers are >= 0 and < 2^23).
  for (let j = 0; j < SLOTS; j++) [w32[slotOf(j) + CLAIM], w32[slotOf(j) + COMPLETE]] = [-1, -1];
  queue = { w32, f64: new Float64Array(block), tail: 0, functions, indices: functions.map((names) => new Map(names.map((name, j) => [name, j]))), steps: makeSteps(w32, slotOf), recent: [], bounds: [] };
  for (let h = 0; h < count; h++) {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const worker = spawn(HELPER_SOURCE);
    worker.postMessage({ control, work: block, modules });
    helpers.push({ worker, i32: new Int32Array(control), stats: new Float64Array(control, STATS_BYTE, 2), modules: modules.length });
  }
  return helpers.length;
}

/** Stops the helpers (kernels run on the caller's thread again), once every call posted has run. */
export function stopKernelHelpers(): void {
  settleKernels();
  const last = readPoolStats();
  for (const h of helpers) h.worker.terminate();
  helpers = [];
  queue = undefined;
  Object.assign(poolStats, { helperChunks: last.helperChunks, aheadChunks: last.aheadChunks, helperMs: last.helperMs, wakeMs: last.wakeMs });
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
 * [lo, hi) ranges of [0, total) in `parts` chunks, cut at multiples of `grain` (the kernel's vector or
 * tile width, so each range runs its fast path); fewer when there is too little. With `taper`, chunk i of
 * n has a size in proportion to n - i (the last ones small) rather than all the same: whichever thread
 * finishes first waits for the others' last chunks (a call starts when the one before it is done), ~half
 * a chunk on average; equal eighths left ~6% of a call's time idle on one of two threads.
 */
export function splitRange(total: number, parts: number, grain: number, taper = false): [number, number][] {
  const units = Math.ceil(total / grain);
  const n = Math.max(1, Math.min(parts, units));
  if (n === 1) return [[0, total]];
  const ranges: [number, number][] = [];
  if (!taper) {
    const per = Math.ceil(units / n);
    for (let lo = 0; lo < total; lo += per * grain) ranges.push([lo, Math.min(total, lo + per * grain)]);
    return ranges;
  }
  // One unit each, the rest in proportion to n - i (rounded down), what rounding left one more each from the front.
  const weights = (n * (n + 1)) / 2;
  let left = units;
  for (let i = 0; i < n; i++) left -= 1 + Math.floor(((units - n) * (n - i)) / weights);
  for (let i = 0, lo = 0; i < n; i++) {
    const size = 1 + Math.floor(((units - n) * (n - i)) / weights) + (i < left ? 1 : 0);
    ranges.push([lo * grain, Math.min(total, (lo + size) * grain)]);
    lo += size;
  }
  return ranges;
}

/** Slot `h`'s first Int32 index in the work block. */
const slotOf = (h: number): number => HEADER_INTS + (h % SLOTS) * (SLOT_BYTES / 4);

/** Calls posted and not yet done. */
function pending(q: Queue): number {
  return (q.tail - Atomics.load(q.w32, HEAD)) & SEQUENCE_MASK;
}

/**
 * tfjs' frees held back while calls that may use the memory are queued (guardBackend), each with the
 * sequence number of the next call posted when it came (`after`: only calls before it can use the
 * memory), in that order; each runs once every call before its `after` is done.
 */
let heldFrees: Array<{ after: number; free: () => void }> = [];
function releaseHeldFrees(): void {
  if (heldFrees.length === 0) return;
  // Calls before `after` are done when none of them is pending: the pending ones are the last `pending` posted.
  const q = queue;
  const waiting = q ? pending(q) : 0;
  let n = 0;
  while (n < heldFrees.length && (!q || ((q.tail - heldFrees[n]!.after) & SEQUENCE_MASK) >= waiting)) n++;
  if (n === 0) return;
  const frees = heldFrees.slice(0, n);
  heldFrees = heldFrees.slice(n);
  for (const { free } of frees) free();
}

/** Whether memory freed now could still be in use by a queued call. */
function queueBusy(): boolean {
  return queue !== undefined && pending(queue) > 0;
}

/** Runs chunk `c` of the call in slot `s` on this thread. */
function runChunk(q: Queue, s: number, c: number): void {
  const args: number[] = [];
  const at = (s * 4 + SLOT_ARGS) / 8 + c * MAX_ARGS;
  for (let i = 0; i < q.w32[s + ARGC]!; i++) args.push(q.f64[at + i]!);
  const native = NATIVES[q.w32[s + MODULE]!]!;
  const fn = q.functions[q.w32[s + MODULE]!]![q.w32[s + FUNCTION]!]!;
  (native.exports as unknown as Record<string, (...a: number[]) => void>)[fn]!(...args);
}

/**
 * The caller runs the queue with the helpers until `until()` holds (at the latest: the queue is empty),
 * claiming as they do (QueueSteps.claim). A chunk a helper threw on runs again here (a kernel that
 * throws here too throws to the caller, the chunk counted done so the queue goes on); a helper that
 * keeps the queue from moving past HELPER_TIMEOUT_MS is given up: the caller runs the rest alone, in
 * order, and the helpers stop.
 */
function runQueue(q: Queue, until: () => boolean): void {
  let lost = false;
  while (!until()) {
    const e = Atomics.load(q.w32, EPOCH);
    const head = Atomics.load(q.w32, HEAD);
    if (head === q.tail) break;
    const got = lost ? -1 : q.steps.claim(head);
    if (got === -2) continue;
    if (got >= 0) {
      const [j, c] = [got >>> 8, got & 255];
      if (j !== head) poolStats.aheadChunks += 1;
      const t0 = kernelPoolOptions.timing ? now() : 0;
      try {
        runChunk(q, slotOf(j), c);
      } finally {
        if (kernelPoolOptions.timing) poolStats.callerMs += now() - t0;
        q.steps.chunkDone(j, slotOf(j), c);
      }
      continue;
    }
    if (runAgain(q, head, lost)) continue;
    const t0 = kernelPoolOptions.timing ? now() : 0;
    const spinEnd = performance.now() + kernelPoolOptions.callerSpinMs;
    for (let n = 1; Atomics.load(q.w32, EPOCH) === e; n++) if (n % SPIN_POLLS === 0 && performance.now() >= spinEnd) break;
    const waitEnd = performance.now() + HELPER_TIMEOUT_MS;
    while (Atomics.load(q.w32, EPOCH) === e && !lost) {
      Atomics.add(q.w32, SLEEPERS, 1);
      Atomics.wait(q.w32, EPOCH, e, 50);
      Atomics.sub(q.w32, SLEEPERS, 1);
      if (performance.now() > waitEnd) lost = true;
    }
    if (kernelPoolOptions.timing) poolStats.callerWaitMs += now() - t0;
    if (lost) console.warn('kernel helper: no answer; the app kernels run on one thread from now on');
  }
  if (lost) stopKernelHelpers(); // after settling the queue on this thread
}

/**
 * Runs here again a chunk a helper threw on (FLAGS 2) among the calls in the window; with `lost`, every
 * chunk of the oldest call not done, claimed or not (the helpers are given up). Whether it ran one.
 */
function runAgain(q: Queue, head: number, lost: boolean): boolean {
  const window = lost ? 1 : Math.min(pending(q), q.w32[WINDOW]!);
  for (let n = 0, j = head; n < window; n++, j = (j + 1) & SEQUENCE_MASK) {
    const s = slotOf(j);
    const count = Atomics.load(q.w32, s + COUNT);
    for (let k = 0; k < count; k++) {
      const again = Atomics.compareExchange(q.w32, s + FLAGS + k, 2, 3) === 2;
      if (!again && !(lost && Atomics.load(q.w32, s + FLAGS + k) === 0)) continue;
      if (lost) Atomics.store(q.w32, s + CLAIM, j * 256 + count); // nothing left for a helper to claim
      try {
        runChunk(q, s, k);
      } finally {
        q.steps.chunkDone(j, s, k);
      }
      return true;
    }
  }
  return false;
}

/**
 * Runs the calls posted to the queue (the caller joins the helpers) and releases the memory tfjs freed
 * that they no longer use: every call, or with `ranges` (byte ranges, flat lo, hi pairs) until no call
 * not yet done writes any of them. Called before anything reads or writes memory a queued call may use
 * outside the queue: tfjs' stock kernels (their inputs' ranges: their outputs are new memory) and reads
 * of tensors' data (the tensor's range), JavaScript passes over the heap (all); plumbing.ts,
 * guardBackend. A no-op when nothing is queued.
 */
export function settleKernels(ranges?: readonly number[]): void {
  const q = queue;
  if (q && pending(q) > 0) runQueue(q, ranges && kernelPoolOptions.partialSettle ? () => !writesPending(q, ranges) : () => false);
  releaseHeldFrees();
}
setSettle(settleKernels);

/**
 * Whether a call not yet done writes any of byte ranges `ranges` (flat lo, hi pairs), or may (its buffers
 * not known): what reading those ranges outside the queue has to wait for (settleKernels with ranges).
 */
function writesPending(q: Queue, ranges: readonly number[]): boolean {
  for (let j = Atomics.load(q.w32, HEAD); j !== q.tail; j = (j + 1) & SEQUENCE_MASK) {
    if (Atomics.load(q.w32, slotOf(j) + COMPLETE) === j) continue;
    const access = q.recent[j % SLOTS];
    if (!access || overlap(access.writes, ranges)) return true;
  }
  return false;
}

const guarded = new WeakSet<object>();

/**
 * Makes `backend` wait for the queue where it touches memory a queued call may use: reads of a tensor
 * (readSync: `data()`, `dataSync()`, tf.profile's kernel times through `time`), and frees (tfjs frees a
 * tensor as soon as the last JavaScript reference goes, which may be before a queued call read or wrote
 * it: the allocator would reuse it, and writes its own bookkeeping into it) are held until the queue is
 * empty. New tensors' uploads need nothing: their memory is new. Idempotent.
 */
function guardBackend(backend: object): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const b = backend as { readSync(...a: unknown[]): unknown; time(f: () => void): Promise<unknown>; wasm: { _free(p: number): void } };
  const readSync = b.readSync.bind(b);
  b.readSync = (...a: unknown[]) => {
    settleKernels(heapRanges(backend, [{ dataId: a[0] as object }]));
    return readSync(...a);
  };
  const time = b.time.bind(b);
  b.time = (f: () => void) =>
    time(() => {
      f();
      settleKernels();
    });
  const free = b.wasm._free.bind(b.wasm);
  b.wasm._free = (p: number) => {
    if (queueBusy()) heldFrees.push({ after: queue!.tail, free: () => free(p) });
    else free(p);
  };
}

/** Whether byte ranges `a` and `b` (flat lo, hi pairs) overlap. */
function overlap(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i += 2) for (let k = 0; k < b.length; k += 2) if (a[i]! < b[k + 1]! && b[k]! < a[i + 1]!) return true;
  return false;
}

/**
 * DEPS of a call with buffers `access` posted as sequence number `j`: the calls among the `window` before
 * it that write what it reads or writes, or read what it writes (all of them where either's buffers are not
 * known). Outputs and scratch are new memory (tfjs' frees wait for the queue), so in practice: the calls
 * that wrote its inputs, and the ones that read what it writes over (an update in place).
 */
function dependencies(q: Queue, j: number, access: Access | undefined, window: number): number {
  if (!access) return ALL_BEFORE;
  const [reads, writes] = [bounds(access.reads), bounds(access.writes)];
  q.bounds[j % SLOTS] = [reads, writes];
  let deps = 0;
  // Only the `window` calls before: a call is claimed ahead only while it is among the first `window` not
  // done, so every call further back is done by then (post settles the queue before the window grows).
  for (let i = 0; i < window; i++) {
    const k = (j - 1 - i) & SEQUENCE_MASK;
    const before = q.recent[k % SLOTS];
    if (!before) {
      deps |= 1 << i;
      continue;
    }
    // Each buffer list's span [lo, hi) first: most pairs of calls are told apart by it alone.
    const [r, w] = q.bounds[k % SLOTS]!;
    if ((overlap(w, reads) && overlap(before.writes, access.reads)) || (overlap(w, writes) && overlap(before.writes, access.writes)) || (overlap(r, writes) && overlap(before.reads, access.writes))) deps |= 1 << i;
  }
  return deps;
}

/** The span [lo, hi) of byte ranges (flat lo, hi pairs), itself one such pair; [0, 0] (empty) for none. */
function bounds(ranges: readonly number[]): [number, number] {
  if (ranges.length === 0) return [0, 0];
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < ranges.length; i += 2) [lo, hi] = [Math.min(lo, ranges[i]!), Math.max(hi, ranges[i + 1]!)];
  return [lo, hi];
}

/**
 * Posts a call cut into `chunks` (argument lists) to the queue; the caller runs the queue when its ring
 * is full. Returns at once: the caller runs it only when it settles or waits.
 */
function post(q: Queue, native: Native<NativeModule>, fn: string, chunks: number[][], access: Access | undefined): void {
  const fnIndex = q.indices[native.index]?.get(fn);
  if (fnIndex === undefined) throw new Error(`kernel helper: ${fn} is not an export of native module ${native.index}`);
  if (chunks.length > MAX_CHUNKS) throw new Error(`kernel helper: ${chunks.length} chunks (at most ${MAX_CHUNKS})`);
  if (pending(q) >= SLOTS) runQueue(q, () => pending(q) < SLOTS);
  const window = Math.max(1, Math.min(MAX_WINDOW, Math.floor(kernelPoolOptions.window)));
  // A wider window than the queued calls' dependencies cover: those calls run first (dependencies).
  if (window > q.w32[WINDOW]! && pending(q) > 0) runQueue(q, () => false);
  releaseHeldFrees();
  const j = q.tail;
  const s = slotOf(j);
  const at = (s * 4 + SLOT_ARGS) / 8;
  let argc = 0;
  for (let c = 0; c < chunks.length; c++) {
    const list = chunks[c]!;
    if (list.length > MAX_ARGS) throw new Error(`kernel helper: ${fn} has ${list.length} arguments (at most ${MAX_ARGS})`);
    argc = list.length;
    q.f64.set(list, at + c * MAX_ARGS);
    q.w32[s + FLAGS + c] = 0;
  }
  q.w32[s + MODULE] = native.index;
  q.w32[s + FUNCTION] = fnIndex;
  q.w32[s + ARGC] = argc;
  q.w32[s + DONE] = 0;
  q.w32[s + COUNT] = chunks.length;
  q.w32[s + DEPS] = dependencies(q, j, access, window);
  q.recent[j % SLOTS] = access;
  q.w32[TIMING] = kernelPoolOptions.timing ? 1 : 0;
  q.w32[WINDOW] = window;
  if (kernelPoolOptions.timing) q.f64[(s * 4 + SLOT_POSTED) / 8] = now();
  for (const helper of helpers) helper.i32[HELPER_SPIN] = Math.round(kernelPoolOptions.helperSpinMs * 1000);
  // Published: a thread that sees this CLAIM sees every field above.
  Atomics.store(q.w32, s + CLAIM, j * 256);
  q.tail = (j + 1) & SEQUENCE_MASK;
  Atomics.store(q.w32, TAIL, q.tail);
  Atomics.add(q.w32, EPOCH, 1);
  if (Atomics.load(q.w32, SLEEPERS) > 0) Atomics.notify(q.w32, EPOCH);
}

/** Whether calls of `native` can go through the queue: helpers that have its module, and (deferred) tfjs' memory. */
function queueFor(native: Native<NativeModule>): { q: Queue; ready: number; defer: boolean } | undefined {
  if (!queue) return undefined;
  let ready = 0;
  for (const h of helpers) if (native.index < h.modules && Atomics.load(h.i32, READY) === 1) ready++;
  const backend = native.boundBackend;
  const defer = kernelPoolOptions.deferred && ready > 0 && native.onBackendMemory === true && backend !== undefined;
  if (defer) guardBackend(backend!);
  return { q: queue, ready, defer };
}

/**
 * Runs `fn` of `native` over [0, total) of its split dimension: `args(lo, hi)` gives the call's
 * arguments for a range. Split over the ready helpers when `work` is worth it, else one call: the range
 * is cut into chunks (kernelPoolOptions.chunksPerThread per thread, at multiples of `grain`), and the
 * caller and the helpers claim them one at a time until none is left.
 */
export function parallel<T extends NativeModule>(native: Native<T>, fn: keyof T & string, total: number, grain: number, work: number, args: (lo: number, hi: number) => number[], access?: Access): void {
  const route = queueFor(native as unknown as Native<NativeModule>);
  const parts = route && work >= kernelPoolOptions.minWork ? Math.min(MAX_CHUNKS, (route.ready + 1) * kernelPoolOptions.chunksPerThread) : 1;
  const chunks = route && route.ready > 0 && parts > 1 ? splitRange(total, parts, grain, kernelPoolOptions.taper) : [[0, total] as [number, number]];
  if (!route || (!route.defer && chunks.length < 2)) {
    settleKernels();
    (native.exports[fn] as (...a: number[]) => void)(...args(0, total));
    return;
  }
  if (chunks.length > 1) poolStats.splitCalls += 1;
  post(route.q, native as unknown as Native<NativeModule>, fn, chunks.map(([lo, hi]) => args(lo, hi)), access);
  if (route.defer) poolStats.deferredCalls += 1;
  else runQueue(route.q, () => false);
}

/**
 * Runs `fn` of `native` once with `args`, in order with the calls posted before it: queued where calls
 * are deferred, else at once (after the queue has run).
 */
export function serial<T extends NativeModule>(native: Native<T>, fn: keyof T & string, args: number[], access?: Access): void {
  parallel(native, fn, 1, 1, 0, () => args, access);
}
