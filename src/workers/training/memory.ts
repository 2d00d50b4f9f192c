/**
 * Fitting a training run into a backend's memory. Pure: the page's estimate (the Train tab) and the
 * worker's check before a run allocates anything (job.ts) use the same plan, and the job plans
 * micro-batches with it once it has measured a training image (Trainer.measureBytesPerImage).
 */
import { formatBytes, formatShort } from '../../models';
import { ComputeError, backendLabel } from '../errors';

/**
 * How much tensor memory a training run may take on each backend. WASM: one wasm32 heap, at most
 * 4 GiB, whose growth fails before that; batch-32 classroom ResNeXt-29 steps of ~2.8 GiB (before a
 * leaner grouped conv) ran. WebGPU and WebGL do not tell how much memory the GPU has: 2 GiB, which
 * integrated GPUs and SwiftShader give a tab.
 */
export function trainingMemoryBudget(backend: string): number {
  return backend === 'wasm' ? 3 * 2 ** 30 : 2 * 2 ** 30;
}

/**
 * Copies of the parameters a run keeps on the backend: the weights, their gradients, the momentum
 * buffers, and one more for the transient copies (a checkpoint's snapshot of the weights, the running
 * sum of micro-batch gradients).
 */
export const PARAMETER_COPIES = 4;
const BYTES_PER_FLOAT32 = 4;

/**
 * tfjs' memory per training image over the activations the architecture counts (float32), measured
 * with `Trainer.measureBytesPerImage` on WASM: 3.8x for a 2.7k-parameter ResNet, 4.7-4.9x for the
 * classroom ResNeXt-29 and ResNet-29 and a 256-wide ResNet-29, 5.0-5.4x for CIFAR ResNet-29
 * (docs/tfjs.md#training-memory-is-measured). Used until a run has measured the model itself.
 */
export const TFJS_ACTIVATION_FACTOR = 5.5;

/** The fewest images a step can train on (BatchNorm needs batch statistics). */
export const MIN_STEP_IMAGES = 2;

/** The architecture's counts the plan needs (`analyze(spec).stats.totals`). */
export interface MemoryCounts {
  params: number;
  activations: number;
  inputValues: number;
}

export interface TrainingMemoryPlan {
  budgetBytes: number;
  parameters: number;
  /** Weights, gradients, momentum and a transient copy (PARAMETER_COPIES). */
  stateBytes: number;
  bytesPerImage: number;
  /** bytesPerImage was measured on this backend; else the counted activations times TFJS_ACTIVATION_FACTOR. */
  measured: boolean;
  /** The most images one step (or micro-batch) can hold within the budget next to the state (0: not even one). */
  maxImages: number;
}

/** The plan for a model of `counts` within `budgetBytes`, from a measured figure per image when there is one. */
export function planTrainingMemory(counts: MemoryCounts, budgetBytes: number, measuredBytesPerImage?: number): TrainingMemoryPlan {
  const stateBytes = PARAMETER_COPIES * BYTES_PER_FLOAT32 * counts.params;
  const measured = measuredBytesPerImage !== undefined && measuredBytesPerImage > 0;
  const bytesPerImage = measured ? measuredBytesPerImage : TFJS_ACTIVATION_FACTOR * BYTES_PER_FLOAT32 * (counts.activations + counts.inputValues);
  const room = budgetBytes - stateBytes;
  const maxImages = room <= 0 ? 0 : bytesPerImage > 0 ? Math.floor(room / bytesPerImage) : Number.MAX_SAFE_INTEGER;
  return { budgetBytes, parameters: counts.params, stateBytes, bytesPerImage, measured, maxImages };
}

/** Bytes a step of `images` images takes under `plan`. */
export function stepBytes(plan: TrainingMemoryPlan, images: number): number {
  return plan.stateBytes + images * plan.bytesPerImage;
}

/** The parameters whose state alone fills `budgetBytes`. */
function parameterCeiling(budgetBytes: number): number {
  return budgetBytes / (PARAMETER_COPIES * BYTES_PER_FLOAT32);
}

/** The largest divisor of `batchSize` of at most `maxImages` images and at least MIN_STEP_IMAGES (undefined: none). */
function largestFittingPart(batchSize: number, maxImages: number): number | undefined {
  for (let size = Math.min(batchSize, maxImages); size >= MIN_STEP_IMAGES; size--) if (batchSize % size === 0) return size;
  return undefined;
}

/**
 * Why a model under `plan` cannot train on `backend` at `batchSize`, as one sentence (what it needs,
 * what the backend holds, what to change), or undefined when it can: the batch fits whole, or as
 * micro-batches of a divisor of it (at least MIN_STEP_IMAGES images: BatchNorm needs batch statistics).
 */
export function memoryRefusal(plan: TrainingMemoryPlan, backend: string, batchSize: number): string | undefined {
  if (plan.maxImages >= batchSize || (plan.maxImages >= MIN_STEP_IMAGES && largestFittingPart(batchSize, plan.maxImages) !== undefined)) return undefined;
  const where = backendLabel(backend);
  const holds = `the ${where} backend holds about ${formatBytes(plan.budgetBytes)}`;
  if (plan.stateBytes >= plan.budgetBytes) {
    return (
      `This model cannot train on ${where}: its ${formatShort(plan.parameters)} parameters need ${formatBytes(plan.stateBytes)} for weights, gradients and momentum ` +
      `before a single image, and ${holds}; make it narrower or shallower (fewer than about ${formatShort(parameterCeiling(plan.budgetBytes))} parameters).`
    );
  }
  const how = plan.measured ? 'measured' : 'estimated from its counted activations';
  if (plan.maxImages < MIN_STEP_IMAGES) {
    return (
      `This model cannot train on ${where}: each training image needs about ${formatBytes(plan.bytesPerImage)} (${how}) on top of ${formatBytes(plan.stateBytes)} ` +
      `for weights, gradients and momentum, so even ${MIN_STEP_IMAGES} images (the fewest BatchNorm trains on) need ${formatBytes(stepBytes(plan, MIN_STEP_IMAGES))}, and ${holds}; ` +
      `make it narrower or shallower.`
    );
  }
  return (
    `Batch ${batchSize} cannot be split into micro-batches that fit on ${where}: at most ${plan.maxImages} images of about ${formatBytes(plan.bytesPerImage)} each (${how}) ` +
    `fit next to the model's ${formatBytes(plan.stateBytes)} in the ~${formatBytes(plan.budgetBytes)} the backend holds, and no divisor of ${batchSize} from ${MIN_STEP_IMAGES} to ${plan.maxImages} exists; ` +
    `choose a batch of at most ${plan.maxImages} or an even one.`
  );
}

/** Throws a ComputeError 'out-of-memory' with `memoryRefusal`'s sentence when the model cannot train at `batchSize`. */
export function checkTrainingMemory(plan: TrainingMemoryPlan, backend: string, batchSize: number): void {
  const refusal = memoryRefusal(plan, backend, batchSize);
  if (refusal) throw new ComputeError('out-of-memory', refusal);
}

/**
 * The micro-batch size for `batchSize` under `plan`: undefined when the whole batch fits, else the
 * largest divisor of the batch that fits (call checkTrainingMemory first: undefined also when none does).
 */
export function planMicroBatchSize(plan: TrainingMemoryPlan, batchSize: number): number | undefined {
  return plan.maxImages >= batchSize ? undefined : largestFittingPart(batchSize, plan.maxImages);
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
