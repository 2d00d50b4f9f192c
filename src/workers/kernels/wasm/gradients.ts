/**
 * Training kernels for the tfjs WASM backend. (Over 400 lines: the convolution, depthwise and pooling
 * gradients share the sub-pixel phase decomposition and conv-geometry helpers below.)
 *
 * Stock tfjs-backend-wasm 4.22 cannot train a CNN: it has no Conv2DBackpropFilter (tfjs#8474) and no
 * DepthwiseConv2dNativeBackpropInput/Filter; its Conv2DBackpropInput, MaxPoolGrad and AvgPoolGrad are
 * scalar loops 5–50x slower than the forward op, and a matMul with a transposed operand (both matMul
 * gradients) leaves XNNPACK for a scalar loop. Every gradient here is rewritten as forward work the
 * backend already does fast (XNNPACK convolutions and fully-connected layers, transposes) plus short
 * JavaScript passes over the WASM heap for gathers and scatters:
 *
 * - filter gradient of a convolution = a convolution of the transposed input with the transposed output
 *   gradient as its "filter", dilated by the stride;
 * - input gradient = a convolution of the output gradient with the flipped, transposed filter; a stride
 *   s is split into s·s phases (sub-pixel decomposition), each a stride-1 convolution with a sub-filter,
 *   so no multiply-add is spent on the zeros a transposed convolution would insert;
 * - depthwise input gradient = one native pass for any stride (groupedConv.ts' nativeDepthwiseBackpropInput:
 *   each input pixel gathers the taps that reach it; XNNPACK's depthwise operator, which the stride-1
 *   phases ran on, does 1.6-3.7 GMAC/s on EfficientNet's layers here);
 * - AvgPoolGrad = that input gradient for a depthwise filter of 1/(fh·fw);
 * - MaxPoolGrad = route dy to the first window element equal to the pooled value (native pass);
 * - depthwise filter gradient = the native kernel (a JS pass where it does not apply);
 * - matMul with a transposed operand = an explicit transpose + XNNPACK fully-connected.
 *
 * Kernels work on TensorInfos inside the backend; intermediates are freed with `backend.disposeData`.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { nativeDenseBackpropInput, nativeDenseConv, nativeDepthwiseBackpropInput, nativeFilterGradient } from './groupedConv';
import { type Im2colConv, convByIm2col, matMulNative, matMulTransposeA, matMulTransposeAFilled } from './matMul';
import { Native, type NativeModule } from './native';
import * as POOLING_BUILDS from './native/pooling.wasm';
import { parallel } from './pool';
import { type Info, type KernelArgs, type WasmKernel, copyRun, heap, heapF32, input, offsetOf, registerWasmKernelSet, release, runKernel, stockKernel, view } from './plumbing';

type Shape4 = [number, number, number, number];
type ConvInfo = tf.backend_util.Conv2DInfo;

interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

function transpose(backend: BackendWasm, x: Info, perm: number[]): Info {
  return runKernel('Transpose', { x }, backend, { perm });
}

/** A stride-1 NHWC convolution with explicit, non-negative padding. */
function conv(backend: BackendWasm, x: Info, filter: Info, pads: Pads, dilations: [number, number]): Info {
  return runKernel('Conv2D', { x, filter }, backend, {
    strides: [1, 1],
    dilations,
    pad: [
      [0, 0],
      [pads.top, pads.bottom],
      [pads.left, pads.right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  });
}

/** A [rows, cols] matrix product on XNNPACK's fully-connected path (stock takes it only untransposed). */
function matMul(backend: BackendWasm, a: Info, b: Info, rows: number, inner: number, cols: number): Info {
  const out = runKernel('BatchMatMul', { a: view(a, [1, rows, inner]), b: view(b, [1, inner, cols]) }, backend, {
    transposeA: false,
    transposeB: false,
  });
  return { ...out, shape: [rows, cols] };
}

function assertSupported(convInfo: ConvInfo, kernel: string): void {
  if (convInfo.dataFormat !== 'channelsLast') {
    throw new Error(`wasm ${kernel}: only NHWC (channelsLast) is supported, got ${convInfo.dataFormat}`);
  }
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) {
    throw new Error(`wasm ${kernel}: only dilation 1 is supported`);
  }
  const { top, bottom, left, right } = convInfo.padInfo;
  if (Math.min(top, bottom, left, right) < 0) throw new Error(`wasm ${kernel}: negative padding is not supported`);
}

// ---------------------------------------------------------------------------------------------------
// 1x1 convolutions: stride 1 (pointwise), and strided (ResNet's projection shortcuts).

/**
 * Whether a convolution is a 1x1 with no padding and no dilation, on float32 with a weight the native
 * products take (any stride). At stride 1 it is a product of the NHWC data seen as [N·H·W, C]: the
 * forward A·B and the input gradient A·Bᵀ by the native kernels (matMul.ts) with no copy, so the engine
 * can call tf.conv2d instead of a matMul between reshapes (one tfjs call each way instead of four or
 * five: engine/execute.ts conv). With a stride above 1 its forward and input gradient run as a gather or
 * scatter of the pixels at multiples of the stride and the same products. XNNPACK ran the classroom
 * nets' stride-2 projections at ~10 GMAC/s forward and the phase-split input gradient at ~12, against
 * ~28 for the products.
 */
function pointwise(convInfo: ConvInfo, ...ts: Info[]): boolean {
  const { filterHeight: kh, filterWidth: kw, padInfo: p, inChannels: ci, outChannels: co } = convInfo;
  return (
    kh === 1 &&
    kw === 1 &&
    p.top === 0 &&
    p.left === 0 &&
    p.bottom === 0 &&
    p.right === 0 &&
    convInfo.dilationHeight === 1 &&
    convInfo.dilationWidth === 1 &&
    convInfo.dataFormat === 'channelsLast' &&
    ci * co <= nativeMatMulOptions.maxB &&
    ts.every((t) => t.dtype === 'float32')
  );
}

/**
 * A pointwise convolution's forward x·W or (inputGradient) input gradient dy·Wᵀ (W [1, 1, Ci, Co] is the
 * product's B [Ci, Co]): with a stride, the pixel gather or scatter and the product; else the product on
 * the NHWC data in place.
 */
function pointwiseConv(backend: BackendWasm, a: Info, filter: Info, convInfo: ConvInfo, inputGradient: boolean): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, strideHeight: sh, strideWidth: sw } = convInfo;
  if (sh * sw > 1) return inputGradient ? strided1x1BackpropInput(backend, a, filter, convInfo) : strided1x1Forward(backend, a, filter, convInfo);
  const out = inputGradient ? matMulNative(backend, a, filter, n * h * w, co, ci, true) : matMulNative(backend, a, filter, n * h * w, ci, co, false);
  return { ...out, shape: [n, h, w, inputGradient ? ci : co] };
}

/** Copies pixel rows between the strided grid of x [N, H, W, C] and the dense [N, OH, OW, C] (`gather`: into the dense one). */
function stridedPixels(backend: BackendWasm, grid: Info, dense: Info, convInfo: ConvInfo, gather: boolean): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = convInfo;
  const heapF = heapF32(backend);
  const g = offsetOf(backend, grid);
  const d = offsetOf(backend, dense);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++) {
        const at = g + ((b * h + r * sh) * w + q * sw) * c;
        const to = d + ((b * oh + r) * ow + q) * c;
        if (gather) copyRun(heapF, at, to, c);
        else copyRun(heapF, to, at, c);
      }
}

/** y = x[:, ::sh, ::sw, :] · W for a strided 1x1 convolution (see strided1x1). */
function strided1x1Forward(backend: BackendWasm, x: Info, filter: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = convInfo;
  const rows = backend.makeOutput([n * oh * ow, ci], 'float32');
  stridedPixels(backend, x, rows, convInfo, true);
  const y = matMulNative(backend, rows, view(filter, [ci, co]), n * oh * ow, ci, co, false);
  release(backend, rows);
  return { ...y, shape: [n, oh, ow, co] };
}

/** dx: dy · Wᵀ at the strided pixels, zero elsewhere, for a strided 1x1 convolution (see strided1x1). */
function strided1x1BackpropInput(backend: BackendWasm, dy: Info, filter: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = convInfo;
  const rows = matMulNative(backend, view(dy, [n * oh * ow, co]), view(filter, [ci, co]), n * oh * ow, co, ci, true);
  const dx = backend.makeOutput([n, h, w, ci], 'float32');
  heap(backend, dx).fill(0);
  stridedPixels(backend, dx, rows, convInfo, false);
  release(backend, rows);
  return dx;
}

/**
 * `maxChannels`: a dense convolution with at most this many input channels (EfficientNet's stem: 3; square
 * kernel and stride, symmetric padding) runs as im2col and the native product (matMul.ts convByIm2col)
 * rather than the direct kernel, which vectorises over output channels one pixel at a time there (~3-5
 * GMAC/s). 0: never (the bench's A/B switch).
 */
export const im2colForwardOptions = { maxChannels: 4 };

/** The geometry convByIm2col takes for this forward, or undefined where it does not apply. */
function im2colForward(convInfo: ConvInfo, x: Info, filter: Info): Im2colConv | undefined {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outChannels: co, outHeight: oh, outWidth: ow, filterHeight: k, filterWidth: kw, strideHeight: s, strideWidth: sw, padInfo: p } = convInfo;
  if (c > im2colForwardOptions.maxChannels || k !== kw || s !== sw || p.top !== p.bottom || p.left !== p.right || p.top !== p.left) return undefined;
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1 || convInfo.dataFormat !== 'channelsLast' || x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  if (n * oh * ow * k * k * c > IM2COL_LIMIT.floats || k * k * c * co > nativeMatMulOptions.maxB) return undefined;
  return { n, h, w, c, k, s, p: p.top, oh, ow, co };
}

function conv2D(args: KernelArgs): Info {
  const { inputs, backend, attrs = {} } = args;
  const x = input(inputs, 'x');
  const filter = input(inputs, 'filter');
  const convInfo = convInfoOf(x.shape as Shape4, filter.shape as Shape4, attrs, false);
  if (pointwise(convInfo, x, filter)) return pointwiseConv(backend as BackendWasm, x, filter, convInfo, false);
  const im2col = im2colForward(convInfo, x, filter);
  if (im2col) return convByIm2col(backend as BackendWasm, x, filter, im2col);
  if (NATIVE_DENSE_CONV.enabled) {
    const direct = nativeDenseConv(backend as BackendWasm, x, filter, convInfo);
    if (direct) return direct;
  }
  const out = stockKernel('Conv2D')(args);
  return Array.isArray(out) ? out[0]! : out;
}

// ---------------------------------------------------------------------------------------------------
// Filter gradients.

/**
 * dW[i,j,ci,co] = Σ_{n,oh,ow} x[n, oh·sh+i−pt, ow·sw+j−pl, ci] · dy[n,oh,ow,co].
 *
 * As one convolution: input x transposed to [Ci, H, W, N] (batch Ci, channels N), filter dy transposed to
 * [OH, OW, N, Co], dilation (sh, sw), stride 1; the output [Ci, kh, kw, Co] is transposed back. (Laying x
 * out as [Ci, H, kw, OW·N] with a width im2col, so each tap contracts OW·N values, measured no faster.)
 */
function conv2dBackpropFilterImpl(backend: BackendWasm, x: Info, dy: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = convInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = convInfo;
  const pt = convInfo.padInfo.top;
  const pl = convInfo.padInfo.left;

  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && oh === h && ow === w && x.dtype === 'float32') {
    // 1x1: dW = xᵀ·dy by the native Aᵀ·B kernel (matMul.ts).
    const dW = matMulTransposeA(backend, view(x, [n * h * w, ci]), view(dy, [n * h * w, co]), n * h * w, ci, co);
    return { ...dW, shape: [1, 1, ci, co] };
  }

  if (NATIVE_FILTER_GRADIENT.enabled) {
    // The grouped kernel with one group (groupedConv.ts): 2-3x im2col + Aᵀ·B on the classroom ResNet's 3x3 layers.
    const direct = nativeFilterGradient(backend, x, dy, convInfo, false);
    if (direct) return direct;
  }

  if (n * oh * ow * kh * kw * ci <= IM2COL_LIMIT.floats) return im2colFilterGradient(backend, x, dy, convInfo);

  // Rows/columns of x past the last window are never read (XNNPACK takes no negative padding): crop.
  const usedH = Math.min(h, (oh - 1) * sh + kh - pt);
  const usedW = Math.min(w, (ow - 1) * sw + kw - pl);
  const xSrc = usedH < h || usedW < w ? runKernel('Slice', { x }, backend, { begin: [0, 0, 0, 0], size: [n, usedH, usedW, ci] }) : x;
  const xT = transpose(backend, xSrc, [3, 1, 2, 0]); // [Ci, H, W, N]
  if (xSrc !== x) release(backend, xSrc);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const pads: Pads = { top: pt, bottom: kh + (oh - 1) * sh - usedH - pt, left: pl, right: kw + (ow - 1) * sw - usedW - pl };
  const out = conv(backend, view(xT, [ci, usedH, usedW, n]), view(dyT, [oh, ow, n, co]), pads, [sh, sw]);
  release(backend, xT, dyT);
  const dW = transpose(backend, out, [1, 2, 0, 3]);
  release(backend, out);
  return dW;
}

/**
 * Whether a dense filter gradient takes the native direct kernel where it applies (symmetric padding,
 * square kernel). Off, it takes im2col or the transposed convolution below. (Mutable for tests of every path.)
 */
export const NATIVE_FILTER_GRADIENT = { enabled: true };

/**
 * Whether a dense convolution's forward and input gradient take the native grouped kernels with one group
 * where they apply (as the filter gradient), split over the kernel pool's threads, instead of XNNPACK's
 * convolution. (Mutable for tests of both paths and for benchmarks.)
 */
export const NATIVE_DENSE_CONV = { enabled: true };

/**
 * Largest im2col matrix (floats) the filter gradient builds: 64 MiB. Larger ones take the
 * transposed-convolution path, which needs no such matrix. (Mutable for tests of both paths.)
 */
export const IM2COL_LIMIT = { floats: 16 * 2 ** 20 };

/**
 * dW = Pᵀ·dY: P [N·OH·OW, KH·KW·Ci] holds each output pixel's input window (zeros where it overhangs
 * the padding), written straight into the native GEMM's memory, and dY is [N·OH·OW, Co]; the
 * [KH·KW·Ci, Co] product is the filter's own layout. The transposed-convolution formulation below
 * makes XNNPACK compute few outputs, each a reduction over every pixel of the batch (the stem's
 * 3x3 and the strided 1x1 projections at 2.5 GMAC/s, against 13 for the GEMM).
 */
function im2colFilterGradient(backend: BackendWasm, x: Info, dy: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = convInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = convInfo;
  const pt = convInfo.padInfo.top;
  const pl = convInfo.padInfo.left;
  const k = kh * kw * ci;
  const fill = (p: Float32Array) => {
    const xs = heap(backend, x); // here: the kernel's allocations may have grown (and detached) the heap
    let at = 0;
    for (let b = 0; b < n; b++) {
      for (let r = 0; r < oh; r++) {
        for (let q = 0; q < ow; q++) {
          for (let i = 0; i < kh; i++) {
            const row = r * sh + i - pt;
            for (let j = 0; j < kw; j++, at += ci) {
              const col = q * sw + j - pl;
              if (row < 0 || row >= h || col < 0 || col >= w) {
                p.fill(0, at, at + ci);
                continue;
              }
              const from = ((b * h + row) * w + col) * ci;
              if (ci >= 16) p.set(xs.subarray(from, from + ci), at);
              else for (let c = 0; c < ci; c++) p[at + c] = xs[from + c]!;
            }
          }
        }
      }
    }
  };
  const dW = matMulTransposeAFilled(backend, fill, dy, n * oh * ow, k, co);
  return { ...dW, shape: [kh, kw, ci, co] };
}

/**
 * dW[i,j,c] = Σ_{n,oh,ow} x[n, oh·sh+i−pt, ow·sw+j−pl, c] · dy[n,oh,ow,c]: few outputs, each a long
 * per-channel dot product, which no XNNPACK operator computes well. One JS pass per tap, in float64.
 * (Tried: XNNPACK depthwise convolution with dy as an OH×OW filter, and with dy cut into 5x5 blocks
 * whose (image, block, channel) triples become channels; both stream the whole filter once per output
 * pixel and measured slower than this loop.)
 */
function depthwiseBackpropFilterImpl(backend: BackendWasm, x: Info, dy: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = convInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = convInfo;
  const pt = convInfo.padInfo.top;
  const pl = convInfo.padInfo.left;
  const dW = backend.makeOutput([kh, kw, c, 1], 'float32');
  const heap = heapF32(backend);
  const xBase = offsetOf(backend, x);
  const dyBase = offsetOf(backend, dy);
  const acc = new Float64Array(c);
  const out = heap.subarray(offsetOf(backend, dW), offsetOf(backend, dW) + kh * kw * c);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      acc.fill(0);
      const q0 = Math.max(0, Math.ceil((pl - j) / sw));
      const q1 = Math.min(ow - 1, Math.floor((w - 1 + pl - j) / sw));
      for (let b = 0; b < n; b++) {
        for (let r = 0; r < oh; r++) {
          const row = r * sh + i - pt;
          if (row < 0 || row >= h) continue;
          let xOff = xBase + ((b * h + row) * w + q0 * sw + j - pl) * c;
          let dyOff = dyBase + ((b * oh + r) * ow + q0) * c;
          for (let q = q0; q <= q1; q++, xOff += sw * c, dyOff += c) {
            for (let k = 0; k < c; k++) acc[k]! += heap[xOff + k]! * heap[dyOff + k]!;
          }
        }
      }
      out.set(acc, (i * kw + j) * c);
    }
  }
  return dW;
}

// ---------------------------------------------------------------------------------------------------
// Input gradients.

/** The phase decomposition of a strided transposed convolution along one axis. */
interface AxisPhase {
  /** Residue r = (out + pad) mod stride that this phase produces. */
  residue: number;
  /** Sub-filter length: taps r, r+s, r+2s, … of the filter. */
  taps: number;
  /** First and last dy index q whose output q·s + r − pad lies inside the input. */
  q0: number;
  q1: number;
  /** Padding of the stride-1 convolution; its output index t = q − (taps − 1) + padBefore. */
  padBefore: number;
  padAfter: number;
}

function axisPhases(inSize: number, outSize: number, kernel: number, stride: number, pad: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let residue = 0; residue < stride; residue++) {
    const taps = Math.max(0, Math.ceil((kernel - residue) / stride));
    const q0 = Math.ceil((pad - residue) / stride);
    const q1 = Math.floor((inSize - 1 + pad - residue) / stride);
    const padBefore = Math.max(0, taps - 1 - q0);
    const padAfter = Math.max(0, q1 - outSize + 1);
    phases.push({ residue, taps, q0, q1, padBefore, padAfter });
  }
  return phases;
}

/**
 * dx[h] = Σ_{oh,i: oh·s+i−p = h} dy[oh]·f[i]. For h with (h+p) mod s = r and q = ⌊(h+p)/s⌋, the taps are
 * i = r + s·m against dy[q−m]: a stride-1 convolution of dy with the reversed sub-filter f[r], f[r+s], ….
 * With s = 1 and p ≤ k−1 the single phase's output is dx itself; otherwise phases are scattered into dx.
 */
function backpropInputImpl(backend: BackendWasm, dy: Info, filter: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co } = convInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = convInfo;
  const pt = convInfo.padInfo.top;
  const pl = convInfo.padInfo.left;
  const active = (p: AxisPhase): boolean => p.taps > 0 && p.q0 <= p.q1;
  const rowPhases = axisPhases(h, oh, kh, sh, pt).filter(active);
  const colPhases = axisPhases(w, ow, kw, sw, pl).filter(active);
  // Residues without taps (a 1x1 filter at stride 2) leave their rows or columns of dx at zero.
  const coversAll = rowPhases.length === sh && colPhases.length === sw;

  let dx: Info | null = null;
  for (const rowPhase of rowPhases) {
    for (const colPhase of colPhases) {
      const [rp, cp] = [rowPhase, colPhase];
      const sub = subFilter(backend, filter, kw, ci, co, sh, sw, rp, cp);
      const pads: Pads = { top: rp.padBefore, bottom: rp.padAfter, left: cp.padBefore, right: cp.padAfter };
      const z = conv(backend, dy, sub, pads, [1, 1]);
      release(backend, sub);
      const [, zh, zw] = z.shape as Shape4;
      if (sh === 1 && sw === 1 && zh === h && zw === w && rp.padBefore === kh - 1 - pt && cp.padBefore === kw - 1 - pl) {
        return z; // stride 1: the output index t is h itself
      }
      if (dx === null) {
        dx = backend.makeOutput([n, h, w, ci], 'float32');
        if (!coversAll) heap(backend, dx).fill(0);
      }
      scatterPhase(heapF32(backend), offsetOf(backend, z), offsetOf(backend, dx), n, h, w, ci, zh, zw, sh, sw, pt, pl, rp, cp);
      release(backend, z);
    }
  }
  if (dx === null) {
    dx = backend.makeOutput([n, h, w, ci], 'float32');
    heap(backend, dx).fill(0);
  }
  return dx;
}

/** The reversed sub-filter of one phase: f[kh,kw,Ci,Co] → g[Lh,Lw,Co,Ci] (channels swapped: the convolution maps dy's Co channels to dx's Ci). */
function subFilter(
  backend: BackendWasm,
  filter: Info,
  kw: number,
  ci: number,
  co: number,
  sh: number,
  sw: number,
  rp: AxisPhase,
  cp: AxisPhase,
): Info {
  const lh = rp.taps;
  const lw = cp.taps;
  const g = backend.makeOutput([lh, lw, co, ci], 'float32');
  const gv = heap(backend, g);
  const fv = heap(backend, filter);
  const tapSize = ci * co;
  for (let a = 0; a < lh; a++) {
    for (let b = 0; b < lw; b++) {
      const gOff = (a * lw + b) * tapSize;
      const i = rp.residue + sh * (rp.taps - 1 - a);
      const j = cp.residue + sw * (cp.taps - 1 - b);
      const fOff = (i * kw + j) * tapSize;
      for (let o = 0; o < co; o++) {
        for (let k = 0; k < ci; k++) gv[gOff + o * ci + k] = fv[fOff + k * co + o]!;
      }
    }
  }
  return g;
}

function scatterPhase(
  heapView: Float32Array,
  zBase: number,
  dxBase: number,
  n: number,
  h: number,
  w: number,
  c: number,
  zh: number,
  zw: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
  rp: AxisPhase,
  cp: AxisPhase,
): void {
  for (let b = 0; b < n; b++) {
    for (let qh = rp.q0; qh <= rp.q1; qh++) {
      const row = qh * sh + rp.residue - pt;
      const th = qh - (rp.taps - 1) + rp.padBefore;
      for (let qw = cp.q0; qw <= cp.q1; qw++) {
        const col = qw * sw + cp.residue - pl;
        const tw = qw - (cp.taps - 1) + cp.padBefore;
        copyRun(heapView, zBase + ((b * zh + th) * zw + tw) * c, dxBase + ((b * h + row) * w + col) * c, c);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Pooling gradients.

/**
 * dx gets each dy at the first element (row-major in the window) equal to the pooled maximum: the
 * position the CPU backend's `maxPoolPositions` picks (first strict maximum), so ties break the same way.
 */
interface PoolingExports extends NativeModule {
  max_pool_grad(...args: number[]): void;
}

const pooling = new Native<PoolingExports>(POOLING_BUILDS);

/**
 * The max pool's gradient by a native SIMD kernel (native/pooling.c): each output's gradient to the
 * first window position (row-major) holding the maximum, as tfjs' CPU backend; split over images on
 * the kernel helpers (pool.ts). The JavaScript loop it replaces took 5-7 ms of the lesson ResNeXt's step.
 */
function maxPoolGradImpl(backend: BackendWasm, dy: Info, x: Info, y: Info, convInfo: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = convInfo;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = convInfo;
  const call = pooling.call(backend);
  const [px, py, pdy] = [call.input(x), call.input(y), call.input(dy)];
  const pdx = call.output([n, h, w, c]);
  const args = [h, w, c, oh, ow, fh, fw, sh, sw, convInfo.padInfo.top, convInfo.padInfo.left, px, py, pdy, pdx];
  parallel(pooling, 'max_pool_grad', n, 1, n * oh * ow * c * fh * fw, (lo, hi) => [...args, lo, hi], call);
  return call.finish()[0]!;
}

/** The average pool's gradient is the input gradient of a depthwise convolution whose taps are 1/(fh·fw). */
function avgPoolGradImpl(backend: BackendWasm, dy: Info, convInfo: ConvInfo): Info {
  const { filterHeight: fh, filterWidth: fw, inChannels: c } = convInfo;
  const filter = backend.makeOutput([fh, fw, c, 1], 'float32');
  // The CPU backend (and stock wasm) divide by the full window, also where it overlaps padding.
  heap(backend, filter).fill(1 / (fh * fw));
  const dx = nativeDepthwiseBackpropInput(backend, dy, filter, convInfo);
  release(backend, filter);
  return dx;
}

// ---------------------------------------------------------------------------------------------------
// Kernels.

function convInfoOf(xShape: Shape4, filterShape: Shape4, attrs: tf.NamedAttrMap, depthwise: boolean): ConvInfo {
  const strides = attrs.strides as [number, number] | number;
  const pad = attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  const dimRoundingMode = attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC');
  const dilations = (attrs.dilations as [number, number] | number | undefined) ?? 1;
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilations, pad, dimRoundingMode, depthwise, dataFormat);
}

function poolInfoOf(xShape: Shape4, attrs: tf.NamedAttrMap, kernel: string): ConvInfo {
  const convInfo = tf.backend_util.computePool2DInfo(
    xShape,
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  assertSupported(convInfo, kernel);
  return convInfo;
}

function conv2DBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const convInfo = convInfoOf(x.shape as Shape4, attrs.filterShape as Shape4, attrs, false);
  assertSupported(convInfo, 'Conv2DBackpropFilter');
  return conv2dBackpropFilterImpl(backend as BackendWasm, x, dy, convInfo);
}

function conv2DBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const dy = input(inputs, 'dy');
  const filter = input(inputs, 'filter');
  const convInfo = convInfoOf(attrs.inputShape as Shape4, filter.shape as Shape4, attrs, false);
  assertSupported(convInfo, 'Conv2DBackpropInput');
  if (pointwise(convInfo, dy, filter)) return pointwiseConv(backend as BackendWasm, dy, filter, convInfo, true);
  if (NATIVE_DENSE_CONV.enabled) {
    const direct = nativeDenseBackpropInput(backend as BackendWasm, dy, filter, convInfo);
    if (direct) return direct;
  }
  return backpropInputImpl(backend as BackendWasm, dy, filter, convInfo);
}

function depthwiseConv2dNativeBackpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const dy = input(inputs, 'dy');
  const filter = input(inputs, 'filter');
  const convInfo = convInfoOf(attrs.inputShape as Shape4, filter.shape as Shape4, attrs, true);
  assertSupported(convInfo, 'DepthwiseConv2dNativeBackpropInput');
  assertMultiplierOne(filter.shape as Shape4);
  return nativeDepthwiseBackpropInput(backend as BackendWasm, dy, filter, convInfo);
}

function depthwiseConv2dNativeBackpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const filterShape = attrs.filterShape as Shape4;
  const convInfo = convInfoOf(x.shape as Shape4, filterShape, attrs, true);
  assertSupported(convInfo, 'DepthwiseConv2dNativeBackpropFilter');
  assertMultiplierOne(filterShape);
  // The native SIMD kernel (2-3x this JS loop's fwd+bwd on EfficientNet's layers); the loop where it does not apply.
  return nativeFilterGradient(backend as BackendWasm, x, dy, convInfo, true) ?? depthwiseBackpropFilterImpl(backend as BackendWasm, x, dy, convInfo);
}

function assertMultiplierOne(filterShape: Shape4): void {
  if (filterShape[3] !== 1) {
    throw new Error(`wasm depthwise gradients: only channel multiplier 1 is supported, got ${filterShape[3]}`);
  }
}

function maxPoolGrad({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = input(inputs, 'input');
  const convInfo = poolInfoOf(x.shape as Shape4, attrs, 'MaxPoolGrad');
  return maxPoolGradImpl(backend as BackendWasm, input(inputs, 'dy'), x, input(inputs, 'output'), convInfo);
}

function avgPoolGrad({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const x = input(inputs, 'input');
  const convInfo = poolInfoOf(x.shape as Shape4, attrs, 'AvgPoolGrad');
  return avgPoolGradImpl(backend as BackendWasm, input(inputs, 'dy'), convInfo);
}

/**
 * Largest B (k·n floats) the native A·B and A·Bᵀ take: their tiles run over all of k with no blocking, so
 * a large B leaves the cache between row blocks; XNNPACK (blocked, packed) is faster there (1024³: ~2x).
 * The products of the presets' 1x1 convolutions and dense layers are smaller (EfficientNet-B0's largest
 * B is 320 x 1280).
 */
export const NATIVE_MATMUL_MAX_B = 2 ** 19;

/** The B size limit in use: NATIVE_MATMUL_MAX_B; a benchmark sets 0 to time XNNPACK's A·B on the same nets. */
export const nativeMatMulOptions = { maxB: NATIVE_MATMUL_MAX_B };

/**
 * 2-D float32 products (batch 1) by the native kernels (matMul.ts): Aᵀ·B always, A·B and A·Bᵀ where B is
 * at most nativeMatMulOptions.maxB floats. Otherwise stock BatchMatMul, which runs XNNPACK only for
 * untransposed operands with batch 1 (with a transpose flag it takes a scalar loop ~10x slower):
 * transposed operands are transposed explicitly first.
 */
function batchMatMul(args: KernelArgs): Info | Info[] {
  const { inputs, backend, attrs = {} } = args;
  const stock = stockKernel('BatchMatMul');
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== 1 || batchB !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
  const wasm = backend as BackendWasm;
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [rows, inner] = transposeA ? [a1, a0] : [a0, a1];
  const cols = transposeB ? b0 : b1;
  const outerDims = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const shaped = (out: Info): Info => ({ ...out, shape: [...outerDims, rows, cols] });
  // A weight gradient Xᵀ·dY: the native kernel, 2-6x the transpose + XNNPACK path.
  if (transposeA && !transposeB) return shaped(matMulTransposeA(wasm, a, b, a0, a1, b1));
  if (!transposeA && inner * cols <= nativeMatMulOptions.maxB) return shaped(matMulNative(wasm, a, b, rows, inner, cols, transposeB));
  if (!transposeA && !transposeB) return stock(args);
  const aT = transposeA ? transpose(wasm, view(a, [a0, a1]), [1, 0]) : null;
  const bT = transposeB ? transpose(wasm, view(b, [b0, b1]), [1, 0]) : null;
  const out = matMul(wasm, aT ?? a, bT ?? b, rows, inner, cols);
  if (aT !== null) release(wasm, aT);
  if (bT !== null) release(wasm, bT);
  return shaped(out);
}

const GRADIENT_KERNELS: readonly WasmKernel[] = [
  { kernelName: 'Conv2D', kernelFunc: conv2D, replacesStock: true },
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter, replacesStock: false },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInput, replacesStock: true },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseConv2dNativeBackpropInput, replacesStock: false },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseConv2dNativeBackpropFilter, replacesStock: false },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad, replacesStock: true },
  { kernelName: 'AvgPoolGrad', kernelFunc: avgPoolGrad, replacesStock: true },
  { kernelName: 'BatchMatMul', kernelFunc: batchMatMul, replacesStock: true },
];

/** Kernel names this module registers for 'wasm' (for tests and diagnostics). */
export const WASM_GRADIENT_KERNEL_NAMES: readonly string[] = GRADIENT_KERNELS.map((k) => k.kernelName);

/** Registers the kernels above for 'wasm' (idempotent); called by `registerKernels('wasm')` (../index.ts). */
export function registerWasmGradientKernels(): void {
  registerWasmKernelSet(GRADIENT_KERNELS);
}
