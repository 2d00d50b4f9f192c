/**
 * React wrappers for the d3 charts. Each creates its chart's handle in one effect and feeds it
 * data in another (docs/conventions.md); React renders only the <figure> around it and the data table,
 * and never touches the nodes d3 owns inside `.chart-canvas`.
 */
import { type RefObject, memo, useEffect, useMemo, useRef, useState } from 'react';
import { type DataTable, chartDataRows } from '../../viz/charts/tableRows';
import type { BarChartData, XYChartData } from '../../viz/charts/types';
import { type BarChartOptions, createBarChart } from './barChart';
import { type XYChartOptions, createXYChart } from './xyChart';
import './charts.css';

interface ChartHandle<D> {
  update(data: D): void;
  destroy(): void;
}

/**
 * Mounts `create(el, opts)` into the returned ref's element and keeps it fed with `data`.
 * A new `opts` object rebuilds the chart, so callers pass a module constant or a memoised one.
 */
function useChart<D, O>(create: (el: HTMLElement, opts: O) => ChartHandle<D>, opts: O, data: D) {
  const canvas = useRef<HTMLDivElement>(null);
  const chart = useRef<ChartHandle<D> | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const handle = create(canvas.current, opts);
    chart.current = handle;
    return () => {
      handle.destroy();
      chart.current = null;
    };
  }, [create, opts]);
  // Runs after the effect above (effects run in order), so a rebuilt chart gets the data too.
  useEffect(() => {
    chart.current?.update(data);
  }, [data, opts]);
  return canvas;
}

function ChartDataTable({ title, table }: { title: string; table: DataTable }) {
  // Rendered only while open: a training curve can have thousands of rows.
  const [open, setOpen] = useState(false);
  return (
    <details className="chart-data" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Show data as a table</summary>
      {open && (
        <div className="chart-data-scroll">
          <table aria-label={`${title}: data`}>
            <thead>
              <tr>
                {table.columns.map((c) => (
                  <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>
                    {c.header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((cell, c) => (
                    <td key={c} className={table.columns[c]?.numeric ? 'num' : undefined}>
                      {cell}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}

interface ChartFigureProps {
  title: string;
  testId?: string;
  canvas: RefObject<HTMLDivElement | null>;
  table: DataTable;
}

function ChartFigure({ title, testId, canvas, table }: ChartFigureProps) {
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption className="chart-title">{title}</figcaption>
      <div className="chart-canvas" ref={canvas} />
      <ChartDataTable title={title} table={table} />
    </figure>
  );
}

export interface XYChartProps {
  /** Caption of the figure and accessible name of the chart. */
  title: string;
  /** Read when the chart is created: pass a module constant or a memoised object (a new one rebuilds the chart). */
  options?: Omit<XYChartOptions, 'title'>;
  data: XYChartData;
  testId?: string;
}

// Memoised, as is its table: a parent that re-renders on every training step (with the same data)
// redraws nothing here.
export const XYChart = memo(function XYChart({ title, options, data, testId }: XYChartProps) {
  const opts = useMemo<XYChartOptions>(() => ({ ...options, title }), [options, title]);
  const canvas = useChart(createXYChart, opts, data);
  const table = useMemo(() => chartDataRows(data, { x: options?.xLabel, y: options?.yLabel }), [data, options?.xLabel, options?.yLabel]);
  return <ChartFigure title={title} testId={testId} canvas={canvas} table={table} />;
});

export interface BarChartProps {
  title: string;
  /** As for XYChart: keep it stable across renders. */
  options?: Omit<BarChartOptions, 'title'>;
  data: BarChartData;
  testId?: string;
}

export const BarChart = memo(function BarChart({ title, options, data, testId }: BarChartProps) {
  const opts = useMemo<BarChartOptions>(() => ({ ...options, title }), [options, title]);
  const canvas = useChart(createBarChart, opts, data);
  const table = useMemo(() => chartDataRows(data, { value: options?.yLabel }), [data, options?.yLabel]);
  return <ChartFigure title={title} testId={testId} canvas={canvas} table={table} />;
});
