/**
 * Named presets, spelled as torchvision / timm spell them where they exist (timm's `@register_model`).
 * Tests iterate this registry, so every preset added here is checked automatically.
 */
import type { EfficientNetSpec, MBConvStageSpec, ResNetSpec, ResNetStageSpec } from './spec';
import { BASIC_BLOCK_EXPANSION, CIFAR10_INPUT, EFFICIENTNET_DEFAULTS, IMAGENET_INPUT, RESNET_DEFAULTS, SPEC_DEFAULTS } from './spec';

export type PresetGroup = 'ResNet' | 'ResNeXt' | 'iResNet' | 'EfficientNet' | 'CIFAR' | 'Classroom';

/** What the paper reports for the model (rounded as printed), shown beside our exact counts. */
export interface PaperFigures {
  source: string;
  params?: number;
  /** The papers' "FLOPs", which are multiply-adds. */
  macs?: number;
  top1Error?: number;
}

export interface Preset {
  name: string;
  group: PresetGroup;
  description: string;
  spec: ResNetSpec | EfficientNetSpec;
  paper?: PaperFigures;
}

/** Four ImageNet stages of Table 1: planes 64, 128, 256, 512; stride 2 from conv3 on. */
const imagenetStages = (blocks: number[], firstStride = 1): ResNetStageSpec[] =>
  blocks.map((n, i) => ({ blocks: n, planes: 64 * 2 ** i, stride: i === 0 ? firstStride : 2 }));

const RESNET50_BLOCKS = [3, 4, 6, 3];
const RESNET101_BLOCKS = [3, 4, 23, 3];
const RESNET152_BLOCKS = [3, 8, 36, 3];
const RESNET200_BLOCKS = [3, 24, 36, 3];

function resnet(name: string, blocks: number[], overrides: Partial<ResNetSpec> = {}): ResNetSpec {
  return {
    family: 'resnet',
    name,
    input: IMAGENET_INPUT,
    ...RESNET_DEFAULTS,
    stem: { ...RESNET_DEFAULTS.stem },
    stages: imagenetStages(blocks),
    ...SPEC_DEFAULTS,
    ...overrides,
  };
}

const basic = { block: 'basic', expansion: BASIC_BLOCK_EXPANSION } as const;

/** iResNet: ResStage + max-pool projection shortcut, no stem max pool, every stage strides by 2. */
function iresnet(name: string, blocks: number[]): ResNetSpec {
  return resnet(name, blocks, {
    stem: { ...RESNET_DEFAULTS.stem, maxPool: false },
    stages: imagenetStages(blocks, 2),
    resStage: true,
    improvedShortcut: true,
  });
}

/**
 * ResNeXt-29 for CIFAR (Sec. 5.3): a 3x3 stem, three stages of three bottlenecks with outputs
 * 256, 512, 1024 on 32, 16, 8 pixel maps. `stemWidth` and `planes` scale the template down.
 */
function cifarResNeXt29(name: string, cardinality: number, bottleneckWidth: number, stemWidth = 64, planes = 64): ResNetSpec {
  return resnet(name, [3, 3, 3], {
    input: CIFAR10_INPUT,
    stem: { width: stemWidth, kernel: 3, stride: 1, maxPool: false },
    cardinality,
    bottleneckWidth,
    stages: [1, 2, 4].map((m, i) => ({ blocks: 3, planes: planes * m, stride: i === 0 ? 1 : 2 })),
  });
}

/**
 * The lesson size: the classroom widths (stem 16, stage outputs 64, 128, 256) with one bottleneck per
 * stage (depth 11) and a 3x3 stride-2 max pool after the stem, so the stages run on 16, 8, 4 pixel
 * maps: about 6.4 M MACs per image, a ninth of the classroom ResNeXt-29, so that two CPU cores train
 * it for epochs of CIFAR-10, not a fraction of one, inside a lesson (bench/tta/sizes.bench.ts).
 */
function lessonResNeXt11(name: string, cardinality: number, bottleneckWidth: number): ResNetSpec {
  const base = cifarResNeXt29(name, cardinality, bottleneckWidth, 16, 16);
  return { ...base, stem: { ...base.stem, maxPool: true }, stages: base.stages.map((s) => ({ ...s, blocks: 1 })) };
}

/** EfficientNet-B0, Table 1 stages 2-8 (stage 1 is the stem, stage 9 the head). */
export const EFFICIENTNET_B0_STAGES: MBConvStageSpec[] = [
  { expandRatio: 1, kernel: 3, stride: 1, channels: 16, layers: 1 },
  { expandRatio: 6, kernel: 3, stride: 2, channels: 24, layers: 2 },
  { expandRatio: 6, kernel: 5, stride: 2, channels: 40, layers: 2 },
  { expandRatio: 6, kernel: 3, stride: 2, channels: 80, layers: 3 },
  { expandRatio: 6, kernel: 5, stride: 1, channels: 112, layers: 3 },
  { expandRatio: 6, kernel: 5, stride: 2, channels: 192, layers: 4 },
  { expandRatio: 6, kernel: 3, stride: 1, channels: 320, layers: 1 },
];

/** The released B0-B7 (width, depth, resolution, dropout) and the paper's Table 2 figures. */
export const EFFICIENTNET_RELEASES = [
  { name: 'efficientnet_b0', width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2, top1: 77.1, params: 5.3e6, flops: 0.39e9 },
  { name: 'efficientnet_b1', width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2, top1: 79.1, params: 7.8e6, flops: 0.7e9 },
  { name: 'efficientnet_b2', width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3, top1: 80.1, params: 9.2e6, flops: 1.0e9 },
  { name: 'efficientnet_b3', width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3, top1: 81.6, params: 12e6, flops: 1.8e9 },
  { name: 'efficientnet_b4', width: 1.4, depth: 1.8, resolution: 380, dropout: 0.4, top1: 82.9, params: 19e6, flops: 4.2e9 },
  { name: 'efficientnet_b5', width: 1.6, depth: 2.2, resolution: 456, dropout: 0.4, top1: 83.6, params: 30e6, flops: 9.9e9 },
  { name: 'efficientnet_b6', width: 1.8, depth: 2.6, resolution: 528, dropout: 0.5, top1: 84.0, params: 43e6, flops: 19e9 },
  { name: 'efficientnet_b7', width: 2.0, depth: 3.1, resolution: 600, dropout: 0.5, top1: 84.3, params: 66e6, flops: 37e9 },
] as const;

export function efficientnet(name: string, width: number, depth: number, resolution: number, dropout: number): EfficientNetSpec {
  return {
    family: 'efficientnet',
    name,
    input: { ...IMAGENET_INPUT, resolution },
    ...EFFICIENTNET_DEFAULTS,
    stages: EFFICIENTNET_B0_STAGES,
    dropout,
    ...SPEC_DEFAULTS,
    depthMultiplier: depth,
    widthMultiplier: width,
  };
}

const RESNEXT_PAPER = 'ResNeXt (Xie et al. 2017), Table 1/3/4';
const IRESNET_PAPER = 'iResNet (Duta et al. 2020)';

export const PRESETS: Preset[] = [
  { name: 'resnet18', group: 'ResNet', description: 'ResNet-18, basic blocks [2, 2, 2, 2]', spec: resnet('resnet18', [2, 2, 2, 2], basic) },
  { name: 'resnet34', group: 'ResNet', description: 'ResNet-34, basic blocks [3, 4, 6, 3]', spec: resnet('resnet34', [3, 4, 6, 3], basic) },
  {
    name: 'resnet50',
    group: 'ResNet',
    description: 'ResNet-50, bottlenecks [3, 4, 6, 3] (ResNeXt Table 1, left)',
    spec: resnet('resnet50', RESNET50_BLOCKS),
    paper: { source: RESNEXT_PAPER, params: 25.5e6, macs: 4.1e9, top1Error: 23.9 },
  },
  {
    name: 'resnet101',
    group: 'ResNet',
    description: 'ResNet-101, bottlenecks [3, 4, 23, 3]',
    spec: resnet('resnet101', RESNET101_BLOCKS),
    paper: { source: RESNEXT_PAPER, macs: 7.8e9, top1Error: 22.0 },
  },
  { name: 'resnet152', group: 'ResNet', description: 'ResNet-152, bottlenecks [3, 8, 36, 3]', spec: resnet('resnet152', RESNET152_BLOCKS) },
  {
    name: 'resnet200',
    group: 'ResNet',
    description: 'ResNet-200, bottlenecks [3, 24, 36, 3] (ResNeXt Table 4, "deeper")',
    spec: resnet('resnet200', RESNET200_BLOCKS),
    paper: { source: RESNEXT_PAPER, macs: 15e9, top1Error: 21.7 },
  },
  {
    name: 'wide_resnet50_2',
    group: 'ResNet',
    description: 'Wide ResNet-50-2: bottleneck width doubled (d = 128)',
    spec: resnet('wide_resnet50_2', RESNET50_BLOCKS, { bottleneckWidth: 128 }),
  },
  {
    name: 'resnext50_32x4d',
    group: 'ResNeXt',
    description: 'ResNeXt-50 (32x4d), ResNeXt Table 1, right',
    spec: resnet('resnext50_32x4d', RESNET50_BLOCKS, { cardinality: 32, bottleneckWidth: 4 }),
    paper: { source: RESNEXT_PAPER, params: 25.0e6, macs: 4.2e9, top1Error: 22.2 },
  },
  {
    name: 'resnext101_32x4d',
    group: 'ResNeXt',
    description: 'ResNeXt-101 (32x4d)',
    spec: resnet('resnext101_32x4d', RESNET101_BLOCKS, { cardinality: 32, bottleneckWidth: 4 }),
    paper: { source: RESNEXT_PAPER, macs: 7.8e9, top1Error: 21.2 },
  },
  {
    name: 'resnext101_32x8d',
    group: 'ResNeXt',
    description: 'ResNeXt-101 (32x8d)',
    spec: resnet('resnext101_32x8d', RESNET101_BLOCKS, { cardinality: 32, bottleneckWidth: 8 }),
  },
  {
    name: 'resnext101_64x4d',
    group: 'ResNeXt',
    description: 'ResNeXt-101 (64x4d), ResNeXt Table 4: twice the complexity of ResNet-101',
    spec: resnet('resnext101_64x4d', RESNET101_BLOCKS, { cardinality: 64, bottleneckWidth: 4 }),
    paper: { source: RESNEXT_PAPER, macs: 15e9, top1Error: 20.4 },
  },
  ...(
    [
      ['iresnet50', RESNET50_BLOCKS],
      ['iresnet101', RESNET101_BLOCKS],
      ['iresnet152', RESNET152_BLOCKS],
      ['iresnet200', RESNET200_BLOCKS],
      ['iresnet302', [4, 34, 58, 4]],
      ['iresnet404', [4, 46, 80, 4]],
    ] as const
  ).map(
    ([name, blocks]): Preset => ({
      name,
      group: 'iResNet',
      description: `iResNet: ResStage + max-pool projection shortcut, blocks [${blocks.join(', ')}]`,
      spec: iresnet(name, [...blocks]),
    }),
  ),
  {
    name: 'resgroupfix50',
    group: 'iResNet',
    description: 'ResGroupFix-50: 3x3 of 256-2048 channels in 64 groups, outputs 128-1024',
    spec: resnet('resgroupfix50', RESNET50_BLOCKS, { cardinality: 64, bottleneckWidth: 4, expansion: 2 }),
    paper: { source: IRESNET_PAPER },
  },
  {
    name: 'resgroup50',
    group: 'iResNet',
    description: 'ResGroup-50: groups 8, 16, 32, 64 (32 channels per group in every stage)',
    spec: resnet('resgroup50', RESNET50_BLOCKS, {
      cardinality: 64,
      bottleneckWidth: 4,
      expansion: 2,
      stages: imagenetStages(RESNET50_BLOCKS).map((s, i) => ({ ...s, groups: 8 * 2 ** i })),
    }),
    paper: { source: IRESNET_PAPER },
  },
  ...EFFICIENTNET_RELEASES.map(
    (r): Preset => ({
      name: r.name,
      group: 'EfficientNet',
      description: `EfficientNet-${r.name.slice(-2).toUpperCase()}: width ${r.width}, depth ${r.depth}, ${r.resolution} px`,
      spec: efficientnet(r.name, r.width, r.depth, r.resolution, r.dropout),
      paper: { source: 'EfficientNet (Tan & Le 2019), Table 2', params: r.params, macs: r.flops, top1Error: +(100 - r.top1).toFixed(1) },
    }),
  ),
  {
    name: 'cifar_resnet29',
    group: 'CIFAR',
    description: 'ResNet-29 for CIFAR (1x64d): the ResNeXt-29 template with one branch',
    spec: cifarResNeXt29('cifar_resnet29', 1, 64),
  },
  {
    name: 'cifar_resnext29_8x64d',
    group: 'CIFAR',
    description: 'ResNeXt-29 (8x64d), ResNeXt Table 7',
    spec: cifarResNeXt29('cifar_resnext29_8x64d', 8, 64),
    paper: { source: 'ResNeXt (Xie et al. 2017), Table 7 (CIFAR-10)', params: 34.4e6, top1Error: 3.65 },
  },
  {
    name: 'cifar_resnext29_16x64d',
    group: 'CIFAR',
    description: 'ResNeXt-29 (16x64d), ResNeXt Table 7',
    spec: cifarResNeXt29('cifar_resnext29_16x64d', 16, 64),
    paper: { source: 'ResNeXt (Xie et al. 2017), Table 7 (CIFAR-10)', params: 68.1e6, top1Error: 3.58 },
  },
  {
    name: 'classroom_resnext29_8x4d',
    group: 'Classroom',
    description: 'Small ResNeXt-29 for in-browser CIFAR training: stage outputs 64/128/256, C = 8, d = 4',
    spec: cifarResNeXt29('classroom_resnext29_8x4d', 8, 4, 16, 16),
  },
  {
    name: 'classroom_resnet29_1x18d',
    group: 'Classroom',
    description: 'Its ResNet twin at about the same params: one branch, d = 18',
    spec: cifarResNeXt29('classroom_resnet29_1x18d', 1, 18, 16, 16),
  },
  {
    name: 'lesson_resnext11_8x4d',
    group: 'Classroom',
    description: 'Lesson ResNeXt-11 (8x4d): one block per stage, stem max pool; 135,898 params, 6,441,472 MACs',
    spec: lessonResNeXt11('lesson_resnext11_8x4d', 8, 4),
  },
  {
    name: 'lesson_resnet11_1x19d',
    group: 'Classroom',
    description: 'Its ResNet twin at equal MACs: one branch, d = 19; 153,571 params, 6,507,776 MACs (+1.0%)',
    spec: lessonResNeXt11('lesson_resnet11_1x19d', 1, 19),
  },
];

const byName = new Map(PRESETS.map((p) => [p.name, p]));

export function findPreset(name: string): Preset | undefined {
  return byName.get(name);
}

export const PRESET_NAMES: readonly string[] = PRESETS.map((p) => p.name);

export const DEFAULT_PRESET = 'resnext50_32x4d';
