/**
 * Vertical bar chart behind the same imperative handle as the XY chart: create once, update(data)
 * re-joins by index, destroy() removes everything. Bars of different groups differ by colour and
 * hatching, so a group can be told without colour vision.
 */
import { scaleBand, scaleLinear } from 'd3';
import { formatShort } from '../../models/format';
import { TICK, TICK_PADDING, bottomMargin, horizontalGrid, leftMargin, yTickCount } from '../../viz/charts/axes';
import { hatchAngle, seriesStyle } from '../../viz/charts/palette';
import { formatCell } from '../../viz/charts/tableRows';
import type { BarChartData, BarDatum, NumberFormat } from '../../viz/charts/types';
import { createAxes, drawAxes } from './axes';
import { createFrame } from './frame';

export interface BarChartOptions {
  /** Accessible name of the SVG (aria-label). */
  title: string;
  /** Axis titles: xLabel under the bar labels, yLabel along the value axis ("MACs"). */
  xLabel?: string;
  yLabel?: string;
  /** Height of the SVG in px; default 260. Width follows the container. */
  height?: number;
  /** Value format for the axis ticks and the labels on the bars; default formatShort. */
  format?: NumberFormat;
  /** Print each bar's value on it, when there is room; default true. */
  showValues?: boolean;
  /** Show the group legend; default when there are two or more named groups. */
  legend?: boolean;
}

export interface BarChartHandle {
  update(data: BarChartData): void;
  destroy(): void;
}

/** Angle of crowded x labels; steep enough to clear neighbours, shallow enough to read. */
const LABEL_ANGLE = 35;
/** Slanted x labels may take at most this share of the chart's height; longer ones are cut with
 * an ellipsis (the full label is in the bar's tooltip and the data table). */
const MAX_LABEL_SHARE = 0.4;

interface Group {
  name: string;
  colour: string;
  fill: string;
  angle: number | null;
  patternId: string;
}

/** `text`, or its longest prefix plus an ellipsis, that is at most `maxWidth` wide. */
function shorten(text: string, maxWidth: number, width: (s: string) => number): string {
  if (width(text) <= maxWidth) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (width(`${text.slice(0, mid)}…`) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

export function createBarChart(container: HTMLElement, opts: BarChartOptions): BarChartHandle {
  const format = opts.format ?? formatShort;
  const height = opts.height ?? 260;

  let data: BarChartData = [];
  let destroyed = false;
  const frame = createFrame(container, { title: opts.title, height, kind: 'chart-bar', onResize: () => render() });
  const { svg, legend } = frame;

  const defs = svg.append('defs');
  const plot = svg.append('g').attr('class', 'chart-plot');
  const axes = createAxes(plot, false);
  const barLayer = plot.append('g').attr('class', 'chart-bars');
  const valueLayer = plot.append('g').attr('class', 'chart-values');
  const baseline = plot.append('line').attr('class', 'chart-baseline');

  function groupsOf(bars: BarDatum[]): Map<string, Group> {
    const groups = new Map<string, Group>();
    for (const d of bars) {
      const name = d.group ?? '';
      if (groups.has(name)) continue;
      const slot = groups.size;
      const patternId = `${frame.id}-hatch-${slot}`;
      const angle = hatchAngle(slot);
      const colour = seriesStyle(slot).colour;
      groups.set(name, { name, colour, angle, patternId, fill: angle === null ? colour : `url(#${patternId})` });
    }
    return groups;
  }

  function render(): void {
    const width = frame.width();
    if (destroyed || width <= 0) return;
    const fs = frame.fontSize();
    svg.attr('width', width);

    const bars = data.filter((d) => Number.isFinite(d.value));
    const groups = groupsOf(bars);
    const named = [...groups.values()].filter((g) => g.name !== '');
    renderPatterns([...groups.values()]);
    renderLegend(opts.legend ?? named.length > 1 ? named : []);

    const showValues = opts.showValues ?? true;
    const top = fs * 0.8 + (showValues ? fs * 1.2 : 0);
    const rad = (LABEL_ANGLE * Math.PI) / 180;
    const maxSlanted = Math.max(fs * 3, (height * MAX_LABEL_SHARE - fs) / Math.sin(rad));
    const labels = bars.map((d) => shorten(d.label, maxSlanted, (t) => frame.textWidth(t)));
    const labelWidths = labels.map((l) => frame.textWidth(l));
    const maxLabelW = Math.max(0, ...labelWidths);

    const values = bars.map((d) => d.value);
    const y = scaleLinear()
      .domain([Math.min(0, ...values), Math.max(0, ...values)])
      .nice();
    if (y.domain()[0] === y.domain()[1]) y.domain([0, 1]);
    // The y labels' width does not depend on the plot's height, so measure them at a provisional one.
    const yTicksFor = (plotH: number) => y.range([plotH, 0]).ticks(yTickCount(plotH, fs));
    const flatBottom = bottomMargin(fs, !!opts.xLabel);
    const yTickWidth = Math.max(0, ...yTicksFor(height - top - flatBottom).map((t) => frame.textWidth(format(t))));
    let left = leftMargin(yTickWidth, fs, !!opts.yLabel);
    const right = fs * 0.8;

    const x = scaleBand<number>()
      .domain(bars.map((_, i) => i))
      .range([0, Math.max(40, width - left - right)])
      .padding(0.2);
    const rotate = maxLabelW > x.step() - fs * 0.5;
    if (rotate) {
      // A slanted first label reaches left past the axis; make room for it.
      const reach = (labelWidths[0] ?? 0) * Math.cos(rad) - x.step() / 2;
      left = Math.max(left, reach + 4);
      x.range([0, Math.max(40, width - left - right)]);
    }
    const xTitle = opts.xLabel ? fs * 1.5 : 0;
    const bottom = rotate ? TICK + fs * 0.5 + maxLabelW * Math.sin(rad) + fs * Math.cos(rad) + xTitle + 4 : flatBottom;
    const plotW = Math.max(40, width - left - right);
    const plotH = Math.max(40, height - top - bottom);
    const yTicks = yTicksFor(plotH);

    plot.attr('transform', `translate(${left},${top})`);
    drawAxes(axes, {
      x,
      xFormat: (i) => labels[i] ?? '',
      y,
      yTicks,
      yFormat: format,
      plotH,
      fs,
      grid: { y: horizontalGrid(yTicks, y, plotW) },
      xTitle: { text: opts.xLabel ?? '', x: plotW / 2, y: plotH + bottom - 4 - fs * 0.3 },
      yTitle: { text: opts.yLabel ?? '', offset: TICK + TICK_PADDING + yTickWidth },
    });
    axes.axisX
      .selectAll<SVGTextElement, number>('.tick text')
      .attr('transform', rotate ? `translate(0,${TICK + fs * 0.5}) rotate(${-LABEL_ANGLE})` : null)
      .attr('text-anchor', rotate ? 'end' : 'middle')
      .attr('y', rotate ? 0 : TICK + TICK_PADDING)
      .attr('dy', rotate ? '0.35em' : '0.71em');
    baseline.attr('x1', 0).attr('x2', plotW).attr('y1', y(0)).attr('y2', y(0));

    const fillOf = (d: BarDatum) => groups.get(d.group ?? '')?.fill ?? null;
    barLayer
      .selectAll<SVGRectElement, BarDatum>('rect')
      .data(bars)
      .join((enter) => {
        const r = enter.append('rect').attr('class', 'chart-bar');
        r.append('title');
        return r;
      })
      .attr('x', (_, i) => x(i) ?? 0)
      .attr('width', x.bandwidth())
      .attr('y', (d) => Math.min(y(d.value), y(0)))
      .attr('height', (d) => Math.abs(y(d.value) - y(0)))
      .attr('fill', fillOf)
      .attr('stroke', (d) => groups.get(d.group ?? '')?.colour ?? null)
      .select('title')
      .text((d) => `${d.label}${d.group ? ` (${d.group})` : ''}: ${formatCell(d.value)}`);

    const valueTexts = bars.map((d) => format(d.value));
    const valuesFit = showValues && valueTexts.every((t) => frame.textWidth(t) <= x.step() - 2);
    valueLayer
      .selectAll<SVGTextElement, BarDatum>('text')
      .data(valuesFit ? bars : [])
      .join('text')
      .attr('class', 'chart-value')
      .attr('text-anchor', 'middle')
      .attr('x', (_, i) => (x(i) ?? 0) + x.bandwidth() / 2)
      .attr('y', (d) => (d.value >= 0 ? y(d.value) - fs * 0.35 : y(d.value) + fs))
      .text((_, i) => valueTexts[i] ?? '');
  }

  function renderPatterns(groups: Group[]): void {
    const patterns = defs
      .selectAll<SVGPatternElement, Group>('pattern')
      .data(
        groups.filter((g) => g.angle !== null),
        (g) => g.patternId,
      )
      .join((enter) => {
        const p = enter.append('pattern').attr('patternUnits', 'userSpaceOnUse').attr('width', 7).attr('height', 7);
        p.append('rect').attr('width', 7).attr('height', 7);
        p.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 7).attr('stroke', 'white').attr('stroke-width', 2.5);
        return p;
      })
      .attr('id', (g) => g.patternId)
      .attr('patternTransform', (g) => `rotate(${g.angle ?? 0})`);
    patterns.select('rect').attr('fill', (g) => g.colour);
  }

  function renderLegend(groups: Group[]): void {
    legend.style('display', groups.length ? '' : 'none');
    const items = legend
      .selectAll<HTMLLIElement, Group>('li')
      .data(groups, (g) => g.name)
      .join((enter) => {
        const li = enter.append('li');
        li.append('svg').attr('class', 'chart-swatch').attr('width', 16).attr('height', 16).attr('aria-hidden', 'true').append('rect').attr('x', 1).attr('y', 1).attr('width', 14).attr('height', 14);
        li.append('span');
        return li;
      })
      .order();
    // Pattern ids are document-wide, so the HTML legend's swatch can fill with the chart's hatching.
    items
      .select('rect')
      .attr('fill', (g) => g.fill)
      .attr('stroke', (g) => g.colour);
    items.select('span').text((g) => g.name);
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
