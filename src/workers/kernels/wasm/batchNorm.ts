/**
 * Training-mode BatchNorm (forward and closed-form backward) and the SGD-with-momentum update on
 * tfjs' WASM backend by native SIMD kernels (native/batchNorm.c). tfjs' formulation of either is a
 * chain of full-size elementwise ops and pooled reductions, each a pass over memory and a new tensor
 * (docs/tfjs.md#native-kernels-where-tfjs-formulations-are-slow). Outputs are written in place over
 * an input's copy in the module's memory (native.ts: the module has its own memory).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD, SGD_MOMENTUM_UPDATE } from './batchNormOp';
import { WASM_BASE64, WASM_BASE64_UNSHARED } from './native/batchNorm.wasm';
import { Native, type NativeModule, sizeOf } from './native';
import { type Info, type KernelArgs, type WasmKernel, input, registerWasmKernelSet } from './plumbing';

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
  const wasm = backend as BackendWasm;
  const [x, gamma, beta] = [input(inputs, 'x'), input(inputs, 'gamma'), input(inputs, 'beta')];
  checkFloat(BATCH_NORM_TRAINING, x, gamma, beta);
  const [m, c] = rowsAndChannels(x);
  const [px, pg, pb, pMean, pVar, pInv, pScratch] = native.layout(m * c, c, c, c, c, c, 5 * c);
  native.copyIn(wasm, x, px!);
  native.copyIn(wasm, gamma, pg!);
  native.copyIn(wasm, beta, pb!);
  // All channels on this thread: split over channels on a helper (pool.ts) it ran 0.74x
  // (bench/kernelPool.bench.ts: memory-bound passes, each thread reading every row).
  native.exports.bn_forward(m, c, attrs.epsilon as number, px!, pg!, pb!, px!, pMean!, pVar!, pInv!, pScratch!, 0, c);
  return [native.copyOut(wasm, [...x.shape], px!), native.copyOut(wasm, [c], pMean!), native.copyOut(wasm, [c], pVar!), native.copyOut(wasm, [c], pInv!)];
}

function backward({ inputs, backend }: KernelArgs): Info[] {
  const wasm = backend as BackendWasm;
  const [dy, x, mean, invStd, gamma] = ['dy', 'x', 'mean', 'invStd', 'gamma'].map((n) => input(inputs, n)) as [Info, Info, Info, Info, Info];
  checkFloat(BATCH_NORM_TRAINING_GRAD, dy, x, mean, invStd, gamma);
  const [m, c] = rowsAndChannels(x);
  const [px, pdy, pMean, pInv, pg, pdg, pdb, pScratch] = native.layout(m * c, m * c, c, c, c, c, c, 7 * c);
  native.copyIn(wasm, x, px!);
  native.copyIn(wasm, dy, pdy!);
  native.copyIn(wasm, mean, pMean!);
  native.copyIn(wasm, invStd, pInv!);
  native.copyIn(wasm, gamma, pg!);
  native.exports.bn_backward(m, c, px!, pdy!, pMean!, pInv!, pg!, pdy!, pdg!, pdb!, pScratch!, 0, c); // one thread, as above (0.92x split)
  return [native.copyOut(wasm, [...x.shape], pdy!), native.copyOut(wasm, [c], pdg!), native.copyOut(wasm, [c], pdb!)];
}

function sgdUpdate({ inputs, backend, attrs = {} }: KernelArgs): Info[] {
  const wasm = backend as BackendWasm;
  const [p, v, grad] = [input(inputs, 'p'), input(inputs, 'v'), input(inputs, 'grad')];
  checkFloat(SGD_MOMENTUM_UPDATE, p, v, grad);
  const n = sizeOf(p.shape);
  const [pp, pv, pgrad] = native.layout(n, n, n);
  native.copyIn(wasm, p, pp!);
  native.copyIn(wasm, v, pv!);
  native.copyIn(wasm, grad, pgrad!);
  const a = attrs as Record<string, number>;
  native.exports.sgd_update(n, a.lr!, a.momentum!, a.weightDecay!, a.decay!, a.nesterov!, pp!, pv!, pgrad!);
  return [native.copyOut(wasm, [...p.shape], pp!), native.copyOut(wasm, [...p.shape], pv!)];
}

const KERNELS: readonly WasmKernel[] = [
  { kernelName: BATCH_NORM_TRAINING, kernelFunc: forward, replacesStock: false },
  { kernelName: BATCH_NORM_TRAINING_GRAD, kernelFunc: backward, replacesStock: false },
  { kernelName: SGD_MOMENTUM_UPDATE, kernelFunc: sgdUpdate, replacesStock: false },
];

export function registerWasmBatchNormKernels(): void {
  registerWasmKernelSet(KERNELS);
}
