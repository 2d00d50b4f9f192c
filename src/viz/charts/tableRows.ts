/**
 * The data-table alternative to a chart, as a pure function so it is unit-tested without a DOM.
 * Each chart's <details> table shows exactly the numbers the chart draws.
 */
import { formatInt } from '../../models/format';
import type { BarChartData, XYChartData } from './types';

export interface DataTableColumn {
  header: string;
  /** Right-aligned, tabular figures. */
  numeric: boolean;
}

export interface DataTable {
  columns: DataTableColumn[];
  /** Cells already formatted, one string per column. */
  rows: string[][];
}

export interface DataTableHeaders {
  /** Header of the x column of an XY chart (its axis title); default "x". */
  x?: string;
  /** Header of the y column of an XY chart; default "y". */
  y?: string;
  /** Header of the value column of a bar chart; default "Value". */
  value?: string;
}

/**
 * Exact where exact is short: integers grouped (25,557,032); other numbers to 4 significant
 * digits below 1,000 (23.91, 0.001235) and to one decimal above (1,234,567.9).
 */
export function formatCell(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '–' : n > 0 ? '∞' : '−∞';
  if (Number.isInteger(n)) return formatInt(n);
  if (Math.abs(n) >= 1000) return ONE_DECIMAL.format(n);
  return FOUR_DIGITS.format(n);
}
// Made once (see formatInt): a table of a live chart formats hundreds of cells per redraw.
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const FOUR_DIGITS = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

const MARKER_SERIES = 'marker';

function xyRows(data: XYChartData, headers: DataTableHeaders): DataTable {
  const markers = data.markers ?? [];
  const hasLabels = markers.length > 0 || data.series.some((s) => s.points.some((p) => p.label !== undefined));
  const columns: DataTableColumn[] = [
    { header: 'Series', numeric: false },
    { header: headers.x ?? 'x', numeric: true },
    { header: headers.y ?? 'y', numeric: true },
  ];
  if (hasLabels) columns.push({ header: 'Label', numeric: false });
  const rows: string[][] = [];
  for (const s of data.series) {
    for (const p of s.points) {
      const row = [s.name, formatCell(p.x), formatCell(p.y)];
      if (hasLabels) row.push(p.label ?? '');
      rows.push(row);
    }
  }
  for (const m of markers) rows.push([MARKER_SERIES, formatCell(m.x), '', m.label]);
  return { columns, rows };
}

function barRows(data: BarChartData, headers: DataTableHeaders): DataTable {
  const hasGroups = data.some((d) => d.group !== undefined);
  const columns: DataTableColumn[] = [{ header: 'Label', numeric: false }];
  if (hasGroups) columns.push({ header: 'Group', numeric: false });
  columns.push({ header: headers.value ?? 'Value', numeric: true });
  const rows = data.map((d) => (hasGroups ? [d.label, d.group ?? '', formatCell(d.value)] : [d.label, formatCell(d.value)]));
  return { columns, rows };
}

/** The rows of the table under a chart: one per XY point (then one per marker), or one per bar. */
export function chartDataRows(data: XYChartData | BarChartData, headers: DataTableHeaders = {}): DataTable {
  return Array.isArray(data) ? barRows(data, headers) : xyRows(data, headers);
}
