/**
 * Axis and grid geometry shared by the XY and the bar chart, in px from the plot's top-left corner.
 * Sizes are in multiples of the font size `fs`, so classroom mode's larger type gets room too.
 * src/components/charts/axes.ts draws these numbers with d3.
 */

/** Length of the tick marks (d3's default inner tick size). */
export const TICK = 6;
/** Gap between a tick mark and its label (d3's default tick padding). */
export const TICK_PADDING = 3;

export interface GridLine {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** One vertical grid line per x tick, the plot's height long. */
export const verticalGrid = (ticks: readonly number[], x: (v: number) => number, plotH: number): GridLine[] =>
  ticks.map((t) => ({ x1: x(t), x2: x(t), y1: 0, y2: plotH }));

/** One horizontal grid line per y tick, the plot's width long. */
export const horizontalGrid = (ticks: readonly number[], y: (v: number) => number, plotW: number): GridLine[] =>
  ticks.map((t) => ({ x1: 0, x2: plotW, y1: y(t), y2: y(t) }));

/** How many y ticks a plot `plotH` px tall asks for: one per 2.4 lines of text, at least two. */
export const yTickCount = (plotH: number, fs: number): number => Math.max(2, Math.floor(plotH / (fs * 2.4)));

/** Room left of the plot: tick marks, the widest y tick label (`yTickWidth` px), the y axis title if any. */
export const leftMargin = (yTickWidth: number, fs: number, yTitle: boolean): number =>
  TICK + TICK_PADDING + yTickWidth + (yTitle ? fs * 1.6 : 0) + 4;

/** Room under the plot for level x tick labels and the x axis title if any. */
export const bottomMargin = (fs: number, xTitle: boolean): number => TICK + TICK_PADDING + fs * 1.2 + (xTitle ? fs * 1.5 : 0) + 4;

/** SVG transform of the y axis title: turned upright, centred on the plot, `offset` px left of the axis. */
export const yTitleTransform = (offset: number, plotH: number, fs: number): string => `translate(${-offset - fs * 0.9},${plotH / 2}) rotate(-90)`;
