/**
 * The explorer's dials: what the user changed on top of a preset. `specFromDials` turns a preset
 * plus dials into a raw spec for `analyze` (which validates it). Pure: tested in Node.
 */
import {
  type ArchSpec,
  type BlockForm,
  type InputSpec,
  type Preset,
  type ResNetSpec,
  CIFAR100_INPUT,
  CIFAR10_INPUT,
  EFFICIENTNET_COEFFICIENTS,
  IMAGENET_INPUT,
  compoundScale,
  designName,
  resolveResNetStages,
} from '../models';

export type Dataset = 'imagenet' | 'cifar10' | 'cifar100';

/**
 * A dataset's dial entry: its name and classes, and the resolution of its input (spec.ts). The label
 * leaves the resolution to the resolution dial below it (with both it was cut off in the classroom
 * sidebar at 1280 px).
 */
const dataset = (name: string, { resolution, classes }: InputSpec) => ({ label: `${name} (${classes} classes)`, resolution, classes });

export const DATASETS: Record<Dataset, { label: string; resolution: number; classes: number }> = {
  imagenet: dataset('ImageNet', IMAGENET_INPUT),
  cifar10: dataset('CIFAR-10', CIFAR10_INPUT),
  cifar100: dataset('CIFAR-100', CIFAR100_INPUT),
};

/** iResNet's block designs (Sec. 3.3): ResNet bottleneck, ResGroupFix (C groups), ResGroup (32 channels per group). */
export type BlockDesign = 'resnet' | 'resgroupfix' | 'resgroup';
export const RESGROUP_CHANNELS_PER_GROUP = 32;

/** Every adjustable value. Undefined = the preset's own value. */
export interface Dials {
  dataset?: Dataset;
  resolution?: number;
  cardinality?: number;
  bottleneckWidth?: number;
  blocks?: number[];
  planes?: number[];
  shortcuts?: boolean;
  form?: BlockForm;
  resStage?: boolean;
  improvedShortcut?: boolean;
  /** iResNet stem: no max pool after conv1; conv2 strides by 2 instead. */
  stemMaxPool?: boolean;
  design?: BlockDesign;
  compound?: boolean;
  phi?: number;
  alpha?: number;
  beta?: number;
  gamma?: number;
}

export type DialKey = keyof Dials;

export function presetDataset(preset: Preset): Dataset {
  const { classes, resolution } = preset.spec.input;
  if (resolution <= 64) return classes === 100 ? 'cifar100' : 'cifar10';
  return 'imagenet';
}

function presetDesign(spec: ResNetSpec): BlockDesign {
  if (spec.expansion !== 2) return 'resnet';
  return spec.stages.some((s) => s.groups !== undefined) ? 'resgroup' : 'resgroupfix';
}

export interface ResNetDialValues {
  cardinality: number;
  bottleneckWidth: number;
  blocks: number[];
  planes: number[];
  form: BlockForm;
  resStage: boolean;
  improvedShortcut: boolean;
  stemMaxPool: boolean;
  design: BlockDesign;
}

export interface DialValues {
  dataset: Dataset;
  resolution: number;
  shortcuts: boolean;
  compound: boolean;
  phi: number;
  alpha: number;
  beta: number;
  gamma: number;
  /** Present for ResNet-family presets only. */
  resnet?: ResNetDialValues;
}

/** The values the dials show: the user's where set, the preset's otherwise. */
export function effectiveDials(preset: Preset, dials: Dials): DialValues {
  const spec = preset.spec;
  const dataset = dials.dataset ?? presetDataset(preset);
  const ownResolution = dataset === presetDataset(preset) ? spec.input.resolution : DATASETS[dataset].resolution;
  const values: DialValues = {
    dataset,
    resolution: dials.resolution ?? ownResolution,
    shortcuts: dials.shortcuts ?? spec.shortcuts,
    compound: dials.compound ?? false,
    phi: dials.phi ?? 1,
    alpha: dials.alpha ?? EFFICIENTNET_COEFFICIENTS.alpha,
    beta: dials.beta ?? EFFICIENTNET_COEFFICIENTS.beta,
    gamma: dials.gamma ?? EFFICIENTNET_COEFFICIENTS.gamma,
  };
  if (spec.family === 'resnet') {
    values.resnet = {
      cardinality: dials.cardinality ?? spec.cardinality,
      bottleneckWidth: dials.bottleneckWidth ?? spec.bottleneckWidth,
      blocks: dials.blocks ?? spec.stages.map((s) => s.blocks),
      planes: dials.planes ?? spec.stages.map((s) => s.planes),
      form: dials.form ?? spec.form,
      resStage: dials.resStage ?? spec.resStage,
      improvedShortcut: dials.improvedShortcut ?? spec.improvedShortcut,
      stemMaxPool: dials.stemMaxPool ?? spec.stem.maxPool,
      design: dials.design ?? presetDesign(spec),
    };
  }
  return values;
}

function applyResNetDials(spec: ResNetSpec, dials: Dials): ResNetSpec {
  const d = { ...dials };
  const design = d.design ?? presetDesign(spec);
  const maxPool = d.stemMaxPool ?? spec.stem.maxPool;
  const stages = spec.stages.map((s, i) => {
    const stage = { ...s, blocks: d.blocks?.[i] ?? s.blocks, planes: d.planes?.[i] ?? s.planes };
    // Without the stem max pool, the first stage strides instead (iResNet), keeping the total stride.
    if (i === 0 && maxPool !== spec.stem.maxPool) stage.stride = maxPool ? 1 : 2;
    if (design !== 'resgroup') delete stage.groups;
    return stage;
  });
  const next: ResNetSpec = {
    ...spec,
    cardinality: d.cardinality ?? spec.cardinality,
    bottleneckWidth: d.bottleneckWidth ?? spec.bottleneckWidth,
    expansion: design === 'resnet' ? (spec.expansion === 2 ? 4 : spec.expansion) : 2,
    stages,
    shortcuts: d.shortcuts ?? spec.shortcuts,
    form: d.form ?? spec.form,
    resStage: d.resStage ?? spec.resStage,
    improvedShortcut: d.improvedShortcut ?? spec.improvedShortcut,
    stem: { ...spec.stem, maxPool },
  };
  if (design === 'resgroup') {
    // ResGroup: the number of groups follows the width so every group has 32 channels.
    const widths = resolveResNetStages({ ...next, stages: next.stages.map(({ groups: _g, ...s }) => s) }).map((s) => s.width);
    next.stages = next.stages.map((s, i) => ({ ...s, groups: Math.max(1, Math.round((widths[i] ?? 0) / RESGROUP_CHANNELS_PER_GROUP)) }));
  }
  return next;
}

/** The spec the dials describe (not yet validated: `analyze` it), named by `designName`. */
export function specFromDials(preset: Preset, dials: Dials): ArchSpec {
  const e = effectiveDials(preset, dials);
  const input = { ...preset.spec.input, resolution: e.resolution, classes: DATASETS[e.dataset].classes };
  const base: ArchSpec =
    preset.spec.family === 'resnet'
      ? { ...applyResNetDials(preset.spec, dials), input }
      : { ...preset.spec, input, shortcuts: e.shortcuts };
  // A dialled design is named for what it is, before compound scaling adds its own "(phi=…)".
  base.name = designName(base, preset);
  const spec = e.compound ? compoundScale(base, { phi: e.phi, alpha: e.alpha, beta: e.beta, gamma: e.gamma }) : base;
  return spec;
}
