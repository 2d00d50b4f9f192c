/**
 * The one place the app's custom tfjs kernels are registered. `registerKernels(backend)` is called by
 * `switchBackend` (engine/backend.ts) each time a backend starts, so every path that runs the engine
 * (the worker's backend ladder, Node tests, benchmarks, the CLI) gets the same kernels.
 *
 * - wasm/: gradients stock tfjs-backend-wasm lacks or runs as scalar loops (convolution, depthwise,
 *   pooling, transposed matMul), faster Tile / Identity, Add split over threads, and fused training-mode
 *   BatchNorm and SGD update (the engine and the optimizer use those where the backend has them).
 * - webgpu/: grouped convolution (forward, input and filter gradients), tiled and untiled; tfjs'
 *   dense conv kernels replaced by the grouped ones at groups 1 where measured faster; fused
 *   training-mode BatchNorm (with its residual join and activation), ReLU's gradient and SiLU.
 */
import { registerWasmKernels } from './wasm';
import { settleKernels } from './wasm/pool';
import { registerWebgpuBatchNormKernels } from './webgpu/batchNorm';
import { registerWebgpuDenseConvKernels } from './webgpu/denseConv';
import { registerWebgpuGroupedConvKernels } from './webgpu/groupedConv';

const registered = new Set<string>();

/** Registers the app's kernels for `backend` (idempotent; a backend without custom kernels is a no-op). */
export function registerKernels(backend: string): void {
  if (backend === 'wasm') registerWasmKernels();
  if (backend === 'webgpu') {
    registerWebgpuGroupedConvKernels();
    registerWebgpuDenseConvKernels();
    registerWebgpuBatchNormKernels();
  }
  registered.add(backend);
}

/** Whether `registerKernels(backend)` has run (the trainer refuses to start without the kernels). */
export function kernelsRegistered(backend: string): boolean {
  return registered.has(backend);
}

/**
 * Runs every kernel call a backend still has queued (WASM: the app's native calls on its helper threads,
 * kernels/wasm/pool.ts; a no-op elsewhere), and gives back the memory freed behind them. The trainer
 * calls it before a step allocates: a step's reads (the loss, the accuracy) wait only for the calls that
 * write what they read, so the last step's backward pass may still be running, its freed tensors held.
 */
export function settleQueuedKernels(): void {
  settleKernels();
}
