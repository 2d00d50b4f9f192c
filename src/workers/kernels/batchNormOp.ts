/**
 * Kernel names and attributes of the fused training-mode BatchNorm, ReLU gradient, SiLU, squeeze-and-excitation, the channel
 * gate's and a bias's gradients, the running statistics' update and the SGD update:
 * kernels on 'wasm' (wasm/batchNorm.ts and wasm/squeezeExcite.ts: native, the running update a loop; all but the bias's gradient),
 * WGSL programs on 'webgpu' (webgpu/batchNorm.ts, all but squeeze-and-excitation). Kept apart from the kernels so the engine and the
 * optimizer can ask whether the current backend has them without loading either.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Inputs x [N, H, W, C], gamma [C], beta [C], optionally residual (x's shape: added to y, as a residual
 * block's addition right after its last BatchNorm); attrs epsilon, activation (optional, a
 * FusedActivation on y, after the addition). Outputs y, batch mean, biased variance, 1/sqrt(var + eps), and
 * where the backend gives it (WASM, activation silu) a fifth: the SiLU's sigmoid, x's shape, for the gradient.
 */
export const BATCH_NORM_TRAINING = 'AppBatchNormTraining';
/**
 * Inputs dy, x, mean, invStd, gamma, and beta where the forward had an activation (attr activation,
 * default relu: dy is then multiplied by its gradient at its input, recomputed from x), and sigmoid where
 * the forward gave one (SiLU's derivative then needs no e^x). Outputs dx, dgamma, dbeta.
 */
export const BATCH_NORM_TRAINING_GRAD = 'AppBatchNormTrainingGrad';
/** Inputs p, v, grad; attrs lr, momentum, weightDecay, decay (0/1), nesterov (0/1). Outputs the new p and v. */
export const SGD_MOMENTUM_UPDATE = 'AppSgdMomentumUpdate';
/**
 * Every parameter's update in one call (WASM): inputs p0, v0, grad0, p1, … (k = 0 … count - 1, each
 * triple of one shape); attrs lr, momentum, weightDecay, nesterov (0/1) and decay, a 0/1 per parameter.
 * Outputs the new p0, v0, p1, v1, …: the values SGD_MOMENTUM_UPDATE gives each parameter.
 */
export const SGD_MOMENTUM_UPDATE_MANY = 'AppSgdMomentumUpdateMany';

/** Inputs dy, y (ReLU's output). Output dx = dy * (y > 0 ? 1 : 0). */
export const RELU_GRAD = 'AppReluGrad';

/** Input x. Output x * sigmoid(x) (SiLU, also called swish). */
export const SILU = 'AppSilu';
/** Inputs dy, x (SiLU's input). Output dx = dy * silu'(x). */
export const SILU_GRAD = 'AppSiluGrad';

/**
 * Inputs a, b [N, H, W, C]. Output [N, 1, 1, C]: Σ over H and W of a·b, the gradient of a gate [N, 1, 1, C]
 * that scales x's channels (a = dy, b = x: squeeze-and-excitation's gate, engine/execute.ts scaleChannels).
 */
export const CHANNEL_DOT = 'AppChannelDot';

/** [N, H, W, C] of CHANNEL_DOT's inputs (two 4-D tensors of one shape), or a clear error. */
export function channelDotShape(a: tf.TensorInfo, b: tf.TensorInfo): [number, number, number, number] {
  if (a.shape.length !== 4 || a.shape.join() !== b.shape.join()) throw new Error(`${CHANNEL_DOT}: needs two 4-D tensors of one shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  return a.shape as [number, number, number, number];
}

/**
 * Squeeze-and-excitation in one kernel (WASM): inputs x [N, H, W, C], w1 [C, R], b1 [R], w2 [R, C], b2 [C].
 * Outputs y = x · g (g broadcast over H and W) and what the gradient reads: p = mean of x over H and W
 * [N, C], z1 = p·w1 + b1 [N, R], a1 = silu(z1) [N, R], g = sigmoid(a1·w2 + b2) [N, C].
 */
export const SQUEEZE_EXCITE = 'AppSqueezeExcite';
/** Inputs dy, x, w1, w2 and the forward's p, z1, a1, g. Outputs dx, dw1, db1, dw2, db2. */
export const SQUEEZE_EXCITE_GRAD = 'AppSqueezeExciteGrad';

/** Each squeeze-and-excitation tensor's shape in N, H, W, C (x's) and R (w1's second axis). */
const SQUEEZE_EXCITE_SHAPES: Record<string, (d: Record<'N' | 'H' | 'W' | 'C' | 'R', number>) => number[]> = {
  x: (d) => [d.N, d.H, d.W, d.C],
  dy: (d) => [d.N, d.H, d.W, d.C],
  w1: (d) => [d.C, d.R],
  b1: (d) => [d.R],
  w2: (d) => [d.R, d.C],
  b2: (d) => [d.C],
  p: (d) => [d.N, d.C],
  z1: (d) => [d.N, d.R],
  a1: (d) => [d.N, d.R],
  g: (d) => [d.N, d.C],
};

/**
 * [N, H, W, C, R] of a squeeze-and-excitation kernel's inputs (x and w1 [C, R] among them), or a clear error
 * naming the kernel when any of them has another shape than the ones above.
 */
export function squeezeExciteShape(kernel: string, inputs: Record<string, tf.TensorInfo>): [number, number, number, number, number] {
  const { x, w1 } = inputs;
  if (!x || !w1 || x.shape.length !== 4 || w1.shape.length !== 2) throw new Error(`${kernel}: needs x [N, H, W, C] and w1 [C, R]`);
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const d = { N, H, W, C, R: w1.shape[1]! };
  for (const [name, t] of Object.entries(inputs)) {
    const want = SQUEEZE_EXCITE_SHAPES[name]?.(d);
    if (want && t.shape.join() !== want.join()) throw new Error(`${kernel}: ${name} [${t.shape.join(', ')}], expected [${want.join(', ')}] (x [N, H, W, C], w1 [C, R])`);
  }
  return [N, H, W, C, d.R];
}

/**
 * Input x [..., C]. Output [C]: Σ of x over every other axis, a bias's gradient (engine/execute.ts
 * addBias). WebGPU only: tfjs' own sum over the leading axes is a reduction with workgroup barriers there.
 */
export const CHANNEL_SUM = 'AppChannelSum';

/**
 * Inputs running, batch (one shape); attrs keep, scale. Output running·keep + batch·scale, float32: a
 * BatchNorm running estimate's update (training/batchNormStats.ts) as one op instead of three (two
 * multiplies and an add, and the scale's upload). On WebGPU each op is a dispatch, and on a real GPU a
 * training step's time is the host's cost per dispatch (docs/tfjs.md#on-a-real-gpu-the-host-is-the-limit);
 * on WASM each is a call with tfjs' per-call work (EfficientNet-B0: ~300 calls a step).
 */
export const RUNNING_UPDATE = 'AppRunningUpdate';
/**
 * Every running estimate's update in one call (WASM): inputs running0, batch0, running1, … (each pair of one
 * shape); attrs keep and scale, a number per pair. Outputs the new running0, running1, …: the values
 * RUNNING_UPDATE gives each (EfficientNet-B0: 98 a step, each a tfjs op and a queued call).
 */
export const RUNNING_UPDATE_MANY = 'AppRunningUpdateMany';

/** An activation a training-mode BatchNorm kernel applies to its output (attr activation). */
export type FusedActivation = 'relu' | 'silu';

/** Whether `kernelName` is registered for the backend in use. */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
