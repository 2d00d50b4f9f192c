/**
 * Property tests of the spec reader (fast-check, 1,000 generated cases each): validation never
 * throws, whatever it is given, and answers in a bounded list of readable errors; a spec that is
 * valid counts the same after a JSON round trip (what a spec file or a stored run goes through).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS, PRESETS, analyze, parseSpecJson, validateSpec } from './index';

/** 1,000 in CI; PROPERTY_RUNS=20000 for a longer search (read without Node's types: src/models type-checks without them). */
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const RUNS = Number(env?.PROPERTY_RUNS ?? 1000);
const TIMEOUT_MS = Math.max(10_000, RUNS * 3);

function expectReadable(result: ReturnType<typeof validateSpec>): void {
  if (result.ok) return;
  expect(result.errors.length).toBeGreaterThan(0);
  expect(result.errors.length).toBeLessThanOrEqual(INPUT_LIMITS.errors + 1);
  for (const e of result.errors) {
    expect(typeof e.field).toBe('string');
    expect(e.field.length).toBeGreaterThan(0);
    // The reader's own words (quoted input aside) never show a NaN, an undefined or an [object Object].
    expect(e.message.replace(/"(?:[^"\\]|\\.)*"/g, '""')).not.toMatch(/NaN|undefined|\[object/);
    expect(`${e.field}: ${e.message}`.length).toBeLessThan(400);
  }
}

/** Totals and per-stage counts: what "counts the same" compares. */
function counts(raw: unknown) {
  const a = analyze(raw);
  return a.ok ? { totals: a.stats.totals, stages: a.stats.stages.map((s) => [s.params, s.macs, s.activations]) } : { errors: a.errors };
}

const FIELD_NAMES = [
  'family', 'name', 'input', 'depthMultiplier', 'widthMultiplier', 'shortcuts', 'stem', 'block', 'cardinality', 'bottleneckWidth',
  'expansion', 'stages', 'form', 'resStage', 'improvedShortcut', 'stemChannels', 'headChannels', 'seRatio', 'dropout',
  'resolution', 'channels', 'classes', 'width', 'kernel', 'stride', 'maxPool', 'blocks', 'planes', 'groups', 'expandRatio', 'layers',
];
/** A field name as a person might write it: right, misspelled, differently cased, or anything. */
const fieldName = fc.oneof(
  fc.constantFrom(...FIELD_NAMES),
  fc.constantFrom(...FIELD_NAMES).map((f) => f.slice(0, -1)),
  fc.constantFrom(...FIELD_NAMES).map((f) => f.toUpperCase()),
  fc.constantFrom('__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 12 }),
);
const jsonish = fc.oneof(
  fc.integer({ min: -5, max: 5000 }),
  fc.double(),
  fc.constantFrom(0, 1, 2, 3, 4, 32, 64, 224, true, false, null, 'a', 'b', 'c', 'resnet', 'efficientnet', 'basic', 'bottleneck', 'cifar10', '__proto__', 'constructor'),
  fc.string({ maxLength: 10 }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A preset as JSON with 1-4 fields set, misspelled, removed or replaced, at any level. */
const mutatedPreset = fc
  .tuple(
    fc.constantFrom(...PRESETS),
    fc.array(fc.tuple(fc.constantFrom('top', 'input', 'stem', 'stage'), fieldName, fc.option(jsonish, { nil: undefined }), fc.nat()), { minLength: 1, maxLength: 4 }),
  )
  .map(([preset, edits]) => {
    const spec = JSON.parse(JSON.stringify(preset.spec)) as Record<string, unknown>;
    for (const [where, field, value, n] of edits) {
      const stages = Array.isArray(spec.stages) ? (spec.stages as unknown[]) : [];
      const target = where === 'top' ? spec : where === 'stage' ? stages[n % Math.max(1, stages.length)] : spec[where];
      if (typeof target !== 'object' || target === null) continue;
      if (value === undefined) delete (target as Record<string, unknown>)[field];
      else (target as Record<string, unknown>)[field] = value;
    }
    return spec;
  });

/** Small ResNet-family and EfficientNet specs, most of them valid, some optional fields left undefined. */
const resnetSpec = fc.record(
  {
    family: fc.constant('resnet'),
    name: fc.string({ minLength: 1, maxLength: 20 }),
    input: fc.record({ resolution: fc.integer({ min: 8, max: 96 }), channels: fc.integer({ min: 1, max: 4 }), classes: fc.integer({ min: 1, max: 100 }) }),
    stem: fc.record({ width: fc.integer({ min: 1, max: 64 }), kernel: fc.constantFrom(1, 3, 7), stride: fc.constantFrom(1, 2), maxPool: fc.boolean() }),
    block: fc.constantFrom('basic', 'bottleneck'),
    cardinality: fc.constantFrom(1, 2, 4, 8, 32),
    bottleneckWidth: fc.constantFrom(1, 2, 4, 8, 14, 64),
    expansion: fc.constantFrom(1, 2, 4, 1.5),
    stages: fc.array(
      fc.record(
        {
          blocks: fc.integer({ min: 1, max: 3 }),
          planes: fc.constantFrom(8, 16, 24, 32, 64, 100),
          stride: fc.constantFrom(1, 2),
          groups: fc.option(fc.constantFrom(1, 2, 4), { nil: undefined }),
          width: fc.option(fc.constantFrom(16, 32, 64, 96), { nil: undefined }),
        },
        { requiredKeys: ['blocks', 'planes', 'stride'] },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    shortcuts: fc.boolean(),
    form: fc.constantFrom('a', 'b', 'c'),
    resStage: fc.boolean(),
    improvedShortcut: fc.boolean(),
    depthMultiplier: fc.constantFrom(1, 0.5, 1.2, 2),
    widthMultiplier: fc.constantFrom(1, 0.5, 1.1, 1.5),
  },
  { requiredKeys: ['family', 'stages'] },
);
const efficientnetSpec = fc.record(
  {
    family: fc.constant('efficientnet'),
    name: fc.string({ minLength: 1, maxLength: 20 }),
    input: fc.record({ resolution: fc.integer({ min: 16, max: 96 }), channels: fc.constant(3), classes: fc.integer({ min: 1, max: 1000 }) }),
    stemChannels: fc.integer({ min: 1, max: 48 }),
    stages: fc.array(
      fc.record({
        expandRatio: fc.constantFrom(1, 4, 6),
        kernel: fc.constantFrom(3, 5, 7),
        stride: fc.constantFrom(1, 2),
        channels: fc.integer({ min: 1, max: 64 }),
        layers: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    headChannels: fc.integer({ min: 1, max: 256 }),
    seRatio: fc.constantFrom(0, 0.25, 0.5),
    dropout: fc.constantFrom(0, 0.2),
    shortcuts: fc.boolean(),
    depthMultiplier: fc.constantFrom(1, 1.1, 1.8),
    widthMultiplier: fc.constantFrom(1, 1.1, 0.5),
  },
  { requiredKeys: ['family', 'stages'] },
);

describe('spec validation properties', () => {
  it(`never throws on any value, and errors are few, named and readable (${RUNS} values)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }), jsonish, mutatedPreset), (raw) => {
        expectReadable(validateSpec(raw));
        analyze(raw);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  it(`presets with misspelled, wrong, missing or extra fields: no throw, readable errors (${RUNS} specs)`, () => {
    fc.assert(
      fc.property(mutatedPreset, (raw) => {
        const a = analyze(raw);
        expectReadable(a.ok ? { ok: true, spec: a.spec } : a);
        if (a.ok) expect(Number.isSafeInteger(a.stats.totals.params)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  it(`a spec counts the same after a JSON round trip (${RUNS} generated specs)`, () => {
    let valid = 0;
    fc.assert(
      fc.property(fc.oneof(resnetSpec, efficientnetSpec), (spec) => {
        const direct = counts(spec);
        if (!('errors' in direct)) valid++;
        expect(counts(JSON.parse(JSON.stringify(spec)))).toEqual(direct);
      }),
      { numRuns: RUNS },
    );
    // The generators must reach valid specs, not only errors.
    expect(valid).toBeGreaterThan(RUNS / 4);
  }, TIMEOUT_MS);

  it(`parseSpecJson never throws, and agrees with JSON.parse on what it accepts (${RUNS} texts)`, () => {
    const text = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ':', ',', '1', ' ', '\n'), maxLength: 60 }),
      fc.jsonValue({ maxDepth: 12 }).map((v) => JSON.stringify(v)),
      mutatedPreset.map((v) => JSON.stringify(v, null, 2)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const r = parseSpecJson(t);
        if (r.ok) expect(r.value).toEqual(JSON.parse(t));
        else expect(r.errors).toHaveLength(1);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);
});
