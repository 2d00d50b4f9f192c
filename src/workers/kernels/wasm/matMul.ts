/**
 * Matrix products on tfjs' WASM backend by native SIMD kernels (native/matMul.c), rows split over the
 * kernel helpers:
 * - Aᵀ·B, the weight gradient of a 1x1 convolution or dense layer (Xᵀ·dY over the pixels). Stock
 *   tfjs-wasm copies the large A transposed and has XNNPACK repack the large B as "weights" on every
 *   call: 2-6 GMAC/s where the forward matMul reaches 8-13 (Node, one thread).
 * - A·B and A·Bᵀ (a 1x1 convolution's or dense layer's forward and input gradient, B the weight):
 *   XNNPACK packs B on every call, and A·Bᵀ needed B transposed by a generic copy first; on the
 *   narrow matrices of small feature maps this ran 3-12 GMAC/s against 12-16 here.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type Call, Native, type NativeModule } from './native';
import * as BUILDS from './native/matMul.wasm';
import type { Info } from './plumbing';
import { PASS_COST, parallel } from './pool';

interface MatMulExports extends NativeModule {
  matmul_tn(m: number, k: number, n: number, a: number, b: number, c: number, k0: number, k1: number): void;
  matmul_tn_chunks(m: number, k: number, n: number, a: number, b: number, part: number, chunk: number, j0: number, j1: number): void;
  matmul_sum_parts(count: number, size: number, part: number, out: number, i0: number, i1: number): void;
  matmul_nn(m: number, k: number, n: number, a: number, b: number, c: number, m0: number, m1: number): void;
  matmul_nn_cols(m: number, k: number, n: number, a: number, b: number, c: number, n0: number, n1: number): void;
  transpose(r: number, q: number, s: number, t: number, r0: number, r1: number): void;
  im2col(h: number, w: number, c: number, k: number, s: number, p: number, oh: number, ow: number, x: number, out: number, n0: number, n1: number): void;
}

const native = new Native<MatMulExports>(BUILDS);

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

/**
 * `swapFewRows`: A·Bᵀ with few rows of A (m >= 8, n >= 4) and m·(k + n) < k·n computed as (B·Aᵀ)ᵀ: the
 * small A and the result transposed instead of the large B (EfficientNet's input gradients on 1x1 maps:
 * dy [32, 1152]·W [192, 1152]ᵀ moves 43 K floats through transposes instead of 221 K), and the product split
 * by B's many rows, each thread streaming its own rows of B once, not all of B for each 4 rows of A. Every
 * element is the same sum of the same products in the same order (a·b = b·a, also fused), so the values
 * are bit for bit those of the other way (matMul.test.ts). Off: always B transposed (the bench's A/B switch).
 */
export const matMulSwapOptions = { swapFewRows: true };

/** Whether A·Bᵀ for A [m, k], B [n, k] runs as (B·Aᵀ)ᵀ (matMulSwapOptions). */
export function swapsFewRows(m: number, k: number, n: number): boolean {
  return matMulSwapOptions.swapFewRows && m >= 8 && n >= 4 && m * (k + n) < k * n;
}

/** A·B for A [m, k] and B [k, n] (or B [n, k] with `transposeB`: A·Bᵀ), float32 tensors on the wasm heap: a new [m, n] tensor. */
export function matMulNative(backend: BackendWasm, a: Info, b: Info, m: number, k: number, n: number, transposeB: boolean): Info {
  const call = native.call(backend);
  const pa = call.input(a);
  let pb = call.input(b);
  if (transposeB && swapsFewRows(m, k, n)) {
    // Aᵀ [k, m], then Cᵀ = B·Aᵀ [n, m] split by B's rows (the kernel's 4-row tile), then C = (Cᵀ)ᵀ.
    const [pat, pct] = [call.scratch(k * m), call.scratch(n * m)];
    const pc = call.output([m, n]);
    parallel(native, 'transpose', m, 16, PASS_COST.plain * m * k, (r0, r1) => [m, k, pa, pat, r0, r1], call);
    parallel(native, 'matmul_nn', n, 4, m * k * n, (m0, m1) => [n, k, m, pb, pat, pct, m0, m1], call);
    parallel(native, 'transpose', n, 16, PASS_COST.plain * m * n, (r0, r1) => [n, m, pct, pc, r0, r1], call);
    return call.finish()[0]!;
  }
  if (transposeB) {
    // Bᵀ [k, n] into scratch: B is the (small) weight, its transpose O(k·n) against the product's O(m·k·n).
    const pt = call.scratch(k * n);
    // Split by rows of B, 16 at a time (a cache line of Bᵀ's rows each): on two threads EfficientNet's
    // A·Bᵀ [32,192]·[1152,192]ᵀ ran 1.16x with the transpose on one (docs/tfjs.md#aᵀb-over-chunks-of-rows).
    parallel(native, 'transpose', n, 16, PASS_COST.plain * k * n, (r0, r1) => [n, k, pb, pt, r0, r1], call);
    pb = pt;
  }
  const pc = call.output([m, n]);
  if (splitsColumns(m, n)) {
    // Columns of C split over threads, 8 at a time (the kernel's register tile); the last range takes the leftover columns.
    const units = Math.floor(n / 8);
    parallel(native, 'matmul_nn_cols', units, 1, m * k * n, (u0, u1) => [m, k, n, pa, pb, pc, 8 * u0, u1 === units ? n : 8 * u1], call);
  } else {
    // Rows of C split over threads, 4 at a time (the kernel's register tile).
    parallel(native, 'matmul_nn', m, 4, m * k * n, (m0, m1) => [m, k, n, pa, pb, pc, m0, m1], call);
  }
  return call.finish()[0]!;
}

/**
 * `columns`: A·B with fewer rows of A than columns of B (m < n, n >= 16) split by columns of C, not rows:
 * each thread streams its own columns of B once (and all of the small A), where a split by rows has each
 * chunk of rows stream all of B (EfficientNet's forward 1x1 products on 1x1 maps: [32, 192]·[192, 1152],
 * eight chunks of 4 rows each reading the 0.9 MB weight; two threads ran those 1.24x one). Every element is
 * the same sum in the same order whichever split, so the values are bit for bit the same (matMul.test.ts).
 * Off: always by rows (the bench's A/B switch).
 */
export const matMulSplitOptions = { columns: true };

/** Whether A·B for A [m, k], B [k, n] is split by columns of C (matMulSplitOptions). */
export function splitsColumns(m: number, n: number): boolean {
  return matMulSplitOptions.columns && m < n && n >= 16;
}

/**
 * Aᵀ·B over many rows (a weight gradient over N·H·W pixels) is summed over chunks of rows: each chunk's
 * [k, n] product in scratch, the chunks split over the kernel helpers, then joined in chunk order. Split
 * by rows of C instead, every thread streams all of B (and A's rows): on two threads the classroom
 * ResNeXt's 1x1 filter gradients ran at 24 GMAC/s against 35 for its forward products. A chunk is at
 * least `minRows` rows (a multiple of 32, the kernel's block) and there are at most `maxChunks`, so the
 * values depend on the shapes, never on the threads; 0 minRows: always split by rows of C.
 */
export const matMulChunkOptions = { minRows: 1024, maxChunks: 8 };

/** Rows a chunk of Aᵀ·B takes for m rows (0: one chunk, split by rows of C). */
export function transposedProductChunk(m: number): number {
  const { minRows, maxChunks } = matMulChunkOptions;
  if (minRows <= 0) return 0;
  const chunk = Math.ceil(Math.max(minRows, Math.ceil(m / maxChunks)) / 32) * 32;
  return m > chunk ? chunk : 0;
}

function product(call: Call, pa: number, b: Info, m: number, k: number, n: number, beforeRun?: () => void): Info {
  const pb = call.input(b);
  const pc = call.output([k, n]);
  const chunk = transposedProductChunk(m);
  const chunks = chunk > 0 ? Math.ceil(m / chunk) : 0;
  const part = chunks > 0 ? call.scratch(chunks * k * n) : 0;
  beforeRun?.(); // after the last allocation (growing the memory detaches views)
  if (chunks > 0) {
    parallel(native, 'matmul_tn_chunks', chunks, 1, m * k * n, (j0, j1) => [m, k, n, pa, pb, part, chunk, j0, j1], call);
    parallel(native, 'matmul_sum_parts', k * n, 64, PASS_COST.plain * chunks * k * n, (i0, i1) => [chunks, k * n, part, pc, i0, i1], call);
    return call.finish()[0]!;
  }
  // Rows of C split over threads, 4 at a time (the kernel's register tile).
  parallel(native, 'matmul_tn', k, 4, m * k * n, (k0, k1) => [m, k, n, pa, pb, pc, k0, k1], call);
  return call.finish()[0]!;
}

/** A convolution's geometry as convByIm2col takes it: x [n, h, w, c], a k x k filter [k, k, c, co], stride s, p zero pixels on every side. */
export interface Im2colConv {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  s: number;
  p: number;
  oh: number;
  ow: number;
  co: number;
}

/**
 * A dense convolution as im2col and the native product: P [n·oh·ow, k·k·c] built in scratch (split by
 * images), then P·W with the filter [k, k, c, co] as the [k·k·c, co] B it already is (split by rows). For
 * few input channels (EfficientNet's stem: 3), where the direct kernel's one-pixel loop ran at ~3-5
 * GMAC/s: each output element is one float32 sum over the window in (ky, kx, c) order.
 */
export function convByIm2col(backend: BackendWasm, x: Info, filter: Info, g: Im2colConv): Info {
  const call = native.call(backend);
  const [px, pb] = [call.input(x), call.input(filter)];
  const [m, k] = [g.n * g.oh * g.ow, g.k * g.k * g.c];
  const pa = call.scratch(m * k);
  const pc = call.output([g.n, g.oh, g.ow, g.co]);
  parallel(native, 'im2col', g.n, 1, PASS_COST.plain * m * k, (n0, n1) => [g.h, g.w, g.c, g.k, g.s, g.p, g.oh, g.ow, px, pa, n0, n1], call);
  parallel(native, 'matmul_nn', m, 4, m * k * g.co, (m0, m1) => [m, k, g.co, pa, pb, pc, m0, m1], call);
  return call.finish()[0]!;
}
