/**
 * Runs a network graph (or any block of it) with TensorFlow.js, NHWC. The graph from
 * `src/models` is the only description of the network: this file interprets it op by op.
 *
 * Parameters are keyed by the form-(c) names (`src/models/params.ts`). An op inside branch g of form (a)
 * or (b) (`layer1.0.branches.3.conv2`) reads its slice of the canonical tensor (`layer1.0.conv2`):
 * along the output channels for the first layers, along the input channels for (a)'s last 1x1,
 * exactly the rows and columns that branch owns in the grouped convolution.
 */
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON, type GraphItem, type GraphNode, type Op, canonicalName } from '../../models';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, CHANNEL_DOT, CHANNEL_SUM, type FusedActivation, RELU_GRAD, SILU, SILU_GRAD, SQUEEZE_EXCITE, SQUEEZE_EXCITE_GRAD, hasKernel } from '../kernels/batchNormOp';
import { denseConvByUntiledPrograms } from '../kernels/webgpu/denseConv';
import { explicitPad, groupedConv2d } from './groupedConv';
import type { ParamTensors } from './params';

export interface ExecOptions {
  params: ParamTensors;
  /** BatchNorm with batch statistics (training) or running statistics (evaluation). */
  training: boolean;
  /**
   * Training only: each BatchNorm op puts the batch mean and (biased) variance it normalised with
   * here, keyed by its op name, so a trainer can update the running statistics. The tensors belong
   * to the caller's scope (keep them inside a tidy or gradient function to use them after it).
   */
  bnBatchStats?: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;
  /**
   * Stands in for tf.relu on every ReLU op: the equivalence check records each ReLU's input and
   * chooses the derivative at 0 through it (docs/papers.md#ties-at-relus-kink).
   */
  relu?: (op: Op, x: tf.Tensor) => tf.Tensor;
  /** Run every op alone even where the backend has fused kernels (tests compare the two); squeeze-and-excitation aside. */
  unfused?: boolean;
  /**
   * Run squeeze-and-excitation gates op by op even where the backend has their kernel (tests compare the
   * two). Unlike the fusions above, the kernel changes values in the last bits (its own pooling, sigmoid
   * and sums), so `unfused` leaves it on and fused runs compare bit for bit with it in both.
   */
  gatesOpByOp?: boolean;
}

/** The canonical tensor for `key`, sliced for branch ops so that its shape is `shape`. */
function param(opts: ExecOptions, opName: string, suffix: string, shape: number[]): tf.Tensor {
  const owner = canonicalName(opName);
  const key = `${owner.name}.${suffix}`;
  const full = opts.params.get(key);
  if (!full) throw new Error(`no parameter ${key} for op ${opName}`);
  if (owner.branch === undefined) return full;
  const g = owner.branch;
  const begin = full.shape.map((size, axis) => (size === shape[axis] ? 0 : g * (shape[axis] as number)));
  if (begin.every((b) => b === 0) && full.shape.every((s, axis) => s === shape[axis])) return full;
  return tf.slice(full, begin, shape);
}

function conv(op: Op, x: tf.Tensor4D, opts: ExecOptions): tf.Tensor4D {
  const k = op.kernel ?? 1;
  const groups = op.groups ?? 1;
  const stride = op.stride ?? 1;
  const pad = op.padding ?? 0;
  const cin = op.input.channels;
  const cout = op.output.channels;
  const w = param(opts, op.name, 'weight', [k, k, cin / groups, cout]) as tf.Tensor4D;
  let y: tf.Tensor4D;
  if (groups === 1) {
    // 1x1 stride-1 convs as a matMul (tfjs' 1x1 filter gradient is slow on WebGPU: docs/tfjs.md#slow-1x1-filter-gradient),
    // except where the app's untiled conv programs run (software WebGPU), which are faster than its matMul there,
    // and on WASM, whose Conv2D and gradients are the app's kernels and run a 1x1 as the same native products
    // with no reshapes (kernels/wasm/gradients.ts pointwise: one tfjs call each way instead of four or five).
    if (k === 1 && stride === 1 && pad === 0 && !denseConvByUntiledPrograms() && tf.getBackend() !== 'wasm') {
      const [n, h, wd] = x.shape;
      y = tf.matMul(x.reshape([n * h * wd, cin]), w.reshape([cin, cout])).reshape([n, h, wd, cout]);
    } else {
      y = tf.conv2d(x, w, stride, explicitPad(pad));
    }
  } else if (groups === cin && groups === cout && !denseConvByUntiledPrograms()) {
    y = tf.depthwiseConv2d(x, w.reshape([k, k, cout, 1]) as tf.Tensor4D, stride, pad);
  } else {
    // Also a depthwise conv where the untiled programs run (a software adapter): the app's grouped programs
    // ran EfficientNet's 16 depthwise layers ~1.8x faster than tfjs' depthwise on SwiftShader (docs/tfjs.md).
    y = groupedConv2d(x, w, groups, stride, pad);
  }
  if (op.bias) y = addBias(y, param(opts, op.name, 'bias', [cout])) as tf.Tensor4D;
  return y;
}

/**
 * y + bias over the last axis. Where the backend has the kernel (WebGPU), the bias's gradient is one
 * channel sum (CHANNEL_SUM) instead of tfjs' sum over the leading axes (on SwiftShader a reduction with
 * workgroup barriers: ~7 ms for each of EfficientNet's 33 biases at batch 8, even over 8 rows).
 */
export function addBias(y: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  if (bias.rank !== 1 || y.shape[y.rank - 1] !== bias.shape[0] || !hasKernel(CHANNEL_SUM)) return tf.add(y, bias);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b] = args as [tf.Tensor, tf.Tensor];
    // y's gradient as tfjs' Add gives it: dy in a new tensor (a reshape shares the data).
    return { value: tf.add(a, b), gradFunc: (dy: tf.Tensor) => [tf.reshape(dy, a.shape), tf.engine().runKernel(CHANNEL_SUM, { x: dy }) as tf.Tensor] };
  });
  return f(y, bias) as tf.Tensor;
}

/**
 * Per-channel mean over N, H and W of an NHWC tensor, shape [C]: a global average pool, then the mean
 * over the batch. On WASM the pool is XNNPACK's and ~10x faster than tf.mean over axes 0-2, which
 * transposes first; any backend runs it.
 */
function channelMean(x: tf.Tensor4D): tf.Tensor1D {
  const [n, h, w, c] = x.shape;
  return tf.mean(tf.reshape(tf.avgPool(x, [h, w], 1, 'valid'), [n, c]), 0);
}

/**
 * Training-mode BatchNorm (batch statistics over N, H, W; biased variance, as PyTorch normalises)
 * with its gradient in closed form:
 *   x̂ = (x - μ)·σ⁻¹,  y = γ·x̂ + β,
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·σ⁻¹·(dy - mean(dy) - x̂·mean(dy·x̂)).
 * tfjs differentiates moments + batchNorm op by op (a dozen full-size ops and reductions); this is
 * four channel means and ten elementwise ops (bench/trainEngine.bench.ts: 1.25x the classroom
 * ResNet-29's training speed on WASM). `onStats` receives the batch mean and variance, kept
 * (tf.keep): the caller disposes them.
 */
export function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void): tf.Tensor4D {
  if (hasKernel(BATCH_NORM_TRAINING)) return batchNormTrainingFused(x, gamma, beta, onStats);
  const m = x.shape[0] * x.shape[1] * x.shape[2];
  const norm = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = channelMean(input);
    const centered = tf.sub(input, mean) as tf.Tensor4D;
    const variance = channelMean(tf.square(centered));
    const invStd = tf.rsqrt(tf.add(variance, BN_EPSILON)) as tf.Tensor1D;
    save([centered, invStd, g]);
    onStats?.(tf.keep(mean), tf.keep(variance));
    return {
      value: tf.add(tf.mul(centered, tf.mul(invStd, g)), b) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [cent, inv, gam] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
        const xHat = tf.mul(cent, inv) as tf.Tensor4D;
        const meanDy = channelMean(dy as tf.Tensor4D);
        const meanDyXHat = channelMean(tf.mul(dy, xHat));
        const dx = tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(xHat, meanDyXHat)), tf.mul(inv, gam));
        return [dx, tf.mul(meanDyXHat, m), tf.mul(meanDy, m)];
      },
    };
  });
  return norm(x, gamma, beta) as tf.Tensor4D;
}

/**
 * The same BatchNorm and gradient by the backend's fused kernels (WASM: kernels/wasm/batchNorm.ts),
 * one kernel each way instead of a dozen tensors; it saves x itself rather than x - mean. With
 * `activation`, that activation on the output in the same kernel (and its gradient in the backward's).
 */
function batchNormTrainingFused(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  activation?: FusedActivation,
): tf.Tensor4D {
  const attrs: tf.NamedAttrMap = activation ? { epsilon: BN_EPSILON, activation } : { epsilon: BN_EPSILON };
  const norm = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    // A fifth output where the backend gives one (WASM, SiLU): the activation's sigmoid, which the gradient reads.
    const [y, mean, variance, invStd, sigmoid] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x: input, gamma: g, beta: b }, attrs) as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor4D | undefined,
    ];
    save(activation ? [input, mean, invStd, g, b, ...(sigmoid ? [sigmoid] : [])] : [input, mean, invStd, g]);
    onStats?.(tf.keep(mean), tf.keep(variance));
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gam, bet, sig] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined, tf.Tensor4D | undefined];
        const inputs = { dy, x: xs, mean: mu, invStd: inv, gamma: gam, ...(bet ? { beta: bet } : {}), ...(sig ? { sigmoid: sig } : {}) };
        return tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, inputs, activation ? { activation } : {}) as tf.Tensor[];
      },
    };
  });
  return norm(x, gamma, beta) as tf.Tensor4D;
}

/**
 * Training-mode BatchNorm then ReLU as one fused kernel each way where the backend has them (WASM):
 * the ReLU is applied in BatchNorm's output pass, and its gradient (dy where the output is > 0) in
 * BatchNorm's backward passes: two passes over the activations fewer, the same values as the two ops.
 * Undefined where the backend has no fused BatchNorm (the caller runs the two ops).
 */
export function batchNormReluTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D | undefined {
  return batchNormActivationTraining(x, gamma, beta, 'relu', onStats);
}

/**
 * Training-mode BatchNorm then `activation` (ReLU, or SiLU x·sigmoid(x)) as one fused kernel each way
 * where the backend has them (WASM); undefined where it has none (the caller runs the two ops). ReLU gives
 * the two ops' values bit for bit; SiLU's sigmoid is the kernel's own (within a few float32 ulp of tfjs').
 */
export function batchNormActivationTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  activation: FusedActivation,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D | undefined {
  return hasKernel(BATCH_NORM_TRAINING) ? batchNormTrainingFused(x, gamma, beta, onStats, activation) : undefined;
}

/**
 * A residual block's join, relu(BatchNorm(x) + residual), in training as one fused kernel forward where
 * the backend has it (WASM): the addition and the ReLU in BatchNorm's output pass, instead of two more
 * passes and two more tensors. Backward: ReLU's gradient from the saved output (the residual's
 * gradient), then BatchNorm's. The same values as the three ops. Undefined where the backend has no
 * fused BatchNorm.
 */
export function batchNormAddReluTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  residual: tf.Tensor4D,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D | undefined {
  if (!hasKernel(BATCH_NORM_TRAINING)) return undefined;
  const join = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, g, b, r, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D, tf.GradSaveFunc];
    const [y, mean, variance, invStd] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x: input, gamma: g, beta: b, residual: r }, { epsilon: BN_EPSILON, activation: 'relu' }) as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    save([input, mean, invStd, g, y]);
    onStats?.(tf.keep(mean), tf.keep(variance));
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gam, out] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor4D];
        const dSum = tf.engine().runKernel(RELU_GRAD, { dy, y: out }) as tf.Tensor4D;
        const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy: dSum, x: xs, mean: mu, invStd: inv, gamma: gam }) as tf.Tensor[];
        return [dx!, dGamma!, dBeta!, dSum];
      },
    };
  });
  return join(x, gamma, beta, residual) as tf.Tensor4D;
}

/**
 * Global average pooling (the only average pool our graphs use), kept 4-D: [N, H, W, C] -> [N, 1, 1, C].
 * Forward a pool rather than tf.mean over H and W (on WASM the mean transposes first; on WebGPU it is a
 * reduction whose workgroup barriers SwiftShader runs slowly: docs/tfjs.md#mean-over-axes-transposes-on-wasm);
 * backward dy / (H·W) broadcast over H and W, as tf.mean's gradient (a pool's gradient over a whole-image
 * window is slow on WASM).
 */
function globalAveragePool(x: tf.Tensor4D): tf.Tensor4D {
  const pool = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor4D;
    const [, h, w] = input.shape;
    return {
      value: tf.avgPool(input, [h, w], 1, 'valid'),
      gradFunc: (dy: tf.Tensor) => tf.div(tf.broadcastTo(dy, input.shape), h * w),
    };
  });
  return pool(x) as tf.Tensor4D;
}

/** A BatchNorm op's gamma and beta, and (in training) where its batch statistics go: opts.bnBatchStats under its name. */
function batchNormParams(op: Op, opts: ExecOptions): { gamma: tf.Tensor1D; beta: tf.Tensor1D; onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void } {
  const c = [op.input.channels];
  const stats = opts.bnBatchStats;
  return {
    gamma: param(opts, op.name, 'weight', c) as tf.Tensor1D,
    beta: param(opts, op.name, 'bias', c) as tf.Tensor1D,
    ...(stats ? { onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void stats.set(op.name, { mean, variance }) } : {}),
  };
}

/** relu(BatchNorm(x) + residual) in training, by the fused kernel (the caller checked the backend has it). */
function batchNormAddRelu(op: Op, x: tf.Tensor4D, residual: tf.Tensor4D, opts: ExecOptions): tf.Tensor4D {
  const { gamma, beta, onStats } = batchNormParams(op, opts);
  const y = batchNormAddReluTraining(x, gamma, beta, residual, onStats);
  if (!y) throw new Error(`${op.name}: the backend has no fused BatchNorm`);
  return y;
}

/**
 * Whether items[i] (a BatchNorm) is followed by a residual join: at most one shortcut branch, then the
 * addition, then a ReLU. Returns the shortcut branch (if it comes here) and the ReLU's index.
 */
function residualJoinAfter(items: GraphItem[], i: number): { shortcut?: GraphNode; end: number } | undefined {
  let j = i + 1;
  const first = items[j];
  const shortcut = first?.kind === 'node' && first.level === 'branch' && first.branch === 'shortcut' ? first : undefined;
  if (shortcut) j++;
  const add = items[j];
  const relu = items[j + 1];
  if (add?.kind !== 'op' || add.type !== 'add' || relu?.kind !== 'op' || relu.type !== 'relu') return undefined;
  return { ...(shortcut ? { shortcut } : {}), end: j + 1 };
}

/**
 * BatchNorm, and with `then` in training the activation after it fused into it where the backend can
 * (batchNormActivationTraining); returns whether the activation was applied.
 */
function batchNorm(op: Op, x: tf.Tensor4D, opts: ExecOptions, then?: FusedActivation): { y: tf.Tensor4D; activationDone: boolean } {
  const c = [op.input.channels];
  const { gamma, beta, onStats } = batchNormParams(op, opts);
  if (opts.training) {
    const fused = then ? batchNormActivationTraining(x, gamma, beta, then, onStats) : undefined;
    return fused ? { y: fused, activationDone: true } : { y: batchNormTraining(x, gamma, beta, onStats), activationDone: false };
  }
  const mean = param(opts, op.name, 'running_mean', c) as tf.Tensor1D;
  const variance = param(opts, op.name, 'running_var', c) as tf.Tensor1D;
  return { y: tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON), activationDone: false };
}

/** Sum of many tensors pairwise: `tf.addN` with 8+ inputs fails on WebGPU (docs/tfjs.md#addn-fails-with-8-inputs). */
function sumAll(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  if (!level[0]) throw new Error('sum of no tensors');
  return level[0];
}

/**
 * ReLU. Where the backend has the fused gradient kernel (WASM), its gradient is one pass over the
 * saved output (dx = y > 0 ? dy : 0, the same values as tfjs' dy * step(x)) instead of three.
 */
export function relu(x: tf.Tensor): tf.Tensor {
  if (!hasKernel(RELU_GRAD)) return tf.relu(x);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.relu(input);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(RELU_GRAD, { dy, y: saved[0]! }) as tf.Tensor };
  });
  return f(x) as tf.Tensor;
}

/**
 * SiLU, x·sigmoid(x). Where the backend has the native kernels (WASM) one kernel each way (its gradient
 * dy·silu'(x) from the saved input) instead of tfjs' sigmoid and multiply forward and ~6 ops backward.
 */
export function silu(x: tf.Tensor): tf.Tensor {
  if (!hasKernel(SILU)) return tf.mul(x, tf.sigmoid(x));
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return { value: tf.engine().runKernel(SILU, { x: input }) as tf.Tensor, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(SILU_GRAD, { dy, x: saved[0]! }) as tf.Tensor };
  });
  return f(x) as tf.Tensor;
}

/**
 * x · gate, gate [N, 1, 1, C] broadcast over H and W (squeeze-and-excitation's channel scaling). Where the
 * backend has the kernel (WASM, WebGPU), the gate's gradient Σ_hw dy·x is one kernel (CHANNEL_DOT) instead
 * of tfjs' broadcast-multiply gradient: a full-size multiply, then a sum over H and W (on WASM through a
 * transpose, on WebGPU a reduction with workgroup barriers: 39% of EfficientNet's step on SwiftShader).
 * x's gradient is dy · gate, as tfjs'.
 */
export function scaleChannels(x: tf.Tensor4D, gate: tf.Tensor4D): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const broadcast = gate.shape[0] === n && gate.shape[1] === 1 && gate.shape[2] === 1 && gate.shape[3] === c;
  if (!broadcast || !hasKernel(CHANNEL_DOT)) return tf.mul(x, gate);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, g, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([a, g]);
    return {
      value: tf.mul(a, g),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[1]!), tf.engine().runKernel(CHANNEL_DOT, { a: dy, b: saved[0]! }) as tf.Tensor],
    };
  });
  return f(x, gate) as tf.Tensor4D;
}

/**
 * Squeeze-and-excitation, x · sigmoid(silu(mean_hw(x)·w1 + b1)·w2 + b2) (w1 [C, R], w2 [R, C]), as one kernel
 * each way where the backend has them (WASM: kernels/wasm/squeezeExcite.ts): ~32 tfjs calls a gate op by op.
 */
export function squeezeExcite(x: tf.Tensor4D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor4D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, w1i, b1i, w2i, b2i, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, p, z1, a1, g] = tf.engine().runKernel(SQUEEZE_EXCITE, { x: xi, w1: w1i, b1: b1i, w2: w2i, b2: b2i }) as tf.Tensor[];
    save([xi, w1i, w2i, p!, z1!, a1!, g!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w1s, w2s, ps, z1s, a1s, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(SQUEEZE_EXCITE_GRAD, { dy, x: xs, w1: w1s, w2: w2s, p: ps, z1: z1s, a1: a1s, g: gs }) as tf.Tensor[];
      },
    };
  });
  return f(x, w1, b1, w2, b2) as tf.Tensor4D;
}

/**
 * The two 1x1 convolutions of a gate branch that is exactly squeeze-and-excitation (global average pool,
 * 1x1 convolution with bias, SiLU, 1x1 convolution with bias, sigmoid) followed by the multiply that
 * applies it; undefined otherwise.
 */
function squeezeExciteLayers(gate: GraphNode, next: GraphItem | undefined): [Op, Op] | undefined {
  if (next?.kind !== 'op' || next.type !== 'multiply') return undefined;
  const ops = gate.children;
  const types = ['avgpool', 'conv', 'silu', 'conv', 'sigmoid'];
  if (ops.length !== types.length || ops.some((o, k) => o.kind !== 'op' || o.type !== types[k])) return undefined;
  const [fc1, fc2] = [ops[1], ops[3]] as [Op, Op];
  const plain = (o: Op) => (o.kernel ?? 1) === 1 && (o.groups ?? 1) === 1 && (o.stride ?? 1) === 1 && (o.padding ?? 0) === 0 && o.bias === true;
  return plain(fc1) && plain(fc2) ? [fc1, fc2] : undefined;
}

function applyOp(op: Op, x: tf.Tensor, opts: ExecOptions): tf.Tensor {
  switch (op.type) {
    case 'conv':
      return conv(op, x as tf.Tensor4D, opts);
    case 'batchnorm':
      return batchNorm(op, x as tf.Tensor4D, opts).y;
    case 'relu':
      return opts.relu ? opts.relu(op, x) : relu(x);
    case 'silu':
      return silu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'maxpool':
      return tf.maxPool(x as tf.Tensor4D, op.kernel ?? 1, op.stride ?? 1, op.padding ?? 0);
    case 'avgpool':
      return globalAveragePool(x as tf.Tensor4D);
    case 'linear': {
      const features = op.input.channels * op.input.height * op.input.width;
      const flat = x.reshape([x.shape[0] as number, features]);
      return addBias(tf.matMul(flat, param(opts, op.name, 'weight', [features, op.output.channels]) as tf.Tensor2D), param(opts, op.name, 'bias', [op.output.channels]));
    }
    case 'dropout':
      // Deterministic runs (equivalence checks) leave dropout out; training adds its own.
      return x;
    default:
      throw new Error(`op ${op.name} of type ${op.type} has no single-input rule`);
  }
}

/** The activation an op of `type` after a training BatchNorm fuses into it as, if any. */
function fusable(type: Op['type'], opts: ExecOptions): FusedActivation | undefined {
  if (opts.unfused) return undefined;
  if (type === 'relu') return opts.relu ? undefined : 'relu';
  return type === 'silu' ? 'silu' : undefined;
}

/**
 * Runs `items` on `x`. `blockInput` is what a shortcut starts from and what `add` uses when a
 * block has an identity shortcut.
 */
function runItems(items: GraphItem[], x: tf.Tensor, blockInput: tf.Tensor, opts: ExecOptions): tf.Tensor {
  const parallel: tf.Tensor[] = [];
  let shortcut: tf.Tensor | undefined;
  let gate: tf.Tensor | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'node') {
      if (item.level !== 'branch') {
        x = runItems(item.children, x, item.level === 'block' ? x : blockInput, opts);
      } else if (item.branch === 'parallel') {
        parallel.push(runItems(item.children, x, blockInput, opts));
      } else if (item.branch === 'shortcut') {
        shortcut = runItems(item.children, blockInput, blockInput, opts);
      } else {
        // A squeeze-and-excitation gate and the multiply after it: one kernel each way where the backend has them.
        const se = !opts.gatesOpByOp && hasKernel(SQUEEZE_EXCITE) ? squeezeExciteLayers(item, items[i + 1]) : undefined;
        if (se) {
          const [fc1, fc2] = se;
          const [c, r] = [fc1.input.channels, fc1.output.channels];
          const w = (op: Op, cin: number, cout: number) => param(opts, op.name, 'weight', [1, 1, cin, cout]).reshape([cin, cout]) as tf.Tensor2D;
          const b = (op: Op, cout: number) => param(opts, op.name, 'bias', [cout]) as tf.Tensor1D;
          x = squeezeExcite(x as tf.Tensor4D, w(fc1, c, r), b(fc1, r), w(fc2, r, c), b(fc2, c));
          i++;
        } else {
          gate = runItems(item.children, x, blockInput, opts);
        }
      }
      continue;
    }
    switch (item.type) {
      case 'sum':
        x = sumAll(parallel.splice(0));
        break;
      case 'concat':
        x = tf.concat(parallel.splice(0), 3);
        break;
      case 'add':
        x = tf.add(x, shortcut ?? blockInput);
        shortcut = undefined;
        break;
      case 'multiply':
        if (!gate) throw new Error(`${item.name}: no gate to multiply by`);
        x = scaleChannels(x as tf.Tensor4D, gate as tf.Tensor4D);
        break;
      case 'batchnorm': {
        // A residual join right after a training BatchNorm (its shortcut branch, the addition, a ReLU)
        // becomes one fused kernel where the backend has it: the shortcut runs first (it reads only the
        // block input), then relu(BatchNorm(x) + shortcut).
        const join = opts.training && !opts.relu && !opts.unfused && hasKernel(BATCH_NORM_TRAINING) ? residualJoinAfter(items, i) : undefined;
        if (join) {
          const sc = join.shortcut ? runItems(join.shortcut.children, blockInput, blockInput, opts) : (shortcut ?? blockInput);
          x = batchNormAddRelu(item, x as tf.Tensor4D, sc as tf.Tensor4D, opts);
          shortcut = undefined;
          i = join.end;
          break;
        }
        // A ReLU or SiLU right after a training BatchNorm joins it (one fused kernel each way where the
        // backend has them); not a ReLU when ReLUs are recorded one by one (opts.relu: the equivalence lab).
        const next = items[i + 1];
        const then = opts.training && next !== undefined && next.kind !== 'node' ? fusable(next.type, opts) : undefined;
        const { y, activationDone } = batchNorm(item, x as tf.Tensor4D, opts, then);
        x = y;
        if (activationDone) i++;
        break;
      }
      default:
        x = applyOp(item, x, opts);
    }
  }
  return x;
}

/** Runs a whole network (its stages) or one node of it (a stage, a block) on an NHWC input. */
export function execute(node: GraphNode, x: tf.Tensor4D, opts: ExecOptions): tf.Tensor {
  return node.level === 'network' || node.level === 'stage' ? runItems(node.children, x, x, opts) : runItems([node], x, x, opts);
}
