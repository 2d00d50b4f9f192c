/**
 * Property tests of the URL state (fast-check, 1,000 generated links each): reading any string
 * never throws and gives short notices; the state it gives writes a link that reads back to the
 * same state with no notices, and writes the same link again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES } from '../models';
import { DATASETS } from './dials';
import { SETTING_FIELDS } from '../workers/training/settings';
import { BACKEND_CHOICES, HIDEABLE, VIEWS } from './state';
import { URL_FIELDS, defaultLinkState as defaultState, parseUrl, serializeUrl, trainParam } from './url';

/** 1,000 in CI; PROPERTY_RUNS=20000 for a longer search. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const TIMEOUT_MS = Math.max(10_000, RUNS * 3);

const number = fc.oneof(
  fc.integer({ min: -10, max: 5000 }).map(String),
  fc.double({ min: -1, max: 10, noNaN: true }).map(String),
  fc.double().map(String),
  fc.constantFrom('-0', '1e400', 'NaN', ' 5 ', '0x10', '', '1e9'),
);
/** Mostly four whole numbers (most presets have four stages), sometimes another count or junk. */
const stageValue = fc.oneof({ arbitrary: fc.integer({ min: -5, max: 5000 }).map(String), weight: 20 }, { arbitrary: fc.constantFrom('', 'x', '2.5'), weight: 1 });
const stageList = fc
  .oneof({ arbitrary: fc.array(stageValue, { minLength: 4, maxLength: 4 }), weight: 3 }, fc.array(stageValue, { minLength: 2, maxLength: 8 }))
  .map((a) => a.join(','));
const boolean = fc.constantFrom('1', '0', 'on', 'off', 'true', 'FALSE', 'maybe', '', '__proto__', 'constructor', 'toString');

/** For each parameter, values it might be given: mostly well-formed, some near misses. */
const VALUES: Record<string, fc.Arbitrary<string>> = {
  preset: fc.constantFrom(...PRESET_NAMES, 'resnet9000', 'ResNet50'),
  data: fc.constantFrom(...Object.keys(DATASETS), 'mnist'),
  res: number,
  C: number,
  d: number,
  blocks: stageList,
  widths: stageList,
  form: fc.constantFrom('a', 'b', 'c', 'd'),
  design: fc.constantFrom('resnet', 'resgroupfix', 'resgroup', 'vgg'),
  phi: number,
  alpha: number,
  beta: number,
  gamma: number,
  preserve: fc
    .tuple(fc.constantFrom('block-params', 'block-macs', 'network-params', 'network-macs', 'block-flops'), number)
    .map(([mode, n]) => `${mode}:${n}`),
  unit: fc.constantFrom('macs', 'flops', 'joules'),
  batch: number,
  view: fc.constantFrom(...VIEWS, 'table'),
  hide: fc.subarray([...HIDEABLE, 'zz', '']).map((a) => a.join(',')),
  backend: fc.constantFrom(...BACKEND_CHOICES, 'tpu'),
  // The Train tab's settings, from the schema: numbers, on/off words, and each choice or a near miss.
  ...Object.fromEntries(
    SETTING_FIELDS.map((f) => [trainParam(f.key), f.type === 'number' ? number : f.type === 'boolean' ? boolean : fc.constantFrom(...f.options, 'zz', f.options[0]!.toUpperCase())]),
  ),
};
const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty'));
const valueFor = (param: string) => fc.oneof({ arbitrary: VALUES[param] ?? boolean, weight: 4 }, { arbitrary: junk, weight: 1 });

const pair = fc.oneof(
  { arbitrary: fc.constantFrom(...URL_FIELDS.map((f) => f.param)).chain((p) => valueFor(p).map((v) => [p, v] as const)), weight: 5 },
  { arbitrary: fc.tuple(fc.oneof(fc.constantFrom('zz', 'C ', 'Preset', '', '__proto__', 'constructor'), fc.string({ maxLength: 6 })), junk), weight: 1 },
);
/** A query string of known and unknown parameters, each encoded or raw. */
const query = fc
  .array(fc.tuple(pair, fc.boolean()), { maxLength: 14 })
  .map((pairs) => pairs.map(([[k, v], encode]) => (encode ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${k}=${v}`)).join('&'));
const anyLink = fc.oneof(
  { arbitrary: query, weight: 3 },
  { arbitrary: query.map((q) => `?${q}`), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
);

describe('URL properties', () => {
  it(`parseUrl never throws and its notices are few and short (${RUNS} links)`, () => {
    fc.assert(
      fc.property(anyLink, (link) => {
        const { notices } = parseUrl(link);
        expect(notices.length).toBeLessThanOrEqual(URL_FIELDS.length + 2);
        expect(new Set(notices).size).toBe(notices.length);
        for (const n of notices) expect(n.length).toBeLessThan(300);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  it(`parse -> serialise -> parse gives the same state, no notices and the same link (${RUNS} links)`, () => {
    fc.assert(
      fc.property(anyLink, (link) => {
        const { state } = parseUrl(link);
        const written = serializeUrl(state);
        const again = parseUrl(written);
        expect(again.notices).toEqual([]);
        expect(again.state).toEqual(state);
        expect(serializeUrl(again.state)).toBe(written);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT_MS);

  it('the default state round-trips through its link', () => {
    expect(parseUrl(serializeUrl(defaultState()))).toEqual({ state: defaultState(), notices: [] });
  });
});
