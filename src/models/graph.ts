/**
 * The expanded network: a tree network -> stage -> block -> (branch) -> op, where every op
 * knows its input/output shape, kernel, stride, groups, params and MACs.
 *
 * Counting convention (ResNeXt / torchvision, stated in the UI too, see `convention.ts`):
 * params = conv weights (+ bias where present) + BN gamma/beta + FC weight/bias;
 * MACs = multiply-adds of conv and linear layers only. Every other op has 0 params and 0 MACs.
 */

/** Per-image tensor shape, channels x height x width (1 x 1 after global pooling). */
export interface Shape {
  channels: number;
  height: number;
  width: number;
}

export type OpType =
  | 'conv'
  | 'linear'
  | 'batchnorm'
  | 'relu'
  | 'silu'
  | 'sigmoid'
  | 'maxpool'
  | 'avgpool'
  | 'add'
  | 'sum'
  | 'concat'
  | 'multiply'
  | 'dropout';

export interface Op {
  kind: 'op';
  /** Dotted path in the style of torchvision's module names, e.g. `layer1.0.conv2`. */
  name: string;
  type: OpType;
  input: Shape;
  output: Shape;
  kernel?: number;
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
  /** Number of tensors an `add`, `sum` or `concat` combines. */
  inputs?: number;
  params: number;
  macs: number;
  /** The counts written out with the numbers plugged in, e.g. `3·3·(128/32)·128`. */
  paramsFormula?: string;
  macsFormula?: string;
}

export type NodeLevel = 'network' | 'stage' | 'block' | 'branch';

/** What a block is, for tables and diagrams (Fig. 3 annotations such as "256, 1x1, 4"). */
export interface BlockInfo {
  type: 'basic' | 'bottleneck' | 'mbconv';
  /** iResNet ResStage role; 'standard' for post-activation ResNet blocks. */
  role: 'standard' | 'start' | 'middle' | 'end';
  form?: 'a' | 'b' | 'c';
  /** Branches / groups of the 3x3 (C), and its total width (C * d). */
  groups: number;
  width: number;
  stride: number;
  kernel: number;
  expandRatio?: number;
  shortcut: 'identity' | 'projection' | 'maxpool-projection' | 'maxpool' | 'none';
}

/**
 * How a branch node joins the data flow of its block: one of C `parallel` paths (merged by the
 * next `sum` or `concat`), the `shortcut` (merged by `add`), or a `gate` (SE, merged by `multiply`).
 * Parallel paths and gates start from the value flowing into them; a shortcut from the block input.
 */
export type BranchRole = 'parallel' | 'shortcut' | 'gate';

export interface GraphNode {
  kind: 'node';
  level: NodeLevel;
  /** Branch nodes only. */
  branch?: BranchRole;
  name: string;
  /** Human label in the paper's words, e.g. `conv3` or `MBConv6, k5x5`. */
  label: string;
  input: Shape;
  output: Shape;
  children: GraphItem[];
  block?: BlockInfo;
}

export type GraphItem = Op | GraphNode;

export interface NetworkGraph extends GraphNode {
  level: 'network';
  family: string;
}

export const shape = (channels: number, height: number, width = height): Shape => ({ channels, height, width });

export const formatShape = (s: Shape): string => `${s.channels}x${s.height}x${s.width}`;

/** Spatial size after a window of `kernel` with `stride` and symmetric `padding` (PyTorch's rule). */
export const convOutputSize = (size: number, kernel: number, stride: number, padding: number): number =>
  Math.floor((size + 2 * padding - kernel) / stride) + 1;

export interface ConvOptions {
  out: number;
  kernel: number;
  stride?: number;
  groups?: number;
  bias?: boolean;
  /** Default: floor(kernel / 2), i.e. "same" for stride 1. */
  padding?: number;
}

export function conv(name: string, input: Shape, o: ConvOptions): Op {
  const stride = o.stride ?? 1;
  const groups = o.groups ?? 1;
  const padding = o.padding ?? Math.floor(o.kernel / 2);
  const size = convOutputSize(input.height, o.kernel, stride, padding);
  const output = shape(o.out, size, convOutputSize(input.width, o.kernel, stride, padding));
  const inPerGroup = input.channels / groups;
  const k = `${o.kernel}·${o.kernel}`;
  const fanIn = groups === 1 ? `${k}·${input.channels}` : `${k}·(${input.channels}/${groups})`;
  const weights = o.kernel * o.kernel * inPerGroup * o.out;
  return {
    kind: 'op',
    name,
    type: 'conv',
    input,
    output,
    kernel: o.kernel,
    stride,
    padding,
    groups,
    bias: o.bias ?? false,
    params: weights + (o.bias ? o.out : 0),
    macs: output.height * output.width * weights,
    paramsFormula: `${fanIn}·${o.out}` + (o.bias ? ` + ${o.out}` : ''),
    macsFormula: `${output.height}·${output.width}·${fanIn}·${o.out}`,
  };
}

export function linear(name: string, input: Shape, out: number): Op {
  const features = input.channels * input.height * input.width;
  return {
    kind: 'op',
    name,
    type: 'linear',
    input,
    output: shape(out, 1),
    bias: true,
    params: features * out + out,
    macs: features * out,
    paramsFormula: `${features}·${out} + ${out}`,
    macsFormula: `${features}·${out}`,
  };
}

/** BatchNorm: gamma and beta are parameters; running mean/variance are buffers, not counted. */
export function batchNorm(name: string, input: Shape): Op {
  return {
    kind: 'op',
    name,
    type: 'batchnorm',
    input,
    output: input,
    params: 2 * input.channels,
    macs: 0,
    paramsFormula: `2·${input.channels}`,
  };
}

/** An op that keeps the shape and has no parameters (activations, dropout, SE scaling). */
export function pointwise(name: string, type: OpType, input: Shape): Op {
  return { kind: 'op', name, type, input, output: input, params: 0, macs: 0 };
}

export function pool(name: string, type: 'maxpool' | 'avgpool', input: Shape, kernel: number, stride: number, padding: number): Op {
  const output = shape(
    input.channels,
    convOutputSize(input.height, kernel, stride, padding),
    convOutputSize(input.width, kernel, stride, padding),
  );
  return { kind: 'op', name, type, input, output, kernel, stride, padding, params: 0, macs: 0 };
}

export function globalAvgPool(name: string, input: Shape): Op {
  return { kind: 'op', name, type: 'avgpool', input, output: shape(input.channels, 1), kernel: input.height, params: 0, macs: 0 };
}

/** Combine `inputs` tensors: `add` (shortcut), `sum` (aggregating branches), `concat` (channels). */
export function merge(name: string, type: 'add' | 'sum' | 'concat', input: Shape, inputs: number): Op {
  const output = type === 'concat' ? { ...input, channels: input.channels * inputs } : input;
  return { kind: 'op', name, type, input, output, inputs, params: 0, macs: 0 };
}

/**
 * Appends ops one after another, tracking the current shape: the way a Sequential reads.
 * `prefix` turns local names (`conv1`) into full paths (`layer1.0.conv1`).
 */
export class Chain {
  readonly items: GraphItem[] = [];

  constructor(
    readonly prefix: string,
    public shape: Shape,
  ) {}

  path(local: string): string {
    return this.prefix ? `${this.prefix}.${local}` : local;
  }

  push(item: GraphItem): this {
    this.items.push(item);
    this.shape = item.output;
    return this;
  }

  conv(local: string, o: ConvOptions): this {
    return this.push(conv(this.path(local), this.shape, o));
  }

  bn(local: string): this {
    return this.push(batchNorm(this.path(local), this.shape));
  }

  act(local: string, type: 'relu' | 'silu' | 'sigmoid'): this {
    return this.push(pointwise(this.path(local), type, this.shape));
  }

  /** Conv -> BN -> activation, the unit torchvision calls Conv2dNormActivation. */
  convBnAct(local: string, o: ConvOptions, activation: 'relu' | 'silu'): this {
    return this.conv(`${local}.0`, o).bn(`${local}.1`).act(`${local}.2`, activation);
  }
}

export function node(
  level: NodeLevel,
  name: string,
  label: string,
  input: Shape,
  children: GraphItem[],
  block?: BlockInfo,
): GraphNode {
  const last = children[children.length - 1];
  return { kind: 'node', level, name, label, input, output: last ? last.output : input, children, block };
}

export function branch(role: BranchRole, name: string, label: string, input: Shape, children: GraphItem[]): GraphNode {
  return { ...node('branch', name, label, input, children), branch: role };
}

/** Every op under an item, in order. */
export function* opsOf(item: GraphItem): Generator<Op> {
  if (item.kind === 'op') {
    yield item;
    return;
  }
  for (const child of item.children) yield* opsOf(child);
}
