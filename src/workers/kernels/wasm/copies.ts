/**
 * A WASM kernel for the hot spot of training through BatchNorm, beside gradients.ts (which makes
 * the WASM backend able to train convolutions at all). Profiled on a classroom ResNet-29 step
 * (batch 32, `tf.profile`): stock Tile took 2.6 s of a 5.5 s step. tfjs' FusedBatchNorm gradient
 * tiles [1,1,1,C] to [N,H,W,C] once per BatchNorm, and the stock kernel computes a source index per
 * element. This one copies blocks (`copyWithin`, a memmove), doubling each axis's first repetition
 * until it is filled: 0.4 ms instead of ~80 ms for [32,32,32,64]; exact (a copy).
 *
 * Also tried and dropped: Sum/Mean over [N,H,W] as a ones-row matMul (slower: XNNPACK repacks its
 * "weights", a fresh activation every call) or a JS pass over the heap (no faster than stock's
 * transpose + reduce on fresh, cache-cold tensors).
 *
 * The replacements keep the stock setupFunc. Registered by `registerKernels('wasm')` (../index.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Info, type KernelArgs, type WasmKernel, heapI32, offsetOf, registerWasmKernelSet, stockKernel } from './plumbing';

/**
 * Tile by block copies: along each axis, from the innermost out, the first repetition is built and
 * then doubled with memmoves until `reps` copies fill the axis.
 */
function tile(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x!;
  const reps = (args.attrs?.reps ?? []) as number[];
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return stockKernel('Tile')(args as Parameters<tf.KernelFunc>[0]) as Info;
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

/**
 * Identity sharing the input's data (a reference count), as the CPU backend's does: stock wasm copies
 * it. The engine clones every tensor it saves for the backward pass, so on wasm each saved activation
 * was a second copy: peak memory of a classroom ResNeXt-29 step at batch 32 was 3.7 GB (of wasm32's
 * 4 GB; batch 64 aborted in malloc). Tensors are immutable, so sharing is safe (Reshape shares too).
 */
function identity(args: KernelArgs): Info {
  const backend = args.backend as BackendWasm;
  const x = args.inputs.x!;
  if (x.dtype === 'string') return stockKernel('Identity')(args as Parameters<tf.KernelFunc>[0]) as Info;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const COPY_KERNELS: readonly WasmKernel[] = [
  { kernelName: 'Tile', kernelFunc: tile, replacesStock: true },
  { kernelName: 'Identity', kernelFunc: identity, replacesStock: true },
];

export const WASM_COPY_KERNEL_NAMES: readonly string[] = COPY_KERNELS.map((k) => k.kernelName);

/** Replaces the stock wasm Tile and Identity with the ones above (idempotent); called by `registerKernels('wasm')` (../index.ts). */
export function registerWasmCopyKernels(): void {
  registerWasmKernelSet(COPY_KERNELS);
}
