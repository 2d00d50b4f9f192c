/**
 * The network diagram placed: stage boxes down a spine, each as wide as its text plus its share of
 * params or MACs, and an opened stage's blocks in rows under it.
 */
import type { DiagramEdge } from './geometry';
import { type ShareMetric, type StageItem, type StageSummary, countsText, shareText, stageCountText } from './networkStages';
import { DIAGRAM_FONT, fitWidth } from './text';

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
