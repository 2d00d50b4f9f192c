/**
 * What an exporter needs to know about a network, read off its graph: the numbers that become
 * constructor arguments in the generated Python. The graph is the source of truth (it holds every
 * module name and shape); the generated classes rebuild the same module tree from these numbers.
 */
import {
  type ArchSpec,
  type EfficientNetSpec,
  type GraphNode,
  type NetworkGraph,
  type Op,
  type ResNetSpec,
  type ValidAnalysis,
  analyzeOrThrow,
  parameterGraph,
  opsOf,
} from '../models/index';

/** One stage of a ResNet-family network, as the paper's table row reads. */
export interface ResNetStageDesign {
  blocks: number;
  /** Width of the 3x3 layer(s): C * d for a bottleneck, the first 3x3's output for a basic block. */
  width: number;
  /** Groups of the bottleneck's 3x3 (C); 1 for basic blocks (Fig. 4: a depth-2 block collapses to one dense block). */
  groups: number;
  outChannels: number;
  stride: number;
}

export interface ResNetDesign {
  family: 'resnet';
  spec: ResNetSpec;
  block: 'basic' | 'bottleneck';
  resStage: boolean;
  improvedShortcut: boolean;
  shortcuts: boolean;
  stem: { inChannels: number; width: number; kernel: number; stride: number; padding: number; maxPool: boolean };
  stages: ResNetStageDesign[];
  classes: number;
}

/** One row of the MBConv table after width and depth scaling (torchvision's `MBConvConfig`). */
export interface MBConvStageDesign {
  expandRatio: number;
  kernel: number;
  stride: number;
  inputChannels: number;
  outChannels: number;
  layers: number;
}

export interface EfficientNetDesign {
  family: 'efficientnet';
  spec: EfficientNetSpec;
  inChannels: number;
  stemChannels: number;
  stages: MBConvStageDesign[];
  headChannels: number;
  seRatio: number;
  shortcuts: boolean;
  dropout: number;
  classes: number;
}

export type Design = ResNetDesign | EfficientNetDesign;

/**
 * Validates the spec and reads the design off its graph. Form (a)/(b) specs are exported in form
 * (c): the three forms are the same function with the same parameters (ResNeXt Fig. 3), and (c)
 * is the one whose module names are torchvision's.
 */
export function designOf(spec: ArchSpec): { analysis: ValidAnalysis; graph: NetworkGraph; design: Design } {
  // The exporters take typed specs, but check anyway: the Error names every problem.
  const context = `invalid spec ${typeof spec === 'object' && spec !== null && 'name' in spec ? String(spec.name) : '(spec)'}`;
  const analysis = analyzeOrThrow(spec, context);
  const valid = analysis.spec;
  // Forms (a) and (b) have the same parameters and counts as (c); only their module tree differs.
  const graph = parameterGraph(analysis);
  return { analysis, graph, design: valid.family === 'efficientnet' ? efficientNetDesign(valid, graph) : resnetDesign(valid, graph) };
}

function opsByName(graph: NetworkGraph): Map<string, Op> {
  return new Map([...opsOf(graph)].map((op) => [op.name, op]));
}

function op(ops: Map<string, Op>, name: string): Op {
  const found = ops.get(name);
  if (!found) throw new Error(`the graph has no op named ${name}`);
  return found;
}

const nodes = (item: GraphNode): GraphNode[] => item.children.filter((c): c is GraphNode => c.kind === 'node');

function resnetDesign(spec: ResNetSpec, graph: NetworkGraph): ResNetDesign {
  const ops = opsByName(graph);
  const conv1 = op(ops, 'conv1');
  const stages = nodes(graph)
    .filter((n) => /^layer\d+$/.test(n.name))
    .map((stage): ResNetStageDesign => {
      const blocks = nodes(stage);
      const first = blocks[0];
      if (!first?.block) throw new Error(`stage ${stage.name} has no blocks`);
      const threeByThree = op(ops, `${first.name}.${spec.block === 'basic' ? 'conv1' : 'conv2'}`);
      return {
        blocks: blocks.length,
        width: threeByThree.output.channels,
        groups: threeByThree.groups ?? 1,
        outChannels: first.output.channels,
        stride: first.block.stride,
      };
    });
  return {
    family: 'resnet',
    spec,
    block: spec.block,
    resStage: spec.resStage,
    improvedShortcut: spec.improvedShortcut,
    shortcuts: spec.shortcuts,
    stem: {
      inChannels: conv1.input.channels,
      width: conv1.output.channels,
      kernel: conv1.kernel ?? spec.stem.kernel,
      stride: conv1.stride ?? spec.stem.stride,
      padding: conv1.padding ?? 0,
      maxPool: ops.has('maxpool'),
    },
    stages,
    classes: op(ops, 'fc').output.channels,
  };
}

function efficientNetDesign(spec: EfficientNetSpec, graph: NetworkGraph): EfficientNetDesign {
  const ops = opsByName(graph);
  const stem = op(ops, 'features.0.0');
  const stageNodes = nodes(graph).filter((n) => /^features\.\d+$/.test(n.name) && n.children.some((c) => c.kind === 'node'));
  const stages = stageNodes.map((stage): MBConvStageDesign => {
    const blocks = nodes(stage);
    const first = blocks[0];
    const last = blocks[blocks.length - 1];
    if (!first?.block || !last) throw new Error(`stage ${stage.name} has no blocks`);
    return {
      expandRatio: first.block.expandRatio ?? 1,
      kernel: first.block.kernel,
      stride: first.block.stride,
      inputChannels: first.input.channels,
      outChannels: last.output.channels,
      layers: blocks.length,
    };
  });
  return {
    family: 'efficientnet',
    spec,
    inChannels: stem.input.channels,
    stemChannels: stem.output.channels,
    stages,
    headChannels: op(ops, `features.${stages.length + 1}.0`).output.channels,
    seRatio: spec.seRatio,
    shortcuts: spec.shortcuts,
    dropout: spec.dropout,
    classes: op(ops, 'classifier.1').output.channels,
  };
}
