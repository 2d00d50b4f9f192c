/**
 * C = Aᵀ·B on tfjs' WASM backend by a native SIMD kernel (native/matMul.c): the weight gradient of a
 * 1x1 convolution or dense layer, Xᵀ·dY over the pixels. Stock tfjs-wasm (and the transpose +
 * XNNPACK path in gradients.ts) copies the large A transposed and has XNNPACK repack the large B as
 * "weights" on every call: 2-6 GMAC/s where the forward matMul reaches 8-13 (Node, one thread).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Call, Native, type NativeModule } from './native';
import { WASM_BASE64, WASM_BASE64_UNSHARED } from './native/matMul.wasm';
import type { Info } from './plumbing';
import { parallel } from './pool';

interface MatMulExports extends NativeModule {
  matmul_tn(m: number, k: number, n: number, a: number, b: number, c: number, k0: number, k1: number): void;
}

const native = new Native<MatMulExports>(WASM_BASE64, WASM_BASE64_UNSHARED);

/** Aᵀ·B for A [m, k] and B [m, n] (float32 tensors on the wasm heap): a new [k, n] tensor. */
export function matMulTransposeA(backend: BackendWasm, a: Info, b: Info, m: number, k: number, n: number): Info {
  const call = native.call(backend);
  return product(call, call.input(a), b, m, k, n);
}

/**
 * Aᵀ·B where A [m, k] is written by `fillA` into scratch the kernel reads (an im2col matrix built
 * there is never a tensor) and B [m, n] is a tfjs tensor: a new [k, n] tensor.
 */
export function matMulTransposeAFilled(backend: BackendWasm, fillA: (a: Float32Array) => void, b: Info, m: number, k: number, n: number): Info {
  const call = native.call(backend);
  const pa = call.scratch(m * k);
  return product(call, pa, b, m, k, n, () => fillA(call.view(pa, m * k)));
}

function product(call: Call, pa: number, b: Info, m: number, k: number, n: number, beforeRun?: () => void): Info {
  const pb = call.input(b);
  const pc = call.output([k, n]);
  beforeRun?.(); // after the last allocation (growing the memory detaches views)
  // Rows of C split over threads, 4 at a time (the kernel's register tile).
  parallel(native, 'matmul_tn', k, 4, m * k * n, (k0, k1) => [m, k, n, pa, pb, pc, k0, k1]);
  return call.finish()[0]!;
}
