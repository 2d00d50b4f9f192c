/** Data shapes shared by the d3 charts, their React wrappers and the table alternative. No d3 here. */

export interface XYPoint {
  x: number;
  y: number;
  /** Drawn beside the point in a 'points' series ("ResNet-50 23.9%"), and listed in the data table. */
  label?: string;
}

export interface XYSeries {
  /** Unique within one chart: it keys the DOM join and names the series in the legend and table. */
  name: string;
  kind: 'line' | 'points';
  points: XYPoint[];
  /** Lines only: draw with this slot's dash pattern. */
  dashed?: boolean;
  /** Palette slot (colour, dash, symbol); defaults to the series' index. Pin it so a series keeps its look when others come and go. */
  styleSlot?: number;
}

/** A vertical rule across the plot, e.g. "this model" at its MACs. */
export interface XYMarker {
  x: number;
  label: string;
}

export interface XYChartData {
  series: XYSeries[];
  markers?: XYMarker[];
}

export interface BarDatum {
  label: string;
  value: number;
  /** Bars of one group share a colour and hatching; a legend appears when there are two or more groups. */
  group?: string;
}

export type BarChartData = BarDatum[];

export type NumberFormat = (n: number) => string;
