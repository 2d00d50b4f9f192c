/**
 * EfficientNet (Tan & Le): the B0 table of MBConv stages, scaled by width and depth multipliers
 * with torchvision's rounding rules. Module names follow torchvision's `efficientnet_b0`
 * (`features.2.1.block.1.0`, `classifier.1`) so exported weights can line up.
 */
import { Chain, branch, type GraphItem, type GraphNode, type NetworkGraph, type Shape, globalAvgPool, linear, merge, node, pointwise, shape } from '../graph';
import { scaledChannels, scaledRepeats, squeezeChannels } from '../rules';
import type { EfficientNetSpec } from '../spec';

export interface ResolvedMBConvStage {
  index: number;
  expandRatio: number;
  kernel: number;
  stride: number;
  inChannels: number;
  outChannels: number;
  layers: number;
}

export function resolveEfficientNetStages(spec: EfficientNetSpec): ResolvedMBConvStage[] {
  let inChannels = scaledChannels(spec.stemChannels, spec.widthMultiplier);
  return spec.stages.map((stage, index) => {
    const outChannels = scaledChannels(stage.channels, spec.widthMultiplier);
    const resolved = {
      index,
      expandRatio: stage.expandRatio,
      kernel: stage.kernel,
      stride: stage.stride,
      inChannels,
      outChannels,
      layers: scaledRepeats(stage.layers, spec.depthMultiplier),
    };
    inChannels = outChannels;
    return resolved;
  });
}

/**
 * MBConv: [1x1 expand, BN, swish] (skipped when the ratio is 1) -> [kxk depthwise, BN, swish]
 * -> squeeze-and-excitation -> [1x1 project, BN] (+ identity when stride 1 and in = out).
 */
function mbconv(spec: EfficientNetSpec, prefix: string, input: Shape, stage: ResolvedMBConvStage, stride: number): GraphNode {
  const c = new Chain(`${prefix}.block`, input);
  const expanded = scaledChannels(input.channels, stage.expandRatio);
  let j = 0;
  if (expanded !== input.channels) c.convBnAct(`${j++}`, { out: expanded, kernel: 1 }, 'silu');
  c.convBnAct(`${j++}`, { out: expanded, kernel: stage.kernel, stride, groups: expanded }, 'silu');
  if (spec.seRatio > 0) {
    const squeeze = squeezeChannels(input.channels, spec.seRatio);
    const beforeSe = c.shape;
    const se = new Chain(c.path(`${j++}`), beforeSe);
    se.push(globalAvgPool(se.path('avgpool'), beforeSe));
    se.conv('fc1', { out: squeeze, kernel: 1, bias: true }).act('activation', 'silu');
    se.conv('fc2', { out: expanded, kernel: 1, bias: true }).act('scale_activation', 'sigmoid');
    c.items.push(branch('gate', se.prefix, 'squeeze-excitation', beforeSe, se.items));
    c.shape = beforeSe;
    c.push(pointwise(se.path('scale'), 'multiply', beforeSe));
  }
  c.conv(`${j}.0`, { out: stage.outChannels, kernel: 1 }).bn(`${j}.1`);
  const skip = spec.shortcuts && stride === 1 && input.channels === stage.outChannels;
  // torchvision applies stochastic depth to the residual before this addition (training only).
  if (skip) c.push(merge(`${prefix}.add`, 'add', c.shape, 2));
  return node('block', prefix, `MBConv${stage.expandRatio}, k${stage.kernel}x${stage.kernel}`, input, c.items, {
    type: 'mbconv',
    role: 'standard',
    groups: expanded,
    width: expanded,
    stride,
    kernel: stage.kernel,
    expandRatio: stage.expandRatio,
    shortcut: skip ? 'identity' : 'none',
  });
}

export function buildEfficientNet(spec: EfficientNetSpec): NetworkGraph {
  const input = shape(spec.input.channels, spec.input.resolution);
  const stemOut = scaledChannels(spec.stemChannels, spec.widthMultiplier);
  const stem = new Chain('features', input).convBnAct('0', { out: stemOut, kernel: 3, stride: 2 }, 'silu');
  const children: GraphItem[] = [node('stage', 'features.0', 'Conv3x3', input, stem.items)];

  let current = stem.shape;
  const stages = resolveEfficientNetStages(spec);
  for (const stage of stages) {
    const blocks: GraphNode[] = [];
    for (let i = 0; i < stage.layers; i++) {
      const block = mbconv(spec, `features.${stage.index + 1}.${i}`, current, stage, i === 0 ? stage.stride : 1);
      blocks.push(block);
      current = block.output;
    }
    const label = `MBConv${stage.expandRatio}, k${stage.kernel}x${stage.kernel}`;
    children.push(node('stage', `features.${stage.index + 1}`, label, blocks[0]?.input ?? current, blocks));
  }

  const headIndex = stages.length + 1;
  const head = new Chain(`features.${headIndex}`, current);
  head.conv('0', { out: scaledChannels(spec.headChannels, spec.widthMultiplier), kernel: 1 }).bn('1').act('2', 'silu');
  head.push(globalAvgPool('avgpool', head.shape));
  head.push(pointwise('classifier.0', 'dropout', head.shape));
  head.push(linear('classifier.1', head.shape, spec.input.classes));
  children.push(node('stage', `features.${headIndex}`, 'Conv1x1 & Pooling & FC', current, head.items));

  return { ...node('network', spec.name, spec.name, input, children), level: 'network', family: spec.family };
}
