/**
 * Turns untrusted input (a JSON file, a URL, a dial) into a spec that can be built, or into a list
 * of readable errors naming the field. Building a validated spec never yields NaN or throws.
 *
 * Strict: a field this level of the spec does not have is an error ("did you mean …"), and so is a
 * value of the wrong type; only missing optional fields are filled (`withDefaults`). The size and
 * nesting of the input are bounded before anything walks it (`INPUT_LIMITS`), so hostile input
 * gives one line per error, never a stack overflow. Hand-written rather than a schema library: the
 * checks that matter (groups dividing widths, strides against resolution, graph size) are
 * cross-field rules a schema cannot state, and the field lists below are the whole schema.
 */
import { resolveEfficientNetStages } from './families/efficientnet';
import { resolveResNetStages } from './families/resnet';
import type { ArchSpec, EfficientNetSpec, InputSpec, ResNetSpec } from './spec';
import { BASIC_BLOCK_EXPANSION, CIFAR100_INPUT, CIFAR10_INPUT, EFFICIENTNET_DEFAULTS, IMAGENET_INPUT, RESNET_DEFAULTS, SPEC_DEFAULTS } from './spec';

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

/**
 * Bounds on the raw input itself, checked before anything walks it: a written-out spec is about a
 * kilobyte, nests three deep (spec, stages, stage) and holds about a hundred values.
 */
export const INPUT_LIMITS = {
  /** Characters of a spec's JSON text (a file, a paste). */
  chars: 1_000_000,
  /** Lists and objects inside one another; a spec needs 3. */
  depth: 8,
  /** Values in the whole spec: every number, string, list and object. */
  values: 10_000,
  /** Characters of the name. */
  name: 256,
  /** Errors listed before the rest are counted in one last line. */
  errors: 20,
} as const;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const fmt = (n: number) => n.toLocaleString('en-US');

// The schema: the fields each level of a spec may have (spec.ts has their types and meaning).
const COMMON_FIELDS = ['family', 'name', 'input', 'depthMultiplier', 'widthMultiplier', 'shortcuts'] as const;
const RESNET_FIELDS = ['stem', 'block', 'cardinality', 'bottleneckWidth', 'expansion', 'stages', 'form', 'resStage', 'improvedShortcut'] as const;
const EFFICIENTNET_FIELDS = ['stemChannels', 'stages', 'headChannels', 'seRatio', 'dropout'] as const;
const INPUT_FIELDS = ['resolution', 'channels', 'classes'] as const satisfies readonly (keyof InputSpec)[];
const STEM_FIELDS = ['width', 'kernel', 'stride', 'maxPool'] as const satisfies readonly (keyof ResNetSpec['stem'])[];
const RESNET_STAGE_FIELDS = ['blocks', 'planes', 'stride', 'groups', 'width'] as const satisfies readonly (keyof ResNetSpec['stages'][number])[];
const EFFICIENTNET_STAGE_FIELDS = ['expandRatio', 'kernel', 'stride', 'channels', 'layers'] as const satisfies readonly (keyof EfficientNetSpec['stages'][number])[];
const TOP_FIELDS = {
  resnet: [...COMMON_FIELDS, ...RESNET_FIELDS] satisfies readonly (keyof ResNetSpec)[],
  efficientnet: [...COMMON_FIELDS, ...EFFICIENTNET_FIELDS] satisfies readonly (keyof EfficientNetSpec)[],
};
const FAMILY_TITLE = { resnet: 'ResNet-family', efficientnet: 'EfficientNet' } as const;

class Checker {
  readonly errors: SpecError[] = [];
  /** Errors past `INPUT_LIMITS.errors`, counted, not kept. */
  private dropped = 0;

  get full(): boolean {
    return this.errors.length >= INPUT_LIMITS.errors;
  }

  fail(field: string, message: string): void {
    if (this.full) this.dropped++;
    else this.errors.push({ field, message });
  }

  /** The errors, the last line counting any left out. */
  result(): SpecError[] {
    if (this.dropped === 0) return this.errors;
    return [...this.errors, { field: '(spec)', message: `and ${fmt(this.dropped)} more error${this.dropped === 1 ? '' : 's'}` }];
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

/** A value in a few words; never walks it (it may be huge or deep). */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number') return Number.isNaN(v) ? 'not a number' : Number.isFinite(v) ? String(v) : 'an infinite number';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${fmt(v.length)}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** A key as it appears in an error's field path: cut short if it is long, quoted unless it is a plain name. */
function keyText(key: string): string {
  const short = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? short : JSON.stringify(short);
}

/**
 * The nesting and size of a raw value, walked without recursion and stopped at the first bound
 * exceeded (so a cyclic or 20,000-deep value costs no more than a small one). The error names the
 * top-level field the excess is under.
 */
function checkBounds(raw: Obj): SpecError | undefined {
  const stack: { v: unknown; depth: number; field: string }[] = [{ v: raw, depth: 0, field: '(spec)' }];
  let seen = 0;
  const tooMany = (field: string): SpecError => ({
    field,
    message: `the spec holds more than ${fmt(INPUT_LIMITS.values)} values; a spec has about a hundred`,
  });
  while (stack.length > 0) {
    const { v, depth, field } = stack.pop()!;
    seen++;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= INPUT_LIMITS.depth) {
      return { field, message: `lists and objects are nested more than ${INPUT_LIMITS.depth} deep; a spec needs 3 (spec, stages, stage)` };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        stack.push({ v: v[i], depth: depth + 1, field });
        if (seen + stack.length > INPUT_LIMITS.values) return tooMany(field);
      }
    } else {
      for (const key in v) {
        if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
        const under = depth === 0 ? keyText(key) : field;
        stack.push({ v: (v as Obj)[key], depth: depth + 1, field: under });
        if (seen + stack.length > INPUT_LIMITS.values) return tooMany(under);
      }
    }
  }
  return undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), on short strings only. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** The known field `key` is probably a misspelling of: case, `_` and `-` aside, at most a third of it wrong. */
export function closestField(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, '');
  const k = norm(key);
  if (k.length === 0 || k.length > 40) return undefined;
  let best: { field: string; d: number } | undefined;
  for (const field of known) {
    const d = editDistance(k, norm(field));
    if (d <= Math.max(1, Math.floor(field.length / 3)) && (best === undefined || d < best.d)) best = { field, d };
  }
  return best?.field;
}

/** Every key of `obj` not in `known`, as an error naming it; `elsewhere` explains keys that belong to another family. */
function checkFields(c: Checker, path: string, obj: Obj, known: readonly string[], elsewhere?: (key: string) => string | undefined): void {
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key) || known.includes(key) || obj[key] === undefined) continue;
    const field = `${path}${keyText(key)}`;
    if (c.full) {
      c.fail(field, 'unknown field');
      continue;
    }
    const other = elsewhere?.(key);
    const guess = closestField(key, known);
    c.fail(
      field,
      other ??
        (guess !== undefined ? `unknown field; did you mean "${guess}"?` : `unknown field; the fields here are ${known.join(', ')}`),
    );
  }
}

/** A Map, not an object literal: an input of `"__proto__"` must not read as a dataset. */
const DATASET_INPUTS = new Map<string, { title: string; input: InputSpec }>([
  ['cifar10', { title: 'CIFAR-10', input: CIFAR10_INPUT }],
  ['cifar100', { title: 'CIFAR-100', input: CIFAR100_INPUT }],
  ['imagenet', { title: 'ImageNet', input: IMAGENET_INPUT }],
]);

/** `input` and `stem` must be objects when given (a name or a number is not filled with defaults). */
function checkObjectField(c: Checker, field: string, v: unknown, example: object): v is Obj | undefined {
  if (v === undefined || isObj(v)) return true;
  const dataset = typeof v === 'string' ? DATASET_INPUTS.get(v.toLowerCase().replace(/[_\-\s]/g, '')) : undefined;
  c.fail(
    field,
    dataset
      ? `must be an object, not a dataset name: for ${dataset.title} write ${JSON.stringify(dataset.input).replace(/,/g, ', ').replace(/:/g, ': ')}`
      : `must be an object such as ${JSON.stringify(example).replace(/,/g, ', ').replace(/:/g, ': ')} (got ${describe(v)})`,
  );
  return false;
}

/** The strict part: unknown fields at every level, and `input`, `stem` and the stages of the right shape. */
function checkSchema(c: Checker, raw: Obj, family: ArchSpec['family']): void {
  const other = family === 'resnet' ? 'efficientnet' : 'resnet';
  checkFields(c, '', raw, TOP_FIELDS[family], (key) =>
    (TOP_FIELDS[other] as readonly string[]).includes(key)
      ? `is a field of ${FAMILY_TITLE[other]} specs; this spec's family is "${family}"`
      : undefined,
  );
  if (checkObjectField(c, 'input', raw.input, IMAGENET_INPUT) && raw.input) checkFields(c, 'input.', raw.input, INPUT_FIELDS);
  if (family === 'resnet' && checkObjectField(c, 'stem', raw.stem, RESNET_DEFAULTS.stem) && raw.stem) checkFields(c, 'stem.', raw.stem, STEM_FIELDS);
  if (Array.isArray(raw.stages) && raw.stages.length <= LIMITS.stages) {
    const known = family === 'resnet' ? RESNET_STAGE_FIELDS : EFFICIENTNET_STAGE_FIELDS;
    raw.stages.forEach((s: unknown, i) => {
      if (isObj(s)) checkFields(c, `stages[${i}].`, s, known);
    });
  }
  if (raw.name !== undefined && typeof raw.name === 'string' && raw.name.length > INPUT_LIMITS.name) {
    c.fail('name', `must be at most ${INPUT_LIMITS.name} characters (got ${fmt(raw.name.length)})`);
  }
}

/**
 * Spec JSON text (a file, a paste) to a value for `validateSpec`. Its length and nesting are checked
 * before it is parsed (a scan of the brackets), so no input can overflow the parser or a later walk.
 */
export function parseSpecJson(text: string): { ok: true; value: unknown } | { ok: false; errors: SpecError[] } {
  const fail = (message: string) => ({ ok: false as const, errors: [{ field: '(spec)', message }] });
  if (text.length > INPUT_LIMITS.chars) {
    return fail(`is ${fmt(text.length)} characters long; a spec is at most ${fmt(INPUT_LIMITS.chars)} (a written-out spec is about a thousand)`);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let depth = 0;
  let inString = false;
  let stringStart = 0;
  /** The last string closed at the top level of the object: the key of the field being read. */
  let topKey: string | undefined;
  let rootIsObject = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
    }
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 1 && rootIsObject) topKey = keyText(body.slice(stringStart, i));
      }
    } else if (ch === '"') {
      inString = true;
      stringStart = i + 1;
    } else if (ch === '{' || ch === '[') {
      if (depth === 0) rootIsObject = ch === '{';
      if (++depth > INPUT_LIMITS.depth) {
        return {
          ok: false,
          errors: [
            {
              field: topKey ?? '(spec)',
              message: `lists and objects are nested more than ${INPUT_LIMITS.depth} deep (line ${line}, column ${i - lineStart + 1}); a spec needs 3 (spec, stages, stage)`,
            },
          ],
        };
      }
    } else if (ch === '}' || ch === ']') depth--;
  }
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (e) {
    return fail(`is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
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
    c.fail('stages', `must be a list of 1 to ${LIMITS.stages} stages (got ${describe(spec.stages)})`);
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
    c.fail('stages', `must be a list of 1 to ${LIMITS.stages} stages (got ${describe(spec.stages)})`);
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

/**
 * Validates a spec (typed or straight from JSON): its size and nesting first, then unknown fields and
 * the shape of `input`, `stem` and the stages, then every value, then the rules across fields.
 */
export function validateSpec(raw: unknown): SpecResult {
  const c = new Checker();
  if (!isObj(raw)) return { ok: false, errors: [{ field: '(spec)', message: `must be a JSON object (got ${describe(raw)})` }] };
  const tooBig = checkBounds(raw);
  if (tooBig) return { ok: false, errors: [tooBig] };
  if (!c.oneOf('family', raw.family, ['resnet', 'efficientnet'] as const)) return { ok: false, errors: c.result() };
  checkSchema(c, raw, raw.family);
  if (c.errors.length > 0) return { ok: false, errors: c.result() };
  const spec = withDefaults(raw) as unknown as ArchSpec;
  if (typeof spec.name !== 'string' || spec.name.length === 0) c.fail('name', 'must be a non-empty string');
  checkInput(c, spec.input);
  checkMultipliers(c, spec);
  if (c.errors.length === 0) {
    if (spec.family === 'resnet') checkResNet(c, spec);
    else checkEfficientNet(c, spec);
  }
  return c.errors.length > 0 ? { ok: false, errors: c.result() } : { ok: true, spec };
}
