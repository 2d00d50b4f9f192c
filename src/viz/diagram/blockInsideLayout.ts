/**
 * Blocks' insides placed as panels side by side, drawn like the block forms: input, a column of
 * boxes, a squeeze-excitation gate in a lane beside the column joining at a "×" node, the shortcut
 * in the right lane joining at the "+" node (lined up across panels), then what follows the addition.
 */
import type { InsidePanel, InsideRow } from './blockInside';
import { type DiagramBox, type DiagramEdge, type DiagramMerge, type DiagramText, type Point } from './geometry';
import { ioLabel } from './labels';
import { CLASSROOM_FONT_SCALE, DIAGRAM_FONT, fitWidth, wrapText } from './text';

export interface PanelLayout {
  name: string;
  title: string;
  active: boolean;
  x: number;
  y: number;
  w: number;
  h: number;
  boxes: DiagramBox[];
  merges: DiagramMerge[];
  edges: DiagramEdge[];
  texts: DiagramText[];
}

export interface BlockInsideLayout {
  width: number;
  height: number;
  panels: PanelLayout[];
  caption: { lines: string[]; x: number; y: number; lineHeight: number };
}

const G = {
  margin: 4,
  pad: 10,
  gap: 12,
  boxPadX: 7,
  box1: 38,
  box2: 58,
  rowGap: 24,
  r: 12,
  laneGap: 18,
  headingLine: 26,
  badgeLine: 24,
  ioLine: 26,
  gateLabel: 22,
} as const;

const boxHeight = (row: InsideRow): number => (row.note ? G.box2 : G.box1);
const boxWidth = (row: InsideRow): number =>
  Math.max(64, fitWidth(row.label, DIAGRAM_FONT.label), row.note ? fitWidth(row.note, DIAGRAM_FONT.note) : 0) + 2 * G.boxPadX;
const boxOf = (row: InsideRow, x: number, y: number, w = boxWidth(row)): DiagramBox => ({ id: row.id, kind: row.kind, x, y, w, h: boxHeight(row), label: row.label, note: row.note, names: row.names });

interface Draft {
  panel: InsidePanel;
  w: number;
  cx: number;
  laneX: number;
  junction: Point;
  from: Point;
  bottom: number;
  boxes: DiagramBox[];
  merges: DiagramMerge[];
  edges: DiagramEdge[];
  texts: DiagramText[];
  titleLines: string[];
}

const BADGE = '✓ the chosen block';

/** One panel down to its last box before the addition, relative to its top-left corner. */
function draft(panel: InsidePanel, active: boolean, headingLines: (p: InsidePanel) => string[]): Draft {
  const rows = panel.steps.flatMap((s) => (s.type === 'row' ? [s.row] : []));
  const gates = panel.steps.flatMap((s) => (s.type === 'gate' ? [s] : []));
  const gateRows = gates.flatMap((g) => g.rows);
  const mainW = Math.max(fitWidth(ioLabel(Math.max(panel.inChannels, panel.outChannels), 'out'), DIAGRAM_FONT.label), ...rows.map(boxWidth), ...panel.afterAdd.map(boxWidth));
  const gateW = gateRows.length ? Math.max(...gateRows.map(boxWidth), ...gates.map((g) => fitWidth(g.label, DIAGRAM_FONT.note))) : 0;
  const cx = G.pad + mainW / 2;
  // The gate's boxes sit below its fork: they only have to clear the boxes after the fork.
  const gateAt = panel.steps.findIndex((s) => s.type === 'gate');
  const afterGate = gateAt < 0 ? [] : [...panel.steps.slice(gateAt + 1).flatMap((s) => (s.type === 'row' ? [s.row] : [])), ...panel.afterAdd];
  const gateX = cx + Math.max(G.r, ...afterGate.map((r) => boxWidth(r) / 2)) + G.laneGap;
  const laneStart = gateRows.length ? Math.max(G.pad + mainW, gateX + gateW) : G.pad + mainW;
  const laneRows = panel.shortcut?.rows ?? [];
  const laneW = panel.shortcut ? G.laneGap + (laneRows.length ? Math.max(...laneRows.map(boxWidth)) : 24) : 0;
  const laneX = laneStart + (laneRows.length ? G.laneGap + Math.max(...laneRows.map(boxWidth)) / 2 : G.laneGap);
  let w = laneStart + laneW + G.pad;
  w = Math.max(w, fitWidth(BADGE, DIAGRAM_FONT.note, true) + 2 * G.pad);
  const titleLines = headingLines(panel);
  w = Math.max(w, ...titleLines.map((l) => fitWidth(l, DIAGRAM_FONT.heading, true) + 2 * G.pad));

  const boxes: DiagramBox[] = [];
  const merges: DiagramMerge[] = [];
  const edges: DiagramEdge[] = [];
  const texts: DiagramText[] = [];
  let y: number = G.pad;
  titleLines.forEach((line, i) => texts.push({ id: `title${i}`, kind: 'heading', x: G.pad, y: y + G.headingLine * (i + 0.5), text: line, anchor: 'start' }));
  y += titleLines.length * G.headingLine;
  if (active) texts.push({ id: 'badge', kind: 'badge', x: G.pad, y: y + G.badgeLine / 2, text: BADGE, anchor: 'start' });
  y += G.badgeLine;
  texts.push({ id: 'in', kind: 'io', x: cx, y: y + G.ioLine / 2, text: ioLabel(panel.inChannels, 'in'), anchor: 'middle' });
  y += G.ioLine + 4;
  const junction: Point = { x: cx, y };
  let from: Point = junction;
  for (const [i, step] of panel.steps.entries()) {
    if (step.type === 'row') {
      y += G.rowGap;
      const b = boxOf(step.row, cx - boxWidth(step.row) / 2, y);
      boxes.push(b);
      edges.push({ id: `e${i}`, kind: 'flow', points: [from, { x: cx, y }], arrow: true });
      y += b.h;
      from = { x: cx, y };
      continue;
    }
    // The gate forks off the column, runs down its lane and multiplies back in.
    const fork: Point = { x: cx, y: y + G.rowGap / 2 };
    const gx = gateX + gateW / 2;
    texts.push({ id: `gate${i}`, kind: 'note', x: gateX, y: fork.y + G.gateLabel / 2 + 4, text: step.label, anchor: 'start' });
    let gy = fork.y + G.gateLabel + 12;
    let gFrom: Point = { x: gx, y: fork.y };
    edges.push({ id: `g${i}fork`, kind: 'flow', points: [{ x: cx, y: fork.y }, gFrom], arrow: false });
    for (const [j, row] of step.rows.entries()) {
      const b = boxOf(row, gx - boxWidth(row) / 2, gy);
      boxes.push(b);
      edges.push({ id: `g${i}e${j}`, kind: 'flow', points: [gFrom, { x: gx, y: gy }], arrow: true });
      gy += b.h;
      gFrom = { x: gx, y: gy };
      gy += G.rowGap;
    }
    const m: DiagramMerge = { id: `multiply${i}`, kind: 'multiply', cx, cy: gFrom.y + G.rowGap + G.r, r: G.r };
    merges.push(m);
    edges.push({ id: `g${i}join`, kind: 'flow', points: [gFrom, { x: gx, y: m.cy }, { x: cx + G.r, y: m.cy }], arrow: true });
    edges.push({ id: `e${i}`, kind: 'flow', points: [from, { x: cx, y: m.cy - G.r }], arrow: true });
    y = m.cy + G.r;
    from = { x: cx, y };
  }
  return { panel, w, cx, laneX, junction, from, bottom: y, boxes, merges, edges, texts, titleLines };
}

export interface BlockInsideOptions {
  /** Width available in px (1 viewBox unit = 1 px): panels wrap onto rows beyond it. */
  maxWidth?: number;
  caption?: string;
}

/** Panels side by side (in rows where narrow), shortcut additions lined up within a row. */
export function layoutBlockInside(panels: InsidePanel[], active: string, options: BlockInsideOptions = {}): BlockInsideLayout {
  const maxWidth = options.maxWidth ?? Infinity;
  // A panel is as wide as its title on one line.
  const aligned = panels.map((p) => draft(p, p.name === active, (q) => [q.title]));

  const rows: Draft[][] = [];
  for (const d of aligned) {
    const row = rows[rows.length - 1];
    const w = row ? row.reduce((t, r) => t + r.w + G.gap, 0) + d.w + 2 * G.margin : Infinity;
    if (row && w <= maxWidth) row.push(d);
    else rows.push([d]);
  }

  const out: PanelLayout[] = [];
  let y0: number = G.margin;
  let width = 0;
  for (const row of rows) {
    const addY = Math.max(...row.map((d) => d.bottom)) + G.rowGap + G.r + 8;
    const afterH = Math.max(0, ...row.map((d) => d.panel.afterAdd.reduce((h, r) => h + G.rowGap + boxHeight(r), 0)));
    const outY = addY + G.r + afterH + G.ioLine / 2 + 8;
    const h = outY + G.ioLine / 2 + G.pad;
    let x0 = G.margin;
    for (const d of row) {
      const { cx } = d;
      let from = d.from;
      if (d.panel.shortcut) {
        const add: DiagramMerge = { id: 'add', kind: 'add', cx, cy: addY, r: G.r };
        d.merges.push(add);
        d.edges.push({ id: 'toAdd', kind: 'flow', points: [from, { x: cx, y: addY - G.r }], arrow: true });
        d.edges.push({ id: 'shortcut', kind: 'shortcut', points: [d.junction, { x: d.laneX, y: d.junction.y }, { x: d.laneX, y: addY }, { x: cx + G.r, y: addY }], arrow: true });
        const lane = d.panel.shortcut.rows;
        if (lane.length) {
          const total = lane.reduce((t, r) => t + boxHeight(r), 0) + G.rowGap * (lane.length - 1);
          let y = (d.junction.y + addY) / 2 - total / 2;
          for (const r of lane) {
            const b = boxOf(r, d.laneX - boxWidth(r) / 2, y);
            d.boxes.push(b);
            y += b.h + G.rowGap;
          }
        } else {
          d.texts.push({ id: 'shortcutLabel', kind: 'shortcut', x: d.laneX + 12, y: (d.junction.y + addY) / 2, text: d.panel.shortcut.kind, anchor: 'middle', rotate: 90 });
        }
        from = { x: cx, y: addY + G.r };
      }
      let y = from.y;
      for (const [j, r] of d.panel.afterAdd.entries()) {
        y += G.rowGap;
        const b = boxOf(r, cx - boxWidth(r) / 2, y);
        d.boxes.push(b);
        d.edges.push({ id: `after${j}`, kind: 'flow', points: [from, { x: cx, y }], arrow: true });
        y += b.h;
        from = { x: cx, y };
      }
      d.edges.push({ id: 'toOut', kind: 'flow', points: [from, { x: cx, y: outY - G.ioLine / 2 + 4 }], arrow: true });
      d.texts.push({ id: 'out', kind: 'io', x: cx, y: outY, text: ioLabel(d.panel.outChannels, 'out'), anchor: 'middle' });
      out.push(offset({ name: d.panel.name, title: d.panel.title, active: d.panel.name === active, x: 0, y: 0, w: d.w, h, boxes: d.boxes, merges: d.merges, edges: d.edges, texts: d.texts.filter((t) => t.text !== '') }, x0, y0));
      x0 += d.w + G.gap;
    }
    width = Math.max(width, x0 - G.gap + G.margin);
    y0 += h + G.gap;
  }
  const lineHeight = Math.ceil(DIAGRAM_FONT.caption * CLASSROOM_FONT_SCALE * 1.35);
  const lines = options.caption ? wrapText(options.caption, Math.max(width, Math.min(420, maxWidth)) - 2 * G.margin, DIAGRAM_FONT.caption) : [];
  const captionY = y0 - G.gap + 10 + lineHeight / 2;
  width = Math.max(width, lines.length ? Math.min(420, maxWidth) : 0);
  return {
    width,
    height: Math.ceil(lines.length ? captionY + (lines.length - 0.5) * lineHeight + G.margin + 4 : y0 - G.gap + G.margin),
    panels: out,
    caption: { lines, x: G.margin, y: captionY, lineHeight },
  };
}

function offset(p: PanelLayout, dx: number, dy: number): PanelLayout {
  const pt = (q: Point): Point => ({ x: q.x + dx, y: q.y + dy });
  return {
    ...p,
    x: p.x + dx,
    y: p.y + dy,
    boxes: p.boxes.map((b) => ({ ...b, x: b.x + dx, y: b.y + dy })),
    merges: p.merges.map((m) => ({ ...m, cx: m.cx + dx, cy: m.cy + dy })),
    edges: p.edges.map((e) => ({ ...e, points: e.points.map(pt) })),
    texts: p.texts.map((t) => ({ ...t, x: t.x + dx, y: t.y + dy })),
  };
}
