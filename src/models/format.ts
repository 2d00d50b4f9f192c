/** Number formats and table exports shared by the UI and the CLI. */
import type { LayerRow } from './stats';

// One formatter each, made once: `toLocaleString` with options builds a new one per call (tens of
// microseconds), which a chart's data table of 800 cells paid on every redraw.
const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Exact integer with grouped digits: 25,557,032. */
export const formatInt = (n: number): string => INT.format(n);

/** Short form with 3 significant digits: 25.6M, 4.09G, 70.1K. */
export function formatShort(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, unit] of units) {
    if (Math.abs(n) >= scale) return `${(n / scale).toPrecision(3)}${unit}`;
  }
  return String(n);
}

/** Binary units: 97.7 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export interface TableColumn {
  header: string;
  value: (r: LayerRow) => string | number;
}

export const LAYER_COLUMNS: TableColumn[] = [
  { header: 'name', value: (r) => r.name },
  { header: 'level', value: (r) => r.level },
  { header: 'type', value: (r) => (r.level === 'op' ? r.type : r.label) },
  { header: 'output', value: (r) => r.outputShape },
  { header: 'kernel', value: (r) => r.kernel ?? '' },
  { header: 'stride', value: (r) => r.stride ?? '' },
  { header: 'groups', value: (r) => r.groups ?? '' },
  { header: 'params', value: (r) => r.params },
  { header: 'macs', value: (r) => r.macs },
  { header: 'activations', value: (r) => r.activations },
];

const NUMERIC = new Set(['kernel', 'stride', 'groups', 'params', 'macs', 'activations']);

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rowsToCsv(rows: LayerRow[], columns = LAYER_COLUMNS): string {
  const lines = [columns.map((c) => c.header).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.value(r))).join(','));
  return `${lines.join('\n')}\n`;
}

export function rowsToMarkdown(rows: LayerRow[], columns = LAYER_COLUMNS): string {
  const cell = (v: string | number) => (typeof v === 'number' ? formatInt(v) : v.replace(/\|/g, '\\|'));
  const lines = [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `| ${columns.map((c) => (NUMERIC.has(c.header) ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const r of rows) lines.push(`| ${columns.map((c) => cell(c.value(r))).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
