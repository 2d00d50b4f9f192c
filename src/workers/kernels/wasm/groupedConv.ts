/**
 * Grouped convolution on tfjs' WASM backend by the app's own SIMD kernels (native/groupedConv.c,
 * built by `npm run build:kernels`): forward, input gradient and filter gradient as direct
 * convolutions vectorised over a group's channels. Stock tfjs-wasm has no grouped convolution; the
 * formulations from its own ops cost a group count's worth of extra MACs (block-diagonal) or many
 * small convs and copies (split). Measured per layer: bench/groupedConv.bench.ts.
 * Tensors are read and written where tfjs keeps them (native.ts' Call).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  GROUPED_CONV2D,
  GROUPED_CONV2D_BACKPROP_FILTER,
  GROUPED_CONV2D_BACKPROP_INPUT,
  type GroupedConvGeometry,
  attrsOf,
  groupedConvGeometry,
  registerGroupedConvGradient,
} from '../groupedConvOp';
import * as BUILDS from './native/groupedConv.wasm';
import { type Call, Native, type NativeModule, sizeOf } from './native';
import { PASS_COST, parallel, serial } from './pool';
import { BACKEND, type Info, type KernelArgs, type WasmKernel, input, registerWasmKernelSet, stockKernel } from './plumbing';

interface GroupedConvExports extends NativeModule {
  grouped_conv_forward(...args: number[]): void;
  grouped_conv_transpose_filter(cin: number, cout: number, groups: number, k: number, f: number, wt: number): void;
  grouped_conv_backprop_input(...args: number[]): void;
  grouped_conv_backprop_filter(...args: number[]): void;
  grouped_conv_backprop_filter_chunks(...args: number[]): void;
  grouped_conv_sum_parts(count: number, size: number, part: number, out: number, i0: number, i1: number): void;
  grouped_conv_filter_units(cin: number, cout: number, groups: number): number;
  grouped_conv_forward_scratch(...args: number[]): number;
  grouped_conv_backprop_input_scratch(...args: number[]): number;
  depthwise_conv(...args: number[]): void;
  depthwise_conv_backprop_input(...args: number[]): void;
}

const native = new Native<GroupedConvExports>(BUILDS);
const size = sizeOf;

function checkFloat(...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`groupedConv2d (wasm) needs float32 tensors, got ${t.dtype}`);
}

function dims(g: GroupedConvGeometry): number[] {
  if (g.kernelHeight !== g.kernelWidth) throw new Error(`groupedConv2d (wasm): square kernels only, got ${g.kernelHeight}x${g.kernelWidth}`);
  return [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.groups, g.kernelHeight, g.stride, g.pad];
}

/** Multiply-adds of one pass (forward, or either gradient): decides whether the call is split over threads. */
function macs(g: GroupedConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth * (g.inChannels / g.groups) * g.outChannels;
}

/** A depthwise layer: one input and one output channel per group. */
const isDepthwise = (g: GroupedConvGeometry): boolean => g.inChannels === g.groups && g.outChannels === g.groups;

/**
 * How the filter gradient splits: over fixed chunks of `imagesPerChunk` images (more for batches above
 * maxChunks of them, so the scratch stays at most maxChunks filters) where the batch has more than one
 * (each chunk's whole filter gradient into scratch, then the chunks added in order: the values depend on
 * the batch and the chunk size, not on the threads), else (0, or a batch of one chunk) over the kernel's
 * work units. The classroom ResNeXt's grouped filter gradients went from 11.3 to 19.2 GMAC/s in its step
 * on two threads (`--profile`): split by units, both threads pulled the same cache lines of every pixel.
 */
export const nativeFilterGradientOptions = { imagesPerChunk: 8, maxChunks: 8 };

/**
 * The filter gradient: split over chunks of images (see nativeFilterGradientOptions), or over the
 * kernel's work units: each group's input channels 4 at a time (so a dense filter splits too), or for a
 * depthwise filter its channels, 4 at a time (the kernel's vector width). The forward and input gradient
 * split over the batch.
 */
function filterGradient(call: Call, g: GroupedConvGeometry, px: number, pdy: number, pdw: number, filterSize: number): void {
  const { imagesPerChunk, maxChunks } = nativeFilterGradientOptions;
  const chunk = imagesPerChunk > 0 ? Math.max(imagesPerChunk, Math.ceil(g.batch / maxChunks)) : 0;
  if (chunk > 0 && g.batch > chunk) {
    const chunks = Math.ceil(g.batch / chunk);
    const part = call.scratch(chunks * filterSize);
    parallel(native, 'grouped_conv_backprop_filter_chunks', chunks, 1, macs(g), (lo, hi) => [...dims(g), px, pdy, part, chunk, lo, hi], call);
    parallel(native, 'grouped_conv_sum_parts', filterSize, 64, PASS_COST.plain * chunks * filterSize, (lo, hi) => [chunks, filterSize, part, pdw, lo, hi], call);
    return;
  }
  const depthwise = isDepthwise(g);
  const units = native.exports.grouped_conv_filter_units(g.inChannels, g.outChannels, g.groups);
  parallel(native, 'grouped_conv_backprop_filter', units, depthwise ? 4 : 1, macs(g), (lo, hi) => [...dims(g), px, pdy, 0, pdw, lo, hi], call); // 0: the unused scratch
}

/**
 * Scratch for the forward's or input gradient's zero-bordered copy of its input, `floats` long as the
 * kernel asks (0: the kernel does not block this layer; the border pixels then run one at a time).
 */
function paddedScratch(call: ReturnType<typeof native.call>, floats: number): number {
  return floats > 0 ? call.scratch(floats) : 0;
}

/** The convolution `g` of x by the compact filter into a new tensor, split over the batch. */
function forwardOf(backend: BackendWasm, g: GroupedConvGeometry, x: Info, filter: Info): Info {
  const call = native.call(backend);
  const [px, pf] = [call.input(x), call.input(filter)];
  const py = call.output([g.batch, g.outHeight, g.outWidth, g.outChannels]);
  const padded = paddedScratch(call, native.exports.grouped_conv_forward_scratch(...dims(g)));
  parallel(native, 'grouped_conv_forward', g.batch, 1, macs(g), (lo, hi) => [...dims(g), px, pf, py, lo, hi, padded], call);
  return call.finish()[0]!;
}

/** The input gradient of `g` from dy into a new tensor of x's shape, split over the batch. */
function backpropInputOf(backend: BackendWasm, g: GroupedConvGeometry, dy: Info, filter: Info, xShape: number[]): Info {
  const call = native.call(backend);
  const [pdy, pf] = [call.input(dy), call.input(filter)];
  const pt = call.scratch(size(filter.shape));
  const pdx = call.output(xShape);
  const padded = paddedScratch(call, native.exports.grouped_conv_backprop_input_scratch(...dims(g)));
  serial(native, 'grouped_conv_transpose_filter', [g.inChannels, g.outChannels, g.groups, g.kernelHeight, pf, pt], call);
  parallel(native, 'grouped_conv_backprop_input', g.batch, 1, macs(g), (lo, hi) => [...dims(g), pdy, pt, pdx, lo, hi, padded], call);
  return call.finish()[0]!;
}

function forward({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const [x, filter] = [input(inputs, 'x'), input(inputs, 'filter')];
  checkFloat(x, filter);
  const a = attrsOf(attrs);
  return forwardOf(backend as BackendWasm, groupedConvGeometry(x.shape, filter.shape, a.groups, a.stride, a.pad), x, filter);
}

function backpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const [dy, filter] = [input(inputs, 'dy'), input(inputs, 'filter')];
  checkFloat(dy, filter);
  const a = attrsOf(attrs);
  if (!a.shape) throw new Error('GroupedConv2DBackpropInput needs the input shape');
  return backpropInputOf(backend as BackendWasm, groupedConvGeometry(a.shape, filter.shape, a.groups, a.stride, a.pad), dy, filter, a.shape);
}

/** The filter gradient of `g` from x and dy into a new filter-shaped tensor. */
function filterGradientOf(backend: BackendWasm, g: GroupedConvGeometry, x: Info, dy: Info, filterShape: readonly number[]): Info {
  const call = native.call(backend);
  const [px, pdy] = [call.input(x), call.input(dy)];
  const pdw = call.output(filterShape);
  filterGradient(call, g, px, pdy, pdw, size(filterShape));
  return call.finish()[0]!;
}

function backpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const [x, dy] = [input(inputs, 'x'), input(inputs, 'dy')];
  checkFloat(x, dy);
  const a = attrsOf(attrs);
  if (!a.shape) throw new Error('GroupedConv2DBackpropFilter needs the filter shape');
  const g = groupedConvGeometry(x.shape, a.shape, a.groups, a.stride, a.pad);
  return filterGradientOf(backend as BackendWasm, g, x, dy, a.shape);
}

/**
 * The filter gradient of a dense convolution (depthwise: one of multiplier 1) by the native kernel,
 * as the grouped filter gradient with 1 group (depthwise: groups = channels); undefined where the
 * native kernel does not apply (dilation, a rectangular kernel or asymmetric padding), for the
 * caller's fallback.
 */
export function nativeFilterGradient(backend: BackendWasm, x: Info, dy: Info, convInfo: tf.backend_util.Conv2DInfo, depthwise: boolean): Info | undefined {
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const g = nativeGeometry(x.shape, convInfo, depthwise);
  if (!g) return undefined;
  const { filterHeight: k, inChannels: ci, outChannels: co } = convInfo;
  return filterGradientOf(backend, g, x, dy, depthwise ? [k, k, ci, 1] : [k, k, ci, co]);
}

/**
 * `convInfo` (a dense convolution, or a depthwise one of multiplier 1) as the native kernels' geometry with
 * 1 group (depthwise: groups = channels); undefined where they do not apply (dilation, a rectangular kernel
 * or stride, asymmetric padding).
 */
function nativeGeometry(xShape: readonly number[], convInfo: tf.backend_util.Conv2DInfo, depthwise: boolean): GroupedConvGeometry | undefined {
  const { filterHeight: k, filterWidth: kw, strideHeight: s, strideWidth: sw, padInfo } = convInfo;
  const pad = padInfo.top;
  if (k !== kw || s !== sw || padInfo.left !== pad || padInfo.bottom !== pad || padInfo.right !== pad) return undefined;
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1 || convInfo.dataFormat !== 'channelsLast') return undefined;
  const { inChannels: ci, outChannels: co } = convInfo;
  const g = groupedConvGeometry(xShape, depthwise ? [k, k, 1, ci] : [k, k, ci, co], depthwise ? ci : 1, s, pad);
  return g.outHeight === convInfo.outHeight && g.outWidth === convInfo.outWidth ? g : undefined;
}

/**
 * A dense convolution (tfjs' Conv2D) by the native grouped kernel with 1 group, split over the batch by
 * the kernel pool; undefined where the kernel does not apply, for the caller's fallback.
 */
export function nativeDenseConv(backend: BackendWasm, x: Info, filter: Info, convInfo: tf.backend_util.Conv2DInfo): Info | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const g = nativeGeometry(x.shape, convInfo, false);
  return g && forwardOf(backend, g, x, filter);
}

/** The input gradient of a dense convolution by the native kernel (as nativeDenseConv); undefined where it does not apply. */
export function nativeDenseBackpropInput(backend: BackendWasm, dy: Info, filter: Info, convInfo: tf.backend_util.Conv2DInfo): Info | undefined {
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = convInfo;
  const g = nativeGeometry([n, h, w, c], convInfo, false);
  return g && backpropInputOf(backend, g, dy, filter, [n, h, w, c]);
}

/**
 * One native depthwise pass (channel multiplier 1, no dilation, NHWC) placed as `info` says (stride,
 * top-left padding, sizes): `depthwise_conv` maps x [N, H, W, C] to [N, outHeight, outWidth, C],
 * `depthwise_conv_backprop_input` maps dy back to [N, H, W, C]. Split over the batch.
 */
function depthwisePass(backend: BackendWasm, fn: 'depthwise_conv' | 'depthwise_conv_backprop_input', a: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info {
  checkFloat(a, filter);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, padInfo, outHeight: ho, outWidth: wo } = info;
  if (filter.shape.join() !== [kh, kw, c, 1].join()) throw new Error(`depthwise (wasm): filter [${filter.shape.join(', ')}] for ${c} channels (multiplier 1 only)`);
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || padInfo.top < 0 || padInfo.left < 0) throw new Error('depthwise (wasm): no dilation and no negative padding');
  const dims = [n, h, w, c, kh, kw, sh, sw, padInfo.top, padInfo.left, ho, wo];
  const call = native.call(backend);
  const [pa, pf] = [call.input(a), call.input(filter)];
  const pOut = call.output(fn === 'depthwise_conv' ? [n, ho, wo, c] : [n, h, w, c]);
  parallel(native, fn, n, 1, n * ho * wo * c * kh * kw, (lo, hi) => [...dims, pa, pf, pOut, lo, hi], call);
  return call.finish()[0]!;
}

/** A depthwise convolution of x [N, H, W, C] with filter [kh, kw, C, 1] by the native kernel; taps outside the input are skipped (zero padding of any width). */
export const nativeDepthwise = (backend: BackendWasm, x: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info => depthwisePass(backend, 'depthwise_conv', x, filter, info);

/** The input gradient of that convolution from dy [N, outHeight, outWidth, C]: every stride in one native pass (each input pixel gathers the taps that reach it). */
export const nativeDepthwiseBackpropInput = (backend: BackendWasm, dy: Info, filter: Info, info: tf.backend_util.Conv2DInfo): Info =>
  depthwisePass(backend, 'depthwise_conv_backprop_input', dy, filter, info);

/** tfjs' DepthwiseConv2dNative by the native kernel where it applies (float32, NHWC, multiplier 1, no dilation); tfjs' own (XNNPACK) otherwise. */
function depthwiseConv2dNative(args: KernelArgs): Info {
  const { inputs, backend, attrs = {} } = args;
  const [x, filter] = [input(inputs, 'x'), input(inputs, 'filter')];
  const a = attrs as { strides?: number | [number, number]; pad?: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding; dilations?: number | [number, number]; dimRoundingMode?: 'floor' | 'round' | 'ceil'; dataFormat?: 'NHWC' | 'NCHW' };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides ?? 1,
    a.dilations ?? 1,
    a.pad ?? 'valid',
    a.dimRoundingMode,
    true,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat ?? 'NHWC'),
  );
  const native = x.dtype === 'float32' && filter.dtype === 'float32' && info.dataFormat === 'channelsLast' && filter.shape[3] === 1 && info.dilationHeight === 1 && info.dilationWidth === 1 && info.padInfo.top >= 0 && info.padInfo.left >= 0;
  if (!native) return stockKernel('DepthwiseConv2dNative')(args as Parameters<tf.KernelFunc>[0]) as Info;
  return nativeDepthwise(backend as BackendWasm, x, filter, info);
}

const GROUPED_CONV_KERNELS: readonly WasmKernel[] = [
  { kernelName: 'DepthwiseConv2dNative', kernelFunc: depthwiseConv2dNative, replacesStock: true },
  { kernelName: GROUPED_CONV2D, kernelFunc: forward, replacesStock: false },
  { kernelName: GROUPED_CONV2D_BACKPROP_INPUT, kernelFunc: backpropInput, replacesStock: false },
  { kernelName: GROUPED_CONV2D_BACKPROP_FILTER, kernelFunc: backpropFilter, replacesStock: false },
];

/** Registers the three kernels for 'wasm' and the op's gradient (idempotent). */
export function registerWasmGroupedConvKernels(): void {
  registerWasmKernelSet(GROUPED_CONV_KERNELS);
  registerGroupedConvGradient();
}

/** Whether the grouped conv kernels are registered for 'wasm'. */
export function wasmGroupedConvRegistered(): boolean {
  return tf.getKernel(GROUPED_CONV2D, BACKEND) !== undefined;
}
