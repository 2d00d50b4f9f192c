/** The app's kernels for tfjs' WASM backend: gradients it lacks or runs slowly, faster copies, grouped convolution, fused BatchNorm, squeeze-and-excitation and SGD update. */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmBatchNormKernels } from './batchNorm';
import { registerWasmCopyKernels } from './copies';
import { registerWasmGradientKernels } from './gradients';
import { registerWasmGroupedConvKernels } from './groupedConv';
import { bindNatives } from './native';
import { settleBeforeStockKernels } from './plumbing';
import { registerWasmSqueezeExciteKernels } from './squeezeExcite';

export { WASM_COPY_KERNEL_NAMES } from './copies';
export { WASM_GRADIENT_KERNEL_NAMES } from './gradients';

export function registerWasmKernels(): void {
  registerWasmGradientKernels();
  registerWasmCopyKernels();
  registerWasmGroupedConvKernels();
  registerWasmBatchNormKernels();
  registerWasmSqueezeExciteKernels();
  // Last: the native calls may still be queued when a stock kernel runs (pool.ts).
  settleBeforeStockKernels();
  const backend = tf.findBackend('wasm');
  if (backend) bindNatives(backend as BackendWasm);
}
