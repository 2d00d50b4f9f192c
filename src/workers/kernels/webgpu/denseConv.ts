/**
 * tfjs' dense convolution kernels on WebGPU, replaced by the grouped convolution's (groupedConv.ts)
 * at groups 1 wherever the conv is one they cover: float32, NHWC, no dilation, equal strides, the
 * same zero padding on top and left, and an output size that padding gives. Anything else goes to
 * tfjs' own kernel, kept as it was registered.
 * - `Conv2DBackpropFilter`, always: tfjs' own runs one invocation per weight over all N*HO*WO
 *   positions (docs/tfjs.md#slow-1x1-filter-gradient).
 * - `Conv2D` and `Conv2DBackpropInput`, only where the untiled programs run (a software adapter):
 *   tfjs' own are tuned for GPUs, and on SwiftShader were 2-18x slower than the untiled programs on
 *   the classroom presets' dense 3x3 convs (`npm run bench:webgpu`).
 */
import * as tf from '@tensorflow/tfjs';
import { groupedConvGeometry } from '../groupedConvOp';
import type { GroupedConvGeometry } from '../groupedConvOp';
import { backpropInputKernel, filterGradient, forwardKernel, webgpuConvVariant } from './groupedConv';

type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: Shape4;
  inputShape?: Shape4;
}

/** The groups-1 geometry of a tfjs conv, or undefined where the grouped programs do not cover it. */
function denseGeometry(xShape: number[], filterShape: Shape4, a: ConvAttrs, ...tensors: tf.TensorInfo[]): GroupedConvGeometry | undefined {
  if (tensors.some((t) => t.dtype !== 'float32') || (a.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  const d = a.dilations ?? 1;
  if (!(d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1))) return undefined;
  const info = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
  const p = info.padInfo.top;
  if (info.strideHeight !== info.strideWidth || info.padInfo.left !== p || info.inChannels !== filterShape[2]) return undefined;
  const g = groupedConvGeometry(xShape, filterShape, 1, info.strideHeight, p);
  return g.outHeight === info.outHeight && g.outWidth === info.outWidth ? g : undefined;
}

function replace(name: string, kernelFunc: (args: Parameters<tf.KernelFunc>[0], own: tf.KernelFunc) => ReturnType<tf.KernelFunc>): tf.KernelFunc | undefined {
  const own = tf.getKernel(name, 'webgpu');
  if (!own) return undefined;
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ ...own, kernelFunc: (args) => kernelFunc(args, own.kernelFunc) });
  return own.kernelFunc;
}

/**
 * Whether the backend in use runs tfjs' dense Conv2D and its input gradient by the untiled programs
 * (WebGPU on a software adapter). The engine then runs a 1x1 convolution as a convolution rather than
 * as a matMul: on SwiftShader the untiled programs ran the classroom ResNeXt's 1x1 layers ~4x faster than
 * tfjs' matMul (docs/tfjs.md#batchnorm-on-webgpu); on a GPU tfjs' tuned matMul stays.
 */
export function denseConvByUntiledPrograms(): boolean {
  return tf.getBackend() === 'webgpu' && webgpuConvVariant(tf.backend()) === 'untiled';
}

let registered = false;
let tfjsOwn: tf.KernelFunc | undefined;

/** tfjs' own kernel as it was before the replacement (for benchmarks). */
export function tfjsConv2DBackpropFilter(): tf.KernelFunc | undefined {
  return tfjsOwn;
}

/** Registers the replacements once; each keeps tfjs' own kernel for what it does not cover. */
export function registerWebgpuDenseConvKernels(): void {
  if (registered) return;
  registered = true;
  tfjsOwn = replace('Conv2DBackpropFilter', (args, own) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    const g = a.filterShape && denseGeometry(x.shape, a.filterShape, a, x, dy);
    return g ? filterGradient(args.backend, x, dy, g, a.filterShape!) : own(args);
  });
  replace('Conv2D', (args, own) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    const g = webgpuConvVariant(args.backend) === 'untiled' && denseGeometry(x.shape, filter.shape as Shape4, a, x, filter);
    if (!g) return own(args);
    return forwardKernel({ ...args, attrs: { groups: 1, stride: g.stride, pad: g.pad } });
  });
  replace('Conv2DBackpropInput', (args, own) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    const g = webgpuConvVariant(args.backend) === 'untiled' && a.inputShape && denseGeometry(a.inputShape, filter.shape as Shape4, a, dy, filter);
    if (!g) return own(args);
    return backpropInputKernel({ ...args, attrs: { groups: 1, stride: g.stride, pad: g.pad, shape: a.inputShape! } });
  });
}
