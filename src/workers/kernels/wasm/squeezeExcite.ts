/**
 * Squeeze-and-excitation (EfficientNet's MBConv gate) as one kernel each way on tfjs' WASM backend:
 * y = x · g, g = sigmoid(silu(mean_hw(x)·w1 + b1)·w2 + b2), broadcast over H and W.
 *
 * Op by op it is ~12 tfjs calls forward and ~20 backward (pool, two 1x1 convolutions as products with
 * reshapes, bias adds, SiLU, sigmoid, the broadcast multiply; backward their gradients, the pool's
 * broadcast and division, and the addition of x's two gradients), five of them passes over the full
 * [N, H, W, C] tensor. Here: the full-size passes are two each way (the channel sums, then the scaling;
 * backward the gate's gradient Σ dy·x, then dx = dy·g + dpool/HW in one pass), split by images over the
 * kernel helpers; the small [N, C] / [N, R] layers run on the native products (matMul.ts) and the
 * BatchNorm module's small passes (activations, a sigmoid's gradient, column sums).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GRAD, squeezeExciteShape } from '../batchNormOp';
import { ACT_SIGMOID, ACT_SILU, checkFloat, native } from './batchNorm';
import { matMulNative, matMulTransposeA } from './matMul';
import type { Call } from './native';
import { type Info, type KernelArgs, type WasmKernel, input, registerWasmKernelSet, release } from './plumbing';
import { PASS_COST, parallel, serial } from './pool';

/** The mean over H and W per image and channel ([N, C]) of a, or with b the sum of a·b. Split by images. */
function channelSums(wasm: BackendWasm, a: Info, b: Info | null, n: number, hw: number, c: number): Info {
  const call = native.call(wasm);
  const pa = call.input(a);
  const pb = b ? call.input(b) : 0;
  const out = call.output([n, c]);
  if (b) parallel(native, 'channel_dot', n, 1, PASS_COST.plain * n * hw * c, (n0, n1) => [hw, c, pa, pb, out, n0, n1], call);
  else parallel(native, 'channel_mean', n, 1, PASS_COST.plain * n * hw * c, (n0, n1) => [hw, c, pa, out, n0, n1], call);
  return call.finish()[0]!;
}

/** x · g[n, c] (+ add[n, c] · k) over H and W, a new tensor of x's shape. Split by images. */
function channelScale(wasm: BackendWasm, x: Info, g: Info, add: Info | null, k: number, n: number, hw: number, c: number): Info {
  const call = native.call(wasm);
  const [px, pg] = [call.input(x), call.input(g)];
  const pa = add ? call.input(add) : 0;
  const py = call.output(x.shape);
  parallel(native, 'channel_scale', n, 1, PASS_COST.plain * n * hw * c, (n0, n1) => [hw, c, px, pg, pa, k, py, n0, n1], call);
  return call.finish()[0]!;
}

/** A one-call native step on small tensors: `run` gets the inputs' offsets and the output's; a new tensor of `shape`. */
function small(wasm: BackendWasm, ins: Info[], shape: number[], run: (pointers: number[], out: number, call: Call) => void): Info {
  const call = native.call(wasm);
  const pointers = ins.map((t) => call.input(t));
  const out = call.output(shape);
  run(pointers, out, call);
  return call.finish()[0]!;
}

/** act(z + bias) for z [rows, c]; with `keepPre` also z + bias itself (first). */
function biasActivation(wasm: BackendWasm, z: Info, bias: Info, act: number, keepPre: boolean): Info[] {
  const [rows, c] = z.shape as [number, number];
  const call = native.call(wasm);
  const [pz, pb] = [call.input(z), call.input(bias)];
  const pre = keepPre ? call.output([rows, c]) : 0;
  const out = call.output([rows, c]);
  serial(native, 'bias_activation', [rows, c, pz, pb, act, pre, out], call);
  return call.finish();
}

/** Σ over the rows of t [rows, c]: a new [c] tensor (a bias's gradient), summed in double. */
function columnSums(wasm: BackendWasm, t: Info): Info {
  const [rows, c] = t.shape as [number, number];
  return small(wasm, [t], [c], ([pt], out, call) => serial(native, 'column_sum', [rows, c, pt!, out], call));
}

function forward({ inputs, backend }: KernelArgs): Info[] {
  const wasm = backend as BackendWasm;
  const [x, w1, b1, w2, b2] = ['x', 'w1', 'b1', 'w2', 'b2'].map((k) => input(inputs, k)) as [Info, Info, Info, Info, Info];
  checkFloat(SQUEEZE_EXCITE, x, w1, b1, w2, b2);
  const [n, h, w, c, r] = squeezeExciteShape(SQUEEZE_EXCITE, { x, w1, b1, w2, b2 });
  const p = channelSums(wasm, x, null, n, h * w, c);
  const s1 = matMulNative(wasm, p, w1, n, c, r, false);
  const [z1, a1] = biasActivation(wasm, s1, b1, ACT_SILU, true) as [Info, Info];
  const s2 = matMulNative(wasm, a1, w2, n, r, c, false);
  const [g] = biasActivation(wasm, s2, b2, ACT_SIGMOID, false) as [Info];
  const y = channelScale(wasm, x, g, null, 0, n, h * w, c);
  release(wasm, s1, s2);
  return [y, p, z1, a1, g];
}

/**
 * dg = Σ_hw dy·x; dz2 = dg·(g·(1 - g)) (tfjs' sigmoid gradient's float32 steps); dw2 = a1ᵀ·dz2, db2 = Σ_n dz2;
 * dz1 = (dz2·w2ᵀ)·silu'(z1); dw1 = pᵀ·dz1, db1 = Σ_n dz1; dx = dy·g + (dz1·w1ᵀ)·(1/HW).
 */
function backward({ inputs, backend }: KernelArgs): Info[] {
  const wasm = backend as BackendWasm;
  const [dy, x, w1, w2, p, z1, a1, g] = ['dy', 'x', 'w1', 'w2', 'p', 'z1', 'a1', 'g'].map((k) => input(inputs, k)) as [Info, Info, Info, Info, Info, Info, Info, Info];
  checkFloat(SQUEEZE_EXCITE_GRAD, dy, x, w1, w2, p, z1, a1, g);
  const [n, h, w, c, r] = squeezeExciteShape(SQUEEZE_EXCITE_GRAD, { dy, x, w1, w2, p, z1, a1, g });
  const hw = h * w;
  const dg = channelSums(wasm, dy, x, n, hw, c);
  const dz2 = small(wasm, [g, dg], [n, c], ([pg, pdg], out, call) => serial(native, 'sigmoid_backward', [n * c, pg!, pdg!, out], call));
  const dw2 = matMulTransposeA(wasm, a1, dz2, n, r, c);
  const db2 = columnSums(wasm, dz2);
  const da1 = matMulNative(wasm, dz2, w2, n, c, r, true);
  const dz1 = small(wasm, [z1, da1], [n, r], ([pz1, pda1], out, call) => serial(native, 'silu_backward', [pz1!, pda1!, out, 0, n * r], call));
  const dw1 = matMulTransposeA(wasm, p, dz1, n, c, r);
  const db1 = columnSums(wasm, dz1);
  const dp = matMulNative(wasm, dz1, w1, n, r, c, true);
  const dx = channelScale(wasm, dy, g, dp, 1 / hw, n, hw, c);
  release(wasm, dg, dz2, da1, dz1, dp);
  return [dx, dw1, db1, dw2, db2];
}

const KERNELS: readonly WasmKernel[] = [
  { kernelName: SQUEEZE_EXCITE, kernelFunc: forward, replacesStock: false },
  { kernelName: SQUEEZE_EXCITE_GRAD, kernelFunc: backward, replacesStock: false },
];

export function registerWasmSqueezeExciteKernels(): void {
  registerWasmKernelSet(KERNELS);
}
