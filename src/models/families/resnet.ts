/**
 * ResNet (He et al.), ResNeXt (Xie et al., Table 1 and Fig. 3), Wide ResNet, iResNet (Duta et al.:
 * ResStage and the max-pool projection shortcut) and ResGroup, expanded from one `ResNetSpec`.
 * Module names follow torchvision's ResNet (`conv1`, `layer1.0.conv2`, `layer1.0.downsample.0`, `fc`).
 */
import {
  Chain,
  type BlockInfo,
  branch,
  type GraphItem,
  type GraphNode,
  type NetworkGraph,
  type Shape,
  globalAvgPool,
  linear,
  merge,
  node,
  pool,
  shape,
} from '../graph';
import { groupedWidth, scaledRepeats, scaledResNetWidth } from '../rules';
import type { BlockForm, ResNetSpec } from '../spec';

/** A stage after the template rules and the compound-scaling multipliers are applied. */
export interface ResolvedResNetStage {
  index: number;
  blocks: number;
  planes: number;
  /** Total width of the 3x3 layer(s) inside the block: C * d in the first stage. */
  width: number;
  /** Groups of the 3x3 = branches in forms (a) and (b). */
  groups: number;
  out: number;
  stride: number;
}

export function resolveResNetStages(spec: ResNetSpec): ResolvedResNetStage[] {
  const firstPlanes = spec.stages[0]?.planes ?? 1;
  return spec.stages.map((stage, index) => {
    const planes = scaledResNetWidth(stage.planes, spec.widthMultiplier);
    const width =
      stage.width !== undefined
        ? scaledResNetWidth(stage.width, spec.widthMultiplier)
        : groupedWidth(spec.cardinality, spec.bottleneckWidth, planes, firstPlanes);
    return {
      index,
      blocks: scaledRepeats(stage.blocks, spec.depthMultiplier),
      planes,
      width,
      groups: stage.groups ?? spec.cardinality,
      out: planes * spec.expansion,
      stride: stage.stride,
    };
  });
}

export function resnetStemWidth(spec: ResNetSpec): number {
  return scaledResNetWidth(spec.stem.width, spec.widthMultiplier);
}

type Role = BlockInfo['role'];

/** One layer of the block's residual function: a 1x1 or 3x3 conv. The last one produces the block output. */
interface LayerPlan {
  kernel: number;
  stride: number;
  /** Grouped in form (c). Only the bottleneck's 3x3 is: a first layer sees the whole input in every branch. */
  grouped: boolean;
}

function layerPlan(block: ResNetSpec['block'], stride: number): LayerPlan[] {
  if (block === 'basic') {
    return [
      { kernel: 3, stride, grouped: false },
      { kernel: 3, stride: 1, grouped: false },
    ];
  }
  return [
    { kernel: 1, stride: 1, grouped: false },
    { kernel: 3, stride, grouped: true },
    { kernel: 1, stride: 1, grouped: false },
  ];
}

interface BlockPlan {
  role: Role;
  /** iResNet: the first Middle block of a stage begins with ReLU, not BN (the Start block normalised already). */
  excludeBn0: boolean;
  stride: number;
  width: number;
  groups: number;
  out: number;
}

/**
 * The residual function F(x) in form (a), (b) or (c). Convs are `conv1..convN`; the BN after the
 * last conv (`bnN`) is applied after aggregating the branches, as ResNeXt's footnote requires,
 * and is absent in iResNet Middle/End blocks.
 */
function residualFunction(c: Chain, spec: ResNetSpec, plan: BlockPlan, form: BlockForm, lastBn: boolean): void {
  const layers = layerPlan(spec.block, plan.stride);
  const last = layers.length - 1;
  const branchWidth = plan.width / plan.groups;
  const finish = () => {
    if (lastBn) c.bn(`bn${last + 1}`);
  };

  if (form === 'c') {
    layers.forEach((layer, j) => {
      const out = j === last ? plan.out : plan.width;
      c.conv(`conv${j + 1}`, { out, kernel: layer.kernel, stride: layer.stride, groups: layer.grouped ? plan.groups : 1 });
      if (j < last) c.bn(`bn${j + 1}`).act(`relu${j + 1}`, 'relu');
    });
    finish();
    return;
  }

  // Forms (a) and (b): C branches of width d; (a) carries every layer in the branches and sums,
  // (b) carries all but the last, concatenates, and runs the last layer once.
  const inBranches = form === 'a' ? layers : layers.slice(0, last);
  const branches: GraphNode[] = [];
  for (let g = 0; g < plan.groups; g++) {
    const b = new Chain(c.path(`branches.${g}`), c.shape);
    inBranches.forEach((layer, j) => {
      const out = j === last ? plan.out : branchWidth;
      b.conv(`conv${j + 1}`, { out, kernel: layer.kernel, stride: layer.stride });
      if (j < last) b.bn(`bn${j + 1}`).act(`relu${j + 1}`, 'relu');
    });
    branches.push(branch('parallel', b.prefix, `branch ${g + 1} of ${plan.groups}`, c.shape, b.items));
  }
  const branchOut = branches[0]?.output ?? c.shape;
  branches.forEach((b) => c.items.push(b));
  c.shape = branchOut;
  if (form === 'a') {
    c.push(merge(c.path('sum'), 'sum', branchOut, plan.groups));
  } else {
    c.push(merge(c.path('concat'), 'concat', branchOut, plan.groups));
    const lastLayer = layers[last] as LayerPlan;
    c.conv(`conv${last + 1}`, { out: plan.out, kernel: lastLayer.kernel, stride: lastLayer.stride });
  }
  finish();
}

/** Projection shortcut where the shape changes; identity (no ops) otherwise. */
function shortcut(spec: ResNetSpec, prefix: string, input: Shape, stride: number, out: number): { items: GraphItem[]; kind: BlockInfo['shortcut'] } {
  if (!spec.shortcuts) return { items: [], kind: 'none' };
  const project = input.channels !== out;
  if (!project && stride === 1) return { items: [], kind: 'identity' };
  const s = new Chain(`${prefix}.downsample`, input);
  let kind: BlockInfo['shortcut'];
  if (spec.improvedShortcut) {
    // iResNet: spatial projection by max pool (sees every activation), then a 1x1 channel projection.
    const pooled = stride !== 1;
    if (pooled) s.push(pool(s.path('0'), 'maxpool', s.shape, 3, stride, 1));
    if (project) s.conv(pooled ? '1' : '0', { out, kernel: 1 }).bn(pooled ? '2' : '1');
    kind = project ? 'maxpool-projection' : 'maxpool';
  } else {
    s.conv('0', { out, kernel: 1, stride }).bn('1');
    kind = 'projection';
  }
  return { items: [branch('shortcut', s.prefix, 'shortcut', input, s.items)], kind };
}

function residualBlock(spec: ResNetSpec, prefix: string, input: Shape, plan: BlockPlan): GraphNode {
  const c = new Chain(prefix, input);
  const preActivated = plan.role === 'middle' || plan.role === 'end';
  if (preActivated) {
    if (!plan.excludeBn0) c.bn('bn0');
    c.act('relu0', 'relu');
  }
  // Post-activation blocks and ResStage Start blocks normalise F(x) before the addition.
  residualFunction(c, spec, plan, spec.form, !preActivated);
  const sc = shortcut(spec, prefix, input, plan.stride, plan.out);
  const residualOut = c.shape;
  for (const item of sc.items) c.items.push(item);
  c.shape = residualOut;
  if (spec.shortcuts) c.push(merge(c.path('add'), 'add', residualOut, 2));
  // After the addition: ReLU (ResNet); nothing (Start, Middle); BN + ReLU (End), which prepares the next stage.
  if (plan.role === 'standard') c.act('relu', 'relu');
  if (plan.role === 'end') c.bn(`bn${layerPlan(spec.block, 1).length}`).act('relu', 'relu');

  const info: BlockInfo = {
    type: spec.block,
    role: plan.role,
    form: spec.form,
    groups: plan.groups,
    width: plan.width,
    stride: plan.stride,
    kernel: 3,
    shortcut: sc.kind,
  };
  const label = `${spec.block}${plan.role === 'standard' ? '' : ` (${plan.role})`}`;
  return node('block', prefix, label, input, c.items, info);
}

function roleOf(spec: ResNetSpec, i: number, blocks: number): Role {
  if (!spec.resStage) return 'standard';
  if (i === 0) return 'start';
  return i === blocks - 1 ? 'end' : 'middle';
}

export function buildResNet(spec: ResNetSpec): NetworkGraph {
  const input = shape(spec.input.channels, spec.input.resolution);
  const stem = new Chain('', input);
  const stemWidth = resnetStemWidth(spec);
  stem.conv('conv1', { out: stemWidth, kernel: spec.stem.kernel, stride: spec.stem.stride }).bn('bn1').act('relu', 'relu');
  if (spec.stem.maxPool) stem.push(pool('maxpool', 'maxpool', stem.shape, 3, 2, 1));
  const children: GraphItem[] = [node('stage', 'stem', 'conv1', input, stem.items)];

  let current = stem.shape;
  for (const stage of resolveResNetStages(spec)) {
    const blocks: GraphNode[] = [];
    for (let i = 0; i < stage.blocks; i++) {
      const block = residualBlock(spec, `layer${stage.index + 1}.${i}`, current, {
        role: roleOf(spec, i, stage.blocks),
        excludeBn0: i === 1,
        stride: i === 0 ? stage.stride : 1,
        width: stage.width,
        groups: stage.groups,
        out: stage.out,
      });
      blocks.push(block);
      current = block.output;
    }
    const stageInput = blocks[0]?.input ?? current;
    children.push(node('stage', `layer${stage.index + 1}`, `conv${stage.index + 2}`, stageInput, blocks));
  }

  const head = new Chain('', current);
  head.push(globalAvgPool('avgpool', current));
  head.push(linear('fc', head.shape, spec.input.classes));
  children.push(node('stage', 'head', 'pool, fc', current, head.items));

  return { ...node('network', spec.name, spec.name, input, children), level: 'network', family: spec.family };
}
