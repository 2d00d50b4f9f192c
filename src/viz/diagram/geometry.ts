/**
 * What a diagram layout is made of, in viewBox units: points, labelled boxes, "+" nodes, edges and
 * free text, with the bits of geometry that join them (where a line meets a circle, arrowheads).
 */

export type BoxKind = 'conv1x1' | 'conv3x3' | 'grouped' | 'depthwise' | 'concat' | 'projection' | 'pool' | 'norm';

export interface Point {
  x: number;
  y: number;
}

export interface DiagramBox {
  id: string;
  kind: BoxKind;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Main line, e.g. "256, 1x1, 4". */
  label: string;
  /** Smaller second line, e.g. "groups=32, stride 2". */
  note?: string;
  /** The graph ops the box stands for, where it stands for some (a click opens them in the layer table). */
  names?: string[];
}

/** A "+" node: `sum` aggregates the paths, `add` is the shortcut addition; a "×" node: `multiply` applies a gate (SE). */
export interface DiagramMerge {
  id: string;
  kind: 'sum' | 'add' | 'multiply';
  cx: number;
  cy: number;
  r: number;
}

export interface DiagramEdge {
  id: string;
  kind: 'flow' | 'shortcut';
  points: Point[];
  arrow: boolean;
}

export interface DiagramText {
  id: string;
  kind: 'heading' | 'badge' | 'io' | 'note' | 'ellipsis' | 'shortcut';
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  /** Degrees, about (x, y). */
  rotate?: number;
}

/** Where the line from `from` to the centre of `c` crosses its rim. */
export function pointOnCircle(c: { cx: number; cy: number; r: number }, from: Point): Point {
  const dx = from.x - c.cx;
  const dy = from.y - c.cy;
  const len = Math.hypot(dx, dy) || 1;
  return { x: c.cx + (dx / len) * c.r, y: c.cy + (dy / len) * c.r };
}

/** Arrowhead triangle at the end of the segment `from -> to`, and where the line should stop under it. */
export function arrowHead(from: Point, to: Point, size = 9): { points: Point[]; base: Point } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const base = { x: to.x - ux * size, y: to.y - uy * size };
  const half = size * 0.45;
  return {
    points: [to, { x: base.x - uy * half, y: base.y + ux * half }, { x: base.x + uy * half, y: base.y - ux * half }],
    base,
  };
}
