/**
 * Line and scatter chart behind a small imperative handle (docs/conventions.md: React never fights d3 for
 * the DOM). createXYChart builds the frame once; update(data) re-joins every element by key, so
 * repeated updates reuse nodes rather than pile them up; destroy() removes it all.
 *
 * No transitions: the charts follow the dials while they are dragged, and an animation would lag
 * behind the numbers in the tables beside them.
 */
import { line, select, symbol } from 'd3';
import { formatShort } from '../../models/format';
import { TICK, TICK_PADDING, bottomMargin, horizontalGrid, leftMargin, verticalGrid, yTickCount } from '../../viz/charts/axes';
import { type Rect, labelsToTry, placeLabels } from '../../viz/charts/labels';
import { type SeriesStyle, seriesStyle } from '../../viz/charts/palette';
import { type NumericScale, type ScaleKind, drawable, fitHorizontalTicks, makeScale, tickValues } from '../../viz/charts/scales';
import { formatCell } from '../../viz/charts/tableRows';
import type { NumberFormat, XYChartData, XYMarker, XYPoint, XYSeries } from '../../viz/charts/types';
import { createAxes, drawAxes } from './axes';
import { createFrame } from './frame';

export interface XYChartOptions {
  /** Accessible name of the SVG (aria-label). */
  title: string;
  /** Axis titles, with units: "Cardinality C", "Top-1 error (%)". */
  xLabel?: string;
  yLabel?: string;
  /** Default 'linear'. Points a log scale cannot draw (x ≤ 0) are left out of the plot, not the table. */
  xScale?: 'linear' | 'log2' | 'log10';
  /** Default 'linear'. */
  yScale?: 'linear' | 'log10';
  /** Height of the SVG in px (the legend sits above it); default 260. Width follows the container. */
  height?: number;
  /** Tick label formats; default formatShort (25.6M, 4.09G). */
  xFormat?: NumberFormat;
  yFormat?: NumberFormat;
  /** Fixed axis domains; by default each fits the data (and markers, for x). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Linear y only: start the axis at zero. Default false. */
  yZero?: boolean;
  /** Show the legend; default when there are two or more series. */
  legend?: boolean;
}

export interface XYChartHandle {
  update(data: XYChartData): void;
  destroy(): void;
}

export const DEFAULT_CHART_HEIGHT = 260;

/** Lines with more vertices than this get a symbol on every n-th vertex only, to stay legible. */
const MAX_LINE_SYMBOLS = 24;

interface DrawnSeries extends SeriesStyle {
  name: string;
  kind: XYSeries['kind'];
  points: XYPoint[];
  /** The points that carry a symbol (and a tooltip). */
  marked: XYPoint[];
}

function symbolEvery(points: XYPoint[]): XYPoint[] {
  if (points.length <= MAX_LINE_SYMBOLS) return points;
  const stride = Math.ceil(points.length / (MAX_LINE_SYMBOLS / 2));
  return points.filter((_, i) => i % stride === 0 || i === points.length - 1);
}

export function createXYChart(container: HTMLElement, opts: XYChartOptions): XYChartHandle {
  const xKind: ScaleKind = opts.xScale ?? 'linear';
  const yKind: ScaleKind = opts.yScale ?? 'linear';
  const xFormat = opts.xFormat ?? formatShort;
  const yFormat = opts.yFormat ?? formatShort;
  const height = opts.height ?? DEFAULT_CHART_HEIGHT;

  let data: XYChartData = { series: [] };
  let destroyed = false;
  const frame = createFrame(container, { title: opts.title, height, kind: 'chart-xy', onResize: () => render() });
  const { svg, legend } = frame;

  const clipId = `${frame.id}-clip`;
  const clipRect = svg.append('defs').append('clipPath').attr('id', clipId).append('rect');
  const plot = svg.append('g').attr('class', 'chart-plot');
  const axes = createAxes(plot, true);
  const markerLayer = plot.append('g').attr('class', 'chart-markers');
  const seriesLayer = plot.append('g').attr('class', 'chart-series-layer').attr('clip-path', `url(#${clipId})`);
  const labelLayer = plot.append('g').attr('class', 'chart-point-labels');

  function render(): void {
    const width = frame.width();
    if (destroyed || width <= 0) return;
    const fs = frame.fontSize();
    svg.attr('width', width);

    const series: DrawnSeries[] = data.series.map((s, i) => {
      const points = s.points.filter((p) => drawable(xKind, p.x) && drawable(yKind, p.y));
      return {
        name: s.name,
        kind: s.kind,
        points,
        marked: s.kind === 'points' ? points : symbolEvery(points),
        ...seriesStyle(s.styleSlot ?? i, s.kind === 'line' && s.dashed === true),
      };
    });
    const markers = (data.markers ?? []).filter((m) => drawable(xKind, m.x));
    renderLegend(series, opts.legend ?? series.length > 1);

    // Layout in multiples of the font size, so classroom mode's larger type gets room too.
    // Marker labels sit in a row above the plot; any that collide stack down into it.
    const top = fs * 0.8 + (markers.length ? fs * 1.2 : 0);
    const bottom = bottomMargin(fs, !!opts.xLabel);
    const plotH = Math.max(40, height - top - bottom);

    const hasScatter = series.some((s) => s.kind === 'points');
    const xs = series.flatMap((s) => s.points.map((p) => p.x));
    const ys = series.flatMap((s) => s.points.map((p) => p.y));
    const y = makeScale(yKind, ys, { fixed: opts.yDomain, pad: 0.05, zero: opts.yZero }).range([plotH, 0]);
    const yTicks = tickValues(y, yKind, yTickCount(plotH, fs), ys.every(Number.isInteger));
    const yTickWidth = Math.max(0, ...yTicks.map((t) => frame.textWidth(yFormat(t))));
    const left = leftMargin(yTickWidth, fs, !!opts.yLabel);
    const right = fs * 1.6;
    const plotW = Math.max(40, width - left - right);

    const x = makeScale(xKind, [...xs, ...markers.map((m) => m.x)], { fixed: opts.xDomain, pad: hasScatter ? 0.05 : 0 }).range([0, plotW]);
    const xTicks = fitHorizontalTicks(x, xKind, xFormat, (s) => frame.textWidth(s), fs, xs.every(Number.isInteger));

    plot.attr('transform', `translate(${left},${top})`);
    // Symbols on the plot's edge stay whole; lines past a fixed domain are cut.
    const bleed = fs * 0.6;
    clipRect.attr('x', -bleed).attr('y', -bleed).attr('width', plotW + 2 * bleed).attr('height', plotH + 2 * bleed);

    renderAxes(x, y, xTicks, yTicks, plotW, plotH, fs);
    const markerRects = renderMarkers(markers, x, plotW, plotH, fs);
    renderSeries(series, x, y, fs);
    renderPointLabels(series, x, y, fs, markerRects, { x: 0, y: -top, w: plotW + right - 2, h: plotH + top });
  }

  function renderLegend(series: DrawnSeries[], show: boolean): void {
    legend.style('display', show ? '' : 'none');
    const items = legend
      .selectAll<HTMLLIElement, DrawnSeries>('li')
      .data(show ? series : [], (d) => d.name)
      .join((enter) => {
        const li = enter.append('li');
        const swatch = li.append('svg').attr('class', 'chart-swatch').attr('width', 30).attr('height', 14).attr('aria-hidden', 'true');
        swatch.append('line').attr('x1', 1).attr('x2', 29).attr('y1', 7).attr('y2', 7);
        swatch.append('path').attr('transform', 'translate(15,7)');
        li.append('span');
        return li;
      })
      .order();
    items
      .select('line')
      .attr('stroke', (d) => d.colour)
      .attr('stroke-dasharray', (d) => d.dash || null)
      .style('display', (d) => (d.kind === 'line' ? null : 'none'));
    items
      .select('path')
      .attr('d', (d) => symbol(d.symbol, d.kind === 'line' ? 36 : 56)())
      .attr('fill', (d) => d.colour);
    items.select('span').text((d) => d.name);
  }

  function renderAxes(x: NumericScale, y: NumericScale, xTicks: number[], yTicks: number[], plotW: number, plotH: number, fs: number): void {
    drawAxes(axes, {
      x,
      xTicks,
      xFormat: (d) => xFormat(+d),
      y,
      yTicks,
      yFormat,
      plotH,
      fs,
      grid: { x: verticalGrid(xTicks, x, plotH), y: horizontalGrid(yTicks, y, plotW) },
      xTitle: { text: opts.xLabel ?? '', x: plotW / 2, y: plotH + TICK + TICK_PADDING + fs * 1.2 + fs * 1.3 },
      yTitle: { text: opts.yLabel ?? '' },
    });
  }

  /** Vertical rules with their labels along the top of the plot, stacked when they would collide. */
  function renderMarkers(markers: XYMarker[], x: NumericScale, plotW: number, plotH: number, fs: number): Rect[] {
    const rects: Rect[] = [];
    const rows = markers.map((m) => {
      const mx = x(m.x);
      const w = frame.textWidth(m.label);
      const flip = mx + 4 + w > plotW + fs;
      const rect = { x: flip ? mx - 4 - w : mx + 4, y: -fs * 1.2, w, h: fs * 1.2 };
      while (rects.some((r) => r.x < rect.x + rect.w && rect.x < r.x + r.w && r.y < rect.y + rect.h && rect.y < r.y + r.h)) {
        rect.y += fs * 1.2;
      }
      rects.push(rect);
      return { ...m, mx, flip, ty: rect.y + fs * 0.6 };
    });
    const g = markerLayer
      .selectAll<SVGGElement, (typeof rows)[number]>('g')
      .data(rows, (d) => `${d.label}@${d.x}`)
      .join((enter) => {
        const mg = enter.append('g').attr('class', 'chart-marker');
        mg.append('line');
        mg.append('text').attr('class', 'chart-halo').attr('dy', '0.35em');
        return mg;
      });
    g.select('line')
      .attr('x1', (d) => d.mx)
      .attr('x2', (d) => d.mx)
      .attr('y1', -fs * 1.2)
      .attr('y2', plotH);
    g.select('text')
      .attr('x', (d) => (d.flip ? d.mx - 4 : d.mx + 4))
      .attr('y', (d) => d.ty)
      .attr('text-anchor', (d) => (d.flip ? 'end' : 'start'))
      .text((d) => d.label);
    return rects;
  }

  function renderSeries(series: DrawnSeries[], x: NumericScale, y: NumericScale, fs: number): void {
    const path = line<XYPoint>()
      .x((p) => x(p.x))
      .y((p) => y(p.y));
    const groups = seriesLayer
      .selectAll<SVGGElement, DrawnSeries>('g.chart-series')
      .data(series, (d) => d.name)
      .join('g')
      .attr('class', 'chart-series')
      .order();
    groups
      .selectAll<SVGPathElement, DrawnSeries>('path.chart-line')
      .data((d) => (d.kind === 'line' ? [d] : []))
      .join('path')
      .attr('class', 'chart-line')
      .attr('stroke', (d) => d.colour)
      .attr('stroke-dasharray', (d) => d.dash || null)
      .attr('d', (d) => path(d.points));
    const pointSize = fs * fs * 0.55;
    groups
      .selectAll<SVGPathElement, { s: DrawnSeries; p: XYPoint }>('path.chart-symbol')
      .data((s) => s.marked.map((p) => ({ s, p })))
      .join((enter) => {
        const p = enter.append('path').attr('class', 'chart-symbol');
        p.append('title');
        return p;
      })
      .attr('transform', ({ p }) => `translate(${x(p.x)},${y(p.y)})`)
      .attr('d', ({ s }) => symbol(s.symbol, s.kind === 'points' ? pointSize : pointSize * 0.6)())
      .attr('fill', ({ s }) => s.colour)
      .select('title')
      .text(({ s, p }) => `${s.name}${p.label ? ` — ${p.label}` : ''}\n${opts.xLabel ?? 'x'}: ${formatCell(p.x)}\n${opts.yLabel ?? 'y'}: ${formatCell(p.y)}`);
  }

  function renderPointLabels(series: DrawnSeries[], x: NumericScale, y: NumericScale, fs: number, markerRects: Rect[], bounds: Rect): void {
    const radius = fs * 0.45;
    // A crowded run of one series is labelled at its ends (labelsToTry); the rest keep tooltips and table rows.
    const labelled = series.flatMap((s) => {
      if (s.kind !== 'points') return [];
      const withLabel = s.points.filter((p) => p.label);
      const keep = labelsToTry(
        withLabel.map((p) => ({ px: x(p.x), py: y(p.y) })),
        fs * 1.15 + 2 * radius,
      );
      return withLabel.filter((_, i) => keep[i]).map((p) => ({ key: `${s.name}/${p.label}/${p.x}/${p.y}`, s, p }));
    });
    const obstacles: Rect[] = [
      ...markerRects,
      ...series.flatMap((s) => s.marked.map((p) => ({ x: x(p.x) - radius, y: y(p.y) - radius, w: 2 * radius, h: 2 * radius }))),
    ];
    const placed = placeLabels(
      labelled.map(({ p }) => ({ px: x(p.x), py: y(p.y), w: frame.textWidth(p.label ?? ''), h: fs * 1.15, gap: radius + 3 })),
      obstacles,
      bounds,
    );
    const labels = labelLayer
      .selectAll<SVGGElement, (typeof labelled)[number]>('g.chart-point-label')
      .data(labelled, (d) => d.key)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'chart-point-label');
        g.append('line').attr('class', 'chart-leader');
        g.append('text').attr('class', 'chart-halo').attr('dy', '0.35em');
        return g;
      });
    labels.each(function (d, i) {
      const at = placed[i];
      if (!at) return;
      const g = select(this).style('display', at.hidden ? 'none' : '');
      g.select('text').attr('x', at.x).attr('y', at.y).attr('text-anchor', at.anchor).text(d.p.label ?? '');
      // The leader runs from the point to the near end of the label's text.
      const endX = at.anchor === 'end' ? at.rect.x + at.rect.w : at.rect.x;
      g.select('line')
        .style('display', at.far ? '' : 'none')
        .attr('x1', x(d.p.x))
        .attr('y1', y(d.p.y))
        .attr('x2', endX)
        .attr('y2', at.y);
    });
  }

  return {
    update(next) {
      data = next;
      render();
    },
    destroy() {
      destroyed = true;
      frame.destroy();
    },
  };
}
