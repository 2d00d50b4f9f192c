/**
 * The DOM both d3 charts live in: a legend list above an accessible SVG, sized to the container's
 * width (ResizeObserver) and a fixed height. Everything a chart appends lives under `root`, so
 * destroy() is one remove().
 */
import { type Selection, select } from 'd3';

export interface FrameOptions {
  title: string;
  height: number;
  /** Class on the root, e.g. 'chart-xy', for per-kind CSS. */
  kind: string;
  /** Called when the container's width changes, to re-render at the new width. */
  onResize: () => void;
}

export interface ChartFrame {
  legend: Selection<HTMLUListElement, unknown, null, undefined>;
  svg: Selection<SVGSVGElement, unknown, null, undefined>;
  /** Unique per chart: prefix for clipPath and pattern ids, which are global to the document. */
  id: string;
  /** Current drawing width in px; 0 while the container is hidden. */
  width(): number;
  /** The SVG's computed font size in px: 1em for layout, so `.classroom` fonts grow the margins too. */
  fontSize(): number;
  /** Rendered width of `text` in the SVG's font. */
  textWidth(text: string): number;
  destroy(): void;
}

let nextFrameId = 0;

export function createFrame(container: HTMLElement, opts: FrameOptions): ChartFrame {
  const id = `chart${++nextFrameId}`;
  const root = select(container).append('div').attr('class', `chart-root ${opts.kind}`);
  const legend = root.append('ul').attr('class', 'chart-legend');
  const svg = root
    .append('svg')
    .attr('class', 'chart-svg')
    .attr('role', 'img')
    .attr('aria-label', opts.title)
    .attr('height', opts.height);
  const measure = svg.append('text').attr('class', 'chart-measure').attr('aria-hidden', 'true').style('visibility', 'hidden');

  let width = Math.floor(container.getBoundingClientRect().width);
  const observer = new ResizeObserver((entries) => {
    const next = Math.floor(entries[entries.length - 1]?.contentRect.width ?? 0);
    if (next === width) return;
    width = next;
    opts.onResize();
  });
  observer.observe(container);

  return {
    legend,
    svg,
    id,
    width: () => width,
    fontSize() {
      const node = svg.node();
      return (node && parseFloat(getComputedStyle(node).fontSize)) || 13;
    },
    textWidth(text) {
      const node = measure.text(text).node();
      const w = node ? node.getComputedTextLength() : 0;
      // A hidden container lays out nothing; guess from the font size rather than report 0.
      return w > 0 || text === '' ? w : text.length * this.fontSize() * 0.6;
    },
    destroy() {
      observer.disconnect();
      root.remove();
    },
  };
}
