/**
 * The block-forms diagram placed: each form's boxes, "+" nodes, edges and texts, the forms side by
 * side with their shortcut additions lined up, and the caption under them.
 */
import { type BlockDiagramSpec, type BranchSlot, type FormId, type FormPlan, type RowSpec, blockFormsCaption, branchesToDraw, formPlans, highlightedForm, shortcutKind, shortcutRows } from './blockForms';
import { type DiagramBox, type DiagramEdge, type DiagramMerge, type DiagramText, type Point, pointOnCircle } from './geometry';
import { concatNote, ioLabel, totalPathsLabel } from './labels';
import { CLASSROOM_FONT_SCALE, DIAGRAM_FONT, fitWidth, wrapText } from './text';

export interface FormLayout {
  form: FormId;
  title: string;
  x: number;
  y: number;
  w: number;
  h: number;
  boxes: DiagramBox[];
  merges: DiagramMerge[];
  edges: DiagramEdge[];
  texts: DiagramText[];
}

export interface BlockFormsLayout {
  width: number;
  height: number;
  /** Which forms the active form highlights: for a basic block (b) and (c) are the same wide block. */
  forms: FormLayout[];
  caption: { lines: string[]; x: number; y: number; lineHeight: number };
}

/** Spacing in viewBox units. */
const G = {
  margin: 4,
  pad: 10,
  formGap: 12,
  colGap: 8,
  ellipsisW: 26,
  boxPadX: 7,
  box1: 38,
  box2: 58,
  fan: 30,
  rowGap: 26,
  converge: 30,
  r: 12,
  laneGap: 14,
  headingLine: 26,
  badgeLine: 24,
  ioLine: 26,
} as const;

const boxHeight = (row: RowSpec): number => (row.note ? G.box2 : G.box1);
const boxWidth = (row: RowSpec): number =>
  Math.max(64, fitWidth(row.label, DIAGRAM_FONT.label), row.note ? fitWidth(row.note, DIAGRAM_FONT.note) : 0) + 2 * G.boxPadX;

interface SizedPlan extends FormPlan {
  slots: BranchSlot[];
  colW: number;
  contentW: number;
  /** Where the shortcut lane starts: right of the content and of the "total C paths" note. */
  laneStart: number;
  lane: RowSpec[];
  laneW: number;
  w: number;
  titleLines: string[];
}

function sizePlan(plan: FormPlan, s: BlockDiagramSpec, leading: number): SizedPlan {
  const slots = plan.branchRows.length ? branchesToDraw(s.cardinality, leading) : [];
  const colW = Math.max(0, ...plan.branchRows.map(boxWidth));
  const branchAreaW = slots.reduce((w, slot, i) => w + (slot.kind === 'branch' ? colW : G.ellipsisW) + (i ? G.colGap : 0), 0);
  const mergeRow: RowSpec | undefined = plan.merge === 'concat' ? { kind: 'concat', label: 'concatenate', note: concatNote(s.cardinality, s.branchWidth) } : undefined;
  const afterW = Math.max(0, ...[...plan.afterRows, ...(mergeRow ? [mergeRow] : [])].map(boxWidth));
  const mergeHalf = mergeRow ? boxWidth(mergeRow) / 2 : G.r;
  // "total C paths" sits right of the merge: keep room for it on that side.
  const noteReach = plan.branchRows.length ? mergeHalf + 8 + fitWidth(totalPathsLabel(s.cardinality), DIAGRAM_FONT.note) : 0;
  const ioW = fitWidth(ioLabel(Math.max(s.inChannels, s.outChannels), 'out'), DIAGRAM_FONT.label);
  const contentW = Math.max(branchAreaW, afterW, ioW);
  const laneStart = G.pad + Math.max(contentW, contentW / 2 + noteReach);
  const lane = shortcutRows(s);
  const kind = shortcutKind(s);
  const laneW = kind === 'none' ? 0 : lane.length ? G.laneGap + Math.max(...lane.map(boxWidth)) : G.laneGap + 24;
  let w = laneStart + laneW + G.pad;
  // Widen a narrow form until its title takes at most two lines.
  while (wrapText(plan.title, w - 2 * G.pad, DIAGRAM_FONT.heading, true).length > 2) w += 10;
  const titleLines = wrapText(plan.title, w - 2 * G.pad, DIAGRAM_FONT.heading, true);
  return { ...plan, slots, colW, contentW, laneStart, lane, laneW, w, titleLines };
}

export interface BlockFormsOptions {
  /**
   * The width available, in px (1 viewBox unit is drawn as 1 px, so text keeps its size). Where the
   * forms side by side are wider, fewer paths are drawn (down to the first, "…", the last), then
   * the forms wrap onto more rows.
   */
  maxWidth?: number;
}

/** Width of forms side by side. */
const rowWidth = (plans: SizedPlan[]): number => plans.reduce((w, p) => w + p.w, 0) + G.formGap * (plans.length - 1) + 2 * G.margin;

/**
 * The forms' plans: as many paths (three, two, one before the "…") as keep the forms on one row
 * within `maxWidth`; where none does, the forms wrap onto rows and draw as many paths as let each
 * form fit on its own.
 */
function sizedPlans(s: BlockDiagramSpec, maxWidth: number): SizedPlan[] {
  const options = [3, 2, 1].map((leading) => formPlans(s).map((p) => sizePlan(p, s, leading)));
  return (
    options.find((plans) => rowWidth(plans) <= maxWidth) ??
    options.find((plans) => plans.every((p) => rowWidth([p]) <= maxWidth)) ??
    (options[options.length - 1] as SizedPlan[])
  );
}

/** Greedy rows of forms within `maxWidth`; a form wider than it sits alone on its row. */
function rowsOf<T extends { p: SizedPlan }>(drafts: T[], maxWidth: number): T[][] {
  const rows: T[][] = [];
  for (const d of drafts) {
    const row = rows[rows.length - 1];
    if (row && rowWidth([...row.map((r) => r.p), d.p]) <= maxWidth) row.push(d);
    else rows.push([d]);
  }
  return rows;
}

/** The block in its equivalent forms, side by side (in rows where narrow), with every box and label placed. */
export function layoutBlockForms(s: BlockDiagramSpec, active: FormId = 'c', options: BlockFormsOptions = {}): BlockFormsLayout {
  const maxWidth = options.maxWidth ?? Infinity;
  const sized = sizedPlans(s, maxWidth);
  const headingLines = Math.max(...sized.map((p) => p.titleLines.length));
  const highlight = highlightedForm(s, active);
  const kind = shortcutKind(s);

  // Pass 1: each form down to its last layer, relative to the form's top-left corner.
  const drafts = sized.map((p) => {
    const boxes: DiagramBox[] = [];
    const merges: DiagramMerge[] = [];
    const edges: DiagramEdge[] = [];
    const texts: DiagramText[] = [];
    const cx = G.pad + p.contentW / 2;
    let y: number = G.pad;
    p.titleLines.forEach((line, i) =>
      texts.push({ id: `title${i}`, kind: 'heading', x: G.pad, y: y + G.headingLine * (i + 0.5), text: line, anchor: 'start' }),
    );
    // The badge follows this form's own title; the heading band is as tall as the longest title.
    const badgeY = y + p.titleLines.length * G.headingLine + G.badgeLine / 2;
    if (p.form === highlight) texts.push({ id: 'badge', kind: 'badge', x: G.pad, y: badgeY, text: '✓ used by this model', anchor: 'start' });
    y += headingLines * G.headingLine + G.badgeLine;
    texts.push({ id: 'in', kind: 'io', x: cx, y: y + G.ioLine / 2, text: ioLabel(s.inChannels, 'in'), anchor: 'middle' });
    y += G.ioLine;
    const junction: Point = { x: cx, y: y + 4 };
    y = junction.y;
    /** Bottom-centre of the last element drawn, where the next edge starts. */
    let from: Point = junction;

    if (p.branchRows.length) {
      y += G.fan;
      let x = G.pad + (p.contentW - p.slots.reduce((w, sl, i) => w + (sl.kind === 'branch' ? p.colW : G.ellipsisW) + (i ? G.colGap : 0), 0)) / 2;
      const columns = p.slots.map((slot) => {
        const w = slot.kind === 'branch' ? p.colW : G.ellipsisW;
        const col = { slot, x, w };
        x += w + G.colGap;
        return col;
      });
      const rowTops: number[] = [];
      for (const row of p.branchRows) {
        rowTops.push(y);
        y += boxHeight(row) + G.rowGap;
      }
      y -= G.rowGap;
      for (const col of columns) {
        const ccx = col.x + col.w / 2;
        if (col.slot.kind === 'ellipsis') {
          p.branchRows.forEach((row, j) =>
            texts.push({ id: `ellipsis${j}`, kind: 'ellipsis', x: ccx, y: (rowTops[j] ?? 0) + boxHeight(row) / 2, text: '…', anchor: 'middle' }),
          );
          continue;
        }
        const b = col.slot.index;
        edges.push({ id: `fan${b}`, kind: 'flow', points: [junction, { x: ccx, y: rowTops[0] ?? 0 }], arrow: true });
        p.branchRows.forEach((row, j) => {
          const top = rowTops[j] ?? 0;
          const h = boxHeight(row);
          boxes.push({ id: `b${b}r${j}`, kind: row.kind, x: col.x, y: top, w: col.w, h, label: row.label, note: row.note });
          if (j > 0) edges.push({ id: `b${b}e${j}`, kind: 'flow', points: [{ x: ccx, y: (rowTops[j - 1] ?? 0) + boxHeight(p.branchRows[j - 1] as RowSpec) }, { x: ccx, y: top }], arrow: true });
        });
      }
      const lastBottoms = columns.filter((c) => c.slot.kind === 'branch').map((c) => ({ x: c.x + c.w / 2, y }));
      y += G.converge;
      let noteAt: Point;
      if (p.merge === 'sum') {
        const m: DiagramMerge = { id: 'sum', kind: 'sum', cx, cy: y + G.r, r: G.r };
        merges.push(m);
        lastBottoms.forEach((pt, i) => edges.push({ id: `converge${i}`, kind: 'flow', points: [pt, pointOnCircle(m, pt)], arrow: true }));
        y += 2 * G.r;
        // Below-right of the sum, clear of the converging lines.
        noteAt = { x: cx + G.r + 6, y: m.cy + G.r + 8 };
      } else {
        const row: RowSpec = { kind: 'concat', label: 'concatenate', note: concatNote(s.cardinality, s.branchWidth) };
        const w = boxWidth(row);
        const h = boxHeight(row);
        boxes.push({ id: 'concat', kind: 'concat', x: cx - w / 2, y, w, h, label: row.label, note: row.note });
        lastBottoms.forEach((pt, i) => edges.push({ id: `converge${i}`, kind: 'flow', points: [pt, { x: cx, y }], arrow: true }));
        noteAt = { x: cx + w / 2 + 8, y: y + h / 2 };
        y += h;
      }
      texts.push({ id: 'paths', kind: 'note', x: noteAt.x, y: noteAt.y, text: totalPathsLabel(s.cardinality), anchor: 'start' });
      from = { x: cx, y };
    }

    p.afterRows.forEach((row, j) => {
      y += G.rowGap;
      const w = boxWidth(row);
      const h = boxHeight(row);
      boxes.push({ id: `after${j}`, kind: row.kind, x: cx - w / 2, y, w, h, label: row.label, note: row.note });
      edges.push({ id: `after${j}e`, kind: 'flow', points: [from, { x: cx, y }], arrow: true });
      y += h;
      from = { x: cx, y };
    });
    return { p, boxes, merges, edges, texts, cx, junction, from, bottom: y };
  });

  // Pass 2: the shortcut additions line up across the forms of a row.
  const forms: FormLayout[] = [];
  let y0: number = G.margin;
  let formsW = 0;
  for (const line of rowsOf(drafts, maxWidth)) {
    const addY = Math.max(...line.map((d) => d.bottom)) + G.rowGap + G.r + 8;
    const outY = addY + G.r + G.ioLine / 2 + 6;
    const formH = outY + G.ioLine / 2 + G.pad;
    let x0 = G.margin;
    for (const d of line) {
      const { p, cx, junction } = d;
      const add: DiagramMerge = { id: 'add', kind: 'add', cx, cy: addY, r: G.r };
      if (kind === 'none') {
        d.edges.push({ id: 'toOut', kind: 'flow', points: [d.from, { x: cx, y: outY - G.ioLine / 2 + 4 }], arrow: true });
      } else {
        d.merges.push(add);
        d.edges.push({ id: 'toAdd', kind: 'flow', points: [d.from, { x: cx, y: addY - G.r }], arrow: true });
        d.edges.push({ id: 'toOut', kind: 'flow', points: [{ x: cx, y: addY + G.r }, { x: cx, y: outY - G.ioLine / 2 + 4 }], arrow: true });
        const laneX = p.laneStart + (p.lane.length ? G.laneGap + Math.max(...p.lane.map(boxWidth)) / 2 : G.laneGap);
        d.edges.push({
          id: 'shortcut',
          kind: 'shortcut',
          points: [junction, { x: laneX, y: junction.y }, { x: laneX, y: addY }, { x: cx + G.r, y: addY }],
          arrow: true,
        });
        if (p.lane.length) {
          const total = p.lane.reduce((h, row) => h + boxHeight(row), 0) + G.rowGap * (p.lane.length - 1);
          let y = (junction.y + addY) / 2 - total / 2;
          p.lane.forEach((row, j) => {
            const w = boxWidth(row);
            const h = boxHeight(row);
            d.boxes.push({ id: `shortcut${j}`, kind: row.kind, x: laneX - w / 2, y, w, h, label: row.label, note: row.note });
            y += h + G.rowGap;
          });
        } else {
          d.texts.push({ id: 'shortcutLabel', kind: 'shortcut', x: laneX + 12, y: (junction.y + addY) / 2, text: kind, anchor: 'middle', rotate: 90 });
        }
      }
      d.texts.push({ id: 'out', kind: 'io', x: cx, y: outY, text: ioLabel(s.outChannels, 'out'), anchor: 'middle' });
      forms.push(offsetForm({ form: p.form, title: p.title, x: 0, y: 0, w: p.w, h: formH, boxes: d.boxes, merges: d.merges, edges: d.edges, texts: d.texts }, x0, y0));
      x0 += p.w + G.formGap;
    }
    formsW = Math.max(formsW, x0 - G.formGap + G.margin);
    y0 += formH + G.formGap;
  }
  const captionText = blockFormsCaption(s, active);
  const width = Math.max(formsW, Math.min(420, maxWidth));
  const lines = wrapText(captionText, width - 2 * G.margin, DIAGRAM_FONT.caption);
  const lineHeight = Math.ceil(DIAGRAM_FONT.caption * CLASSROOM_FONT_SCALE * 1.35);
  const captionY = y0 - G.formGap + 10 + lineHeight / 2;
  return {
    width,
    height: Math.ceil(captionY + (lines.length - 0.5) * lineHeight + G.margin + 4),
    forms,
    caption: { lines, x: G.margin, y: captionY, lineHeight },
  };
}

function offsetForm(f: FormLayout, dx: number, dy: number): FormLayout {
  const pt = (p: Point): Point => ({ x: p.x + dx, y: p.y + dy });
  return {
    ...f,
    x: f.x + dx,
    y: f.y + dy,
    boxes: f.boxes.map((b) => ({ ...b, x: b.x + dx, y: b.y + dy })),
    merges: f.merges.map((m) => ({ ...m, cx: m.cx + dx, cy: m.cy + dy })),
    edges: f.edges.map((e) => ({ ...e, points: e.points.map(pt) })),
    texts: f.texts.map((t) => ({ ...t, x: t.x + dx, y: t.y + dy })),
  };
}
