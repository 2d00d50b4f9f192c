/**
 * Training-mode BatchNorm (forward and closed-form backward) and the SGD-with-momentum update on
 * tfjs' WASM backend by native SIMD kernels (native/batchNorm.c). tfjs' formulation of either is a
 * chain of full-size elementwise ops and pooled reductions, each a pass over memory and a new tensor
 * (docs/tfjs.md#native-kernels-where-tfjs-formulations-are-slow). Tensors are read and written where
 * tfjs keeps them (native.ts' Call).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, SGD_MOMENTUM_UPDATE } from './batchNormOp';
import { WASM_BASE64, WASM_BASE64_UNSHARED } from './native/batchNorm.wasm';
import { Native, type NativeModule, sizeOf } from './native';
import { type Info, type KernelArgs, type WasmKernel, heap, input, registerWasmKernelSet } from './plumbing';

interface BatchNormExports extends NativeModule {
  bn_forward(...args: number[]): void;
  bn_backward(...args: number[]): void;
  sgd_update(...args: number[]): void;
}

const native = new Native<BatchNormExports>(WASM_BASE64, WASM_BASE64_UNSHARED);

function checkFloat(name: string, ...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${name} (wasm) needs float32 tensors, got ${t.dtype}`);
}

/** Rows M = N·H·W and channels C of an NHWC tensor. */
function rowsAndChannels(x: Info): [number, number] {
  const c = x.shape[x.shape.length - 1]!;
  return [sizeOf(x.shape) / c, c];
}

function forward({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const [x, gamma, beta] = [input(inputs, 'x'), input(inputs, 'gamma'), input(inputs, 'beta')];
  checkFloat(BATCH_NORM_TRAINING, x, gamma, beta);
  const [m, c] = rowsAndChannels(x);
  const call = native.call(backend as BackendWasm);
  const [px, pg, pb] = [call.input(x), call.input(gamma), call.input(beta)];
  const [py, pMean, pVar, pInv] = [call.output(x.shape), call.output([c]), call.output([c]), call.output([c])];
  // All channels on this thread: split over channels on a helper (pool.ts) it ran 0.74x
  // (bench/kernelPool.bench.ts: memory-bound passes, each thread reading every row).
  native.exports.bn_forward(m, c, attrs.epsilon as number, px, pg, pb, py, pMean, pVar, pInv, call.scratch(5 * c), 0, c);
  return call.finish();
}

function backward({ inputs, backend }: KernelArgs): Info[] {
  const [dy, x, mean, invStd, gamma] = ['dy', 'x', 'mean', 'invStd', 'gamma'].map((n) => input(inputs, n)) as [Info, Info, Info, Info, Info];
  checkFloat(BATCH_NORM_TRAINING_GRAD, dy, x, mean, invStd, gamma);
  const [m, c] = rowsAndChannels(x);
  const call = native.call(backend as BackendWasm);
  const [px, pdy, pMean, pInv, pg] = [call.input(x), call.input(dy), call.input(mean), call.input(invStd), call.input(gamma)];
  const [pdx, pdg, pdb] = [call.output(x.shape), call.output([c]), call.output([c])];
  native.exports.bn_backward(m, c, px, pdy, pMean, pInv, pg, pdx, pdg, pdb, call.scratch(7 * c), 0, c); // one thread, as above (0.92x split)
  return call.finish();
}

/** The update writes p and v in place: into new tensors holding their copies (tfjs' tensors are immutable). */
function sgdUpdate({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const wasm = backend as BackendWasm;
  const [p, v, grad] = [input(inputs, 'p'), input(inputs, 'v'), input(inputs, 'grad')];
  checkFloat(SGD_MOMENTUM_UPDATE, p, v, grad);
  const n = sizeOf(p.shape);
  const call = native.call(wasm);
  const pgrad = call.input(grad);
  const [pp, pv] = [call.output(p.shape), call.output(p.shape)];
  call.view(pp, n).set(heap(wasm, p));
  call.view(pv, n).set(heap(wasm, v));
  const a = attrs as Record<string, number>;
  native.exports.sgd_update(n, a.lr!, a.momentum!, a.weightDecay!, a.decay!, a.nesterov!, pp, pv, pgrad);
  return call.finish();
}

const KERNELS: readonly WasmKernel[] = [
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: forward, replacesStock: false },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: backward, replacesStock: false },
  { kernelName: SGD_MOMENTUM_UPDATE, kernelFunc: sgdUpdate, replacesStock: false },
];

export function registerWasmBatchNormKernels(): void {
  registerWasmKernelSet(KERNELS);
}
