/**
 * Training-mode BatchNorm (forward and closed-form backward, with a fused residual addition and ReLU or
 * SiLU), ReLU's gradient, SiLU, the channel gate's and a bias's gradients, the running statistics' update and the SGD-with-momentum update on tfjs' WebGPU backend: the kernels `engine/execute.ts` runs where
 * the backend has them (kernels/batchNormOp.ts names them and their inputs). tfjs' formulation of the
 * same BatchNorm is about twenty full-size elementwise ops and pooled means a step each way, each a
 * pass over the activations through tfjs' generic broadcasting index code; here it is one pass to
 * write the output and two or three to read (docs/tfjs.md#batchnorm-on-webgpu).
 *
 * Programs, all flat (groupedConv.ts' flatProgram: workgroups of 64, sizes baked in as constants):
 * - channel sums: one invocation per (block of R rows, channel), adjacent invocations reading adjacent
 *   channels of the same row (coalesced); output [K, B, C] partial sums;
 * - per-channel finishes: one invocation per channel sums the B partials in block order (mean,
 *   variance, 1/sqrt(var + eps), dgamma, dbeta, the backward's coefficients);
 * - elementwise: one invocation per element (the output, dx, ReLU's gradient, SiLU and its gradient).
 * The variance is centred (a second pass over x with the mean), as the float32 one-pass formula loses
 * digits when |mean| >> std. Every input a program reads is a storage buffer: at most 7 besides the
 * output (WebGPU's default limit is 8 per stage, docs/tfjs.md#addn-fails-with-8-inputs), which is why
 * the backward's elementwise pass reads its per-channel values packed in one coefficient tensor.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, CHANNEL_DOT, CHANNEL_SUM, type FusedActivation, channelDotShape, RELU_GRAD, RUNNING_UPDATE, SGD_MOMENTUM_UPDATE, SILU, SILU_GRAD } from '../batchNormOp';
import { flatProgram, run } from './groupedConv';

type Info = tf.TensorInfo;

/** Rows of x per channel-sum invocation: at least 16, and at most 256 blocks (each finish loops over them). */
export function rowsPerBlock(m: number): number {
  return Math.max(16, Math.ceil(m / 256));
}

function checkFloat(name: string, ...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${name} (webgpu) needs float32 tensors, got ${t.dtype}`);
}

function activationOf(name: string, a: unknown): FusedActivation | undefined {
  if (a === undefined || a === 'none') return undefined;
  if (a === 'relu' || a === 'silu') return a;
  throw new Error(`${name}: unknown activation ${String(a)} (known: relu, silu)`);
}

/** WGSL: the activation applied to `v` (a var) in place. */
function applyActivation(act: FusedActivation | undefined, v: string): string {
  if (act === 'relu') return `${v} = max(${v}, 0.0);`;
  if (act === 'silu') return `${v} = ${v} * (1.0 / (1.0 + exp(-${v})));`;
  return '';
}

/** WGSL: `g` (a var holding dy) multiplied by the activation's derivative at `pre`. */
function activationGradient(act: FusedActivation | undefined, g: string, pre: string): string {
  if (act === 'relu') return `${g} = select(0.0, ${g}, ${pre} > 0.0);`;
  if (act === 'silu') return `{ let s = 1.0 / (1.0 + exp(-${pre})); ${g} = ${g} * (s * (1.0 + ${pre} * (1.0 - s))); }`;
  return '';
}

function rowsAndChannels(x: Info): { m: number; c: number } {
  const c = x.shape[x.shape.length - 1]!;
  return { m: tf.util.sizeFromShape(x.shape) / c, c };
}

/** WGSL constants of an [M, C] pass summing blocks of R rows. */
function constants(m: number, c: number): string {
  const r = rowsPerBlock(m);
  return `
  const M = ${m};
  const C = ${c};
  const R = ${r};
  const NB = ${Math.ceil(m / r)};`;
}

/**
 * Channel sums over blocks of R rows. `kind` 'sum': Σ x; 'centred': Σ d and Σ d² with d = x - mean (a
 * first mean: float32 sums of x lose its low digits when |mean| >> std, and Σ d recovers them);
 * 'backward': Σ g and Σ g·x̂ with g = dy times the activation's derivative at BatchNorm's output
 * (recomputed). Two sums go to the two halves of the output.
 */
function channelSums(kind: 'sum' | 'centred' | 'backward', m: number, c: number, act?: FusedActivation) {
  const blocks = Math.ceil(m / rowsPerBlock(m));
  const threads = blocks * c;
  const names = { sum: ['x'], centred: ['x', 'mean'], backward: ['dy', 'x', 'mean', 'invStd', ...(act ? ['gamma', 'beta'] : [])] }[kind];
  const step = {
    sum: 'acc = acc + x[k];',
    centred: 'let d = x[k] - mu; acc = acc + d; acc2 = acc2 + d * d;',
    backward: `let xh = (x[k] - mu) * inv;
      var g = dy[k];
      ${act ? `let pre = (x[k] - mu) * sc + bt;\n      ${activationGradient(act, 'g', 'pre')}` : ''}
      acc = acc + g;
      acc2 = acc2 + g * xh;`,
  }[kind];
  const body = `
  ${constants(m, c)}
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index % C;
    let r0 = (index / C) * R;
    let r1 = min(r0 + R, M);
    ${kind === 'sum' ? '' : 'let mu = mean[ch];'}
    ${kind === 'backward' ? `let inv = invStd[ch];${act ? ' let sc = inv * gamma[ch]; let bt = beta[ch];' : ''}` : ''}
    var acc = 0.0;
    ${kind === 'sum' ? '' : 'var acc2 = 0.0;'}
    for (var r = r0; r < r1; r++) {
      let k = r * C + ch;
      ${step}
    }
    result[index] = acc;
    ${kind === 'sum' ? '' : 'result[index + NB * C] = acc2;'}
  }`;
  const outputShape = kind === 'sum' ? [blocks, c] : [2, blocks, c];
  return { program: flatProgram(`appBnSums_${kind}`, `${m}_${c}_${act ?? ''}`, outputShape, names, threads, body), threads };
}

/**
 * Per channel: the sum of the block partials, acc (from `half` 0 or 1) and with `both` acc2 (half 1),
 * finished as `finish` (WGSL over acc, acc2, ch, M, EPS and the `extra` inputs).
 */
function channelFinish(name: string, m: number, c: number, half: 0 | 1, finish: string, { eps = 0, both = false, extra = [] as string[] } = {}) {
  const body = `
  ${constants(m, c)}
  const EPS = ${eps.toExponential()};
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index;
    var acc = 0.0;
    ${both ? 'var acc2 = 0.0;' : ''}
    for (var b = 0; b < NB; b++) {
      acc = acc + partial[${half} * NB * C + b * C + ch];
      ${both ? 'acc2 = acc2 + partial[NB * C + b * C + ch];' : ''}
    }
    result[ch] = ${finish};
  }`;
  return { program: flatProgram(`appBnFinish_${name}`, `${m}_${c}_${half}_${eps}_${both}`, [c], ['partial', ...extra], c, body), threads: c };
}

/**
 * The backward's per-channel coefficients, [6, C]: mean, 1/std, gamma/std, beta (0 without an
 * activation), and the two sums over M (Σg/M, Σg·x̂/M), read by the dx pass as one tensor.
 */
function backwardCoefficients(m: number, c: number, act: boolean) {
  const body = `
  ${constants(m, c)}
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index;
    var s1 = 0.0;
    var s2 = 0.0;
    for (var b = 0; b < NB; b++) {
      s1 = s1 + partial[b * C + ch];
      s2 = s2 + partial[NB * C + b * C + ch];
    }
    let inv = invStd[ch];
    result[ch] = mean[ch];
    result[C + ch] = inv;
    result[2 * C + ch] = inv * gamma[ch];
    result[3 * C + ch] = ${act ? 'beta[ch]' : '0.0'};
    result[4 * C + ch] = s1 / f32(M);
    result[5 * C + ch] = s2 / f32(M);
  }`;
  const names = ['partial', 'mean', 'invStd', 'gamma', ...(act ? ['beta'] : [])];
  return { program: flatProgram('appBnCoefficients', `${m}_${c}_${act}`, [6, c], names, c, body), threads: c };
}

/** y = (x - mean)·(1/std)·gamma + beta, plus the residual, then the activation: one invocation per element. */
function outputPass(shape: number[], m: number, c: number, residual: boolean, act?: FusedActivation) {
  const body = `
  const C = ${c};
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index % C;
    var v = (x[index] - mean[ch]) * (invStd[ch] * gamma[ch]) + beta[ch];
    ${residual ? 'v = v + residual[index];' : ''}
    ${applyActivation(act, 'v')}
    result[index] = v;
  }`;
  const names = ['x', 'mean', 'invStd', 'gamma', 'beta', ...(residual ? ['residual'] : [])];
  return { program: flatProgram('appBnOutput', `${m}_${c}_${residual}_${act ?? ''}`, shape, names, m * c, body), threads: m * c };
}

/** dx = gamma/std · (g - Σg/M - x̂·Σg·x̂/M), g = dy times the activation's derivative (recomputed). */
function dxPass(shape: number[], m: number, c: number, act?: FusedActivation) {
  const body = `
  const C = ${c};
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index % C;
    let xh = (x[index] - coef[ch]) * coef[C + ch];
    var g = dy[index];
    ${act ? `let pre = (x[index] - coef[ch]) * coef[2 * C + ch] + coef[3 * C + ch];\n    ${activationGradient(act, 'g', 'pre')}` : ''}
    result[index] = coef[2 * C + ch] * (g - coef[4 * C + ch] - xh * coef[5 * C + ch]);
  }`;
  return { program: flatProgram('appBnDx', `${m}_${c}_${act ?? ''}`, shape, ['dy', 'x', 'coef'], m * c, body), threads: m * c };
}

/** An elementwise program over `names` (all of one size) writing `expr` (WGSL over `i`). */
function elementwise(name: string, shape: number[], names: string[], expr: string) {
  const size = tf.util.sizeFromShape(shape);
  const body = `
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let i = index;
    ${expr}
  }`;
  return { program: flatProgram(name, String(size), shape, names, size, body), threads: size };
}

function dispose(backend: unknown, ...ts: Info[]): void {
  for (const t of ts) (backend as WebGPUBackend).disposeData(t.dataId);
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
  const { x, gamma, beta, residual } = inputs as { x: Info; gamma: Info; beta: Info; residual?: Info };
  checkFloat(BATCH_NORM_TRAINING, x, gamma, beta, ...(residual ? [residual] : []));
  if (residual && residual.shape.join() !== x.shape.join()) throw new Error(`${BATCH_NORM_TRAINING}: residual of shape [${residual.shape.join(', ')}] for x of shape [${x.shape.join(', ')}]`);
  const act = activationOf(BATCH_NORM_TRAINING, attrs.activation);
  const eps = Number(attrs.epsilon ?? 1e-5);
  const { m, c } = rowsAndChannels(x);
  const sums = run(backend, channelSums('sum', m, c), [x]);
  const first = run(backend, channelFinish('mean', m, c, 0, 'acc / f32(M)'), [sums]);
  const centred = run(backend, channelSums('centred', m, c), [x, first]);
  // mean = first + Σd/M; variance = Σd²/M - (Σd/M)² (Σd/M is tiny: no cancellation).
  const mean = run(backend, channelFinish('refinedMean', m, c, 0, 'first[ch] + acc / f32(M)', { extra: ['first'] }), [centred, first]);
  const variance = run(backend, channelFinish('variance', m, c, 0, 'max(acc2 / f32(M) - (acc / f32(M)) * (acc / f32(M)), 0.0)', { both: true }), [centred]);
  const invStd = run(backend, channelFinish('invStd', m, c, 0, '1.0 / sqrt(max(acc2 / f32(M) - (acc / f32(M)) * (acc / f32(M)), 0.0) + EPS)', { eps, both: true }), [centred]);
  const y = run(backend, outputPass(x.shape, m, c, residual !== undefined, act), [x, mean, invStd, gamma, beta, ...(residual ? [residual] : [])]);
  dispose(backend, sums, first, centred);
  return [y, mean, variance, invStd];
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
  const { dy, x, mean, invStd, gamma, beta } = inputs as { dy: Info; x: Info; mean: Info; invStd: Info; gamma: Info; beta?: Info };
  checkFloat(BATCH_NORM_TRAINING_GRAD, dy, x, mean, invStd, gamma, ...(beta ? [beta] : []));
  // As on WASM: the activation's gradient applies where beta is given (attr activation, default relu).
  const act = beta ? (activationOf(BATCH_NORM_TRAINING_GRAD, attrs.activation) ?? 'relu') : undefined;
  const { m, c } = rowsAndChannels(x);
  const partial = run(backend, channelSums('backward', m, c, act), [dy, x, mean, invStd, ...(act ? [gamma, beta!] : [])]);
  const dBeta = run(backend, channelFinish('sum', m, c, 0, 'acc'), [partial]);
  const dGamma = run(backend, channelFinish('sum', m, c, 1, 'acc'), [partial]);
  const coef = run(backend, backwardCoefficients(m, c, beta !== undefined), [partial, mean, invStd, gamma, ...(beta ? [beta] : [])]);
  const dx = run(backend, dxPass(x.shape, m, c, act), [dy, x, coef]);
  dispose(backend, partial, coef);
  return [dx, dGamma, dBeta];
};

const reluGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, y } = inputs as { dy: Info; y: Info };
  checkFloat(RELU_GRAD, dy, y);
  return run(backend, elementwise('appReluGrad', y.shape, ['dy', 'y'], 'result[i] = select(0.0, dy[i], y[i] > 0.0);'), [dy, y]);
};

const silu: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: Info };
  checkFloat(SILU, x);
  return run(backend, elementwise('appSilu', x.shape, ['x'], `var v = x[i];\n    ${applyActivation('silu', 'v')}\n    result[i] = v;`), [x]);
};

const siluGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x } = inputs as { dy: Info; x: Info };
  checkFloat(SILU_GRAD, dy, x);
  const expr = `var g = dy[i];\n    let pre = x[i];\n    ${activationGradient('silu', 'g', 'pre')}\n    result[i] = g;`;
  return run(backend, elementwise('appSiluGrad', x.shape, ['dy', 'x'], expr), [dy, x]);
};

/** Pixels per partial sum of the channel dot: the partials of 64 pixels are then added (fewer terms in each float32 sum). */
const DOT_BLOCK = 64;

/**
 * Σ over H and W of a·b ([N, 1, 1, C]): one invocation per (image, channel), adjacent invocations reading
 * adjacent channels of the same pixel (coalesced), a float32 sum per block of DOT_BLOCK pixels, the
 * blocks' sums added in order. Instead of tfjs' broadcast-multiply gradient: a full-size multiply, then
 * a sum over H and W (a transpose and a reduction with workgroup barriers).
 */
const channelDot: tf.KernelFunc = ({ inputs, backend }) => {
  const { a, b } = inputs as { a: Info; b: Info };
  checkFloat(CHANNEL_DOT, a, b);
  const [n, h, w, c] = channelDotShape(a, b);
  const body = `
  const HW = ${h * w};
  const C = ${c};
  const BLOCK = ${DOT_BLOCK};
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let ch = index % C;
    let base = (index / C) * HW * C + ch;
    var acc = 0.0;
    for (var p0 = 0; p0 < HW; p0 += BLOCK) {
      var part = 0.0;
      for (var p = p0; p < min(p0 + BLOCK, HW); p++) {
        let k = base + p * C;
        part = part + a[k] * b[k];
      }
      acc = acc + part;
    }
    result[index] = acc;
  }`;
  return run(backend, { program: flatProgram('appChannelDot', `${h * w}_${c}`, [n, 1, 1, c], ['a', 'b'], n * c, body), threads: n * c }, [a, b]);
};

/** Σ of x [..., C] over every axis but the last ([C]): BatchNorm's channel sums over blocks of rows, then their finish. */
const channelSum: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: Info };
  checkFloat(CHANNEL_SUM, x);
  const { m, c } = rowsAndChannels(x);
  const partial = run(backend, channelSums('sum', m, c), [x]);
  const sum = run(backend, channelFinish('sum', m, c, 0, 'acc'), [partial]);
  dispose(backend, partial);
  return sum;
};

/**
 * SGD with momentum (training/optimizer.ts' semantics): two programs, the new buffer v = mu·v + g then the
 * new parameter p - lr·(v, or g + mu·v with Nesterov), g = grad (+ wd·p): two dispatches per parameter
 * instead of up to seven ops. lr, mu and wd are uniforms (lr changes every step: as constants it would
 * compile a shader per step); decay and Nesterov are in the shader key.
 */
function sgdProgram(which: 'v' | 'p', shape: number[], decay: boolean, nesterov: boolean) {
  const size = tf.util.sizeFromShape(shape);
  const g = decay ? '(grad[i] + uniforms.wd * p[i])' : 'grad[i]';
  const body = `
  fn main(index : i32) {
    if (index >= uniforms.threads) { return; }
    let i = index;
    ${which === 'v' ? `result[i] = uniforms.mu * v[i] + ${g};` : `result[i] = p[i] - uniforms.lr * ${nesterov ? `(${g} + uniforms.mu * v[i])` : 'v[i]'};`}
  }`;
  // Only what each reads (an unused binding voids the command batch): v reads p only to decay.
  const names = which === 'v' ? (decay ? ['p', 'v', 'grad'] : ['v', 'grad']) : nesterov ? ['p', 'v', 'grad'] : ['p', 'v'];
  const program = { ...flatProgram(`appSgd_${which}`, `${size}_${decay}_${nesterov}`, shape, names, size, body), uniforms: 'threads : i32, lr : f32, mu : f32, wd : f32,' };
  return { program, names };
}

const sgdUpdate: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
  const { p, v, grad } = inputs as { p: Info; v: Info; grad: Info };
  checkFloat(SGD_MOMENTUM_UPDATE, p, v, grad);
  const a = attrs as Record<string, number>;
  const [decay, nesterov] = [a.decay === 1, a.nesterov === 1];
  const size = tf.util.sizeFromShape(p.shape);
  const uniforms = [
    { type: 'int32', data: [size] },
    { type: 'float32', data: [a.lr!] },
    { type: 'float32', data: [a.momentum!] },
    { type: 'float32', data: [a.weightDecay!] },
  ];
  const gpu = backend as WebGPUBackend;
  const pv = sgdProgram('v', p.shape, decay, nesterov);
  const newV = gpu.runWebGPUProgram(pv.program, decay ? [p, v, grad] : [v, grad], 'float32', uniforms);
  const pp = sgdProgram('p', p.shape, decay, nesterov);
  const newP = gpu.runWebGPUProgram(pp.program, nesterov ? [p, newV, grad] : [p, newV], 'float32', uniforms);
  return [newP, newV];
};

/**
 * A running estimate's update, running·keep + batch·scale: one dispatch. keep and scale are uniforms (one
 * shader per size, whatever the momentum and the batch); WGSL's `*` and `+` (a shader compiler may
 * fuse them into one multiply-add: within 1e-6 of float64 either way, e2e/batchNorm.spec.ts).
 */
const runningUpdate: tf.KernelFunc = ({ inputs, backend, attrs = {} }) => {
  const { running, batch } = inputs as { running: Info; batch: Info };
  checkFloat(RUNNING_UPDATE, running, batch);
  if (running.shape.join() !== batch.shape.join()) throw new Error(`${RUNNING_UPDATE}: running [${running.shape.join(', ')}] and batch [${batch.shape.join(', ')}] differ in shape`);
  const a = attrs as Record<string, number>;
  const size = tf.util.sizeFromShape(running.shape);
  const { program } = elementwise('appRunningUpdate', running.shape, ['running', 'batch'], 'result[i] = running[i] * uniforms.keep + batch[i] * uniforms.scale;');
  const uniforms = [
    { type: 'int32', data: [size] },
    { type: 'float32', data: [a.keep!] },
    { type: 'float32', data: [a.scale!] },
  ];
  return (backend as WebGPUBackend).runWebGPUProgram({ ...program, uniforms: 'threads : i32, keep : f32, scale : f32,' }, [running, batch], 'float32', uniforms);
};

let registered = false;

/** Registers the kernels on 'webgpu' once. */
export function registerWebgpuBatchNormKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: Array<[string, tf.KernelFunc]> = [
    [BATCH_NORM_TRAINING, forward],
    [BATCH_NORM_TRAINING_GRAD, backward],
    [RELU_GRAD, reluGrad],
    [SILU, silu],
    [SILU_GRAD, siluGrad],
    [SGD_MOMENTUM_UPDATE, sgdUpdate],
    [CHANNEL_DOT, channelDot],
    [CHANNEL_SUM, channelSum],
    [RUNNING_UPDATE, runningUpdate],
  ];
  for (const [kernelName, kernelFunc] of kernels) if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
}
