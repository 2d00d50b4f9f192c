/**
 * Grouped convolution on tfjs' WASM backend by the app's own SIMD kernels (native/groupedConv.c,
 * built by `npm run build:kernels`): forward, input gradient and filter gradient as direct
 * convolutions vectorised over a group's channels. Stock tfjs-wasm has no grouped convolution; the
 * formulations from its own ops cost a group count's worth of extra MACs (block-diagonal) or many
 * small convs and copies (split). Measured per layer: bench/groupedConv.bench.ts.
 *
 * The native module has its own linear memory: a kernel copies its inputs in, runs, and copies the
 * result into a tfjs output (copies are O(activations); the convolution is O(activations x k² x Cin/G)).
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
import { WASM_BASE64 } from './native/groupedConv.wasm';
import { BACKEND, type Info, type KernelArgs, type WasmKernel, heap, input, registerWasmKernelSet } from './plumbing';

interface NativeExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  grouped_conv_forward(...args: number[]): void;
  grouped_conv_backprop_input(...args: number[]): void;
  grouped_conv_backprop_filter(...args: number[]): void;
}

let native: NativeExports | undefined;

function decodeBase64(text: string): Uint8Array {
  if (typeof atob === 'function') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Uint8Array((globalThis as unknown as { Buffer: { from(s: string, e: string): Uint8Array } }).Buffer.from(text, 'base64'));
}

/** The native module, compiled synchronously on first use (9 KB: allowed in workers and Node). */
function module(): NativeExports {
  native ??= new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(WASM_BASE64) as BufferSource)).exports as unknown as NativeExports;
  return native;
}

/** Byte offsets in native memory for buffers of `floats` float32 each, laid out after the heap base (grows memory). */
function layout(...floats: number[]): number[] {
  const m = module();
  const offsets: number[] = [];
  let at = (m.heap_base() + 15) & ~15;
  for (const n of floats) {
    offsets.push(at);
    at += (n * 4 + 15) & ~15;
  }
  const missing = at - m.memory.buffer.byteLength;
  if (missing > 0) m.memory.grow(Math.ceil(missing / 65536));
  return offsets;
}

function f32(offset: number, floats: number): Float32Array {
  return new Float32Array(module().memory.buffer, offset, floats);
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkFloat(...ts: Info[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`groupedConv2d (wasm) needs float32 tensors, got ${t.dtype}`);
}

function dims(g: GroupedConvGeometry): number[] {
  if (g.kernelHeight !== g.kernelWidth) throw new Error(`groupedConv2d (wasm): square kernels only, got ${g.kernelHeight}x${g.kernelWidth}`);
  return [g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.groups, g.kernelHeight, g.stride, g.pad];
}

/** Copies `t` (a tfjs tensor on the wasm heap) into native memory at `offset`. */
function copyIn(backend: BackendWasm, t: Info, offset: number): void {
  f32(offset, size(t.shape)).set(heap(backend, t));
}

/** A new tfjs tensor of `shape` holding native memory at `offset`. */
function copyOut(backend: BackendWasm, shape: number[], offset: number): Info {
  const out = backend.makeOutput(shape, 'float32');
  heap(backend, out).set(f32(offset, size(shape)));
  return out;
}

function forward({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const wasm = backend as BackendWasm;
  const [x, filter] = [input(inputs, 'x'), input(inputs, 'filter')];
  checkFloat(x, filter);
  const a = attrsOf(attrs);
  const g = groupedConvGeometry(x.shape, filter.shape, a.groups, a.stride, a.pad);
  const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  const [px, pf, py] = layout(size(x.shape), size(filter.shape), size(yShape));
  copyIn(wasm, x, px!);
  copyIn(wasm, filter, pf!);
  module().grouped_conv_forward(...dims(g), px!, pf!, py!);
  return copyOut(wasm, yShape, py!);
}

function backpropInput({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const wasm = backend as BackendWasm;
  const [dy, filter] = [input(inputs, 'dy'), input(inputs, 'filter')];
  checkFloat(dy, filter);
  const a = attrsOf(attrs);
  if (!a.shape) throw new Error('GroupedConv2DBackpropInput needs the input shape');
  const g = groupedConvGeometry(a.shape, filter.shape, a.groups, a.stride, a.pad);
  const [pdy, pf, pt, pdx] = layout(size(dy.shape), size(filter.shape), size(filter.shape), size(a.shape));
  copyIn(wasm, dy, pdy!);
  copyIn(wasm, filter, pf!);
  module().grouped_conv_backprop_input(...dims(g), pdy!, pf!, pt!, pdx!);
  return copyOut(wasm, [...a.shape], pdx!);
}

function backpropFilter({ inputs, backend, attrs = {} }: KernelArgs): Info {
  const wasm = backend as BackendWasm;
  const [x, dy] = [input(inputs, 'x'), input(inputs, 'dy')];
  checkFloat(x, dy);
  const a = attrsOf(attrs);
  if (!a.shape) throw new Error('GroupedConv2DBackpropFilter needs the filter shape');
  const g = groupedConvGeometry(x.shape, a.shape, a.groups, a.stride, a.pad);
  const [px, pdy, pt, pdw] = layout(size(x.shape), size(dy.shape), size(a.shape), size(a.shape));
  copyIn(wasm, x, px!);
  copyIn(wasm, dy, pdy!);
  module().grouped_conv_backprop_filter(...dims(g), px!, pdy!, pt!, pdw!);
  return copyOut(wasm, [...a.shape], pdw!);
}

/**
 * The filter gradient of a depthwise convolution (multiplier 1, dilation 1) by the native kernel, as
 * the grouped filter gradient with groups = channels; undefined where the native kernel does not
 * apply (a rectangular kernel or asymmetric padding), for the caller's fallback.
 */
export function nativeDepthwiseFilterGradient(backend: BackendWasm, x: Info, dy: Info, convInfo: tf.backend_util.Conv2DInfo): Info | undefined {
  const { filterHeight: k, filterWidth: kw, strideHeight: s, strideWidth: sw, padInfo } = convInfo;
  const pad = padInfo.top;
  if (k !== kw || s !== sw || padInfo.left !== pad || padInfo.bottom !== pad || padInfo.right !== pad) return undefined;
  if (convInfo.dilationHeight !== 1 || convInfo.dilationWidth !== 1) return undefined;
  const c = convInfo.inChannels;
  const g = groupedConvGeometry(x.shape, [k, k, 1, c], c, s, pad);
  if (g.outHeight !== convInfo.outHeight || g.outWidth !== convInfo.outWidth) return undefined;
  const filterShape = [k, k, c, 1];
  const [px, pdy, pt, pdw] = layout(size(x.shape), size(dy.shape), size(filterShape), size(filterShape));
  copyIn(backend, x, px!);
  copyIn(backend, dy, pdy!);
  module().grouped_conv_backprop_filter(...dims(g), px!, pdy!, pt!, pdw!);
  return copyOut(backend, filterShape, pdw!);
}

const GROUPED_CONV_KERNELS: readonly WasmKernel[] = [
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
