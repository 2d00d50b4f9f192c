/**
 * Architecture specs: plain, JSON-serialisable data written like the papers' tables.
 *
 * A spec says *what* a network is (the template); `graph.ts` expands it into layers and
 * shapes, `stats.ts` counts them. Nothing here knows about React, d3, tfjs or the DOM.
 */

/** The image a network is built for. ImageNet: 224 px, 1000 classes; CIFAR: 32 px, 10 or 100. */
export interface InputSpec {
  resolution: number;
  channels: number;
  classes: number;
}

/** Fig. 3 of ResNeXt: (a) aggregated branches, (b) early concatenation, (c) grouped convolution. */
export type BlockForm = 'a' | 'b' | 'c';

/** The first layers before the residual stages (Table 1's conv1 row, or the CIFAR 3x3 stem). */
export interface StemSpec {
  width: number;
  kernel: number;
  stride: number;
  /** ResNet's 3x3 max pool, stride 2 after conv1. iResNet drops it and strides every stage instead. */
  maxPool: boolean;
}

/** One row of ResNet/ResNeXt Table 1: a stage of identical blocks (template rule i). */
export interface ResNetStageSpec {
  blocks: number;
  /** torchvision's `planes`: the block output is `planes * expansion`. */
  planes: number;
  /** Stride of the stage's first block (in its 3x3 layer). */
  stride: number;
  /** Override: number of groups of this stage's 3x3 (ResGroup: 8, 16, 32, 64). Default: the spec's cardinality. */
  groups?: number;
  /** Override: total width of this stage's 3x3 layer (the paper's "3x3, 128, C=32"). Default: from the template rule. */
  width?: number;
}

/**
 * ResNet, ResNeXt, Wide ResNet, iResNet and ResGroup share one template:
 * stem -> stages of residual blocks -> global average pool -> FC.
 */
export interface ResNetSpec {
  family: 'resnet';
  name: string;
  input: InputSpec;
  stem: StemSpec;
  /** 'basic': two 3x3 layers (depth 2, Fig. 4); 'bottleneck': 1x1, 3x3, 1x1 (depth 3). */
  block: 'basic' | 'bottleneck';
  /** C: the number of branches (groups of the 3x3). */
  cardinality: number;
  /** d: width of one branch in the first stage; it doubles with the stage width (template rule ii). */
  bottleneckWidth: number;
  /** Block output channels = planes * expansion: 4 for bottlenecks, 1 for basic blocks, 2 for ResGroup. */
  expansion: number;
  stages: ResNetStageSpec[];
  /** false = the residual-connection ablation: plain stacks with no shortcut and no addition. */
  shortcuts: boolean;
  form: BlockForm;
  /** iResNet ResStage: Start / Middle / End blocks instead of identical post-activation blocks. */
  resStage: boolean;
  /** iResNet projection shortcut: 3x3 max pool stride 2, then 1x1 conv stride 1, then BN. */
  improvedShortcut: boolean;
  /** Compound-scaling multipliers (EfficientNet Sec. 3.3); 1 = the table as written. */
  depthMultiplier: number;
  widthMultiplier: number;
}

/** One row of EfficientNet-B0 Table 1 (stages 2-8), as torchvision's `MBConvConfig`. */
export interface MBConvStageSpec {
  expandRatio: number;
  kernel: number;
  stride: number;
  channels: number;
  layers: number;
}

export interface EfficientNetSpec {
  family: 'efficientnet';
  name: string;
  input: InputSpec;
  /** Table 1 stage 1: Conv3x3, stride 2. */
  stemChannels: number;
  stages: MBConvStageSpec[];
  /** Table 1 stage 9: Conv1x1 width before pooling and FC. */
  headChannels: number;
  /** Squeeze-and-excitation: squeeze to max(1, floor(block input channels * seRatio)). 0 disables SE. */
  seRatio: number;
  dropout: number;
  /** Identity skips of the MBConv blocks (stride 1 and in = out). */
  shortcuts: boolean;
  depthMultiplier: number;
  widthMultiplier: number;
}

export type ArchSpec = ResNetSpec | EfficientNetSpec;
export type Family = ArchSpec['family'];

export const IMAGENET_INPUT: InputSpec = { resolution: 224, channels: 3, classes: 1000 };
export const CIFAR10_INPUT: InputSpec = { resolution: 32, channels: 3, classes: 10 };
export const CIFAR100_INPUT: InputSpec = { resolution: 32, channels: 3, classes: 100 };

// The defaults of a spec, one home for each: `withDefaults` (validate.ts) fills what a hand-written
// spec leaves out, and the presets (registry.ts) start from the same values.

/** Every family: the table as written (no compound scaling), shortcuts on. */
export const SPEC_DEFAULTS = { depthMultiplier: 1, widthMultiplier: 1, shortcuts: true } as const satisfies Partial<ArchSpec>;

/** ResNet-50's stem and bottleneck block (ResNeXt Table 1), one branch, form (c), no iResNet changes. */
export const RESNET_DEFAULTS = {
  block: 'bottleneck',
  cardinality: 1,
  bottleneckWidth: 64,
  expansion: 4,
  form: 'c',
  resStage: false,
  improvedShortcut: false,
  stem: { width: 64, kernel: 7, stride: 2, maxPool: true },
} as const satisfies Partial<ResNetSpec>;

/** A basic block's output is its planes (ResNet's BasicBlock); a bottleneck's is planes x RESNET_DEFAULTS.expansion. */
export const BASIC_BLOCK_EXPANSION = 1;

/** EfficientNet-B0's stem, head, squeeze ratio and dropout (Table 1 and torchvision). */
export const EFFICIENTNET_DEFAULTS = { stemChannels: 32, headChannels: 1280, seRatio: 0.25, dropout: 0.2 } as const satisfies Partial<EfficientNetSpec>;
