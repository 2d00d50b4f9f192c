import { describe, expect, it } from 'vitest';
import { analyze, findPreset } from '../models';
import { specFromDials } from './dials';
import { DEFAULT_TRAIN_SETTINGS, SETTING_FIELDS } from '../workers/training/settings';
import { defaultLinkState as defaultState } from './url';
import { URL_FIELDS, collapseNotices, noticeText, parseUrl, serializeUrl, trainLinkOf, trainParam } from './url';

const modelOf = (search: string) => {
  const { state } = parseUrl(search);
  return analyze(specFromDials(findPreset(state.preset)!, state.dials));
};

describe('URL state', () => {
  it('an empty URL is the default state with no notices', () => {
    expect(parseUrl('')).toEqual({ state: defaultState(), notices: [] });
    expect(serializeUrl(defaultState())).toBe('preset=resnext50_32x4d');
  });

  it('round-trips every field', () => {
    const search =
      'preset=resnet50&data=cifar100&res=64&C=8&d=14&blocks=2,3,4,2&widths=64,128,256,512&form=a&shortcuts=0&resstage=1&mpshortcut=1&stempool=0&design=resnet&compound=1&phi=1.5&alpha=1.2&beta=1.1&gamma=1.15&preserve=block-params:69632&unit=flops&batch=32&view=charts&classroom=1&hide=controls,charts&lock=1&backend=wasm';
    const { state, notices } = parseUrl(search);
    expect(notices).toEqual([]);
    expect(serializeUrl(state)).toBe(search);
    expect(parseUrl(serializeUrl(state)).state).toEqual(state);
  });

  it('garbage values are dropped with a notice and the model stays valid', () => {
    const { state, notices } = parseUrl('preset=nonsense&C=abc&form=z&shortcuts=maybe&blocks=1,2&foo=bar');
    expect(state.preset).toBe('resnext50_32x4d');
    expect(state.dials).toEqual({});
    expect(notices).toEqual([
      'Ignored "C=abc": not a number.',
      'Ignored "blocks=1,2": the preset has 4 stages.',
      'Ignored "form=z": use one of a, b, c.',
      'Ignored "shortcuts=maybe": use 1 or 0.',
      'Ignored unknown URL parameter "foo".',
      'Unknown preset "nonsense"; showing resnext50_32x4d.',
    ]);
    expect(modelOf('preset=nonsense&C=abc').ok).toBe(true);
  });

  it('out-of-range numbers are clamped with a notice', () => {
    const { state, notices } = parseUrl('preset=resnet50&C=1e9&d=-3&res=2.6&phi=99');
    expect(state.dials).toMatchObject({ cardinality: 4096, bottleneckWidth: 1, resolution: 3, phi: 8 });
    expect(notices).toHaveLength(4);
    expect(notices).toContain('"C=1e9" is outside 1–4096 or not whole; using 4096.');
  });

  it('"__proto__" and "constructor" are values like any other (found by the property test)', () => {
    const { state, notices } = parseUrl('resstage=__proto__&lock=constructor');
    expect(state).toEqual(defaultState());
    expect(notices).toEqual(['Ignored "resstage=__proto__": use 1 or 0.', 'Ignored "lock=constructor": use 1 or 0.']);
  });

  it('identical notices are given once, with a count', () => {
    const { state, notices } = parseUrl(Array.from({ length: 3000 }, () => 'zz=1').join('&'));
    expect(state).toEqual(defaultState());
    expect(notices).toEqual(['Ignored unknown URL parameter "zz" (3,000 times).']);
    expect(collapseNotices(['a.', 'b.', 'a.']).map(noticeText)).toEqual(['a (2 times).', 'b.']);
  });

  it('many different unknown parameters make one notice', () => {
    const { notices } = parseUrl(Array.from({ length: 3000 }, (_, i) => `z${i}=1`).join('&'));
    expect(notices).toEqual(['Ignored unknown URL parameters "z0", "z1", "z2", "z3", "z4" and 2,995 more.']);
  });

  it('a 100 KB value is quoted in a few dozen characters and leaves nothing in the link', () => {
    const junk = 'x'.repeat(100_000);
    const { state, notices } = parseUrl(`preset=${junk}&C=${junk}&${junk}=1&blocks=1,${junk},1,1&view=train`);
    expect(notices).toEqual([
      `Ignored "C=${'x'.repeat(40)}…": not a number.`,
      `Ignored "blocks=1,${'x'.repeat(38)}…": "${'x'.repeat(40)}…" is not a number.`,
      `Ignored unknown URL parameter "${'x'.repeat(40)}…".`,
      `Unknown preset "${'x'.repeat(40)}…"; showing resnext50_32x4d.`,
    ]);
    expect(serializeUrl(state)).toBe('preset=resnext50_32x4d&view=train');
  });

  it('a link that parses but cannot be built still gives readable errors, not a crash', () => {
    const a = modelOf('preset=resnext50_32x4d&res=8');
    expect(a.ok).toBe(false);
    expect(!a.ok && a.errors.map((e) => e.field)).toEqual(['input.resolution']);
  });
});

describe('training settings in the URL', () => {
  it('every setting of the training settings schema has its own URL field, and no two fields share a name', () => {
    const params = URL_FIELDS.map((f) => f.param);
    expect(new Set(params).size).toBe(params.length);
    for (const field of SETTING_FIELDS) expect(params).toContain(trainParam(field.key));
    expect(trainParam('batchSize')).toBe('bs');
    expect(trainParam('learningRate')).toBe('lr');
  });

  it('round-trip: batch, rate, schedule, recipe, length, budget and seed', () => {
    const search = 'preset=classroom_resnext29_8x4d&view=train&recipe=fast&bs=64&epochs=3&steps=200&minutes=2.5&seed=7&lr=0.1&schedule=step&augment=0';
    const { state, notices } = parseUrl(search);
    expect(notices).toEqual([]);
    expect(state.train).toEqual({ recipe: 'fast', batchSize: 64, epochs: 3, steps: 200, timeBudgetMinutes: 2.5, seed: 7, learningRate: 0.1, schedule: 'step', augment: false });
    expect(serializeUrl(state)).toBe(search);
  });

  it('defaults and unset values are left out of the state and the link', () => {
    const { state, notices } = parseUrl(`bs=${DEFAULT_TRAIN_SETTINGS.batchSize}&steps=0&minutes=0&recipe=${DEFAULT_TRAIN_SETTINGS.recipe}&augment=1`);
    expect(notices).toEqual([]);
    expect(state.train).toEqual({});
    expect(serializeUrl(state)).toBe('preset=resnext50_32x4d');
  });

  it('out-of-range and unknown values are clamped or dropped with a notice, from the schema ranges', () => {
    const { state, notices } = parseUrl('bs=1&lr=5&schedule=sideways&ema=maybe&seed=2.5');
    expect(state.train).toEqual({ batchSize: 2, learningRate: 2, seed: 3 });
    expect(notices).toContain('"bs=1" is outside 2–512 or not whole; using 2.');
    expect(notices).toContain('"lr=5" is outside 0.0001–2; using 2.');
    expect(notices.find((n) => n.startsWith('Ignored "schedule=sideways": use one of'))).toBeDefined();
    expect(notices).toContain('Ignored "ema=maybe": use 1 or 0.');
  });

  it('a form becomes the settings that differ from the defaults', () => {
    expect(trainLinkOf({ ...DEFAULT_TRAIN_SETTINGS })).toEqual({});
    expect(trainLinkOf({ ...DEFAULT_TRAIN_SETTINGS, batchSize: 8, steps: 0, seed: 4 })).toEqual({ batchSize: 8, seed: 4 });
  });
});

describe('dials -> spec', () => {
  it('the preset with no dials is the preset', () => {
    const p = findPreset('resnext50_32x4d')!;
    expect(specFromDials(p, {})).toEqual(p.spec);
  });

  it('dataset sets the input; a CIFAR preset on ImageNet gets 224 px', () => {
    const spec = specFromDials(findPreset('cifar_resnext29_8x64d')!, { dataset: 'imagenet' });
    expect(spec.input).toEqual({ resolution: 224, channels: 3, classes: 1000 });
  });

  it('ResGroup design on ResNet-50 with C=64, d=4 is resgroup50 exactly', () => {
    const a = analyze(specFromDials(findPreset('resnet50')!, { design: 'resgroup', cardinality: 64, bottleneckWidth: 4 }));
    const b = analyze(findPreset('resgroup50')!.spec);
    expect(a.ok && b.ok && a.stats.totals).toEqual(b.ok && b.stats.totals);
  });

  it('iResNet dials on ResNet-50 give iresnet50 exactly', () => {
    const a = analyze(specFromDials(findPreset('resnet50')!, { resStage: true, improvedShortcut: true, stemMaxPool: false }));
    const b = analyze(findPreset('iresnet50')!.spec);
    expect(a.ok && b.ok && a.stats.totals).toEqual(b.ok && b.stats.totals);
  });

  it('compound scaling B0 by phi = 1 gives 9,109,994 params at 258 px', () => {
    const a = analyze(specFromDials(findPreset('efficientnet_b0')!, { compound: true, phi: 1 }));
    expect(a.ok && [a.stats.totals.params, a.spec.input.resolution]).toEqual([9_109_994, 258]);
  });
});
