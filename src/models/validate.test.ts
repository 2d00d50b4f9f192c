/** Bad specs give readable errors that name the field; they never throw and never give NaN. */
import { describe, expect, it } from 'vitest';
import { INPUT_LIMITS, PRESETS, type SpecError, analyze, analyzeOrThrow, closestField, findPreset, formatSpecErrors, parseSpecJson, validateSpec } from './index';

const base = (name: string) => JSON.parse(JSON.stringify(findPreset(name)!.spec)) as Record<string, unknown>;

function errorsOf(raw: unknown): SpecError[] {
  const a = analyze(raw);
  if (a.ok) throw new Error('expected validation errors');
  for (const e of a.errors) {
    expect(e.field.length).toBeGreaterThan(0);
    expect(e.message).not.toMatch(/NaN|undefined|\[object/);
  }
  return a.errors;
}

const fields = (raw: unknown) => errorsOf(raw).map((e) => e.field);

describe('validation', () => {
  it('C not dividing a stage width names the groups field', () => {
    const spec = base('resnext50_32x4d');
    (spec.stages as Record<string, unknown>[])[1]!.width = 250;
    const errors = errorsOf(spec);
    expect(errors[0]).toEqual({ field: 'cardinality', message: '32 groups do not divide the 250-channel 3x3 layer of stage conv3' });
  });

  it('per-stage groups that do not divide the width', () => {
    const spec = base('resgroup50');
    (spec.stages as Record<string, unknown>[])[2]!.groups = 3;
    expect(fields(spec)).toEqual(['stages[2].groups']);
  });

  it.each([
    ['cardinality', 0, /at least 1/],
    ['cardinality', -4, /at least 1/],
    ['cardinality', 2.5, /whole number/],
    ['bottleneckWidth', 'four', /must be a number/],
    ['bottleneckWidth', Number.NaN, /must be a number/],
    ['widthMultiplier', 0, /greater than 0/],
    ['form', 'd', /one of "a", "b", "c"/],
    ['shortcuts', 'yes', /true or false/],
  ])('%s = %j', (field, value, message) => {
    const errors = errorsOf({ ...base('resnext50_32x4d'), [field]: value });
    expect(errors.map((e) => e.field)).toEqual([field]);
    expect(errors[0]!.message).toMatch(message);
  });

  it('zero, negative and non-integer stage sizes name the stage and field', () => {
    const spec = base('resnet50');
    const stages = spec.stages as Record<string, unknown>[];
    stages[0]!.blocks = 0;
    stages[1]!.planes = -128;
    stages[2]!.stride = 3;
    stages[3]!.blocks = 1.5;
    expect(fields(spec)).toEqual(['stages[0].blocks', 'stages[1].planes', 'stages[2].stride', 'stages[3].blocks']);
  });

  it('a bottleneck width that rounds to zero channels', () => {
    const spec = { ...base('classroom_resnext29_8x4d'), bottleneckWidth: 1, stages: [{ blocks: 1, planes: 16, stride: 1 }, { blocks: 1, planes: 8, stride: 2 }] };
    expect(errorsOf(spec)[0]).toMatchObject({ field: 'bottleneckWidth', message: expect.stringMatching(/0 channels per branch in stage conv3/) });
  });

  it('a resolution too small for the strides', () => {
    const errors = errorsOf({ ...base('resnet50'), input: { resolution: 16, channels: 3, classes: 1000 } });
    expect(errors).toEqual([
      {
        field: 'input.resolution',
        message: "16 px is too small for this network's total stride of 32: the last stage would have less than one pixel. Use at least 32.",
      },
    ]);
    expect(analyze({ ...base('resnet50'), input: { resolution: 32, channels: 3, classes: 1000 } }).ok).toBe(true);
    expect(fields({ ...base('efficientnet_b0'), input: { resolution: 31, channels: 3, classes: 10 } })).toEqual(['input.resolution']);
    expect(analyze({ ...base('cifar_resnext29_8x64d'), input: { resolution: 4, channels: 3, classes: 10 } }).ok).toBe(true);
  });

  it('absurd sizes are refused with a reason', () => {
    expect(fields({ ...base('resnet50'), input: { resolution: 100_000, channels: 3, classes: 1000 } })).toEqual(['input.resolution']);
    expect(fields({ ...base('resnext101_64x4d'), form: 'a', stages: [{ blocks: 1000, planes: 64, stride: 1 }] })).toEqual(['form']);
    const huge = analyze({ ...base('resnet50'), input: { resolution: 4096, channels: 3, classes: 1000 }, widthMultiplier: 16, depthMultiplier: 16 });
    expect(huge.ok).toBe(false);
    expect(!huge.ok && huge.errors[0]!.field).toBe('(size)');
  });

  it('a ResStage needs a Start and an End block', () => {
    const spec = base('iresnet50');
    (spec.stages as Record<string, unknown>[])[0]!.blocks = 1;
    expect(errorsOf(spec)[0]).toMatchObject({ field: 'stages[0].blocks', message: expect.stringMatching(/Start and an End/) });
  });

  it('EfficientNet: even kernels, bad strides, unknown family, non-objects', () => {
    const spec = base('efficientnet_b0');
    const stages = spec.stages as Record<string, unknown>[];
    stages[1]!.kernel = 4;
    stages[2]!.stride = 0;
    expect(fields(spec)).toEqual(['stages[1].kernel', 'stages[2].stride']);
    expect(fields({ family: 'vgg' })).toEqual(['family']);
    expect(fields(null)).toEqual(['(spec)']);
    expect(fields('resnet50')).toEqual(['(spec)']);
    expect(fields({ ...base('resnet50'), stages: 'many' })).toEqual(['stages']);
  });

  it('fills defaults for a short hand-written spec', () => {
    const a = analyze({ family: 'resnet', name: 'mini', stages: [{ blocks: 2, planes: 64, stride: 1 }, { blocks: 2, planes: 128, stride: 2 }] });
    expect(a.ok).toBe(true);
    expect(a.ok && a.spec.input.resolution).toBe(224);
  });
});

describe('strict fields', () => {
  const mini = { family: 'resnet', name: 'mini', stages: [{ blocks: 2, planes: 64, stride: 1 }] };
  const errors = (raw: unknown) => errorsOf(raw).map((e) => `${e.field}: ${e.message}`);

  it('every preset is valid as written and after a JSON round trip, with the same spec', () => {
    for (const p of PRESETS) {
      const direct = validateSpec(p.spec);
      const viaJson = validateSpec(JSON.parse(JSON.stringify(p.spec)));
      expect(direct.ok && viaJson.ok).toBe(true);
      expect(direct.ok && direct.spec).toEqual(viaJson.ok && viaJson.spec);
    }
  });

  it('a misspelled field is refused with the field it probably means', () => {
    expect(errors({ ...mini, cardinalty: 32 })).toEqual(['cardinalty: unknown field; did you mean "cardinality"?']);
    expect(errors({ ...mini, Cardinality: 8, bottleneck_width: 4, widthMultipler: 2 })).toEqual([
      'Cardinality: unknown field; did you mean "cardinality"?',
      'bottleneck_width: unknown field; did you mean "bottleneckWidth"?',
      'widthMultipler: unknown field; did you mean "widthMultiplier"?',
    ]);
  });

  it('unknown fields at every level name their path; with no close match the known fields are listed', () => {
    const spec = { ...mini, input: { resolution: 32, clases: 10 }, stem: { widht: 16 }, stages: [{ blocks: 3, planes: 64, strde: 1, colour: 'red' }] };
    expect(errors(spec)).toEqual([
      'input.clases: unknown field; did you mean "classes"?',
      'stem.widht: unknown field; did you mean "width"?',
      'stages[0].strde: unknown field; did you mean "stride"?',
      'stages[0].colour: unknown field; the fields here are blocks, planes, stride, groups, width',
    ]);
    const b0 = base('efficientnet_b0');
    (b0.stages as Record<string, unknown>[])[0]!.kernal = 3;
    expect(fields(b0)).toEqual(['stages[0].kernal']);
  });

  it("another family's field says so", () => {
    expect(errors({ ...mini, stemChannels: 32 })).toEqual(['stemChannels: is a field of EfficientNet specs; this spec\'s family is "resnet"']);
    expect(fields({ ...base('efficientnet_b0'), cardinality: 32, stem: { width: 64 } })).toEqual(['cardinality', 'stem']);
  });

  it('input and stem of the wrong type are refused, not replaced by defaults', () => {
    expect(errors({ ...mini, input: 'cifar10' })).toEqual(['input: must be an object, not a dataset name: for CIFAR-10 write {"resolution": 32, "channels": 3, "classes": 10}']);
    expect(errors({ ...mini, input: '__proto__' })).toEqual(['input: must be an object such as {"resolution": 224, "channels": 3, "classes": 1000} (got "__proto__")']);
    expect(fields(JSON.parse('{"family": "resnet", "__proto__": {"cardinality": 2}, "": 1}'))).toEqual(['__proto__', '""']);
    expect(errors({ ...mini, input: 5 })).toEqual(['input: must be an object such as {"resolution": 224, "channels": 3, "classes": 1000} (got 5)']);
    expect(errors({ ...mini, stem: 5 })).toEqual(['stem: must be an object such as {"width": 64, "kernel": 7, "stride": 2, "maxPool": true} (got 5)']);
    expect(fields({ ...mini, stem: [1, 2] })).toEqual(['stem']);
    expect(fields({ ...mini, name: 7 })).toEqual(['name']);
    expect(fields({ ...mini, name: 'x'.repeat(INPUT_LIMITS.name + 1) })).toEqual(['name']);
  });

  it('optional fields set to undefined (typed callers) count as left out', () => {
    expect(validateSpec({ ...mini, stages: [{ blocks: 2, planes: 64, stride: 1, groups: undefined, width: undefined }] }).ok).toBe(true);
  });

  it('nesting and size are bounded before any walk: one error, no stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(errors({ ...mini, stages: deep })).toEqual(['stages: lists and objects are nested more than 8 deep; a spec needs 3 (spec, stages, stage)']);
    const cyclic: Record<string, unknown> = { ...mini };
    cyclic.self = cyclic;
    expect(fields(cyclic)).toEqual(['self']);
    expect(errors({ ...mini, junk: new Array(1_000_000).fill(0) })).toEqual(['junk: the spec holds more than 10,000 values; a spec has about a hundred']);
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    expect(fields({ ...mini, ...wide })).toHaveLength(1);
  });

  it('many errors are listed up to a limit, then counted in one line', () => {
    const junk = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`zz${i}`, i]));
    const e = errorsOf({ ...mini, ...junk });
    expect(e).toHaveLength(INPUT_LIMITS.errors + 1);
    expect(e.at(-1)).toEqual({ field: '(spec)', message: `and ${100 - INPUT_LIMITS.errors} more errors` });
  });

  it('values are described without walking them', () => {
    expect(errors({ ...mini, cardinality: [1, 2, 3] })).toEqual(['cardinality: must be a number (got a list of 3)']);
    expect(errors({ ...mini, form: 'x'.repeat(100_000) })[0]!.length).toBeLessThan(120);
    expect(errors({ ...mini, stages: {} })).toEqual(['stages: must be a list of 1 to 12 stages (got an object)']);
  });

  it('closestField: case, underscores and small typos; nothing for far-off or huge keys', () => {
    const known = ['cardinality', 'bottleneckWidth', 'stages', 'form'];
    expect(closestField('CARDINALITY', known)).toBe('cardinality');
    expect(closestField('bottleneck-width', known)).toBe('bottleneckWidth');
    expect(closestField('stgaes', known)).toBe('stages');
    expect(closestField('from', known)).toBe('form');
    expect(closestField('colour', known)).toBeUndefined();
    expect(closestField('c'.repeat(10_000), known)).toBeUndefined();
  });
});

describe('parseSpecJson', () => {
  it('parses a spec, with or without a byte-order mark', () => {
    expect(parseSpecJson('{"family": "resnet"}')).toEqual({ ok: true, value: { family: 'resnet' } });
    expect(parseSpecJson('\uFEFF{"a": [1, "]]]"]}')).toEqual({ ok: true, value: { a: [1, ']]]'] } });
  });

  it('refuses deep nesting before parsing, naming the top-level field and where (the spec object counts as one level)', () => {
    const deep = `{"family": "resnet",\n "stages": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(parseSpecJson(deep)).toEqual({
      ok: false,
      errors: [{ field: 'stages', message: 'lists and objects are nested more than 8 deep (line 2, column 19); a spec needs 3 (spec, stages, stage)' }],
    });
    expect(parseSpecJson('['.repeat(20_000))).toMatchObject({ ok: false, errors: [{ field: '(spec)' }] });
    // Brackets inside strings are text, not nesting.
    expect(parseSpecJson(`{"name": "${'['.repeat(100)}\\"${'{'.repeat(100)}"}`).ok).toBe(true);
  });

  it('refuses text over the size limit and text that is not JSON, in one line', () => {
    expect(parseSpecJson(' '.repeat(INPUT_LIMITS.chars + 1))).toMatchObject({ ok: false, errors: [{ field: '(spec)', message: expect.stringMatching(/at most 1,000,000/) }] });
    const bad = parseSpecJson('{ not json');
    expect(bad).toMatchObject({ ok: false, errors: [{ field: '(spec)', message: expect.stringMatching(/^is not valid JSON: /) }] });
  });
});

describe('formatSpecErrors and analyzeOrThrow', () => {
  const errors: SpecError[] = [
    { field: 'cardinality', message: 'must be at least 1 (got 0)' },
    { field: 'stages[0].stride', message: 'must be one of 1, 2 (got 3)' },
  ];

  it('writes each error as field: message, on one line by default', () => {
    expect(formatSpecErrors(errors)).toBe('cardinality: must be at least 1 (got 0); stages[0].stride: must be one of 1, 2 (got 3)');
    expect(formatSpecErrors([])).toBe('');
  });

  it('lays them out as an indented list on request', () => {
    expect(formatSpecErrors(errors, { separator: '\n', indent: '  ' })).toBe(
      '  cardinality: must be at least 1 (got 0)\n  stages[0].stride: must be one of 1, 2 (got 3)',
    );
  });

  it('analyzeOrThrow returns a valid analysis and throws the formatted errors, after the context', () => {
    const spec = base('resnet50');
    expect(analyzeOrThrow(spec).spec.name).toBe('resnet50');
    const bad = { ...spec, cardinality: 0 };
    const problems = formatSpecErrors(errorsOf(bad));
    expect(() => analyzeOrThrow(bad)).toThrow(new Error(problems));
    expect(() => analyzeOrThrow(bad, 'invalid spec resnet50')).toThrow(new Error(`invalid spec resnet50: ${problems}`));
  });
});
