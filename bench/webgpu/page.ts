/**
 * The page side of bench/webgpu.bench.ts (bundled by esbuild, injected into a localhost page): on the
 * webgpu backend, times each convolution kernel of a layer (forward, input gradient, filter
 * gradient) for the app's tiled programs, the older untiled ones, and tfjs' own kernels where tfjs
 * has that conv (dense, depthwise), beside the backend's own matMul rate in the same page. Every
 * timing awaits `data()` (docs/tfjs.md#time-only-after-a-readback); before timing, each variant's
 * output is compared with the tiled one's.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { switchBackend } from '../../src/workers/engine/backend';
import { explicitPad } from '../../src/workers/engine/groupedConv';
import { GROUPED_CONV2D, GROUPED_CONV2D_BACKPROP_FILTER, GROUPED_CONV2D_BACKPROP_INPUT, groupedConvGeometry } from '../../src/workers/kernels/groupedConvOp';
import { tfjsConv2DBackpropFilter } from '../../src/workers/kernels/webgpu/denseConv';
import { WEBGPU_CONV_KERNELS } from '../../src/workers/kernels/webgpu/groupedConv';

export interface BenchLayer {
  name: string;
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  kernel: number;
  stride: number;
  pad: number;
}

export interface KernelTiming {
  layer: string;
  kernel: 'forward' | 'inputGradient' | 'filterGradient';
  variant: 'tiled' | 'untiled' | 'tfjs';
  ms?: number;
  gflops?: number;
  fractionOfMatMul?: number;
  /** Max abs difference from the tiled variant's output, relative to its largest magnitude. */
  relDiffVsTiled?: number;
  error?: string;
}

export interface WebgpuBenchResult {
  backend: string;
  adapter?: string;
  matMul: { size: number; ms: number; gflops: number };
  timings: KernelTiming[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(runs: number, f: () => tf.Tensor): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const y = f();
    await y.data();
    const ms = performance.now() - t0;
    y.dispose();
    return ms;
  };
  await once(); // shader compilation
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await once());
  return median(ms);
}

async function matMulRate(size: number, runs: number): Promise<{ size: number; ms: number; gflops: number }> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const ms = await timeIt(runs, () => tf.matMul(a, b));
  tf.dispose([a, b]);
  return { size, ms: +ms.toFixed(1), gflops: +((2 * size ** 3) / ms / 1e6).toFixed(4) };
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? m / Math.max(scale, 1e-30) : Infinity;
}

type Variant = KernelTiming['variant'];

export async function benchWebgpu(layers: BenchLayer[], runs: number, matMulSize: number): Promise<WebgpuBenchResult> {
  if (!(await switchBackend('webgpu'))) throw new Error('no GPU adapter: the webgpu backend did not start');
  const adapterInfo = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  const matMul = await matMulRate(matMulSize, runs);
  const timings: KernelTiming[] = [];
  for (const l of layers) {
    const cinG = l.inChannels / l.groups;
    const filterShape: [number, number, number, number] = [l.kernel, l.kernel, cinG, l.outChannels];
    const g = groupedConvGeometry([l.batch, l.size, l.size, l.inChannels], filterShape, l.groups, l.stride, l.pad);
    const x = tf.randomUniform([l.batch, l.size, l.size, l.inChannels], -1, 1) as tf.Tensor4D;
    const w = tf.randomUniform(filterShape, -0.1, 0.1) as tf.Tensor4D;
    const dy = tf.randomUniform([l.batch, g.outHeight, g.outWidth, l.outChannels], -1, 1) as tf.Tensor4D;
    const macs = l.batch * g.outHeight * g.outWidth * l.outChannels * l.kernel * l.kernel * cinG;
    const attrs = { groups: l.groups, stride: l.stride, pad: l.pad };
    const depthwise = l.groups === l.inChannels && l.groups === l.outChannels;
    const pad = explicitPad(l.pad);
    const ours: Record<KernelTiming['kernel'], () => tf.Tensor> = {
      forward: () => tf.engine().runKernel(GROUPED_CONV2D, { x, filter: w }, attrs) as tf.Tensor,
      inputGradient: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_INPUT, { dy, filter: w }, { ...attrs, shape: x.shape }) as tf.Tensor,
      filterGradient: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_FILTER, { x, dy }, { ...attrs, shape: filterShape }) as tf.Tensor,
    };
    // tfjs' own kernels for the convs it has (dense, depthwise with multiplier 1), same tensors.
    const dw = depthwise ? (tf.reshape(w, [l.kernel, l.kernel, l.inChannels, 1]) as tf.Tensor4D) : undefined;
    const tfjs: Partial<Record<KernelTiming['kernel'], () => tf.Tensor>> =
      l.groups === 1
        ? {
            forward: () => tf.conv2d(x, w, l.stride, pad),
            inputGradient: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: [l.stride, l.stride], pad, dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor,
            // tfjs' own, not the app's replacement registered under its name (kernels/webgpu/denseConv.ts).
            filterGradient: () => {
              const info = tfjsConv2DBackpropFilter()!({ inputs: { x, dy }, backend: tf.backend(), attrs: { strides: [l.stride, l.stride], pad, dataFormat: 'NHWC', filterShape } }) as tf.TensorInfo;
              return tf.engine().makeTensorFromTensorInfo(info);
            },
          }
        : depthwise && dw
          ? {
              forward: () => tf.depthwiseConv2d(x, dw, l.stride, pad),
              inputGradient: () =>
                tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: dw }, { strides: [l.stride, l.stride], pad, dilations: [1, 1], inputShape: x.shape }) as tf.Tensor,
              filterGradient: () =>
                tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: [l.stride, l.stride], pad, dilations: [1, 1], filterShape: dw.shape }) as tf.Tensor,
            }
          : {};
    for (const kernel of ['forward', 'inputGradient', 'filterGradient'] as const) {
      const variants: [Variant, () => tf.Tensor][] = [
        ['untiled', ours[kernel]],
        ['tiled', ours[kernel]],
      ];
      const own = tfjs[kernel];
      if (own) variants.push(['tfjs', own]);
      WEBGPU_CONV_KERNELS.variant = 'tiled';
      const reference = ours[kernel]();
      const refData = (await reference.data()) as Float32Array;
      reference.dispose();
      for (const [variant, f] of variants) {
        const row: KernelTiming = { layer: l.name, kernel, variant };
        try {
          if (variant !== 'tfjs') WEBGPU_CONV_KERNELS.variant = variant;
          const y = f();
          row.relDiffVsTiled = +relDiff((await y.data()) as Float32Array, refData).toExponential(2);
          y.dispose();
          const ms = await timeIt(runs, f);
          row.ms = +ms.toFixed(1);
          row.gflops = +((2 * macs) / ms / 1e6).toFixed(4);
          row.fractionOfMatMul = +(row.gflops / matMul.gflops).toFixed(3);
        } catch (e) {
          row.error = String((e as Error).message ?? e).slice(0, 200);
        }
        timings.push(row);
      }
    }
    WEBGPU_CONV_KERNELS.variant = 'tiled';
    tf.dispose([x, w, dy, ...(dw ? [dw] : [])]);
  }
  return { backend: tf.getBackend(), adapter: adapterInfo ? `${adapterInfo.vendor ?? ''} ${adapterInfo.architecture ?? ''}`.trim() : undefined, matMul, timings };
}

(window as unknown as { benchWebgpu: typeof benchWebgpu }).benchWebgpu = benchWebgpu;
