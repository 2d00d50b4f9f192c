/**
 * Grouped convolution for TensorFlow.js (which has none: tfjs#3900), NHWC, with the compact filter
 * [kh, kw, Cin/G, Cout] of PyTorch's `groups` (ResNeXt §3.3, Fig. 3(c)). Exact, differentiable.
 *
 * - webgpu: custom kernels (kernels/webgpu/groupedConv.ts) and their gradient.
 * - other backends: a formulation from standard ops only, so tfjs' own gradients apply. Which one is
 *   chosen per backend is the fastest forward+backward measured by bench/groupedConv.bench.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { GROUPED_CONV2D, type GroupedConvGeometry, groupedConvGeometry } from '../kernels/groupedConvOp';

/**
 * Exact formulations:
 * - `webgpu`: the custom kernels (webgpu backend only).
 * - `wasm`: the app's SIMD kernels (kernels/wasm/groupedConv.ts; wasm backend only).
 * - `split`: slice input and filter per group, tf.conv2d each, concat (the reference).
 * - `depthwise`: a depthwise conv with channel multiplier Cout/G, then a sum over the Cin/G inputs of
 *   each group (no sum when Cin/G = 1).
 * - `depthwiseExpanded`: the input expanded Cout/G times (channels ordered group, output, input),
 *   a depthwise conv with multiplier 1, and a sum over the innermost Cin/G.
 * - `im2col`: per-group patches from kh*kw slices of the padded input, one batched matMul.
 * - `blockDiagonal`: one dense conv with the filter expanded to a block-diagonal [kh,kw,Cin,Cout] (G x the MACs).
 */
export type GroupedConvMethod = 'webgpu' | 'wasm' | 'split' | 'depthwise' | 'depthwiseExpanded' | 'im2col' | 'blockDiagonal';

export const GROUPED_CONV_METHODS: readonly GroupedConvMethod[] = ['webgpu', 'wasm', 'split', 'depthwise', 'depthwiseExpanded', 'im2col', 'blockDiagonal'];

/** PyTorch's padding=p as tfjs' explicit NHWC padding. */
export function explicitPad(p: number): [[0, 0], [number, number], [number, number], [0, 0]] {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

/** The reference: split input and filter per group, tf.conv2d each, concat along channels. */
export function groupedConv2dSplit(x: tf.Tensor4D, filter: tf.Tensor4D, groups: number, stride: number, pad: number): tf.Tensor4D {
  const g = groupedConvGeometry(x.shape, filter.shape, groups, stride, pad);
  if (groups === 1) return tf.conv2d(x, filter, stride, explicitPad(pad)) as tf.Tensor4D;
  return tf.tidy(() => {
    const cinG = g.inChannels / groups;
    const coutG = g.outChannels / groups;
    const xs = tf.split(x, groups, 3) as tf.Tensor4D[];
    const ys = xs.map((xg, i) => {
      const fg = tf.slice(filter, [0, 0, 0, i * coutG], [g.kernelHeight, g.kernelWidth, cinG, coutG]);
      return tf.conv2d(xg, fg, stride, explicitPad(pad)) as tf.Tensor4D;
    });
    return tf.concat(ys, 3);
  });
}

/**
 * Depthwise with multiplier Cout/G: channel (g*cinG + i)*coutG + m is input channel g*cinG+i times
 * filter column g*coutG+m; the sum over i gives output g*coutG+m.
 */
function depthwise(x: tf.Tensor4D, filter: tf.Tensor4D, g: GroupedConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const G = g.groups;
    const cinG = g.inChannels / G;
    const coutG = g.outChannels / G;
    const { kernelHeight: kh, kernelWidth: kw } = g;
    const dwFilter = tf.transpose(tf.reshape(filter, [kh, kw, cinG, G, coutG]), [0, 1, 3, 2, 4]).reshape([kh, kw, g.inChannels, coutG]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, dwFilter, g.stride, explicitPad(g.pad));
    if (cinG === 1) return y;
    const m = g.batch * g.outHeight * g.outWidth;
    const parts = tf.reshape(y, [m, G, cinG, coutG]);
    // A short sum as slice-adds: tf.sum over a small inner axis runs one workgroup per output on webgpu (docs/tfjs.md#sum-over-a-small-axis).
    let sum: tf.Tensor;
    if (cinG <= 8) {
      sum = tf.slice(parts, [0, 0, 0, 0], [m, G, 1, coutG]);
      for (let i = 1; i < cinG; i++) sum = tf.add(sum, tf.slice(parts, [0, 0, i, 0], [m, G, 1, coutG]));
    } else {
      sum = tf.sum(parts, 2);
    }
    return sum.reshape([g.batch, g.outHeight, g.outWidth, g.outChannels]) as tf.Tensor4D;
  });
}

/**
 * Depthwise with multiplier 1 on the input expanded to channels (g, m, i) = x[g*cinG + i] (a
 * broadcast multiply by ones), so that the sum over i is over the innermost axis and no transpose
 * of activations is needed; for backends whose depthwise gradients take only multiplier 1.
 */
function depthwiseExpanded(x: tf.Tensor4D, filter: tf.Tensor4D, g: GroupedConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const G = g.groups;
    const cinG = g.inChannels / G;
    const coutG = g.outChannels / G;
    const { kernelHeight: kh, kernelWidth: kw } = g;
    const width = g.inChannels * coutG;
    const xe = coutG === 1 ? x : (tf.mul(tf.reshape(x, [-1, G, 1, cinG]), tf.ones([1, 1, coutG, 1])).reshape([g.batch, g.inHeight, g.inWidth, width]) as tf.Tensor4D);
    const dwFilter = tf.transpose(tf.reshape(filter, [kh, kw, cinG, G, coutG]), [0, 1, 3, 4, 2]).reshape([kh, kw, width, 1]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(xe, dwFilter, g.stride, explicitPad(g.pad));
    if (cinG === 1) return y;
    return tf.sum(tf.reshape(y, [-1, g.outChannels, cinG]), 2).reshape([g.batch, g.outHeight, g.outWidth, g.outChannels]) as tf.Tensor4D;
  });
}

/**
 * Per-group patches without a patch-sized transpose: x is laid out once as [G*N (times S*S stride
 * phases), Hq, Wq, Cin/G]; each tap (r, c) is then a plain slice, the taps are concatenated along
 * channels and one batched matMul [G, M, kh*kw*Cin/G] x [G, kh*kw*Cin/G, Cout/G] does the rest.
 * For stride S the padded input is split into its S*S phases (row%S, col%S), so a strided tap is
 * the contiguous slice of one phase (tfjs has no gradient for stridedSlice).
 */
function im2col(x: tf.Tensor4D, filter: tf.Tensor4D, g: GroupedConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const { groups: G, stride: S, pad: P, kernelHeight: KH, kernelWidth: KW, outHeight: HO, outWidth: WO, batch: N } = g;
    const cinG = g.inChannels / G;
    const coutG = g.outChannels / G;
    const T = KH * KW;
    // Rows (cols) of phase q: padded rows q, q+S, ...; tap r reads rows floor(r/S) .. +HO of phase r%S.
    const hq = Math.floor((KH - 1) / S) + HO;
    const wq = Math.floor((KW - 1) / S) + WO;
    const extraH = S * hq - (g.inHeight + 2 * P);
    const extraW = S * wq - (g.inWidth + 2 * P);
    // Crop rows the taps never read when the phase grid is shorter than the padded input.
    let xc: tf.Tensor4D = x;
    if (extraH < -P || extraW < -P) {
      xc = tf.slice(x, [0, 0, 0, 0], [N, g.inHeight + Math.min(0, extraH + P), g.inWidth + Math.min(0, extraW + P), g.inChannels]);
    }
    const padBottom = Math.max(0, P + extraH);
    const padRight = Math.max(0, P + extraW);
    const xp = P === 0 && padBottom === 0 && padRight === 0 ? xc : tf.pad(xc, [[0, 0], [P, padBottom], [P, padRight], [0, 0]]);
    // [S*S*G*N, hq, wq, cinG], batch index ((rowPhase*S + colPhase)*G + group)*N + n.
    let xs: tf.Tensor4D;
    if (S === 1) {
      xs = G === 1 ? xp : (tf.transpose(tf.reshape(xp, [N, hq, wq, G, cinG]), [3, 0, 1, 2, 4]).reshape([G * N, hq, wq, cinG]) as tf.Tensor4D);
    } else {
      xs = tf.transpose(tf.reshape(xp, [N * hq, S, wq, S, G, cinG]), [1, 3, 4, 0, 2, 5]).reshape([S * S * G * N, hq, wq, cinG]) as tf.Tensor4D;
    }
    const taps: tf.Tensor4D[] = [];
    for (let r = 0; r < KH; r++) {
      for (let c = 0; c < KW; c++) {
        const phase = (r % S) * S + (c % S);
        taps.push(tf.slice(xs, [phase * G * N, Math.floor(r / S), Math.floor(c / S), 0], [G * N, HO, WO, cinG]));
      }
    }
    const m = N * HO * WO;
    const patches = (T === 1 ? taps[0]! : tf.concat(taps, 3)).reshape([G, m, T * cinG]) as tf.Tensor3D;
    const w = tf.transpose(tf.reshape(filter, [T, cinG, G, coutG]), [2, 0, 1, 3]).reshape([G, T * cinG, coutG]) as tf.Tensor3D;
    const y = tf.matMul(patches, w);
    if (G === 1) return y.reshape([N, HO, WO, g.outChannels]) as tf.Tensor4D;
    return tf.transpose(y.reshape([G, m, coutG]), [1, 0, 2]).reshape([N, HO, WO, g.outChannels]) as tf.Tensor4D;
  });
}

function blockDiagonal(x: tf.Tensor4D, filter: tf.Tensor4D, g: GroupedConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const G = g.groups;
    const cinG = g.inChannels / G;
    const coutG = g.outChannels / G;
    const mask = tf.buffer([g.inChannels, g.outChannels], 'float32');
    for (let i = 0; i < g.inChannels; i++) {
      const grp = Math.floor(i / cinG);
      for (let o = grp * coutG; o < (grp + 1) * coutG; o++) mask.set(1, i, o);
    }
    const dense = tf.mul(tf.tile(filter, [1, 1, G, 1]), mask.toTensor()) as tf.Tensor4D;
    return tf.conv2d(x, dense, g.stride, explicitPad(g.pad));
  });
}

/** Grouped convolution by one named formulation (all exact; for tests and benchmarks). */
export function groupedConv2dWith(method: GroupedConvMethod, x: tf.Tensor4D, filter: tf.Tensor4D, groups: number, stride: number, pad: number): tf.Tensor4D {
  const g = groupedConvGeometry(x.shape, filter.shape, groups, stride, pad);
  switch (method) {
    case 'webgpu':
      if (tf.getBackend() !== 'webgpu') throw new Error(`groupedConv2d: the webgpu kernels need the webgpu backend, not ${tf.getBackend()}`);
      if (tf.getKernel(GROUPED_CONV2D, 'webgpu') === undefined) throw new Error('groupedConv2d: start webgpu with switchBackend (engine/backend.ts), which registers its kernels');
      return tf.engine().runKernel(GROUPED_CONV2D, { x, filter }, { groups, stride, pad }) as tf.Tensor4D;
    case 'wasm':
      if (tf.getBackend() !== 'wasm') throw new Error(`groupedConv2d: the wasm kernels need the wasm backend, not ${tf.getBackend()}`);
      if (tf.getKernel(GROUPED_CONV2D, 'wasm') === undefined) throw new Error('groupedConv2d: start wasm with switchBackend (engine/backend.ts), which registers its kernels');
      return tf.engine().runKernel(GROUPED_CONV2D, { x, filter }, { groups, stride, pad }) as tf.Tensor4D;
    case 'split':
      return groupedConv2dSplit(x, filter, groups, stride, pad);
    case 'depthwise':
      return depthwise(x, filter, g);
    case 'depthwiseExpanded':
      return depthwiseExpanded(x, filter, g);
    case 'im2col':
      return im2col(x, filter, g);
    case 'blockDiagonal':
      return blockDiagonal(x, filter, g);
  }
}

/**
 * The formulation groupedConv2d uses on `backend`: the fastest forward+backward measured by
 * bench/groupedConv.bench.ts in headless Chromium on a 2-vCPU machine (32x4d layer: 128 channels,
 * groups 32, batch 8, 16x16; on wasm also Cin/G = 8, 16, 32 and depthwise layers). Training
 * dominates, so the forward alone does not decide. Ratios are split+concat time / this time.
 * - webgpu: the custom kernels (forward+backward 15-60x, SwiftShader).
 * - Cin/G = 1: tfjs' depthwise conv with multiplier Cout/G (2x split on cpu, 14x on webgl), except
 *   on wasm with Cout/G > 1, whose depthwise gradients take multiplier 1 only.
 * - wasm: the app's SIMD kernels wherever a group's input and output channels are multiples of 4 (their
 *   vector width), fwd+bwd in Node, one thread: classroom ResNeXt-29 stage 1 (32 ch, 8 groups, 32x32,
 *   batch 32) 74 ms vs block-diagonal 100 and split 104; stage 2 (64 ch, 16x16) 20 vs 71 / 76; stage 3
 *   (128 ch, 8x8) 14 vs 77 / 52; ResNeXt-50's 128 ch in 32 groups (batch 8, 16x16) 22 vs
 *   depthwiseExpanded 42 and split 269; 512 ch in 32 groups 77 vs split 475 (the kernel even beats a
 *   dense conv of equal MACs there). Otherwise depthwiseExpanded up to 8 channels in and out per group
 *   (64 -> 128 ch in 64 groups: 10 ms vs the scalar kernel's 71), split beyond.
 * - webgl: im2col (1.0-2.9x over five runs; split's backward is slow there, its forward is faster).
 * - cpu: split (the CPU conv is a plain loop: fewer, larger convs; im2col's copies cost 2-3x).
 */
export function groupedConvMethodFor(backend: string, g: GroupedConvGeometry): GroupedConvMethod {
  const cinG = g.inChannels / g.groups;
  const coutG = g.outChannels / g.groups;
  if (backend === 'webgpu') return 'webgpu';
  if (g.groups === 1) return 'split';
  if (cinG === 1 && (coutG === 1 || backend !== 'wasm')) return 'depthwise';
  if (backend === 'wasm') {
    if (cinG % 4 === 0 && coutG % 4 === 0) return 'wasm';
    return cinG <= 8 && coutG <= 8 ? 'depthwiseExpanded' : 'split';
  }
  if (backend === 'webgl') return 'im2col';
  return 'split';
}

/**
 * y = grouped conv of x [N,H,W,Cin] with filter [kh,kw,Cin/groups,Cout], stride, symmetric explicit
 * zero padding `pad` (PyTorch's padding=p). Output [N,Ho,Wo,Cout], Ho = floor((H + 2p - kh)/s) + 1.
 * Group g maps input channels [g*Cin/G, (g+1)*Cin/G) to output channels [g*Cout/G, (g+1)*Cout/G).
 */
export function groupedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, groups: number, stride: number, pad: number): tf.Tensor4D {
  const g = groupedConvGeometry(x.shape, filter.shape, groups, stride, pad);
  return groupedConv2dWith(groupedConvMethodFor(tf.getBackend(), g), x, filter, groups, stride, pad);
}
