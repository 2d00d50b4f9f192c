/**
 * The axes, grid and axis titles of a d3 chart, shared by xyChart.ts and barChart.ts: the groups
 * they live in, and the d3 calls that draw the geometry of src/viz/charts/axes.ts into them.
 */
import { type AxisDomain, type AxisScale, type NumberValue, type Selection, axisBottom, axisLeft } from 'd3';
import { type GridLine, yTitleTransform } from '../../viz/charts/axes';
import type { NumberFormat } from '../../viz/charts/types';

type Group = Selection<SVGGElement, unknown, null, undefined>;
type Text = Selection<SVGTextElement, unknown, null, undefined>;

export interface ChartAxes {
  /** Vertical grid lines; null on a chart without them. */
  gridX: Group | null;
  gridY: Group;
  axisX: Group;
  axisY: Group;
  titleX: Text;
  titleY: Text;
}

/** Appends the grid, axis and title elements to `plot`, under anything appended later. */
export function createAxes(plot: Group, verticalGrid: boolean): ChartAxes {
  const gridX = verticalGrid ? plot.append('g').attr('class', 'chart-grid') : null;
  const gridY = plot.append('g').attr('class', 'chart-grid');
  const axisX = plot.append('g').attr('class', 'chart-axis chart-axis-x');
  const axisY = plot.append('g').attr('class', 'chart-axis chart-axis-y');
  const titleX = plot.append('text').attr('class', 'chart-axis-title').attr('text-anchor', 'middle');
  const titleY = plot.append('text').attr('class', 'chart-axis-title').attr('text-anchor', 'middle');
  return { gridX, gridY, axisX, axisY, titleX, titleY };
}

export interface AxesDrawing<X extends AxisDomain> {
  x: AxisScale<X>;
  /** Where the x ticks go; by default where the scale puts them (a band scale: every band). */
  xTicks?: X[];
  xFormat: (d: X) => string;
  y: AxisScale<NumberValue>;
  yTicks: number[];
  yFormat: NumberFormat;
  plotH: number;
  fs: number;
  /** Lines from verticalGrid (drawn only where createAxes made room for them) and horizontalGrid. */
  grid: { x?: GridLine[]; y: GridLine[] };
  xTitle: { text: string; x: number; y: number };
  /** `offset`: px from the axis to the title; by default the drawn y axis's width. */
  yTitle: { text: string; offset?: number };
}

function drawGrid(g: Group, lines: GridLine[]): void {
  g.selectAll('line')
    .data(lines)
    .join('line')
    .attr('x1', (d) => d.x1)
    .attr('x2', (d) => d.x2)
    .attr('y1', (d) => d.y1)
    .attr('y2', (d) => d.y2);
}

export function drawAxes<X extends AxisDomain>(axes: ChartAxes, d: AxesDrawing<X>): void {
  const bottom = axisBottom(d.x)
    .tickFormat((v) => d.xFormat(v))
    .tickSizeOuter(0);
  if (d.xTicks) bottom.tickValues(d.xTicks);
  axes.axisX.attr('transform', `translate(0,${d.plotH})`).call(bottom);
  axes.axisY.call(
    axisLeft(d.y)
      .tickValues(d.yTicks)
      .tickFormat((v) => d.yFormat(+v))
      .tickSizeOuter(0),
  );
  if (axes.gridX) drawGrid(axes.gridX, d.grid.x ?? []);
  drawGrid(axes.gridY, d.grid.y);
  axes.titleX.attr('x', d.xTitle.x).attr('y', d.xTitle.y).text(d.xTitle.text);
  const offset = d.yTitle.offset ?? axes.axisY.node()?.getBBox().width ?? 0;
  axes.titleY.attr('transform', yTitleTransform(offset, d.plotH, d.fs)).attr('dy', '0.35em').text(d.yTitle.text);
}
