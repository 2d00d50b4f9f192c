/**
 * A network's parameter list, read off its graph: every parameter and BatchNorm buffer with its
 * state_dict key (PyTorch's module names: `layer1.0.conv2.weight`, `layer1.0.bn2.running_var`), its
 * role and its sizes. The one home of these facts: the compute worker builds tfjs tensors from it,
 * the exporters list PyTorch's state_dict from it. A layout (tfjs or PyTorch) is a small transform of
 * a parameter's sizes (`paramShape`).
 *
 * Forms (a) and (b) of a ResNeXt block own no parameters: each branch op (`layer1.0.branches.3.conv2`)
 * reads its slice of the form-(c) parameter (`layer1.0.conv2.weight`). So a network's parameters are
 * those of its form-(c) graph (`parameterGraph`), and `canonicalName` maps a branch op to the op that
 * owns its parameters.
 */
import { type ValidAnalysis, analyzeOrThrow } from './analyze';
import { type GraphItem, type NetworkGraph, type Op, opsOf } from './graph';

export type ParamRole = 'conv' | 'bias' | 'gamma' | 'beta' | 'runningMean' | 'runningVar' | 'fcWeight';

export interface ParamInfo {
  /** The state_dict key. */
  key: string;
  /** What initialises it and whether training updates it (running statistics are buffers). */
  role: ParamRole;
  /** Output channels (or features) of the op: the length of every vector parameter. */
  out: number;
  /** Weights only: input channels per group (conv) or input features (FC). */
  in?: number;
  /** Conv weights only: the square kernel's side. */
  kernel?: number;
}

/** BatchNorm epsilon (PyTorch's default), used by the worker and written into the exports. */
export const BN_EPSILON = 1e-5;

/** The parameters of one op, in module order (weight, bias; BN: weight, bias, running mean, running var). */
export function opParams(op: Op): ParamInfo[] {
  const out = op.output.channels;
  switch (op.type) {
    case 'conv': {
      const infos: ParamInfo[] = [{ key: `${op.name}.weight`, role: 'conv', out, in: op.input.channels / (op.groups ?? 1), kernel: op.kernel ?? 1 }];
      if (op.bias) infos.push({ key: `${op.name}.bias`, role: 'bias', out });
      return infos;
    }
    case 'linear':
      return [
        { key: `${op.name}.weight`, role: 'fcWeight', out, in: op.input.channels * op.input.height * op.input.width },
        { key: `${op.name}.bias`, role: 'bias', out },
      ];
    case 'batchnorm': {
      const c = op.input.channels;
      return [
        { key: `${op.name}.weight`, role: 'gamma', out: c },
        { key: `${op.name}.bias`, role: 'beta', out: c },
        { key: `${op.name}.running_mean`, role: 'runningMean', out: c },
        { key: `${op.name}.running_var`, role: 'runningVar', out: c },
      ];
    }
    default:
      return [];
  }
}

/** Every parameter of a graph item (a network, stage or block), in module order. */
export function paramInfos(item: GraphItem): ParamInfo[] {
  return [...opsOf(item)].flatMap(opParams);
}

export type ParamLayout = 'tfjs' | 'pytorch';

/**
 * A parameter's shape in a layout. tfjs (NHWC): conv `[k, k, in/groups, out]` (the compact grouped
 * layout), FC `[in, out]`. PyTorch: conv `[out, in/groups, k, k]`, FC `[out, in]`. Vectors: `[out]`.
 */
export function paramShape(info: ParamInfo, layout: ParamLayout): number[] {
  if (info.in === undefined) return [info.out];
  if (info.kernel === undefined) return layout === 'tfjs' ? [info.in, info.out] : [info.out, info.in];
  const k = info.kernel;
  return layout === 'tfjs' ? [k, k, info.in, info.out] : [info.out, info.in, k, k];
}

export function paramSize(info: ParamInfo): number {
  return info.out * (info.in ?? 1) * (info.kernel ?? 1) ** 2;
}

export function isTrainable(info: ParamInfo): boolean {
  return info.role !== 'runningMean' && info.role !== 'runningVar';
}

/** Sum of element counts of the trainable parameters (running statistics excluded), as the core counts them. */
export function trainableCount(infos: readonly ParamInfo[]): number {
  return infos.filter(isTrainable).reduce((n, i) => n + paramSize(i), 0);
}

/** ResNeXt Sec. 5.3's weight decay applies to conv and FC weights; not to BN gamma/beta, not to biases. */
export function weightDecayApplies(info: ParamInfo): boolean {
  return info.role === 'conv' || info.role === 'fcWeight';
}

const BRANCH = /\.branches\.(\d+)(?=\.)/;

/**
 * The op that owns a (branch) op's parameters and the branch index: `layer1.0.branches.3.conv2` ->
 * `{ name: 'layer1.0.conv2', branch: 3 }`; any other op is its own owner (branch undefined).
 */
export function canonicalName(opName: string): { name: string; branch?: number } {
  const m = BRANCH.exec(opName);
  return m ? { name: opName.replace(BRANCH, ''), branch: Number(m[1]) } : { name: opName };
}

/**
 * The graph a spec's parameters are read off: its own graph, except for ResNet-family specs in
 * block form (a) or (b), whose parameters are those of the same spec in form (c) (the three forms
 * are one function with one set of parameters, ResNeXt Fig. 3; form (c)'s module names are
 * torchvision's).
 */
export function parameterGraph(analysis: ValidAnalysis): NetworkGraph {
  const spec = analysis.spec;
  if (spec.family !== 'resnet' || spec.form === 'c') return analysis.graph;
  return analyzeOrThrow({ ...spec, form: 'c' }).graph;
}
