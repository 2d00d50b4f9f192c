/** Bad specs give readable errors that name the field; they never throw and never give NaN. */
import { describe, expect, it } from 'vitest';
import { type SpecError, analyze, analyzeOrThrow, findPreset, formatSpecErrors } from './index';

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
