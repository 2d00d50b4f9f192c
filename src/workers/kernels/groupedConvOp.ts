/**
 * The grouped convolution op as the app's kernels implement it on each backend (webgpu/, wasm/): its
 * kernel names and attributes, its geometry, and its gradient (registered once for every backend).
 * NHWC input, tfjs' compact filter [kh, kw, Cin/G, Cout], symmetric zero padding.
 */
import * as tf from '@tensorflow/tfjs';

/** Everything a grouped convolution's shaders depend on. */
export interface GroupedConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  groups: number;
  kernelHeight: number;
  kernelWidth: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

export function groupedConvGeometry(xShape: readonly number[], filterShape: readonly number[], groups: number, stride: number, pad: number): GroupedConvGeometry {
  const [batch, inHeight, inWidth, inChannels] = xShape as [number, number, number, number];
  const [kernelHeight, kernelWidth, inPerGroup, outChannels] = filterShape as [number, number, number, number];
  if (xShape.length !== 4 || filterShape.length !== 4) throw new Error(`groupedConv2d: x and filter must be rank 4, got [${xShape}] and [${filterShape}]`);
  if (!Number.isInteger(groups) || groups < 1 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new Error(`groupedConv2d: groups (${groups}) must divide Cin (${inChannels}) and Cout (${outChannels})`);
  }
  if (inPerGroup * groups !== inChannels) {
    throw new Error(`groupedConv2d: filter in-depth ${inPerGroup} must be Cin/groups = ${inChannels / groups}`);
  }
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`groupedConv2d: stride must be a positive integer, got ${stride}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`groupedConv2d: pad must be a non-negative integer, got ${pad}`);
  // PyTorch's output size for symmetric explicit zero padding.
  const outHeight = Math.floor((inHeight + 2 * pad - kernelHeight) / stride) + 1;
  const outWidth = Math.floor((inWidth + 2 * pad - kernelWidth) / stride) + 1;
  if (outHeight < 1 || outWidth < 1) throw new Error(`groupedConv2d: empty output for input ${inHeight}x${inWidth}, kernel ${kernelHeight}x${kernelWidth}, pad ${pad}`);
  return { batch, inHeight, inWidth, inChannels, outChannels, groups, kernelHeight, kernelWidth, stride, pad, outHeight, outWidth };
}

export const GROUPED_CONV2D = 'GroupedConv2D';
export const GROUPED_CONV2D_BACKPROP_INPUT = 'GroupedConv2DBackpropInput';
export const GROUPED_CONV2D_BACKPROP_FILTER = 'GroupedConv2DBackpropFilter';

/** Attributes of the three kernels (plain numbers so they fit tfjs' NamedAttrMap). */
export interface GroupedConvAttrs {
  groups: number;
  stride: number;
  pad: number;
  /** Backprop input: the shape of x. Backprop filter: the shape of the filter. */
  shape?: number[];
}

export function attrsOf(attrs: tf.NamedAttrMap): GroupedConvAttrs {
  return attrs as unknown as GroupedConvAttrs;
}

/** The gradient of GroupedConv2D in terms of the two backprop kernels (idempotent; any backend). */
export function registerGroupedConvGradient(): void {
  if (tf.getGradient(GROUPED_CONV2D) === undefined) {
    tf.registerGradient({
      kernelName: GROUPED_CONV2D,
      inputsToSave: ['x', 'filter'],
      gradFunc: (dy, saved, attrs) => {
        const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        const a = attrsOf(attrs);
        const base = { groups: a.groups, stride: a.stride, pad: a.pad };
        return {
          x: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_INPUT, { dy: dy as tf.Tensor, filter }, { ...base, shape: x.shape }) as tf.Tensor,
          filter: () => tf.engine().runKernel(GROUPED_CONV2D_BACKPROP_FILTER, { x, dy: dy as tf.Tensor }, { ...base, shape: filter.shape }) as tf.Tensor,
        };
      },
    });
  }
}
