/**
 * Inside views of MBConv and ResStage blocks, read from the graph and placed; the block forms and
 * the network diagram laid out for a width, with text at one size; stage items' layer names.
 */
import { describe, expect, it } from 'vitest';
import { type GraphNode, buildGraph, findPreset } from '../../models';
import { type BlockDiagramSpec, branchesToDraw } from './blockForms';
import { layoutBlockForms } from './blockFormsLayout';
import { blockInsideFrom, hasForms, insidePanelsFor } from './blockInside';
import { layoutBlockInside } from './blockInsideLayout';
import type { DiagramBox } from './geometry';
import { itemLayerNames, summarizeStages } from './networkStages';
import { CLASSROOM_FONT_SCALE, DIAGRAM_FONT, estimateTextWidth } from './text';

const graphOf = (name: string, overrides: object = {}) => {
  const preset = findPreset(name);
  if (!preset) throw new Error(`no preset ${name}`);
  return buildGraph({ ...preset.spec, ...overrides } as typeof preset.spec);
};
const stageOf = (name: string, stage: string) => graphOf(name).children.find((c) => c.name === stage) as GraphNode;
const blockOf = (stage: GraphNode, i: number) => stage.children.filter((c): c is GraphNode => c.kind === 'node')[i]!;
const rowsText = (p: ReturnType<typeof blockInsideFrom>) =>
  p.steps.map((s) => (s.type === 'row' ? [s.row.label, s.row.note ?? ''].join(' | ') : `gate ${s.label}: ${s.rows.map((r) => [r.label, r.note ?? ''].join(' | ')).join('; ')}`));

const apart = (a: DiagramBox, b: DiagramBox) => a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;

describe('blockInsideFrom: MBConv (EfficientNet-B0 features.2)', () => {
  const stage = stageOf('efficientnet_b0', 'features.2');

  it('expand, depthwise, squeeze-excitation gate, project; BN and SiLU with their convs', () => {
    const p = blockInsideFrom(blockOf(stage, 1));
    expect(rowsText(p)).toEqual([
      '24, 1x1, 144 | expand, BN, SiLU',
      '144, 3x3, 144 | depthwise, BN, SiLU',
      'gate squeeze-excitation: global avg pool | ; 144, 1x1, 6 | SiLU; 6, 1x1, 144 | sigmoid',
      '144, 1x1, 24 | project, BN',
    ]);
    expect(p.shortcut).toEqual({ kind: 'identity', rows: [] });
    expect(p.afterAdd).toEqual([]);
    const depthwise = p.steps[1]!;
    expect(depthwise.type === 'row' && depthwise.row.kind).toBe('depthwise');
    expect(depthwise.type === 'row' && depthwise.row.names).toEqual(['features.2.1.block.1.0', 'features.2.1.block.1.1', 'features.2.1.block.1.2']);
  });

  it('the first block of the stage strides and has no shortcut', () => {
    const p = blockInsideFrom(blockOf(stage, 0));
    expect(rowsText(p)[1]).toBe('96, 3x3, 96 | depthwise, stride 2, BN, SiLU');
    expect(p.shortcut).toBeUndefined();
  });
});

describe('blockInsideFrom: ResStage (iResNet-50 layer2)', () => {
  const stage = stageOf('iresnet50', 'layer2');
  const panels = insidePanelsFor(stage, blockOf(stage, 2)).panels;

  it('one panel per kind of block: start, first middle, middle, end', () => {
    expect(panels.map((p) => p.title)).toEqual(['start block (layer2.0)', 'middle block (layer2.1)', 'middle block (layer2.2)', 'end block (layer2.3)']);
    expect(insidePanelsFor(stage, blockOf(stage, 2)).active).toBe('layer2.2');
  });

  it('BN and ReLU sit where Duta et al. put them', () => {
    const [start, first, middle, end] = panels.map(rowsText);
    expect(start).toEqual(['256, 1x1, 128 | BN, ReLU', '128, 3x3, 128 | stride 2, BN, ReLU', '128, 1x1, 512 | BN']);
    expect(first).toEqual(['ReLU | ', '512, 1x1, 128 | BN, ReLU', '128, 3x3, 128 | BN, ReLU', '128, 1x1, 512 | ']);
    expect(middle![0]).toBe('BN, ReLU | ');
    expect(end![0]).toBe('BN, ReLU | ');
    expect(panels[3]!.afterAdd.map((r) => r.label)).toEqual(['BN, ReLU']);
    expect(panels[0]!.shortcut!.rows.map((r) => `${r.label} | ${r.note ?? ''}`)).toEqual(['3x3 max pool | stride 2', '256, 1x1, 512 | BN']);
  });

  it('forms are for ResNet-family blocks outside a ResStage', () => {
    expect(hasForms(blockOf(stage, 0))).toBe(false);
    expect(hasForms(blockOf(stageOf('efficientnet_b0', 'features.2'), 0))).toBe(false);
    expect(hasForms(blockOf(stageOf('resnext50_32x4d', 'layer1'), 0))).toBe(true);
  });
});

describe('layoutBlockInside', () => {
  const stage = stageOf('iresnet50', 'layer2');
  const { panels, active } = insidePanelsFor(stage, blockOf(stage, 1));

  it('panels in rows within the width, boxes inside their panel and apart, sized for classroom text', () => {
    const layout = layoutBlockInside(panels, active, { maxWidth: 860 });
    expect(layout.width).toBeLessThanOrEqual(860);
    expect(layout.panels.filter((p) => p.active).map((p) => p.name)).toEqual(['layer2.1']);
    for (const p of layout.panels) {
      expect(p.x + p.w).toBeLessThanOrEqual(layout.width);
      for (const b of p.boxes) {
        expect(b.x).toBeGreaterThanOrEqual(p.x);
        expect(b.x + b.w).toBeLessThanOrEqual(p.x + p.w);
        expect(b.y + b.h).toBeLessThanOrEqual(p.y + p.h);
        expect(b.w).toBeGreaterThanOrEqual(estimateTextWidth(b.label, DIAGRAM_FONT.label * CLASSROOM_FONT_SCALE));
      }
      for (const [i, a] of p.boxes.entries()) for (const b of p.boxes.slice(i + 1)) expect(apart(a, b), `${a.id} overlaps ${b.id}`).toBe(true);
    }
    // The additions line up within a row.
    const rows = new Map<number, number[]>();
    for (const p of layout.panels) rows.set(p.y, [...(rows.get(p.y) ?? []), p.merges.find((m) => m.kind === 'add')!.cy]);
    for (const adds of rows.values()) expect(new Set(adds).size).toBe(1);
  });

  it('wide enough, all panels on one row', () => {
    const layout = layoutBlockInside(panels, active, { maxWidth: 4000 });
    expect(new Set(layout.panels.map((p) => p.y)).size).toBe(1);
  });

  it('an MBConv gate joins at a "×" node on the column, its boxes clear of the column', () => {
    const mb = stageOf('efficientnet_b0', 'features.2');
    const l = layoutBlockInside([blockInsideFrom(blockOf(mb, 1))], 'features.2.1.', {});
    const p = l.panels[0]!;
    const multiply = p.merges.find((m) => m.kind === 'multiply')!;
    const gate = p.boxes.filter((b) => b.label === 'global avg pool' || b.label.includes(', 1x1, 6') || b.label.startsWith('6, 1x1'));
    expect(gate).toHaveLength(3);
    for (const b of gate) expect(b.x).toBeGreaterThan(multiply.cx + multiply.r);
    const project = p.boxes.find((b) => b.note?.startsWith('project'))!;
    expect(project.y).toBeGreaterThan(multiply.cy);
  });
});

describe('layoutBlockForms for a width (text keeps its size)', () => {
  const CONV2: BlockDiagramSpec = { type: 'bottleneck', inChannels: 256, outChannels: 256, cardinality: 32, branchWidth: 4, stride: 1 };
  const paths = (l: ReturnType<typeof layoutBlockForms>) => l.forms.find((f) => f.form === 'a')!.boxes.filter((b) => b.id.endsWith('r0')).length;

  it('wide: three paths, "…", the last, forms on one row', () => {
    const l = layoutBlockForms(CONV2, 'c', { maxWidth: 3000 });
    expect(paths(l)).toBe(4);
    expect(new Set(l.forms.map((f) => f.y)).size).toBe(1);
  });

  it('narrower: fewer paths before the forms wrap, and never wider than the width where a form fits', () => {
    const one = layoutBlockForms(CONV2, 'c');
    for (const maxWidth of [one.width - 1, 1000, 860, 640]) {
      const l = layoutBlockForms(CONV2, 'c', { maxWidth });
      expect(l.width, `at ${maxWidth}`).toBeLessThanOrEqual(maxWidth);
      for (const f of l.forms) for (const b of f.boxes) expect(b.w).toBeGreaterThanOrEqual(estimateTextWidth(b.label, DIAGRAM_FONT.label * CLASSROOM_FONT_SCALE));
    }
    const wrapped = layoutBlockForms(CONV2, 'c', { maxWidth: 860 });
    expect(new Set(wrapped.forms.map((f) => f.y)).size).toBeGreaterThan(1);
    expect(paths(wrapped)).toBe(4);
  });

  it('fewer leading paths: the first one or two, "…", the last; four or fewer still all where three lead', () => {
    const drawn = (c: number, leading: number) => branchesToDraw(c, leading).map((s) => (s.kind === 'branch' ? s.index : '…'));
    expect(drawn(32, 2)).toEqual([0, 1, '…', 31]);
    expect(drawn(32, 1)).toEqual([0, '…', 31]);
    expect(drawn(4, 3)).toEqual([0, 1, 2, 3]);
    expect(drawn(4, 1)).toEqual([0, '…', 3]);
    expect(drawn(2, 1)).toEqual([0, 1]);
  });

  it('C = 1 is as narrow as its content: no zoom makes its text larger', () => {
    const l = layoutBlockForms({ ...CONV2, cardinality: 1 }, 'c', { maxWidth: 860 });
    expect(l.width).toBeLessThan(860);
  });
});

describe('itemLayerNames', () => {
  it('a folded run stands for every block in it', () => {
    const stages = summarizeStages(graphOf('resnext101_32x4d'));
    const conv4 = stages.find((s) => s.name === 'layer3')!;
    const run = conv4.items.find((i) => i.count > 1)!;
    expect(itemLayerNames(run)).toHaveLength(run.count);
    expect(itemLayerNames(run)[0]).toBe('layer3.1');
    expect(itemLayerNames(run)[run.count - 1]).toBe('layer3.22');
    expect(itemLayerNames(conv4.items[0]!)).toEqual(['layer3.0']);
  });
});
