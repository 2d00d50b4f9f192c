/**
 * WASM kernels for the hot spots of training through BatchNorm, beside wasmKernels.ts (which makes
 * the WASM backend able to train convolutions at all). Profiled on a classroom ResNet-29 step
 * (batch 32, `tf.profile`): stock Tile took 2.6 s of 5.5 s (tfjs' FusedBatchNorm gradient tiles
 * [1,1,1,C] to [N,H,W,C] once per BatchNorm, and the stock kernel computes an index per element),
 * and Sum/Mean over [N,H,W] (BatchNorm statistics and their gradients) another 0.8 s, because the
 * stock kernels first transpose the whole tensor to put the reduced axes innermost.
 *
 * - Tile: block copies (`copyWithin`, a memmove) instead of per-element indexing; exact.
 * - Sum / Mean over leading axes ([N,H,W] of NHWC): a ones-row times the [N·H·W, C] matrix on the
 *   backend's matMul (XNNPACK), no transpose; float32 accumulation as stock. Other axes: stock.
 *
 * Replacements keep the stock setupFunc (the cwrap they delegate to). Register with
 * `registerWasmTrainKernels()` (idempotent); the Trainer does on 'wasm'.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
const BACKEND = 'wasm';

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: object;
  attrs?: tf.NamedAttrMap;
}

/** Stock kernels replaced here, for delegation. */
const stock = new Map<string, tf.KernelFunc>();

function callStock(name: string, args: KernelArgs): Info {
  const f = stock.get(name);
  if (!f) throw new Error(`wasm ${name}: the stock kernel is missing`);
  const out = f(args as Parameters<tf.KernelFunc>[0]);
  return Array.isArray(out) ? out[0]! : out;
}

function heapI32(backend: BackendWasm): Int32Array {
  return new Int32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer);
}

function offsetOf(backend: BackendWasm, t: Info): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset / 4;
}

/**
 * Tile by block copies: along each axis, from the innermost out, the first repetition is built and
 * then doubled with memmoves until `reps` copies fill the axis.
 */
function tile(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x!;
  const reps = (args.attrs?.reps ?? []) as number[];
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return callStock('Tile', args);
  const rank = x.shape.length;
  const outShape = x.shape.map((s, i) => s * (reps[i] ?? 1));
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((s) => s === 0)) return out;
  // Strides in elements of the input and the output.
  const inStride = new Array<number>(rank).fill(1);
  const outStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1]! * x.shape[d + 1]!;
    outStride[d] = outStride[d + 1]! * outShape[d + 1]!;
  }
  const heap = heapI32(backend); // after makeOutput: an allocation may grow (detach) the heap
  const inBase = offsetOf(backend, x);
  const outBase = offsetOf(backend, out);
  const replicate = (start: number, block: number, times: number) => {
    let filled = 1;
    while (filled < times) {
      const n = Math.min(filled, times - filled);
      heap.copyWithin(start + filled * block, start, start + n * block);
      filled += n;
    }
  };
  const fill = (d: number, inOff: number, outOff: number) => {
    const size = x.shape[d]!;
    if (d === rank - 1) {
      heap.copyWithin(outOff, inOff, inOff + size);
    } else {
      for (let i = 0; i < size; i++) fill(d + 1, inOff + i * inStride[d]!, outOff + i * outStride[d]!);
    }
    replicate(outOff, size * outStride[d]!, reps[d] ?? 1);
  };
  if (rank === 0) heap[outBase] = heap[inBase]!;
  else fill(0, inBase, outBase);
  return out;
}

/** Reduced axes 0..k-1 (k < rank) of a float32 tensor: [rows, cols] with rows = their product, else undefined. */
function leadingReduction(x: Info, axis: number | number[]): { rows: number; cols: number; k: number } | undefined {
  if (x.dtype !== 'float32') return undefined;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const k = axes.length;
  if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return undefined;
  const rows = x.shape.slice(0, k).reduce((a, b) => a * b, 1);
  const cols = x.shape.slice(k).reduce((a, b) => a * b, 1);
  return { rows, cols, k };
}

/** Column sums of x seen as [rows, cols]: ones[1, rows] x X on the backend's matMul, shape [cols]. */
function columnSums(backend: BackendWasm, x: Info, rows: number, cols: number, scale: number): Info {
  const ones = backend.makeOutput([1, 1, rows], 'float32');
  new Float32Array((backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer, offsetOf(backend, ones) * 4, rows).fill(scale);
  const matMul = tf.getKernel('BatchMatMul', BACKEND)!.kernelFunc;
  const product = matMul({
    inputs: { a: ones, b: { dataId: x.dataId, shape: [1, rows, cols], dtype: x.dtype } },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as Info;
  backend.disposeData(ones.dataId);
  return product;
}

function reduceLeading(name: 'Sum' | 'Mean', args: KernelArgs): Info {
  const x = args.inputs.x!;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const r = leadingReduction(x, axis);
  // Short columns (few rows) gain nothing from a matMul; leave them to stock.
  if (!r || r.rows < 64) return callStock(name, args);
  const backend = args.backend as BackendWasm;
  const product = columnSums(backend, x, r.rows, r.cols, name === 'Mean' ? 1 / r.rows : 1);
  const shape = keepDims ? [...new Array<number>(r.k).fill(1), ...x.shape.slice(r.k)] : x.shape.slice(r.k);
  return { dataId: product.dataId, shape, dtype: 'float32' };
}

const KERNELS: ReadonlyArray<{ kernelName: string; kernelFunc: (args: KernelArgs) => Info }> = [
  { kernelName: 'Tile', kernelFunc: tile },
  { kernelName: 'Sum', kernelFunc: (args) => reduceLeading('Sum', args) },
  { kernelName: 'Mean', kernelFunc: (args) => reduceLeading('Mean', args) },
];

export const WASM_TRAIN_KERNEL_NAMES: readonly string[] = KERNELS.map((k) => k.kernelName);

/** Replaces the stock wasm Tile, Sum and Mean with the versions above; safe to call more than once. */
export function registerWasmTrainKernels(): void {
  for (const { kernelName, kernelFunc } of KERNELS) {
    const existing = tf.getKernel(kernelName, BACKEND);
    if (!existing) throw new Error(`registerWasmTrainKernels: no stock wasm ${kernelName}; import '@tensorflow/tfjs-backend-wasm' first`);
    if (stock.has(kernelName)) continue; // ours is registered already
    stock.set(kernelName, existing.kernelFunc);
    tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc: kernelFunc as tf.KernelFunc,
      ...(existing.setupFunc ? { setupFunc: existing.setupFunc } : {}),
      ...(existing.disposeFunc ? { disposeFunc: existing.disposeFunc } : {}),
    });
  }
}
