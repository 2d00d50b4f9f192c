/**
 * Pure layout math for the SVG diagrams: boxes, labels and lines in viewBox units, computed from
 * the graph. No React and no DOM, so it is tested in Node; the components only draw what this returns.
 */
import { type BlockInfo, type GraphItem, type GraphNode, type NetworkGraph, type Op, formatShape, formatShort, opsOf } from '../../models';

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/** Font sizes in viewBox units; diagram.css sets the same numbers (keep them in step). */
export const DIAGRAM_FONT = { heading: 17, label: 15, note: 13, caption: 14 } as const;

/**
 * `.classroom` enlarges every diagram font by up to this factor (diagram.css). Boxes are always sized
 * for the enlarged text, so switching to classroom mode never makes a label overflow its box.
 */
export const CLASSROOM_FONT_SCALE = 1.2;

/**
 * Advance widths (em) of DejaVu Sans, the widest common sans-serif fallback: an estimate taken from it
 * errs towards roomy boxes in every other font (Segoe UI, Roboto, Helvetica are narrower).
 */
const EM: Record<string, number> = {
  ' ': 0.318, ',': 0.318, '.': 0.318, '·': 0.318, ':': 0.337, ';': 0.337, '/': 0.337, '-': 0.361, '(': 0.39, ')': 0.39,
  "'": 0.275, '!': 0.401, '&': 0.78, '%': 0.95, '=': 0.838, '+': 0.838, '×': 0.838, '→': 0.838, '…': 1, '✓': 0.838, '<': 0.838,
  a: 0.613, b: 0.635, c: 0.55, d: 0.635, e: 0.615, f: 0.352, g: 0.635, h: 0.634, i: 0.278, j: 0.278, k: 0.579, l: 0.278, m: 0.974,
  n: 0.634, o: 0.612, p: 0.635, q: 0.635, r: 0.411, s: 0.521, t: 0.392, u: 0.634, v: 0.592, w: 0.818, x: 0.592, y: 0.592, z: 0.525,
  A: 0.684, B: 0.686, C: 0.698, D: 0.77, E: 0.632, F: 0.575, G: 0.775, H: 0.752, I: 0.295, J: 0.295, K: 0.656, L: 0.557, M: 0.863,
  N: 0.748, O: 0.787, P: 0.603, Q: 0.787, R: 0.695, S: 0.635, T: 0.611, U: 0.732, V: 0.684, W: 0.989, X: 0.685, Y: 0.611, Z: 0.685,
};
const DIGIT_EM = 0.636;
const OTHER_EM = 0.7;
const SAFETY = 1.04;

/** Width of `text` in viewBox units at `fontSize`, estimated from DejaVu Sans metrics (bold about 10% wider). */
export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) em += ch >= '0' && ch <= '9' ? DIGIT_EM : (EM[ch] ?? OTHER_EM);
  return Math.ceil(em * fontSize * SAFETY * (bold ? 1.1 : 1));
}

/** Width the text needs in classroom mode, the larger of the two. */
const fitWidth = (text: string, fontSize: number, bold = false): number => estimateTextWidth(text, fontSize * CLASSROOM_FONT_SCALE, bold);

/** Greedy word wrap to `maxWidth`; a single word longer than the line stays whole. */
export function wrapText(text: string, maxWidth: number, fontSize: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && fitWidth(candidate, fontSize, bold) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Labels in the paper's style (ResNeXt Fig. 3: "256, 1x1, 4" = in channels, filter size, out channels)
// ---------------------------------------------------------------------------------------------

export const convLabel = (inChannels: number, kernel: number, outChannels: number): string => `${inChannels}, ${kernel}x${kernel}, ${outChannels}`;

export const groupsLabel = (groups: number): string => `groups=${groups}`;

export const strideLabel = (stride: number): string => `stride ${stride}`;

export const totalPathsLabel = (cardinality: number): string => `total ${cardinality} ${cardinality === 1 ? 'path' : 'paths'}`;

/** "256-d in" / "256-d out", as the paper writes a block's input and output. */
export const ioLabel = (channels: number, end: 'in' | 'out'): string => `${channels}-d ${end}`;

/** Joins the notes of a box: "groups=32, stride 2". */
const notes = (...parts: (string | false | undefined)[]): string | undefined => parts.filter(Boolean).join(', ') || undefined;

// ---------------------------------------------------------------------------------------------
// Block forms (ResNeXt Fig. 3 and Fig. 4)
// ---------------------------------------------------------------------------------------------

export type FormId = 'a' | 'b' | 'c';

/** What BlockFormsDiagram needs to know about a residual block; read from a graph by `blockDiagramSpecFrom`. */
export interface BlockDiagramSpec {
  type: 'basic' | 'bottleneck';
  inChannels: number;
  outChannels: number;
  /** C: number of paths (groups of the 3x3). */
  cardinality: number;
  /** d: width of one path. */
  branchWidth: number;
  /** Stride of the block's strided 3x3 (1 or 2). */
  stride: number;
  /** How the shortcut is drawn. Default: identity when the shape is kept, projection otherwise. */
  shortcut?: BlockInfo['shortcut'];
}

/** Reads the block-forms spec from a ResNet-family block node; undefined for MBConv and non-blocks. */
export function blockDiagramSpecFrom(block: GraphNode): BlockDiagramSpec | undefined {
  const info = block.block;
  if (!info || info.type === 'mbconv' || info.groups < 1) return undefined;
  const first = opsOf(block).next();
  return {
    type: info.type,
    inChannels: first.done ? block.input.channels : first.value.input.channels,
    outChannels: block.output.channels,
    cardinality: info.groups,
    branchWidth: info.width / info.groups,
    stride: info.stride,
    shortcut: info.shortcut,
  };
}

/** The form the graph was built in (spec.form); 'c' where the block does not say. */
export const blockFormOf = (block: GraphNode): FormId => block.block?.form ?? 'c';

export type BranchSlot = { kind: 'branch'; index: number } | { kind: 'ellipsis' };

/** Which of the C paths are drawn: all of them up to 4, else the first three, "…", and the last (as the paper does). */
export function branchesToDraw(cardinality: number): BranchSlot[] {
  const c = Math.max(1, Math.floor(cardinality));
  if (c <= 4) return Array.from({ length: c }, (_, index) => ({ kind: 'branch', index }));
  return [
    { kind: 'branch', index: 0 },
    { kind: 'branch', index: 1 },
    { kind: 'branch', index: 2 },
    { kind: 'ellipsis' },
    { kind: 'branch', index: c - 1 },
  ];
}

export type BoxKind = 'conv1x1' | 'conv3x3' | 'grouped' | 'concat' | 'projection' | 'pool';

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
}

/** A "+" node: `sum` aggregates the paths, `add` is the shortcut addition. */
export interface DiagramMerge {
  id: string;
  kind: 'sum' | 'add';
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

interface RowSpec {
  kind: BoxKind;
  label: string;
  note?: string;
}

const boxHeight = (row: RowSpec): number => (row.note ? G.box2 : G.box1);
const boxWidth = (row: RowSpec): number =>
  Math.max(64, fitWidth(row.label, DIAGRAM_FONT.label), row.note ? fitWidth(row.note, DIAGRAM_FONT.note) : 0) + 2 * G.boxPadX;

interface FormPlan {
  form: FormId;
  title: string;
  /** Layers repeated in every path (forms a, b); empty for one-path forms. */
  branchRows: RowSpec[];
  merge: 'sum' | 'concat' | 'none';
  /** Layers after the merge, drawn once. */
  afterRows: RowSpec[];
}

const shortcutKind = (s: BlockDiagramSpec): BlockInfo['shortcut'] =>
  s.shortcut ?? (s.inChannels === s.outChannels && s.stride === 1 ? 'identity' : 'projection');

function shortcutRows(s: BlockDiagramSpec): RowSpec[] {
  const stride = s.stride !== 1 ? strideLabel(s.stride) : undefined;
  switch (shortcutKind(s)) {
    case 'projection':
      return [{ kind: 'projection', label: convLabel(s.inChannels, 1, s.outChannels), note: notes('projection', stride) }];
    case 'maxpool-projection':
      return [
        { kind: 'pool', label: '3x3 max pool', note: stride ?? 'stride 1' },
        { kind: 'projection', label: convLabel(s.inChannels, 1, s.outChannels), note: 'projection' },
      ];
    case 'maxpool':
      return [{ kind: 'pool', label: '3x3 max pool', note: stride ?? 'stride 1' }];
    default:
      return [];
  }
}

/** The layers of each form, labelled as in Fig. 3 (bottleneck) or Fig. 4 (basic block). */
export function formPlans(s: BlockDiagramSpec): FormPlan[] {
  const C = s.cardinality;
  const d = s.branchWidth;
  const wide = C * d;
  const stride = s.stride !== 1 ? strideLabel(s.stride) : undefined;
  if (s.type === 'basic') {
    return [
      {
        form: 'a',
        title: '(a) aggregated, depth 2',
        branchRows: [
          { kind: 'conv3x3', label: convLabel(s.inChannels, 3, d), note: stride },
          { kind: 'conv3x3', label: convLabel(d, 3, s.outChannels) },
        ],
        merge: 'sum',
        afterRows: [],
      },
      {
        // Fig. 4: with depth 2, early concatenation and grouping are trivial: one wide dense block.
        form: 'c',
        title: '(b), (c) wide dense block',
        branchRows: [],
        merge: 'none',
        afterRows: [
          { kind: 'conv3x3', label: convLabel(s.inChannels, 3, wide), note: stride },
          { kind: 'conv3x3', label: convLabel(wide, 3, s.outChannels) },
        ],
      },
    ];
  }
  return [
    {
      form: 'a',
      title: '(a) aggregated',
      branchRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, d) },
        { kind: 'conv3x3', label: convLabel(d, 3, d), note: stride },
        { kind: 'conv1x1', label: convLabel(d, 1, s.outChannels) },
      ],
      merge: 'sum',
      afterRows: [],
    },
    {
      form: 'b',
      title: '(b) early concatenation',
      branchRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, d) },
        { kind: 'conv3x3', label: convLabel(d, 3, d), note: stride },
      ],
      merge: 'concat',
      afterRows: [{ kind: 'conv1x1', label: convLabel(wide, 1, s.outChannels) }],
    },
    {
      form: 'c',
      title: '(c) grouped convolution',
      branchRows: [],
      merge: 'none',
      afterRows: [
        { kind: 'conv1x1', label: convLabel(s.inChannels, 1, wide) },
        { kind: 'grouped', label: convLabel(wide, 3, wide), note: notes(groupsLabel(C), stride) },
        { kind: 'conv1x1', label: convLabel(wide, 1, s.outChannels) },
      ],
    },
  ];
}

export const concatNote = (cardinality: number, branchWidth: number): string =>
  `${cardinality * branchWidth} channels (${cardinality}×${branchWidth})`;

/** Which form box the highlight goes to: for a basic block (b) and (c) are the one wide block. */
export const highlightedForm = (spec: BlockDiagramSpec, active: FormId): FormId => (spec.type === 'basic' && active === 'b' ? 'c' : active);

export function blockFormsCaption(s: BlockDiagramSpec, active: FormId): string {
  const C = s.cardinality;
  const d = s.branchWidth;
  if (s.type === 'basic') {
    return (
      `Depth-2 block (ResNeXt Fig. 4): C = ${C} paths of width d = ${d} add up to one wide dense block of C·d = ${C * d} channels; ` +
      `the reformulation is non-trivial only from depth 3 on. The model is built in form (${active}).`
    );
  }
  return `Three equivalent forms of one ResNeXt block (Fig. 3): C = ${C} paths of width d = ${d}, C·d = ${C * d}. The model is built in form (${active}).`;
}

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

function sizePlan(plan: FormPlan, s: BlockDiagramSpec): SizedPlan {
  const slots = plan.branchRows.length ? branchesToDraw(s.cardinality) : [];
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

/** The block in its equivalent forms, side by side, with every box and label placed. */
export function layoutBlockForms(s: BlockDiagramSpec, active: FormId = 'c'): BlockFormsLayout {
  const sized = formPlans(s).map((p) => sizePlan(p, s));
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

  // Pass 2: the shortcut additions line up across forms.
  const addY = Math.max(...drafts.map((d) => d.bottom)) + G.rowGap + G.r + 8;
  const outY = addY + G.r + G.ioLine / 2 + 6;
  const formH = outY + G.ioLine / 2 + G.pad;

  const forms: FormLayout[] = [];
  let x0 = G.margin;
  for (const d of drafts) {
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
    forms.push(offsetForm({ form: p.form, title: p.title, x: 0, y: 0, w: p.w, h: formH, boxes: d.boxes, merges: d.merges, edges: d.edges, texts: d.texts }, x0, G.margin));
    x0 += p.w + G.formGap;
  }
  const formsW = x0 - G.formGap + G.margin;
  const captionText = blockFormsCaption(s, active);
  const width = Math.max(formsW, 420);
  const lines = wrapText(captionText, width - 2 * G.margin, DIAGRAM_FONT.caption);
  const lineHeight = Math.ceil(DIAGRAM_FONT.caption * CLASSROOM_FONT_SCALE * 1.35);
  const captionY = G.margin + formH + 10 + lineHeight / 2;
  return {
    width,
    height: Math.ceil(captionY + (lines.length - 0.5) * lineHeight + G.margin + 4),
    forms,
    caption: { lines, x: G.margin, y: captionY, lineHeight },
  };
}

function pointOnCircle(c: { cx: number; cy: number; r: number }, from: Point): Point {
  const dx = from.x - c.cx;
  const dy = from.y - c.cy;
  const len = Math.hypot(dx, dy) || 1;
  return { x: c.cx + (dx / len) * c.r, y: c.cy + (dy / len) * c.r };
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

// ---------------------------------------------------------------------------------------------
// Network (stages -> blocks)
// ---------------------------------------------------------------------------------------------

export type ShareMetric = 'params' | 'macs';

/** One box inside an expanded stage: a block, a run of identical blocks, or (stem, head) one op. */
export interface StageItem {
  key: string;
  kind: 'block' | 'op';
  /** Graph names it covers: one, or the first and last of a run. */
  names: string[];
  count: number;
  /** First line: role / type, e.g. "bottleneck", "start", "MBConv6, k5x5", "conv 7x7, 64". */
  title: string;
  /** Further lines: stride and shortcut kind, the size of a run. */
  details: string[];
}

export interface StageSummary {
  name: string;
  label: string;
  output: string;
  /** Number of residual blocks (0 for the stem and the head, which hold plain layers). */
  blocks: number;
  layers: number;
  params: number;
  macs: number;
  items: StageItem[];
}

/** Consecutive equal keys merged into runs: [a, a, b, a] -> [a x2, b x1, a x1]. */
export function collapseRuns<T>(items: readonly T[], keyOf: (item: T) => string): { item: T; count: number; start: number }[] {
  const runs: { item: T; count: number; start: number; key: string }[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    const last = runs[runs.length - 1];
    if (last && last.key === key) last.count++;
    else runs.push({ item, count: 1, start: i, key });
  });
  return runs.map(({ item, count, start }) => ({ item, count, start }));
}

/** Two blocks are identical when they run the same ops on the same shapes (names aside). */
export function blockSignature(block: GraphNode): string {
  const ops = [...opsOf(block)].map((o) => `${o.type}:${o.kernel ?? ''}:${o.stride ?? ''}:${o.groups ?? ''}:${formatShape(o.input)}>${formatShape(o.output)}`);
  return `${block.label}|${ops.join(',')}`;
}

export function shortcutLabel(kind: BlockInfo['shortcut']): string {
  return kind === 'none' ? 'no shortcut' : kind;
}

/** iResNet: the first Middle block of a stage starts with ReLU, not BN (Duta et al., ResStage). */
function startsWithRelu(block: GraphNode): boolean {
  const first = opsOf(block).next();
  return !first.done && first.value.type === 'relu';
}

export function blockTitle(block: GraphNode): string {
  const info = block.block;
  if (!info || info.type === 'mbconv') return block.label;
  if (info.role === 'standard') return info.type;
  return info.role === 'middle' && startsWithRelu(block) ? 'middle, no first BN' : info.role;
}

/** Stride (when not 1) and shortcut kind, one line each so the block boxes stay narrow. */
export function blockDetails(block: GraphNode): string[] {
  const info = block.block;
  if (!info) return [formatShape(block.output)];
  return [...(info.stride !== 1 ? [`stride ${info.stride}`] : []), shortcutLabel(info.shortcut)];
}

/** "conv 7x7, 64, /2", "maxpool 3x3, /2", "fc 2048→1000": one op of a stem or head. */
export function opTitle(op: Op): string {
  const s = op.stride && op.stride !== 1 ? `, /${op.stride}` : '';
  switch (op.type) {
    case 'conv':
      return `conv ${op.kernel}x${op.kernel}, ${op.output.channels}${s}`;
    case 'maxpool':
      return `maxpool ${op.kernel}x${op.kernel}${s}`;
    case 'avgpool':
      return 'global avg pool';
    case 'linear':
      return `fc ${op.input.channels * op.input.height * op.input.width}→${op.output.channels}`;
    default:
      return op.type;
  }
}

const isBlock = (item: GraphItem): item is GraphNode => item.kind === 'node' && item.level === 'block';

/** Stage boxes to draw; blocks of stages longer than `maxShown` are folded into runs of identical blocks. */
export function summarizeStages(graph: NetworkGraph, maxShown = 8): StageSummary[] {
  return graph.children
    .filter((c): c is GraphNode => c.kind === 'node')
    .map((stage) => {
      let params = 0;
      let macs = 0;
      let layers = 0;
      for (const op of opsOf(stage)) {
        params += op.params;
        macs += op.macs;
        layers++;
      }
      const blocks = stage.children.filter(isBlock);
      let items: StageItem[];
      if (blocks.length) {
        const runs =
          blocks.length > maxShown ? collapseRuns(blocks, blockSignature) : blocks.map((item, start) => ({ item, count: 1, start }));
        items = runs.map(({ item, count, start }) => {
          const last = blocks[start + count - 1] ?? item;
          return {
            key: item.name,
            kind: 'block',
            names: count > 1 ? [item.name, last.name] : [item.name],
            count,
            title: blockTitle(item),
            details: [...blockDetails(item), ...(count > 1 ? [`× ${count} identical blocks`] : [])],
          };
        });
      } else {
        items = [...opsOf(stage)].map((op) => ({
          key: op.name,
          kind: 'op',
          names: [op.name],
          count: 1,
          title: opTitle(op),
          details: [formatShape(op.output)],
        }));
      }
      return { name: stage.name, label: stage.label, output: formatShape(stage.output), blocks: blocks.length, layers, params, macs, items };
    });
}

export const stageCountText = (s: StageSummary): string =>
  s.blocks ? `${s.blocks} ${s.blocks === 1 ? 'block' : 'blocks'}` : `${s.layers} ${s.layers === 1 ? 'layer' : 'layers'}`;

export function shareText(share: number, metric: ShareMetric): string {
  const percent = share > 0 && share < 0.0005 ? '<0.1' : (100 * share).toFixed(1);
  return `${percent}% of ${metric === 'macs' ? 'MACs' : 'params'}`;
}

export const countsText = (s: StageSummary): string => `${formatShort(s.macs)} MACs · ${formatShort(s.params)} params`;

export interface StageLayout {
  stage: StageSummary;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Share of the network's params or MACs, 0..1. */
  share: number;
  /** Share relative to the largest stage, 0..1: drives the fill strength. */
  relative: number;
  expanded: boolean;
  /** Where the share and counts text starts, right of the box. */
  textX: number;
  /** Light panel behind the expanded blocks. */
  detail?: { x: number; y: number; w: number; h: number; items: { item: StageItem; x: number; y: number; w: number; h: number }[]; edges: DiagramEdge[] };
}

export interface NetworkLayout {
  width: number;
  height: number;
  input: { x: number; y: number; text: string };
  stages: StageLayout[];
  edges: DiagramEdge[];
  /** x of the left column of text inside a stage box, and of the right-aligned share text. */
  text: { left: number; lineHeight: number };
}

const N = {
  margin: 4,
  stageH: 58,
  stageGap: 22,
  chevron: 30,
  textPad: 12,
  indent: 30,
  itemGap: 22,
  itemRowGap: 14,
  detailPad: 10,
  itemPadX: 10,
  lineH: 22,
  shareGap: 12,
} as const;

export interface NetworkLayoutOptions {
  expanded: ReadonlySet<string>;
  metric: ShareMetric;
  width?: number;
  inputLabel: string;
}

/**
 * The network as a vertical sequence of stage boxes. A box is at least wide enough for its text;
 * the rest of its width is the stage's share of params or MACs relative to the largest stage.
 */
export function layoutNetwork(stages: StageSummary[], o: NetworkLayoutOptions): NetworkLayout {
  const width = o.width ?? 960;
  const total = stages.reduce((t, s) => t + s[o.metric], 0) || 1;
  const shares = stages.map((s) => s[o.metric] / total);
  const maxShare = Math.max(...shares, 1e-12);
  const leftW = Math.max(
    ...stages.map((s) =>
      Math.max(
        fitWidth(s.label, DIAGRAM_FONT.heading, true) + 8 + fitWidth(s.name, DIAGRAM_FONT.note),
        fitWidth(`${s.output} · ${stageCountText(s)}`, DIAGRAM_FONT.label),
      ),
    ),
  );
  const rightW = Math.max(...stages.map((s, i) => Math.max(fitWidth(shareText(shares[i] ?? 0, o.metric), DIAGRAM_FONT.label, true), fitWidth(countsText(s), DIAGRAM_FONT.note))));
  const minW = N.chevron + leftW + N.textPad;
  // The box is a bar: at least as wide as its text, the largest stage as wide as leaves room for the share text.
  const maxW = Math.max(width - 2 * N.margin - N.shareGap - rightW, minW);
  const detailW = width - 2 * N.margin;
  const spineX = N.margin + N.chevron / 2;

  let y: number = N.margin;
  const input = { x: N.margin, y: y + 11, text: o.inputLabel };
  y += 22;
  const edges: DiagramEdge[] = [];
  let prevBottom = y;
  const out: StageLayout[] = [];
  stages.forEach((stage, i) => {
    y += N.stageGap;
    edges.push({ id: `to-${stage.name}`, kind: 'flow', points: [{ x: spineX, y: prevBottom }, { x: spineX, y }], arrow: true });
    const share = shares[i] ?? 0;
    const relative = share / maxShare;
    const w = Math.round(minW + relative * (maxW - minW));
    const layout: StageLayout = {
      stage,
      x: N.margin,
      y,
      w,
      h: N.stageH,
      textX: N.margin + w + N.shareGap,
      share,
      relative,
      expanded: o.expanded.has(stage.name),
    };
    y += N.stageH;
    // The main path runs down the left margin, past an expanded stage's blocks.
    prevBottom = y;
    if (layout.expanded && stage.items.length) {
      y += N.detailPad;
      const x0 = N.margin + N.indent;
      const lines = Math.max(...stage.items.map((it) => 1 + it.details.length));
      const itemW = Math.max(
        ...stage.items.map((it) =>
          Math.max(fitWidth(it.title, DIAGRAM_FONT.label), ...it.details.map((d) => fitWidth(d, DIAGRAM_FONT.note))),
        ),
      ) + 2 * N.itemPadX;
      const itemH = 12 + lines * N.lineH;
      const innerW = detailW - N.indent - 2 * N.detailPad;
      const cols = Math.max(1, Math.floor((innerW + N.itemGap) / (itemW + N.itemGap)));
      const items: NonNullable<StageLayout['detail']>['items'] = [];
      const itemEdges: DiagramEdge[] = [];
      stage.items.forEach((item, k) => {
        const col = k % cols;
        const row = Math.floor(k / cols);
        const ix = x0 + N.detailPad + col * (itemW + N.itemGap);
        const iy = y + N.detailPad + row * (itemH + N.itemRowGap);
        items.push({ item, x: ix, y: iy, w: itemW, h: itemH });
        if (col > 0) itemEdges.push({ id: `item-${k}`, kind: 'flow', points: [{ x: ix - N.itemGap + 3, y: iy + itemH / 2 }, { x: ix - 2, y: iy + itemH / 2 }], arrow: true });
      });
      const rows = Math.ceil(stage.items.length / cols);
      const usedCols = Math.min(cols, stage.items.length);
      const h = 2 * N.detailPad + rows * itemH + (rows - 1) * N.itemRowGap;
      layout.detail = { x: x0, y, w: 2 * N.detailPad + usedCols * itemW + (usedCols - 1) * N.itemGap, h, items, edges: itemEdges };
      y += h;
    }
    out.push(layout);
  });
  return { width, height: Math.ceil(y + N.margin + 2), input, stages: out, edges, text: { left: N.chevron, lineHeight: N.lineH } };
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
