/**
 * What the app's WASM kernels share: calling the backend's own (stock) kernels on TensorInfos, views
 * of the WASM heap for short JavaScript passes, and registration that replaces a stock kernel while
 * keeping it for delegation. Used by gradients.ts and copies.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}

export const BACKEND = 'wasm';

/** Contiguous runs at least this long are copied with `copyWithin` (a memmove) instead of a JS loop. */
const MEMMOVE_MIN = 16;

/**
 * Runs every native call still queued (kernels/wasm/pool.ts settleKernels, set there: this module does
 * not import the pool). The app's native calls may run on helper threads after the kernel that posted
 * them returned; whatever touches tfjs' memory outside them (the stock kernels, JavaScript passes over
 * the heap) settles the queue first.
 */
let settle: (ranges?: readonly number[]) => void = () => {};
export function setSettle(f: (ranges?: readonly number[]) => void): void {
  settle = f;
}

/**
 * The byte ranges on `backend`'s heap (flat lo, hi pairs) of tensors' data, for settling the queue only
 * until no queued call writes them (a stock kernel's inputs, a tensor read). Data not on the heap (no
 * offset: strings) no native call writes; undefined where the backend keeps no such map (then the whole
 * queue settles). Four bytes an element: at least every dtype's size.
 */
export function heapRanges(backend: object, infos: readonly { dataId: object }[]): number[] | undefined {
  const map = (backend as { dataIdMap?: { get(dataId: object): { memoryOffset: number | null; shape: number[] } | undefined } }).dataIdMap;
  if (!map) return undefined;
  const ranges: number[] = [];
  for (const t of infos) {
    const d = map.get(t.dataId);
    if (d?.memoryOffset == null) continue;
    ranges.push(d.memoryOffset, d.memoryOffset + 4 * d.shape.reduce((a, b) => a * b, 1));
  }
  return ranges;
}

/** Settles the queue until no queued call writes any of `inputs` (all of it where their memory is not known). */
function settleFor(backend: object, inputs: tf.NamedTensorInfoMap | Record<string, Info>): void {
  settle(heapRanges(backend, Object.values(inputs).filter((t): t is Info => t !== undefined)));
}

/** Stock kernels the app's kernels replace, kept so the replacements can delegate to them. */
const stockKernels = new Map<string, tf.KernelFunc>();

export function input(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const t = inputs[name];
  if (t === undefined) throw new Error(`wasm kernel: missing input '${name}'`);
  return t;
}

/** Runs the stock kernel `name` (or the registered one where the app replaced none). */
export function runKernel(name: string, inputs: Record<string, Info>, backend: BackendWasm, attrs: tf.NamedAttrMap = {}): Info {
  const kernelFunc = stockKernels.get(name) ?? tf.getKernel(name, BACKEND)?.kernelFunc;
  if (kernelFunc === undefined) throw new Error(`wasm kernel: '${name}' is not registered for 'wasm'`);
  settleFor(backend, inputs);
  const out = kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0]! : out;
}

/** The stock kernel `name` that a registered replacement delegates to. */
export function stockKernel(name: string): tf.KernelFunc {
  const f = stockKernels.get(name);
  if (!f) throw new Error(`wasm ${name}: the stock kernel is missing`);
  return (args) => {
    settleFor(args.backend, args.inputs);
    return f(args);
  };
}

/** The same data seen with another shape: only for passing to a kernel; never returned or disposed. */
export function view(t: Info, shape: number[]): Info {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function release(backend: BackendWasm, ...infos: Info[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

function heapBuffer(backend: BackendWasm): ArrayBuffer {
  settle();
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer as ArrayBuffer;
}

/**
 * The whole WASM heap as float32. Any allocation may grow (and so detach) the heap: take the view after
 * the last `makeOutput` or kernel call that precedes its use.
 */
export function heapF32(backend: BackendWasm): Float32Array {
  return new Float32Array(heapBuffer(backend));
}

/** The whole heap as int32 (same caveat as `heapF32`). */
export function heapI32(backend: BackendWasm): Int32Array {
  return new Int32Array(heapBuffer(backend));
}

/** A tensor's own elements on the heap (same caveat as `heapF32`). */
export function heap(backend: BackendWasm, t: Info): Float32Array {
  settle();
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Copies `length` floats within the heap. */
export function copyRun(heap: Float32Array, from: number, to: number, length: number): void {
  if (length >= MEMMOVE_MIN) {
    heap.copyWithin(to, from, from + length);
    return;
  }
  for (let k = 0; k < length; k++) heap[to + k] = heap[from + k]!;
}

/** A tensor's offset into `heapF32`, in floats (the allocator aligns to at least 8 bytes). */
export function offsetOf(backend: BackendWasm, t: Info): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset / 4;
}

export interface WasmKernel {
  kernelName: string;
  kernelFunc: (args: KernelArgs) => Info | Info[];
  /** Replace the stock kernel (measured faster); false: register only where stock has none. */
  replacesStock: boolean;
}

/** The app's own kernel functions (registerWasmKernelSet), which settle the queue themselves where they need to. */
const appKernels = new WeakSet<object>();
/** Stock kernels that touch no tensor memory (a reshape shares its input's): they need no settling. */
const NO_MEMORY = new Set(['Reshape']);
const settling = new WeakSet<object>();

/**
 * Wraps every stock kernel registered for 'wasm' (those the app's kernels do not replace) so that it
 * settles the native queue before it runs: XNNPACK's operators and tfjs' JavaScript kernels read and
 * write tensor memory directly. Idempotent; call after the app's kernels are registered.
 */
export function settleBeforeStockKernels(): void {
  for (const config of tf.getKernelsForBackend(BACKEND)) {
    const f = config.kernelFunc;
    if (appKernels.has(f) || settling.has(f) || NO_MEMORY.has(config.kernelName)) continue;
    const wrapped: tf.KernelFunc = (args) => {
      settleFor(args.backend, args.inputs);
      return f(args);
    };
    settling.add(wrapped);
    tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }
}

/**
 * Registers `kernels` for 'wasm' (only); safe to call more than once. Needs '@tensorflow/tfjs-backend-wasm'
 * imported (it registers the stock kernels these build on); before or after `tf.setBackend('wasm')`.
 */
export function registerWasmKernelSet(kernels: readonly WasmKernel[]): void {
  if (tf.getKernel('Conv2D', BACKEND) === undefined) throw new Error("wasm kernels: import '@tensorflow/tfjs-backend-wasm' first");
  for (const { kernelName, kernelFunc, replacesStock } of kernels) {
    appKernels.add(kernelFunc);
    const existing = tf.getKernel(kernelName, BACKEND);
    if (existing?.kernelFunc === kernelFunc) continue;
    if (existing !== undefined) {
      if (!replacesStock) continue;
      stockKernels.set(kernelName, existing.kernelFunc);
      tf.unregisterKernel(kernelName, BACKEND);
    }
    // Keep the stock setup (its cwrap of the C++ entry point, which the replacement delegates to): the
    // engine runs setupFuncs when it initialises the backend, which may happen after this call.
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: kernelFunc as tf.KernelFunc,
      ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
      ...(existing?.disposeFunc ? { disposeFunc: existing.disposeFunc } : {}),
    });
  }
}
