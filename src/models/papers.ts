/**
 * The papers' own numbers (docs/papers.md), to show beside what the model code computes, and the
 * generators that write a spec back as the papers' tables.
 */
import { analyzeOrThrow } from './analyze';
import { resolveEfficientNetStages } from './families/efficientnet';
import { resolveResNetStages, resnetStemWidth } from './families/resnet';
import type { NetworkGraph } from './graph';
import { findPreset } from './registry';
import type { ArchSpec, EfficientNetSpec, ResNetSpec } from './spec';

/** ResNeXt Table 2: C and d at ~constant complexity (conv2 template, ~70k params). */
export const RESNEXT_TABLE2 = [
  { cardinality: 1, bottleneckWidth: 64, groupedWidth: 64 },
  { cardinality: 2, bottleneckWidth: 40, groupedWidth: 80 },
  { cardinality: 4, bottleneckWidth: 24, groupedWidth: 96 },
  { cardinality: 8, bottleneckWidth: 14, groupedWidth: 112 },
  { cardinality: 32, bottleneckWidth: 4, groupedWidth: 128 },
] as const;

/** An accuracy point from a paper, for the accuracy-vs-FLOPs chart and tables. */
export interface AccuracyPoint {
  paper: 'ResNeXt' | 'EfficientNet';
  table: string;
  label: string;
  /** The registry preset computing this model exactly, or the (C, d) override of one. */
  preset?: string;
  cardinality?: number;
  bottleneckWidth?: number;
  /** The paper's rounded complexity, in multiply-adds ("FLOPs" in the papers). */
  paperMacs: number;
  top1Error: number;
  top5Error?: number;
}

/** ResNeXt Table 3 (ImageNet-1K top-1 error, complexity preserved). */
export const RESNEXT_TABLE3: AccuracyPoint[] = [
  ...(
    [
      [1, 64, 23.9],
      [2, 40, 23.0],
      [4, 24, 22.6],
      [8, 14, 22.3],
      [32, 4, 22.2],
    ] as const
  ).map(([c, d, err]) => ({
    paper: 'ResNeXt' as const,
    table: 'Table 3',
    label: `50-layer ${c}x${d}d`,
    preset: 'resnet50',
    cardinality: c,
    bottleneckWidth: d,
    paperMacs: 4.1e9,
    top1Error: err,
  })),
  ...(
    [
      [1, 64, 22.0],
      [2, 40, 21.7],
      [4, 24, 21.4],
      [8, 14, 21.3],
      [32, 4, 21.2],
    ] as const
  ).map(([c, d, err]) => ({
    paper: 'ResNeXt' as const,
    table: 'Table 3',
    label: `101-layer ${c}x${d}d`,
    preset: 'resnet101',
    cardinality: c,
    bottleneckWidth: d,
    paperMacs: 7.8e9,
    top1Error: err,
  })),
];

/** ResNeXt Table 4: doubling complexity (~15 GFLOPs) from ResNet-101. */
export const RESNEXT_TABLE4: AccuracyPoint[] = [
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNet-101 1x64d', preset: 'resnet101', paperMacs: 7.8e9, top1Error: 22.0, top5Error: 6.0 },
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNet-200 1x64d', preset: 'resnet200', paperMacs: 15e9, top1Error: 21.7, top5Error: 5.8 },
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNet-101 1x100d (wider)', preset: 'resnet101', cardinality: 1, bottleneckWidth: 100, paperMacs: 15e9, top1Error: 21.3, top5Error: 5.7 },
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNeXt-101 2x64d', preset: 'resnet101', cardinality: 2, bottleneckWidth: 64, paperMacs: 15e9, top1Error: 20.7, top5Error: 5.5 },
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNeXt-101 64x4d', preset: 'resnext101_64x4d', paperMacs: 15e9, top1Error: 20.4, top5Error: 5.3 },
  { paper: 'ResNeXt', table: 'Table 4', label: 'ResNeXt-101 32x4d', preset: 'resnext101_32x4d', paperMacs: 7.8e9, top1Error: 21.2, top5Error: 5.6 },
];

/** The exact MACs of the model an accuracy point refers to (its preset, with its C and d). */
export function accuracyPointMacs(p: AccuracyPoint): number {
  const spec = findPreset(p.preset ?? 'resnet50')?.spec;
  const a = analyzeOrThrow(spec && p.cardinality ? { ...spec, cardinality: p.cardinality, bottleneckWidth: p.bottleneckWidth } : spec, `accuracy point ${p.label} does not build`);
  return a.stats.totals.macs;
}

/** ResNeXt Sec. 5.1: the residual-connection ablation (top-1 error). */
export const RESNEXT_SHORTCUT_ABLATION = [
  { model: 'ResNet-50', preset: 'resnet50', withShortcuts: 23.9, withoutShortcuts: 31.2 },
  { model: 'ResNeXt-50 (32x4d)', preset: 'resnext50_32x4d', withShortcuts: 22.2, withoutShortcuts: 26.1 },
] as const;

/** iResNet: ResGroupFix-50 has ~8.57% fewer params than ResNet-50 at similar FLOPs. */
export const IRESNET_CLAIMS = { resgroupfix50FewerParamsPercent: 8.57 } as const;

export interface StageRow {
  stage: string;
  /** Output map size, e.g. `56x56`. */
  output: string;
  /** The layer description the way the paper's table prints it. */
  layers: string;
}

/** ResNeXt Table 1 rows for a ResNet-family spec: `[1x1, 128; 3x3, 128, C=32; 1x1, 256] x3`. */
export function resnetTableRows(spec: ResNetSpec, graph: NetworkGraph): StageRow[] {
  const size = (i: number) => {
    const s = graph.children[i]?.output;
    return s ? `${s.height}x${s.width}` : '';
  };
  const { kernel, stride, maxPool } = spec.stem;
  const stemWidth = resnetStemWidth(spec);
  // conv1's own output: the stem's max pool belongs to conv2 in the paper's table.
  const stem = graph.children[0];
  const conv1 = stem?.kind === 'node' ? stem.children[0]?.output : undefined;
  const conv1Size = conv1 ? `${conv1.height}x${conv1.width}` : size(0);
  const rows: StageRow[] = [{ stage: 'conv1', output: conv1Size, layers: `${kernel}x${kernel}, ${stemWidth}, stride ${stride}` }];
  resolveResNetStages(spec).forEach((s, i) => {
    const groups = s.groups > 1 ? `, C=${s.groups}` : '';
    const body = spec.block === 'basic' ? `3x3, ${s.width}; 3x3, ${s.out}` : `1x1, ${s.width}; 3x3, ${s.width}${groups}; 1x1, ${s.out}`;
    const pool = i === 0 && maxPool ? '3x3 max pool, stride 2; ' : '';
    rows.push({ stage: `conv${i + 2}`, output: size(i + 1), layers: `${pool}[${body}] x${s.blocks}` });
  });
  rows.push({ stage: '', output: '1x1', layers: `global average pool, ${spec.input.classes}-d fc, softmax` });
  return rows;
}

/** EfficientNet Table 1 rows (scaled): operator, input resolution, channels, layers, stride. */
export function efficientnetTableRows(spec: EfficientNetSpec, graph: NetworkGraph): StageRow[] {
  const inputSize = (i: number) => {
    const s = graph.children[i]?.input;
    return s ? `${s.height}x${s.width}` : '';
  };
  const stages = resolveEfficientNetStages(spec);
  const head = graph.children[graph.children.length - 1];
  return [
    { stage: '1', output: inputSize(0), layers: `Conv3x3, ${stages[0]?.inChannels ?? spec.stemChannels} ch, stride 2` },
    ...stages.map((s, i) => ({
      stage: String(i + 2),
      output: inputSize(i + 1),
      layers: `MBConv${s.expandRatio}, k${s.kernel}x${s.kernel}, ${s.outChannels} ch, x${s.layers}, stride ${s.stride}`,
    })),
    {
      stage: String(stages.length + 2),
      output: inputSize(graph.children.length - 1),
      layers: `Conv1x1 & Pooling & FC, ${head?.kind === 'node' ? (head.children[0]?.output.channels ?? '') : ''} ch`,
    },
  ];
}

export function paperTableRows(spec: ArchSpec, graph: NetworkGraph): StageRow[] {
  return spec.family === 'resnet' ? resnetTableRows(spec, graph) : efficientnetTableRows(spec, graph);
}
