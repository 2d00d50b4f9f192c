/**
 * Writing Python source safely from TypeScript: literals, comments and the header every export
 * starts with. A spec's name is user input, so it only ever reaches the output escaped.
 */
import { type ArchSpec, PRESETS, type ValidAnalysis, formatInt } from '../models/index';

/** A Python string literal. JSON's escapes are all valid in Python; non-ASCII is escaped too. */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/gu, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** A Python number literal. JavaScript's shortest round-trip form parses to the same double in Python. */
export function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot write ${n} as a Python number`);
  return String(n);
}

export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** Text that is safe on one `#` comment line: printable ASCII only, everything else escaped. */
export function commentText(s: string): string {
  return pyString(s).slice(1, -1).replace(/\\"/g, '"');
}

/** Prefixes every line with `# ` (a bare `#` for empty lines). */
export function commentBlock(lines: string[]): string[] {
  return lines.map((l) => (l ? `# ${l}` : '#'));
}

/** A Keras-safe model name: letters, digits, `_`, `.` and `-` (Keras refuses `/`). */
export function identifierName(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned || 'model';
}

/** torchvision has these models under the same names, so its pretrained weights fit the export. */
const TORCHVISION_MODELS = new Set([
  'resnet18',
  'resnet34',
  'resnet50',
  'resnet101',
  'resnet152',
  'resnext50_32x4d',
  'resnext101_32x8d',
  'resnext101_64x4d',
  'wide_resnet50_2',
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((b) => `efficientnet_b${b}`),
]);

/** The torchvision model this spec is, unchanged, or undefined (a dialled design is not). */
export function torchvisionName(spec: ArchSpec): string | undefined {
  if (!TORCHVISION_MODELS.has(spec.name)) return undefined;
  const preset = PRESETS.find((p) => p.name === spec.name);
  return preset && canonicalJson(preset.spec) === canonicalJson(spec) ? spec.name : undefined;
}

/** Sorts object keys (family and name first) so equal specs print alike, whatever order they were written in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const rank = (k: string) => (k === 'family' ? 0 : k === 'name' ? 1 : 2);
  const keys = Object.keys(value).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

export const canonicalJson = (value: unknown, indent?: number): string => JSON.stringify(canonical(value), null, indent);

/**
 * The spec as JSON, one top-level field (or list item) per comment line. JSON strings never hold
 * raw newlines, and `commentText` escapes anything else that could end a comment.
 */
export function specComment(spec: ArchSpec): string[] {
  const fields = Object.entries(JSON.parse(canonicalJson(spec)) as Record<string, unknown>);
  const lines = fields.flatMap(([key, value], i) => {
    const comma = i < fields.length - 1 ? ',' : '';
    if (!Array.isArray(value)) return [`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`];
    const items = value.map((v, j) => `    ${JSON.stringify(v)}${j < value.length - 1 ? ',' : ''}`);
    return [`  ${JSON.stringify(key)}: [`, ...items, `  ]${comma}`];
  });
  return commentBlock(['{', ...lines, '}'].map(commentText));
}

/** The lines every export starts with: what it is, its exact counts, and the spec it came from. */
export function header(a: ValidAnalysis, framework: string, usage: string[]): string[] {
  const { spec, stats } = a;
  const res = spec.input.resolution;
  return [
    ...commentBlock([
      `${commentText(spec.name)}: ${framework} model exported from ResNeXt Lab.`,
      '',
      `params: ${formatInt(stats.totals.params)} = conv weights (+ bias) + BatchNorm gamma/beta + FC weight/bias`,
      '        (BatchNorm running statistics are buffers, not parameters).',
      `MACs:   ${formatInt(stats.totals.macs)} at ${res}x${res}: conv and linear multiply-adds only; FLOPs = 2 x MACs.`,
      '',
      ...usage,
      '',
      'The spec this file was generated from:',
    ]),
    ...specComment(spec),
  ];
}
