/**
 * One declarative table of URL fields (TensorFlow Playground's `state.ts` PROPS): each field knows
 * how to read and write itself. Values are validated and clamped on parse, so a hand-edited link
 * never breaks the page: bad values are dropped or clamped, each with a notice. Notices quote at
 * most a few dozen characters of a value, and identical ones are given once with a count; the
 * page then shows the cleaned link (urlSync.ts), so junk never stays in a shared address.
 *
 * A link also carries the Train tab's settings: one field per setting of the training settings
 * schema (`SETTING_FIELDS`, src/workers/training/settings.ts), with its range, choices and default
 * from there, so a setting added to the schema gets a URL field without an edit here.
 */
import { type BlockForm, LIMITS, PRESET_NAMES, findPreset } from '../models';
import { type SettingField, SETTING_FIELDS, type TrainSettings } from '../workers/training/settings';
import { type BlockDesign, type Dataset, DATASETS } from './dials';
import { BACKEND_CHOICES, type BackendChoice, type ExplorerState, HIDEABLE, type Hideable, type Preserve, VIEWS, type ViewId, defaultState } from './state';

/** The Train tab's settings a link carries: only those that differ from the schema's defaults. */
export type TrainLink = Partial<TrainSettings>;

/** Everything a link carries: the explorer's state and the Train tab's settings. */
export interface LinkState extends ExplorerState {
  train: TrainLink;
}

export const defaultLinkState = (): LinkState => ({ ...defaultState(), train: {} });

interface UrlField {
  param: string;
  /** The value to put in the URL, or undefined to leave the parameter out. */
  write(s: LinkState): string | undefined;
  /** Applies a raw value; returns a notice when it was unusable or had to be clamped. */
  read(s: LinkState, raw: string): string | undefined;
}

/** At most this many characters of a value (or an unknown parameter's name) are quoted in a notice. */
export const NOTICE_QUOTE_CHARS = 40;
/** Unknown parameters named one by one; past this many, the rest are counted. */
const UNKNOWN_PARAMS_LISTED = 5;

/** A value as a notice quotes it: cut short, so a 100 KB value gives a one-line notice. */
export const quote = (raw: string) => (raw.length > NOTICE_QUOTE_CHARS ? `${raw.slice(0, NOTICE_QUOTE_CHARS)}…` : raw);

const fmt = (n: number) => n.toLocaleString('en-US');

const ignored = (param: string, raw: string, why: string) => `Ignored "${param}=${quote(raw)}": ${why}.`;

/** Identical notices as one, with how many times it came: `… (3,000 times).` */
export function collapseNotices(notices: readonly string[]): { text: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const n of notices) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([text, count]) => ({ text, count }));
}

/** A collapsed notice as one sentence. */
export const noticeText = ({ text, count }: { text: string; count: number }) =>
  count === 1 ? text : `${text.replace(/\.$/, '')} (${fmt(count)} times).`;

function parseNumber(param: string, raw: string, min: number, max: number, integer: boolean): { value?: number; notice?: string } {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) return { notice: ignored(param, raw, 'not a number') };
  const rounded = integer ? Math.round(n) : n;
  const value = Math.min(max, Math.max(min, rounded));
  if (value !== n) return { value, notice: `"${param}=${quote(raw)}" is outside ${min}–${max}${integer ? ' or not whole' : ''}; using ${value}.` };
  return { value };
}

function numberField(param: string, min: number, max: number, integer: boolean, get: (s: ExplorerState) => number | undefined, set: (s: ExplorerState, v: number) => void): UrlField {
  return {
    param,
    write: (s) => {
      const v = get(s);
      return v === undefined ? undefined : String(v);
    },
    read: (s, raw) => {
      const { value, notice } = parseNumber(param, raw, min, max, integer);
      if (value !== undefined) set(s, value);
      return notice;
    },
  };
}

function dialNumber(param: string, key: 'resolution' | 'cardinality' | 'bottleneckWidth' | 'phi' | 'alpha' | 'beta' | 'gamma', min: number, max: number, integer = true): UrlField {
  return numberField(param, min, max, integer, (s) => s.dials[key], (s, v) => (s.dials[key] = v));
}

/** A Map, not an object literal: `__proto__` or `constructor` must not read as a value. */
const BOOLEAN_WORDS = new Map([
  ['1', true],
  ['true', true],
  ['on', true],
  ['0', false],
  ['false', false],
  ['off', false],
]);

function boolField(param: string, get: (s: ExplorerState) => boolean | undefined, set: (s: ExplorerState, v: boolean) => void): UrlField {
  return {
    param,
    write: (s) => {
      const v = get(s);
      return v === undefined ? undefined : v ? '1' : '0';
    },
    read: (s, raw) => {
      const v = BOOLEAN_WORDS.get(raw.toLowerCase());
      if (v === undefined) return ignored(param, raw, 'use 1 or 0');
      set(s, v);
      return undefined;
    },
  };
}

function dialBool(param: string, key: 'shortcuts' | 'resStage' | 'improvedShortcut' | 'stemMaxPool' | 'compound'): UrlField {
  return boolField(param, (s) => s.dials[key], (s, v) => (s.dials[key] = v));
}

function enumField<T extends string>(param: string, values: readonly T[], get: (s: ExplorerState) => T | undefined, set: (s: ExplorerState, v: T) => void): UrlField {
  return {
    param,
    write: get,
    read: (s, raw) => {
      if (!values.includes(raw as T)) return ignored(param, raw, `use one of ${values.join(', ')}`);
      set(s, raw as T);
      return undefined;
    },
  };
}

/** A comma-separated list with one whole number per stage of the preset. */
function stageList(param: string, key: 'blocks' | 'planes', max: number): UrlField {
  return {
    param,
    write: (s) => s.dials[key]?.join(','),
    read: (s, raw) => {
      const stages = findPreset(s.preset)?.spec.stages.length ?? 0;
      const parts = raw.split(',');
      if (parts.length !== stages) return ignored(param, raw, `the preset has ${stages} stages`);
      const values: number[] = [];
      const notices: string[] = [];
      for (const part of parts) {
        const { value, notice } = parseNumber(param, part, 1, max, true);
        if (value === undefined) return ignored(param, raw, `"${quote(part)}" is not a number`);
        if (notice) notices.push(notice);
        values.push(value);
      }
      s.dials[key] = values;
      return notices[0];
    },
  };
}

const PRESERVE_VALUES = ['block-params', 'block-macs', 'network-params', 'network-macs'] as const;

/**
 * URL names of training settings whose own name is long or taken (`batch` is the memory estimate's
 * batch); the others are the setting's name in lower case (`seed`, `schedule`, `labelsmoothing`).
 */
const TRAIN_PARAM_NAMES = new Map([
  ['batchSize', 'bs'],
  ['learningRate', 'lr'],
  ['timeBudgetMinutes', 'minutes'],
]);

/** The URL parameter of a training setting. */
export const trainParam = (key: string): string => TRAIN_PARAM_NAMES.get(key) ?? key.toLowerCase();

/** A setting's value is one a link leaves out: unset, the field's unset value (Steps: 0) or the default. */
function leftOut(field: SettingField, value: unknown): boolean {
  return value === undefined || value === field.default || (field.type === 'number' && value === field.unset);
}

/** `settings` as a link carries them: the schema's form settings that differ from their defaults. */
export function trainLinkOf(settings: Partial<TrainSettings>): TrainLink {
  const link: Record<string, unknown> = {};
  for (const field of SETTING_FIELDS) {
    const value = settings[field.key];
    if (!leftOut(field, value)) link[field.key] = value;
  }
  return link as TrainLink;
}

/** One training setting: read into `train` (a default or unset value leaves it out), written when set. */
function trainField(field: SettingField): UrlField {
  const param = trainParam(field.key);
  const train = (s: LinkState) => s.train as Record<string, unknown>;
  const keep = (s: LinkState, value: unknown) => {
    if (leftOut(field, value)) delete train(s)[field.key];
    else train(s)[field.key] = value;
  };
  return {
    param,
    write: (s) => {
      const v = train(s)[field.key];
      if (v === undefined) return undefined;
      return typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    },
    read: (s, raw) => {
      if (field.type === 'number') {
        const { value, notice } = parseNumber(param, raw, field.min, field.max, field.integer);
        if (value !== undefined) keep(s, value);
        return notice;
      }
      if (field.type === 'boolean') {
        const v = BOOLEAN_WORDS.get(raw.toLowerCase());
        if (v === undefined) return ignored(param, raw, 'use 1 or 0');
        keep(s, v);
        return undefined;
      }
      if (!field.options.includes(raw)) return ignored(param, raw, `use one of ${field.options.join(', ')}`);
      keep(s, raw);
      return undefined;
    },
  };
}

/** The URL fields, in the order they are written. `preset` comes first: stage lists depend on it. */
export const URL_FIELDS: UrlField[] = [
  enumField('preset', PRESET_NAMES, (s) => s.preset, (s, v) => (s.preset = v)),
  enumField<Dataset>('data', Object.keys(DATASETS) as Dataset[], (s) => s.dials.dataset, (s, v) => (s.dials.dataset = v)),
  dialNumber('res', 'resolution', 1, LIMITS.resolution),
  dialNumber('C', 'cardinality', 1, LIMITS.cardinality),
  dialNumber('d', 'bottleneckWidth', 1, LIMITS.width),
  stageList('blocks', 'blocks', LIMITS.blocks),
  stageList('widths', 'planes', LIMITS.width),
  enumField<BlockForm>('form', ['a', 'b', 'c'], (s) => s.dials.form, (s, v) => (s.dials.form = v)),
  dialBool('shortcuts', 'shortcuts'),
  dialBool('resstage', 'resStage'),
  dialBool('mpshortcut', 'improvedShortcut'),
  dialBool('stempool', 'stemMaxPool'),
  enumField<BlockDesign>('design', ['resnet', 'resgroupfix', 'resgroup'], (s) => s.dials.design, (s, v) => (s.dials.design = v)),
  dialBool('compound', 'compound'),
  dialNumber('phi', 'phi', 0, 8, false),
  dialNumber('alpha', 'alpha', 1, 3, false),
  dialNumber('beta', 'beta', 1, 3, false),
  dialNumber('gamma', 'gamma', 1, 3, false),
  {
    param: 'preserve',
    write: (s) => (s.preserve ? `${s.preserve.scope}-${s.preserve.metric}:${s.preserve.target}` : undefined),
    read: (s, raw) => {
      const [mode, target] = raw.split(':');
      if (!PRESERVE_VALUES.includes(mode as (typeof PRESERVE_VALUES)[number])) return ignored('preserve', raw, `use one of ${PRESERVE_VALUES.join(', ')}`);
      const { value } = parseNumber('preserve', target ?? '', 1, Number.MAX_SAFE_INTEGER, true);
      if (value === undefined) return ignored('preserve', raw, 'the budget after ":" is not a number');
      const [scope, metric] = (mode as string).split('-') as [Preserve['scope'], Preserve['metric']];
      s.preserve = { scope, metric, target: value };
      return undefined;
    },
  },
  enumField<'macs' | 'flops'>('unit', ['macs', 'flops'], (s) => (s.unit === 'macs' ? undefined : s.unit), (s, v) => (s.unit = v)),
  numberField('batch', 1, 4096, true, (s) => (s.batch === defaultState().batch ? undefined : s.batch), (s, v) => (s.batch = v)),
  enumField<ViewId>('view', VIEWS, (s) => (s.view === 'layers' ? undefined : s.view), (s, v) => (s.view = v)),
  boolField('classroom', (s) => (s.classroom ? true : undefined), (s, v) => (s.classroom = v)),
  {
    param: 'hide',
    write: (s) => (s.hide.length ? s.hide.join(',') : undefined),
    read: (s, raw) => {
      const parts = raw.split(',').filter(Boolean);
      const bad = parts.filter((p) => !HIDEABLE.includes(p as Hideable));
      s.hide = parts.filter((p): p is Hideable => HIDEABLE.includes(p as Hideable));
      return bad.length ? ignored('hide', bad.join(','), `use ${HIDEABLE.join(', ')}`) : undefined;
    },
  },
  boolField('lock', (s) => (s.locked ? true : undefined), (s, v) => (s.locked = v)),
  enumField<BackendChoice>('backend', BACKEND_CHOICES, (s) => (s.backend === 'auto' ? undefined : s.backend), (s, v) => (s.backend = v)),
  ...SETTING_FIELDS.map(trainField),
];

const FIELD_BY_PARAM = new Map(URL_FIELDS.map((f) => [f.param, f]));

/**
 * Reads a query string into a state; never throws. Notices say what was ignored or clamped, each
 * once (repeats carry a count) and each quoting at most `NOTICE_QUOTE_CHARS` of a value.
 */
export function parseUrl(search: string): { state: LinkState; notices: string[] } {
  const params = new URLSearchParams(search);
  const state = defaultLinkState();
  const notices: string[] = [];
  let presetNotice: string | undefined;
  for (const field of URL_FIELDS) {
    const raw = params.get(field.param);
    if (raw === null) continue;
    if (field.param === 'preset' && !findPreset(raw)) {
      presetNotice = `Unknown preset "${quote(raw)}"; showing ${state.preset}.`;
      continue;
    }
    const notice = field.read(state, raw);
    if (notice) notices.push(notice);
  }
  const unknown = collapseNotices([...params.keys()].filter((key) => !FIELD_BY_PARAM.has(key)));
  if (unknown.length > UNKNOWN_PARAMS_LISTED) {
    const listed = unknown.slice(0, UNKNOWN_PARAMS_LISTED).map((u) => `"${quote(u.text)}"`);
    notices.push(`Ignored unknown URL parameters ${listed.join(', ')} and ${fmt(unknown.length - UNKNOWN_PARAMS_LISTED)} more.`);
  } else {
    for (const u of unknown) notices.push(noticeText({ text: `Ignored unknown URL parameter "${quote(u.text)}".`, count: u.count }));
  }
  if (presetNotice) notices.push(presetNotice);
  return { state, notices: collapseNotices(notices).map(noticeText) };
}

/** Writes a state as a query string (without "?"), in field order, leaving defaults out. */
export function serializeUrl(state: LinkState): string {
  const params = new URLSearchParams();
  for (const field of URL_FIELDS) {
    const v = field.write(state);
    if (v !== undefined) params.set(field.param, v);
  }
  return params.toString().replace(/%2C/g, ',').replace(/%3A/g, ':');
}
