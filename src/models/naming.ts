/**
 * A dialled design's name. A design equal to a preset takes the preset's name; a ResNet-family
 * design that differs from its preset only in C, d and blocks per stage takes a torchvision-style
 * name (`resnext50_64x8d`, `resnext101_32x4d`); anything else is the preset's name followed by
 * what changed ("resnext50_32x4d, modified: C=64, form (a)"), so a heading, a ledger entry or an
 * exported file never passes a changed model off as the preset.
 */
import { PRESETS, type Preset } from './registry';
import type { ArchSpec, ResNetSpec } from './spec';

/** Sorted keys, no name: two specs describe the same network when these strings are equal. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([k, v]) => k !== 'name' && v !== undefined);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, shape(v)]));
}
const sameNetwork = (a: ArchSpec, b: ArchSpec) => JSON.stringify(shape(a)) === JSON.stringify(shape(b));

/** One change from the preset: a tag (what kind of change) and how it reads in a name. */
interface Change {
  tag: 'C' | 'd' | 'blocks' | 'other';
  text: string;
}

const list = (values: readonly number[]) => values.join(',');
const onOff = (on: boolean, what: string) => `${on ? '' : 'no '}${what}`;

/** A block design in words (iResNet Sec. 3.3): the bottleneck expansion and whether groups follow the width. */
function designOf(spec: ResNetSpec): string {
  if (spec.expansion !== 2) return 'bottleneck design';
  return spec.stages.some((s) => s.groups !== undefined) ? 'ResGroup design' : 'ResGroupFix design';
}

function resnetChanges(spec: ResNetSpec, base: ResNetSpec): Change[] {
  const changes: Change[] = [];
  const other = (text: string) => changes.push({ tag: 'other', text });
  if (spec.cardinality !== base.cardinality) changes.push({ tag: 'C', text: `C=${spec.cardinality}` });
  if (spec.bottleneckWidth !== base.bottleneckWidth) changes.push({ tag: 'd', text: `d=${spec.bottleneckWidth}` });
  const blocks = spec.stages.map((s) => s.blocks);
  if (list(blocks) !== list(base.stages.map((s) => s.blocks))) changes.push({ tag: 'blocks', text: `blocks=${list(blocks)}` });
  const planes = spec.stages.map((s) => s.planes);
  if (list(planes) !== list(base.stages.map((s) => s.planes))) other(`widths=${list(planes)}`);
  if (designOf(spec) !== designOf(base)) other(designOf(spec));
  else if (list(spec.stages.map((s) => s.groups ?? 0)) !== list(base.stages.map((s) => s.groups ?? 0))) other(`groups=${list(spec.stages.map((s) => s.groups ?? 0))}`);
  if (spec.form !== base.form) other(`form (${spec.form})`);
  if (spec.shortcuts !== base.shortcuts) other(onOff(spec.shortcuts, 'shortcuts'));
  if (spec.resStage !== base.resStage) other(onOff(spec.resStage, 'ResStage'));
  if (spec.improvedShortcut !== base.improvedShortcut) other(onOff(spec.improvedShortcut, 'improved shortcut'));
  if (spec.stem.maxPool !== base.stem.maxPool) other(onOff(spec.stem.maxPool, 'stem max pool'));
  return changes;
}

function commonChanges(spec: ArchSpec, base: ArchSpec): Change[] {
  const changes: Change[] = [];
  const other = (text: string) => changes.push({ tag: 'other', text });
  if (spec.input.resolution !== base.input.resolution) other(`${spec.input.resolution} px`);
  if (spec.input.classes !== base.input.classes) other(`${spec.input.classes} classes`);
  if (spec.input.channels !== base.input.channels) other(`${spec.input.channels} input channels`);
  if (spec.family !== 'resnet' && spec.shortcuts !== base.shortcuts) other(onOff(spec.shortcuts, 'shortcuts'));
  if (spec.depthMultiplier !== base.depthMultiplier) other(`depth ×${spec.depthMultiplier}`);
  if (spec.widthMultiplier !== base.widthMultiplier) other(`width ×${spec.widthMultiplier}`);
  return changes;
}

/** torchvision's ResNet depth: weighted layers in the blocks (2 per basic block, 3 per bottleneck) + stem conv + fc. */
export function resnetDepth(spec: Pick<ResNetSpec, 'block' | 'stages'>): number {
  const perBlock = spec.block === 'basic' ? 2 : 3;
  return perBlock * spec.stages.reduce((n, s) => n + s.blocks, 0) + 2;
}

/** `resnext50_32x4d` → its parts; undefined for names not written as `<family><depth>_<C>x<d>d`. */
const TORCHVISION_STYLE = /^(.*?)(\d+)_(\d+)x(\d+)d$/;

/** The torchvision-style name of a design that changes only C, d and blocks of `preset`, when its name has that form. */
function torchvisionStyle(spec: ResNetSpec, preset: { name: string; spec: ResNetSpec }, changes: Change[]): string | undefined {
  const m = TORCHVISION_STYLE.exec(preset.name);
  if (!m || changes.some((c) => c.tag === 'other')) return undefined;
  const [, prefix, depth] = m;
  const blocksChanged = changes.some((c) => c.tag === 'blocks');
  // The depth in the name is only rewritten where it is the preset's own depth by torchvision's count.
  if (blocksChanged && Number(depth) !== resnetDepth(preset.spec)) return undefined;
  return `${prefix}${blocksChanged ? resnetDepth(spec) : depth}_${spec.cardinality}x${spec.bottleneckWidth}d`;
}

/**
 * The name of `spec`, a design dialled from `preset`: the preset's name when unchanged, another
 * preset's name when it equals that preset, a torchvision-style `<prefix><depth>_<C>x<d>d` where it
 * fits, otherwise "<preset>, modified: <changes>".
 */
export function designName(spec: ArchSpec, preset: Pick<Preset, 'name' | 'spec'>, presets: readonly Pick<Preset, 'name' | 'spec'>[] = PRESETS): string {
  if (sameNetwork(spec, preset.spec)) return preset.name;
  const twin = presets.find((p) => sameNetwork(spec, p.spec));
  if (twin) return twin.name;
  const base = preset.spec;
  const changes = [...(spec.family === 'resnet' && base.family === 'resnet' ? resnetChanges(spec, base) : []), ...commonChanges(spec, base)];
  if (spec.family === 'resnet' && base.family === 'resnet') {
    const styled = torchvisionStyle(spec, { name: preset.name, spec: base }, changes);
    if (styled) return styled;
  }
  if (changes.length === 0) return `${preset.name}, modified`;
  return `${preset.name}, modified: ${changes.map((c) => c.text).join(', ')}`;
}
