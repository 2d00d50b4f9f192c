/**
 * Turns untrusted input (a JSON file, a URL, a dial) into a spec that can be built, or into a list
 * of readable errors naming the field. Building a validated spec never yields NaN or throws.
 */
import { resolveEfficientNetStages } from './families/efficientnet';
import { resolveResNetStages } from './families/resnet';
import type { ArchSpec, EfficientNetSpec, InputSpec, ResNetSpec } from './spec';
import { BASIC_BLOCK_EXPANSION, EFFICIENTNET_DEFAULTS, IMAGENET_INPUT, RESNET_DEFAULTS, SPEC_DEFAULTS } from './spec';

export interface SpecError {
  /** Path of the offending field, e.g. `stages[2].blocks` or `cardinality`. */
  field: string;
  message: string;
}

export type SpecResult = { ok: true; spec: ArchSpec } | { ok: false; errors: SpecError[] };

/** How `formatSpecErrors` lays errors out. */
export interface SpecErrorLayout {
  /** Between two errors; default `'; '`, one line (for an exception message). */
  separator?: string;
  /** Before each error, e.g. `'  '` for an indented list; default none. */
  indent?: string;
}

/**
 * Spec errors as text, each `field: message`: the one way every caller words them. One line by
 * default (for an Error); `{ separator: '\n', indent: '  ' }` gives an indented list (for the CLI).
 */
export function formatSpecErrors(errors: readonly SpecError[], layout: SpecErrorLayout = {}): string {
  const { separator = '; ', indent = '' } = layout;
  return errors.map((e) => `${indent}${e.field}: ${e.message}`).join(separator);
}

/** Bounds that keep every count an exact integer and every graph small enough to draw. */
export const LIMITS = {
  resolution: 4096,
  channels: 65_536,
  classes: 100_000,
  width: 65_536,
  cardinality: 4096,
  blocks: 1000,
  stages: 12,
  kernel: 15,
  multiplier: 16,
  /** Ops in the expanded graph (form (a) multiplies them by C). */
  ops: 250_000,
} as const;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: SpecError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  int(field: string, v: unknown, min: number, max: number): v is number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number (got ${describe(v)})`);
    else if (!Number.isInteger(v)) this.fail(field, `must be a whole number (got ${v})`);
    else if (v < min) this.fail(field, `must be at least ${min} (got ${v})`);
    else if (v > max) this.fail(field, `must be at most ${max} (got ${v})`);
    else return true;
    return false;
  }

  num(field: string, v: unknown, min: number, max: number, minExclusive = false): v is number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `must be a number (got ${describe(v)})`);
    else if (minExclusive ? v <= min : v < min) this.fail(field, `must be ${minExclusive ? 'greater than' : 'at least'} ${min} (got ${v})`);
    else if (v > max) this.fail(field, `must be at most ${max} (got ${v})`);
    else return true;
    return false;
  }

  oneOf<T>(field: string, v: unknown, allowed: readonly T[]): v is T {
    if (allowed.includes(v as T)) return true;
    this.fail(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${describe(v)})`);
    return false;
  }

  bool(field: string, v: unknown): v is boolean {
    if (typeof v === 'boolean') return true;
    this.fail(field, `must be true or false (got ${describe(v)})`);
    return false;
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && Number.isNaN(v)) return 'not a number';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'an infinite number';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function checkInput(c: Checker, input: InputSpec): void {
  c.int('input.resolution', input.resolution, 1, LIMITS.resolution);
  c.int('input.channels', input.channels, 1, LIMITS.channels);
  c.int('input.classes', input.classes, 1, LIMITS.classes);
}

function checkMultipliers(c: Checker, spec: { depthMultiplier: unknown; widthMultiplier: unknown }): void {
  c.num('depthMultiplier', spec.depthMultiplier, 0, LIMITS.multiplier, true);
  c.num('widthMultiplier', spec.widthMultiplier, 0, LIMITS.multiplier, true);
}

/** The resolution must cover the network's total stride, or the last stage has less than one pixel. */
function checkResolution(c: Checker, resolution: number, strides: number[]): void {
  const totalStride = strides.reduce((a, s) => a * s, 1);
  if (Number.isInteger(resolution) && resolution >= 1 && resolution < totalStride) {
    c.fail(
      'input.resolution',
      `${resolution} px is too small for this network's total stride of ${totalStride}: the last stage would have less than one pixel. Use at least ${totalStride}.`,
    );
  }
}

function checkResNet(c: Checker, spec: ResNetSpec): void {
  c.int('stem.width', spec.stem.width, 1, LIMITS.width);
  c.int('stem.kernel', spec.stem.kernel, 1, LIMITS.kernel);
  c.int('stem.stride', spec.stem.stride, 1, 4);
  c.bool('stem.maxPool', spec.stem.maxPool);
  c.oneOf('block', spec.block, ['basic', 'bottleneck'] as const);
  c.int('cardinality', spec.cardinality, 1, LIMITS.cardinality);
  c.int('bottleneckWidth', spec.bottleneckWidth, 1, LIMITS.width);
  c.num('expansion', spec.expansion, 0, 16, true);
  c.oneOf('form', spec.form, ['a', 'b', 'c'] as const);
  c.bool('shortcuts', spec.shortcuts);
  c.bool('resStage', spec.resStage);
  c.bool('improvedShortcut', spec.improvedShortcut);
  if (!Array.isArray(spec.stages) || spec.stages.length === 0 || spec.stages.length > LIMITS.stages) {
    c.fail('stages', `must be a list of 1 to ${LIMITS.stages} stages`);
    return;
  }
  const minBlocks = spec.resStage ? 2 : 1;
  spec.stages.forEach((s, i) => {
    const f = `stages[${i}]`;
    if (!isObj(s)) return c.fail(f, 'must be an object such as {"blocks": 3, "planes": 64, "stride": 1}');
    if (c.int(`${f}.blocks`, s.blocks, 1, LIMITS.blocks) && s.blocks < minBlocks) {
      c.fail(`${f}.blocks`, `a ResStage needs at least a Start and an End block (got ${s.blocks})`);
    }
    c.int(`${f}.planes`, s.planes, 1, LIMITS.width);
    c.oneOf(`${f}.stride`, s.stride, [1, 2] as const);
    if (s.groups !== undefined) c.int(`${f}.groups`, s.groups, 1, LIMITS.cardinality);
    if (s.width !== undefined) c.int(`${f}.width`, s.width, 1, LIMITS.width);
  });
  if (c.errors.length > 0) return;

  let ops = 0;
  for (const stage of resolveResNetStages(spec)) {
    const label = `stage conv${stage.index + 2}`;
    const f = `stages[${stage.index}]`;
    const groupsField = spec.stages[stage.index]?.groups !== undefined ? `${f}.groups` : 'cardinality';
    if (!Number.isInteger(stage.out)) {
      c.fail('expansion', `planes ${stage.planes} x expansion ${spec.expansion} is not a whole number of channels in ${label}`);
    }
    if (stage.width < 1) {
      c.fail('bottleneckWidth', `d = ${spec.bottleneckWidth} gives 0 channels per branch in ${label} (planes ${stage.planes}); use a larger d`);
    } else if (stage.width % stage.groups !== 0) {
      c.fail(groupsField, `${stage.groups} groups do not divide the ${stage.width}-channel 3x3 layer of ${label}`);
    }
    const perBlock = spec.form === 'c' ? 16 : 16 + 8 * stage.groups;
    ops += stage.blocks * perBlock;
  }
  if (ops > LIMITS.ops) {
    c.fail(spec.form === 'c' ? 'stages' : 'form', `about ${ops.toLocaleString('en-US')} layers is too large to describe (limit ${LIMITS.ops.toLocaleString('en-US')}); use fewer blocks${spec.form === 'c' ? '' : ' or form (c)'}`);
  }
  const stemStride = spec.stem.stride * (spec.stem.maxPool ? 2 : 1);
  checkResolution(c, spec.input.resolution, [stemStride, ...spec.stages.map((s) => s.stride)]);
}

function checkEfficientNet(c: Checker, spec: EfficientNetSpec): void {
  c.int('stemChannels', spec.stemChannels, 1, LIMITS.width);
  c.int('headChannels', spec.headChannels, 1, LIMITS.width);
  c.num('seRatio', spec.seRatio, 0, 1);
  c.num('dropout', spec.dropout, 0, 0.99);
  c.bool('shortcuts', spec.shortcuts);
  if (!Array.isArray(spec.stages) || spec.stages.length === 0 || spec.stages.length > LIMITS.stages) {
    c.fail('stages', `must be a list of 1 to ${LIMITS.stages} stages`);
    return;
  }
  spec.stages.forEach((s, i) => {
    const f = `stages[${i}]`;
    if (!isObj(s)) return c.fail(f, 'must be an object such as {"expandRatio": 6, "kernel": 3, "stride": 2, "channels": 24, "layers": 2}');
    c.num(`${f}.expandRatio`, s.expandRatio, 1, 16);
    if (c.int(`${f}.kernel`, s.kernel, 1, LIMITS.kernel) && s.kernel % 2 === 0) c.fail(`${f}.kernel`, `must be odd (got ${s.kernel})`);
    c.oneOf(`${f}.stride`, s.stride, [1, 2] as const);
    c.int(`${f}.channels`, s.channels, 1, LIMITS.width);
    c.int(`${f}.layers`, s.layers, 1, LIMITS.blocks);
  });
  if (c.errors.length > 0) return;
  const layers = resolveEfficientNetStages(spec).reduce((n, s) => n + s.layers, 0);
  if (layers * 20 > LIMITS.ops) c.fail('depthMultiplier', `${layers} MBConv blocks is too large to describe; lower the depth multiplier`);
  checkResolution(c, spec.input.resolution, [2, ...spec.stages.map((s) => s.stride)]);
}

/** Fills the optional fields of a hand-written spec with the defaults of its family (spec.ts). */
export function withDefaults(raw: Obj): Obj {
  const input = { ...IMAGENET_INPUT, ...(isObj(raw.input) ? raw.input : {}) };
  const common = { name: 'custom', ...SPEC_DEFAULTS, ...raw, input };
  if (raw.family === 'efficientnet') return { ...EFFICIENTNET_DEFAULTS, ...common };
  const { stem, ...resnet } = RESNET_DEFAULTS;
  const block = raw.block ?? resnet.block;
  return {
    ...resnet,
    block,
    expansion: block === 'basic' ? BASIC_BLOCK_EXPANSION : resnet.expansion,
    ...common,
    stem: { ...stem, ...(isObj(raw.stem) ? raw.stem : {}) },
  };
}

/** Validates a spec (typed or straight from JSON). */
export function validateSpec(raw: unknown): SpecResult {
  const c = new Checker();
  if (!isObj(raw)) return { ok: false, errors: [{ field: '(spec)', message: `must be a JSON object (got ${describe(raw)})` }] };
  if (!c.oneOf('family', raw.family, ['resnet', 'efficientnet'] as const)) return { ok: false, errors: c.errors };
  const spec = withDefaults(raw) as unknown as ArchSpec;
  if (typeof spec.name !== 'string' || spec.name.length === 0) c.fail('name', 'must be a non-empty string');
  checkInput(c, spec.input);
  checkMultipliers(c, spec);
  if (c.errors.length === 0) {
    if (spec.family === 'resnet') checkResNet(c, spec);
    else checkEfficientNet(c, spec);
  }
  return c.errors.length > 0 ? { ok: false, errors: c.errors } : { ok: true, spec };
}
