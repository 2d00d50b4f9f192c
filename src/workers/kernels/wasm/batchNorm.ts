/**
 * Training-mode BatchNorm (forward and closed-form backward), the channel gate's gradient, the running statistics' and the SGD-with-momentum update, and a split Add, on
 * tfjs' WASM backend by native SIMD kernels (native/batchNorm.c). tfjs' formulation of either is a
 * chain of full-size elementwise ops and pooled reductions, each a pass over memory and a new tensor
 * (docs/tfjs.md#native-kernels-where-tfjs-formulations-are-slow). Tensors are read and written where
 * tfjs keeps them (native.ts' Call).
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, CHANNEL_DOT, type FusedActivation, RELU_GRAD, RUNNING_UPDATE, RUNNING_UPDATE_MANY, channelDotShape, SGD_MOMENTUM_UPDATE, SGD_MOMENTUM_UPDATE_MANY, SILU, SILU_GRAD } from '../batchNormOp';
import * as BUILDS from './native/batchNorm.wasm';
import { type Call, Native, type NativeModule, sizeOf } from './native';
import { type Info, type KernelArgs, type WasmKernel, input, registerWasmKernelSet, stockKernel } from './plumbing';
import { PASS_COST, parallel, serial } from './pool';

export interface BatchNormExports extends NativeModule {
  bn_block_rows(): number;
  bn_block_sums(...args: number[]): void;
  bn_moments(m: number, c: number, eps: number, part: number, part2: number, part3: number, gamma: number, mean: number, variance: number, invStd: number, scale: number): void;
  bn_backward_coefficients(...args: number[]): void;
  bn_affine(...args: number[]): void;
  bn_scale(c: number, gamma: number, invStd: number, scale: number): void;
  relu_backward(y: number, dy: number, dx: number, i0: number, i1: number): void;
  silu_forward(x: number, y: number, i0: number, i1: number): void;
  silu_backward(x: number, dy: number, dx: number, i0: number, i1: number): void;
  sgd_update(...args: number[]): void;
  add_arrays(a: number, b: number, out: number, i0: number, i1: number): void;
  sgd_update_many(lr: number, mu: number, wd: number, nesterov: number, count: number, table: number, starts: number, i0: number, i1: number): void;
  /** Ints per parameter in sgd_update_many's table: p, v, grad, p_out, v_out, decay. */
  sgd_entry_ints(): number;
  channel_dot(hw: number, c: number, a: number, b: number, out: number, n0: number, n1: number): void;
  channel_mean(hw: number, c: number, a: number, out: number, n0: number, n1: number): void;
  channel_scale(hw: number, c: number, x: number, g: number, add: number, k: number, y: number, n0: number, n1: number): void;
  sigmoid_backward(n: number, g: number, dg: number, out: number): void;
  column_sum(rows: number, c: number, x: number, out: number): void;
  running_update(n: number, keep: number, scale: number, running: number, batch: number, out: number): void;
  running_update_many(count: number, keep: number, table: number, scales: number): void;
  bias_activation(rows: number, c: number, z: number, bias: number, act: number, pre: number, out: number): void;
}

/** The module of native/batchNorm.c (also squeezeExcite.ts' passes). */
export const native = new Native<BatchNormExports>(BUILDS);

export function checkFloat(name: string, ...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${name} (wasm) needs float32 tensors, got ${t.dtype}`);
}

/** Rows M = N·H·W and channels C of an NHWC tensor. */
function rowsAndChannels(x: Info): [number, number] {
  const c = x.shape[x.shape.length - 1]!;
  return [sizeOf(x.shape) / c, c];
}

/** The kernels' codes for an activation (native/batchNorm.c: ACT_*): fused after the BatchNorm, or (sigmoid) in bias_activation. */
const ACT_RELU = 1;
export const ACT_SILU = 2;
export const ACT_SIGMOID = 3;

/** The kernels' code for an activation fused after the BatchNorm. */
function activationCode(activation: unknown): number {
  if (activation === undefined || activation === 'none') return 0;
  const codes: Record<FusedActivation, number> = { relu: ACT_RELU, silu: ACT_SILU };
  const code = codes[activation as FusedActivation];
  if (code === undefined) throw new Error(`${BATCH_NORM_TRAINING}: unknown activation ${String(activation)} (known: relu, silu)`);
  return code;
}

/**
 * How the backward of a BatchNorm with SiLU gets the sigmoid of its pre-activation: `stored`, the forward
 * writes it as a fifth output and the backward's two passes read it; `once`, the backward's sums pass
 * computes it (an e^x an element) and stores the whole gradient for its output pass; `twice`, each of the
 * backward's passes computes it from x (two e^x an element, no memory). The bench's A/B switch.
 */
export const siluOptions: { gradient: 'stored' | 'once' | 'twice' } = { gradient: 'stored' };

/** Rows of the output passes per thread are cut at multiples of this. */
const ROW_GRAIN = 64;
/** `fine`: passes over few rows split finer, the output pass 8 rows at a time and the sums by channels (below); off: by ROW_GRAIN rows and by blocks (the bench's A/B switch). */
export const bnRowOptions = { fine: true };
/**
 * Rows per unit of the output pass: ROW_GRAIN, or 8 where that leaves fewer than 8 units (EfficientNet's
 * 1x1 and 2x2 stages: 32-128 rows of up to 1152 channels ran on one thread while the other waited; rows
 * are independent, so the values do not change). Step by step: EfficientNet-B0 @32 px 1.051x (with the
 * sums' channel split too, another run: 1.004x; docs/tfjs.md).
 */
const rowGrain = (m: number) => (bnRowOptions.fine && m < FEW_UNITS * ROW_GRAIN ? FINE_ROWS : ROW_GRAIN);
/** Fewer units than this (rows of ROW_GRAIN, blocks of the sums) and a pass is split finer; FINE_ROWS rows, CHANNEL_GRAIN channels at a time. */
const FEW_UNITS = 8;
const FINE_ROWS = 8;
const CHANNEL_GRAIN = 16;

/** How many blocks of rows the channel sums take (the block size is the kernel's: bn_block_rows). */
function blocksOf(m: number): number {
  return Math.ceil(m / native.exports.bn_block_rows());
}

/**
 * The block sums of `mode` (0: the forward's moments, 1: the backward's sums) over every block, split over
 * the kernel helpers by blocks of rows, or where the blocks are fewer than 8 (up to 1792 rows: EfficientNet's
 * last stages have 32-512) by channels, 16 at a time (`bnRowOptions.fine`); `cost`: an element's (pool.ts
 * PASS_COST). Every channel's sums are the same whichever way.
 */
function blockSums(call: Call, mode: number, m: number, c: number, cost: number, args: (b0: number, b1: number) => number[]): void {
  const blocks = blocksOf(m);
  if (bnRowOptions.fine && blocks < FEW_UNITS && c >= 2 * CHANNEL_GRAIN) parallel(native, 'bn_block_sums', c, CHANNEL_GRAIN, cost * m * c, (c0, c1) => [mode, m, c, ...args(0, blocks), c0, c1], call);
  else parallel(native, 'bn_block_sums', blocks, 1, cost * m * c, (b0, b1) => [mode, m, c, ...args(b0, b1), 0, c], call);
}

/**
 * Two passes over x (each block's sum and centred sum of squares while it is in cache; the output, with
 * input residual that tensor added to it and with attr activation a ReLU or SiLU on it in the same pass), each split by rows over the kernel helpers (pool.ts); the
 * per-channel step between them on this thread. Any split gives the same values: each block's float32
 * sums, then their join in double in block order.
 */
function forward({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const [x, gamma, beta] = [input(inputs, 'x'), input(inputs, 'gamma'), input(inputs, 'beta')];
  const residual = inputs.residual;
  checkFloat(BATCH_NORM_TRAINING, x, gamma, beta, ...(residual ? [residual] : []));
  if (residual && residual.shape.join() !== x.shape.join()) throw new Error(`${BATCH_NORM_TRAINING}: residual of shape [${residual.shape.join(', ')}] for x of shape [${x.shape.join(', ')}]`);
  const [m, c] = rowsAndChannels(x);
  const call = native.call(backend as BackendWasm);
  const [px, pg, pb] = [call.input(x), call.input(gamma), call.input(beta)];
  const pr = residual ? call.input(residual) : 0;
  const [py, pMean, pVar, pInv] = [call.output(x.shape), call.output([c]), call.output([c]), call.output([c])];
  const act = activationCode(attrs.activation);
  // SiLU: its sigmoid as a fifth output, for the backward to read instead of an e^x per element again (siluOptions).
  const pSig = act === ACT_SILU && siluOptions.gradient === 'stored' ? call.output(x.shape) : 0;
  const blocks = blocksOf(m);
  const [part, part2, part3, scale] = [call.scratch(blocks * c), call.scratch(blocks * c), call.scratch(blocks * c), call.scratch(c)];
  blockSums(call, 0, m, c, PASS_COST.plain, (b0, b1) => [px, 0, 0, 0, 0, 0, 0, 0, part, part2, part3, b0, b1]);
  serial(native, 'bn_moments', [m, c, attrs.epsilon as number, part, part2, part3, pg, pMean, pVar, pInv, scale], call);
  const cost = act === ACT_SILU ? PASS_COST.exp : PASS_COST.plain;
  parallel(native, 'bn_affine', m, rowGrain(m), cost * m * c, (m0, m1) => [c, 0, 0, 0, px, pMean, 0, scale, pb, pr, act, py, pSig, m0, m1], call);
  return call.finish();
}

/**
 * Two passes (the two channel sums, then dx), split by rows as the forward. With `beta` (an activation
 * was fused into the forward: attr activation) dy is first multiplied by the activation's gradient
 * (ReLU: masked where the forward's output was > 0; SiLU: its derivative), in the same passes, at the
 * activation's input recomputed from x with the forward's operations rather than read from y.
 */
function backward({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const [dy, x, mean, invStd, gamma] = ['dy', 'x', 'mean', 'invStd', 'gamma'].map((n) => input(inputs, n)) as [Info, Info, Info, Info, Info];
  const beta = inputs.beta; // the forward's beta, when it had a fused activation
  const act = beta ? activationCode(attrs.activation ?? 'relu') : 0;
  const sigmoid = act === ACT_SILU ? inputs.sigmoid : undefined; // the SiLU forward's fifth output, where given
  checkFloat(BATCH_NORM_TRAINING_GRAD, dy, x, mean, invStd, gamma, ...(beta ? [beta] : []), ...(sigmoid ? [sigmoid] : []));
  if (sigmoid && sigmoid.shape.join() !== x.shape.join()) throw new Error(`${BATCH_NORM_TRAINING_GRAD}: sigmoid [${sigmoid.shape.join(', ')}] for x [${x.shape.join(', ')}]`);
  const [m, c] = rowsAndChannels(x);
  const call = native.call(backend as BackendWasm);
  const [px, pdy, pMean, pInv, pg] = [call.input(x), call.input(dy), call.input(mean), call.input(invStd), call.input(gamma)];
  const pBeta = beta ? call.input(beta) : 0;
  const pSig = sigmoid ? call.input(sigmoid) : 0;
  const [pdx, pdg, pdb] = [call.output(x.shape), call.output([c]), call.output([c])];
  const blocks = blocksOf(m);
  const [part, part2, a, b, k] = [call.scratch(blocks * c), call.scratch(blocks * c), call.scratch(c), call.scratch(c), call.scratch(c)];
  const pScale = beta ? call.scratch(c) : 0;
  if (beta) serial(native, 'bn_scale', [c, pg, pInv, pScale], call);
  // SiLU's gradient: from the forward's sigmoid where given (both passes read it); otherwise (an e^x and a
  // division per element) stored by the sums pass and read by the output pass. ReLU's mask is cheaper to
  // recompute than to store and read back.
  const pg2 = act === ACT_SILU && !sigmoid && siluOptions.gradient !== 'twice' ? call.scratch(m * c) : 0;
  // Without the forward's sigmoid, the sums pass computes SiLU's gradient (an e^x per element).
  blockSums(call, 1, m, c, pg2 ? PASS_COST.exp : PASS_COST.plain, (b0, b1) => [px, pdy, pScale, pBeta, act, pg2, pSig, pMean, part, part2, 0, b0, b1]);
  serial(native, 'bn_backward_coefficients', [m, c, part, part2, pInv, pg, pdg, pdb, a, b, k], call);
  const affineArgs = pg2 ? [pg2, 0, 0] : [pdy, pScale, pBeta];
  parallel(native, 'bn_affine', m, rowGrain(m), PASS_COST.plain * m * c, (m0, m1) => [c, ...affineArgs, px, pMean, a, b, k, 0, pg2 ? 0 : act, pdx, pSig, m0, m1], call);
  return call.finish();
}

/** dx = y > 0 ? dy : 0, split by elements over the kernel helpers. */
function reluGrad({ inputs, backend }: KernelArgs): Info {
  const [dy, y] = [input(inputs, 'dy'), input(inputs, 'y')];
  checkFloat(RELU_GRAD, dy, y);
  const call = native.call(backend as BackendWasm);
  const [py, pdy] = [call.input(y), call.input(dy)];
  const pdx = call.output(dy.shape);
  parallel(native, 'relu_backward', sizeOf(dy.shape), 1024, PASS_COST.plain * sizeOf(dy.shape), (i0, i1) => [py, pdy, pdx, i0, i1], call);
  return call.finish()[0]!;
}

/** y = x * sigmoid(x), split by elements over the kernel helpers. */
function silu({ inputs, backend }: KernelArgs): Info {
  const x = input(inputs, 'x');
  checkFloat(SILU, x);
  const call = native.call(backend as BackendWasm);
  const px = call.input(x);
  const py = call.output(x.shape);
  parallel(native, 'silu_forward', sizeOf(x.shape), 1024, PASS_COST.exp * sizeOf(x.shape), (i0, i1) => [px, py, i0, i1], call);
  return call.finish()[0]!;
}

/** dx = dy * silu'(x), split by elements over the kernel helpers. */
function siluGrad({ inputs, backend }: KernelArgs): Info {
  const [dy, x] = [input(inputs, 'dy'), input(inputs, 'x')];
  checkFloat(SILU_GRAD, dy, x);
  const call = native.call(backend as BackendWasm);
  const [px, pdy] = [call.input(x), call.input(dy)];
  const pdx = call.output(dy.shape);
  parallel(native, 'silu_backward', sizeOf(dy.shape), 1024, PASS_COST.exp * sizeOf(dy.shape), (i0, i1) => [px, pdy, pdx, i0, i1], call);
  return call.finish()[0]!;
}

/** Σ over H and W of a·b per image and channel ([N, 1, 1, C]), split by images over the kernel helpers. */
function channelDot({ inputs, backend }: KernelArgs): Info {
  const [a, b] = [input(inputs, 'a'), input(inputs, 'b')];
  checkFloat(CHANNEL_DOT, a, b);
  const [n, h, w, c] = channelDotShape(a, b);
  const call = native.call(backend as BackendWasm);
  const [pa, pb] = [call.input(a), call.input(b)];
  const out = call.output([n, 1, 1, c]);
  parallel(native, 'channel_dot', n, 1, PASS_COST.plain * n * h * w * c, (n0, n1) => [h * w, c, pa, pb, out, n0, n1], call);
  return call.finish()[0]!;
}

/** The new p and v into new tensors (tfjs' tensors are immutable), read from the old ones in the same pass. */
function sgdUpdate({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const [p, v, grad] = [input(inputs, 'p'), input(inputs, 'v'), input(inputs, 'grad')];
  checkFloat(SGD_MOMENTUM_UPDATE, p, v, grad);
  const call = native.call(backend as BackendWasm);
  const [pp, pv, pgrad] = [call.input(p), call.input(v), call.input(grad)];
  const [pOut, vOut] = [call.output(p.shape), call.output(p.shape)];
  const a = attrs as Record<string, number>;
  // Split by elements over the kernel helpers where the parameter is large enough (a stream: five floats moved per weight, about two passes).
  parallel(native, 'sgd_update', sizeOf(p.shape), 1024, 2 * PASS_COST.plain * sizeOf(p.shape), (i0, i1) => [a.lr!, a.momentum!, a.weightDecay!, a.decay!, a.nesterov!, pp, pv, pgrad, pOut, vOut, i0, i1], call);
  return call.finish();
}

/**
 * Add of two float32 tensors of one shape split over the kernel helpers (when large enough: pool.ts);
 * any other Add (broadcasting, int32) by the stock kernel. Stock Add is XNNPACK's on its one thread: the
 * gradients that meet at a residual block's input are summed by full-size Adds (the classroom ResNeXt:
 * 11 a step, ~4-8 ms on one thread). Small ones are native too: a stock kernel waits for the queued
 * native calls (pool.ts settleKernels), and EfficientNet's ~40 small residual Adds a step held the
 * caller back that often. Float32 sums: bit for bit the stock kernel's.
 */
function add(args: KernelArgs): Info {
  const [a, b] = [input(args.inputs, 'a'), input(args.inputs, 'b')];
  const size = sizeOf(a.shape);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join()) {
    return stockKernel('Add')(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const call = native.call(args.backend as BackendWasm);
  const [pa, pb] = [call.input(a), call.input(b)];
  const out = call.output(a.shape);
  parallel(native, 'add_arrays', size, 1024, PASS_COST.plain * size, (i0, i1) => [pa, pb, out, i0, i1], call);
  return call.finish()[0]!;
}

/**
 * `inPlace`: SGD_MOMENTUM_UPDATE_MANY writes a parameter's new p and v over the old ones, and
 * RUNNING_UPDATE_MANY a running estimate over the old one, where nothing but their variables holds them (backend refCount 1; a snapshot's clone shares the data, and then gets new
 * tensors as before). The outputs share the inputs' data (as a reshape's), so the variables' assign keeps
 * them. Each element is read before it is written at the same index, so the values are the same; what
 * changes is the memory: no new p and v a step (EfficientNet-B0: 426 allocations and frees, and ~32 MB
 * written to memory not in cache). Off: new tensors always (the bench's A/B switch).
 */
export const updateOptions = { inPlace: true };

/**
 * Every parameter's update in one call (SGD_MOMENTUM_UPDATE_MANY): the parameters laid end to end are one
 * range split over the kernel helpers, instead of a call (and a tfjs op) per parameter, most of them too
 * small to split (EfficientNet-B0 has 213).
 */
function sgdUpdateMany({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const a = attrs as { lr: number; momentum: number; weightDecay: number; nesterov: number; decay: number[] };
  const count = a.decay.length;
  const triples = Array.from({ length: count }, (_, k) => [input(inputs, `p${k}`), input(inputs, `v${k}`), input(inputs, `grad${k}`)] as const);
  if (Object.keys(inputs).length !== 3 * count) throw new Error(`${SGD_MOMENTUM_UPDATE_MANY}: ${Object.keys(inputs).length} inputs for ${count} parameters (decay has one flag a parameter)`);
  for (const [k, [p, v, grad]] of triples.entries()) {
    checkFloat(SGD_MOMENTUM_UPDATE_MANY, p, v, grad);
    if (p.shape.join() !== v.shape.join() || p.shape.join() !== grad.shape.join()) throw new Error(`${SGD_MOMENTUM_UPDATE_MANY}: parameter ${k}: p [${p.shape.join(', ')}], v [${v.shape.join(', ')}], grad [${grad.shape.join(', ')}] differ in shape`);
  }
  const wasm = backend as BackendWasm;
  const call = native.call(wasm);
  const seen = new Set<object>();
  const entries = triples.map(([p, v, grad], k) => {
    // In place where only the variables hold p and v (a snapshot's clone shares their data: then new tensors).
    const alone = updateOptions.inPlace && wasm.refCount(p.dataId) === 1 && wasm.refCount(v.dataId) === 1 && !seen.has(p.dataId) && !seen.has(v.dataId) && grad.dataId !== p.dataId && grad.dataId !== v.dataId;
    seen.add(p.dataId).add(v.dataId);
    if (alone) {
      const [pp, pv] = [call.update(p), call.update(v)];
      return [pp, pv, call.input(grad), pp, pv, a.decay[k] ? 1 : 0];
    }
    const [pp, pv, pg] = [call.input(p), call.input(v), call.input(grad)];
    return [pp, pv, pg, call.output(p.shape), call.output(p.shape), a.decay[k] ? 1 : 0];
  });
  const entry = native.exports.sgd_entry_ints();
  if (entries[0] && entries[0].length !== entry) throw new Error(`${SGD_MOMENTUM_UPDATE_MANY}: the kernel's table takes ${entry} ints a parameter, not ${entries[0].length}`);
  const [table, starts] = [call.scratch(entry * count), call.scratch(count + 1)];
  const ints = (at: number, n: number) => {
    const f = call.view(at, n); // taken after the last allocation
    return new Int32Array(f.buffer, f.byteOffset, n);
  };
  ints(table, entry * count).set(entries.flat());
  const ends = ints(starts, count + 1);
  let total = 0;
  for (const [k, [p]] of triples.entries()) {
    ends[k] = total;
    total += sizeOf(p.shape);
  }
  ends[count] = total;
  parallel(native, 'sgd_update_many', total, 1024, 2 * PASS_COST.plain * total, (i0, i1) => [a.lr, a.momentum, a.weightDecay, a.nesterov, count, table, starts, i0, i1], call);
  return call.finish();
}

/**
 * running·keep + batch·scale, a BatchNorm running estimate's update, in one call instead of tfjs' two
 * multiplies, add and scalar uploads (EfficientNet-B0 has 49 BatchNorms: ~300 calls a step); float32
 * products and sum, so bit for bit tfjs' three ops.
 */
function runningUpdate({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const [running, batch] = [input(inputs, 'running'), input(inputs, 'batch')];
  checkFloat(RUNNING_UPDATE, running, batch);
  if (running.shape.join() !== batch.shape.join()) throw new Error(`${RUNNING_UPDATE}: running [${running.shape.join(', ')}] and batch [${batch.shape.join(', ')}] differ in shape`);
  const a = attrs as Record<string, number>;
  const call = native.call(backend as BackendWasm);
  const [pr, pb] = [call.input(running), call.input(batch)];
  const po = call.output(running.shape);
  serial(native, 'running_update', [sizeOf(running.shape), a.keep!, a.scale!, pr, pb, po], call);
  return call.finish()[0]!;
}

/**
 * Every running estimate's update in one call (RUNNING_UPDATE_MANY), each written over its running tensor
 * where only its variable holds it (updateOptions.inPlace, as the SGD update), instead of a tfjs op and a
 * queued call per estimate; the same float32 operations as runningUpdate.
 */
function runningUpdateMany({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const a = attrs as { keep: number; scale: number[] };
  const count = a.scale.length;
  if (Object.keys(inputs).length !== 2 * count) throw new Error(`${RUNNING_UPDATE_MANY}: ${Object.keys(inputs).length} inputs for ${count} estimates (scale has one number an estimate)`);
  const pairs = Array.from({ length: count }, (_, k) => [input(inputs, `running${k}`), input(inputs, `batch${k}`)] as const);
  for (const [k, [running, batch]] of pairs.entries()) {
    checkFloat(RUNNING_UPDATE_MANY, running, batch);
    if (running.shape.join() !== batch.shape.join()) throw new Error(`${RUNNING_UPDATE_MANY}: estimate ${k}: running [${running.shape.join(', ')}] and batch [${batch.shape.join(', ')}] differ in shape`);
  }
  const wasm = backend as BackendWasm;
  const call = native.call(wasm);
  const seen = new Set<object>();
  const entries = pairs.map(([running, batch]) => {
    const alone = updateOptions.inPlace && wasm.refCount(running.dataId) === 1 && !seen.has(running.dataId) && batch.dataId !== running.dataId;
    seen.add(running.dataId);
    if (alone) {
      const pr = call.update(running);
      return [pr, call.input(batch), pr, sizeOf(running.shape)];
    }
    const [pr, pb] = [call.input(running), call.input(batch)];
    return [pr, pb, call.output(running.shape), sizeOf(running.shape)];
  });
  const [table, scales] = [call.scratch(4 * count), call.scratch(count)];
  const f = call.view(table, 4 * count); // views taken after the last allocation
  new Int32Array(f.buffer, f.byteOffset, 4 * count).set(entries.flat());
  call.view(scales, count).set(a.scale);
  serial(native, 'running_update_many', [count, a.keep, table, scales], call);
  return call.finish();
}

const KERNELS: readonly WasmKernel[] = [
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: forward, replacesStock: false },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: backward, replacesStock: false },
  { kernelName: RELU_GRAD, kernelFunc: reluGrad, replacesStock: false },
  { kernelName: SILU, kernelFunc: silu, replacesStock: false },
  { kernelName: SILU_GRAD, kernelFunc: siluGrad, replacesStock: false },
  { kernelName: SGD_MOMENTUM_UPDATE, kernelFunc: sgdUpdate, replacesStock: false },
  { kernelName: SGD_MOMENTUM_UPDATE_MANY, kernelFunc: sgdUpdateMany, replacesStock: false },
  { kernelName: CHANNEL_DOT, kernelFunc: channelDot, replacesStock: false },
  { kernelName: RUNNING_UPDATE, kernelFunc: runningUpdate, replacesStock: false },
  { kernelName: RUNNING_UPDATE_MANY, kernelFunc: runningUpdateMany, replacesStock: false },
  { kernelName: 'Add', kernelFunc: add, replacesStock: true },
];

export function registerWasmBatchNormKernels(): void {
  registerWasmKernelSet(KERNELS);
}
