/**
 * Fitting a training step into a backend's memory. Pure: the job measures a training image's memory
 * (Trainer.measureBytesPerImage) and plans micro-batches with these.
 */
import { ComputeError } from '../errors';

/**
 * How much tensor memory a training step may take on each backend. WASM: one wasm32 heap, at most
 * 4 GiB, whose growth fails before that; batch-32 classroom ResNeXt-29 steps of ~2.8 GiB (before a
 * leaner grouped conv) ran. WebGPU and WebGL do not tell how much memory the GPU has: 2 GiB, which
 * integrated GPUs and SwiftShader give a tab.
 */
export function trainingMemoryBudget(backend: string): number {
  return backend === 'wasm' ? 3 * 2 ** 30 : 2 * 2 ** 30;
}

/**
 * The micro-batch size that keeps a step's memory (`bytesPerImage` per image) within `budgetBytes`:
 * undefined when the whole batch fits, else the largest divisor of the batch (at least 2) that fits.
 * Throws a message for the user when not even 2 images fit.
 */
export function planMicroBatch(batchSize: number, bytesPerImage: number, budgetBytes: number): number | undefined {
  if (batchSize * bytesPerImage <= budgetBytes) return undefined;
  for (let size = batchSize - 1; size >= 2; size--) {
    if (batchSize % size === 0 && size * bytesPerImage <= budgetBytes) return size;
  }
  const mb = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  throw new ComputeError(
    'out-of-memory',
    `This model needs about ${mb(bytesPerImage)} per training image on this backend (measured), and ${batchSize % 2 === 0 ? 'even 2 images exceed' : `no micro-batch of batch ${batchSize} fits in`} the ~${mb(budgetBytes)} it can hold. Train a smaller model (fewer blocks or a narrower width)${batchSize % 2 === 0 ? '' : ', or use an even batch size'}.`,
  );
}
