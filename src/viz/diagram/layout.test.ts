import { describe, expect, it } from 'vitest';
import { type GraphNode, buildGraph, findPreset } from '../../models';
import { type BlockDiagramSpec, blockDiagramSpecFrom, blockFormOf, branchesToDraw } from './blockForms';
import { type BlockFormsLayout, layoutBlockForms } from './blockFormsLayout';
import type { DiagramBox } from './geometry';
import { convLabel, totalPathsLabel } from './labels';
import { layoutNetwork } from './networkLayout';
import { collapseRuns, summarizeStages } from './networkStages';
import { CLASSROOM_FONT_SCALE, DIAGRAM_FONT, estimateTextWidth, wrapText } from './text';

const graphOf = (name: string, overrides: object = {}) => {
  const preset = findPreset(name);
  if (!preset) throw new Error(`no preset ${name}`);
  return buildGraph({ ...preset.spec, ...overrides } as typeof preset.spec);
};

function findNode(node: GraphNode, name: string): GraphNode | undefined {
  if (node.name === name) return node;
  for (const child of node.children) {
    if (child.kind !== 'node') continue;
    const hit = findNode(child, name);
    if (hit) return hit;
  }
  return undefined;
}

const labels = (layout: BlockFormsLayout, form: string): string[] => layout.forms.find((f) => f.form === form)?.boxes.map((b) => b.label) ?? [];
const boxesOf = (layout: BlockFormsLayout, form: string): DiagramBox[] => layout.forms.find((f) => f.form === form)?.boxes ?? [];
const textsOf = (layout: BlockFormsLayout, form: string): string[] => layout.forms.find((f) => f.form === form)?.texts.map((t) => t.text) ?? [];

const CONV2: BlockDiagramSpec = { type: 'bottleneck', inChannels: 256, outChannels: 256, cardinality: 32, branchWidth: 4, stride: 1 };

describe('branchesToDraw', () => {
  it('draws every path up to four', () => {
    expect(branchesToDraw(1)).toEqual([{ kind: 'branch', index: 0 }]);
    expect(branchesToDraw(4).map((s) => (s.kind === 'branch' ? s.index : '…'))).toEqual([0, 1, 2, 3]);
  });

  it('draws three paths, an ellipsis and the last one beyond four (as Fig. 3)', () => {
    expect(branchesToDraw(32).map((s) => (s.kind === 'branch' ? s.index : '…'))).toEqual([0, 1, 2, '…', 31]);
    expect(branchesToDraw(5).map((s) => (s.kind === 'branch' ? s.index : '…'))).toEqual([0, 1, 2, '…', 4]);
  });
});

describe('labels in the paper style', () => {
  it('writes in, filter, out', () => {
    expect(convLabel(256, 1, 4)).toBe('256, 1x1, 4');
    expect(totalPathsLabel(32)).toBe('total 32 paths');
    expect(totalPathsLabel(1)).toBe('total 1 path');
  });
});

describe('layoutBlockForms: ResNeXt conv2 block, C = 32, d = 4 (Fig. 3)', () => {
  const layout = layoutBlockForms(CONV2, 'c');

  it('has the three forms, titled as in the paper', () => {
    expect(layout.forms.map((f) => f.title)).toEqual(['(a) aggregated', '(b) early concatenation', '(c) grouped convolution']);
  });

  it('(a): every drawn path is 256, 1x1, 4 -> 4, 3x3, 4 -> 4, 1x1, 256, summed; total 32 paths', () => {
    const boxes = labels(layout, 'a');
    expect(boxes).toHaveLength(4 * 3);
    expect(new Set(boxes)).toEqual(new Set(['256, 1x1, 4', '4, 3x3, 4', '4, 1x1, 256']));
    expect(layout.forms[0]?.merges.map((m) => m.kind)).toEqual(['sum', 'add']);
    expect(textsOf(layout, 'a')).toContain('total 32 paths');
    expect(textsOf(layout, 'a').filter((t) => t === '…')).toHaveLength(3);
  });

  it('(b): paths stop after the 3x3, concatenate 128 channels, then one 128, 1x1, 256', () => {
    const boxes = labels(layout, 'b');
    expect(boxes.filter((l) => l === '256, 1x1, 4')).toHaveLength(4);
    expect(boxes.filter((l) => l === '4, 3x3, 4')).toHaveLength(4);
    expect(boxes).not.toContain('4, 1x1, 256');
    const concat = boxesOf(layout, 'b').find((b) => b.kind === 'concat');
    expect(concat?.note).toBe('128 channels (32×4)');
    expect(boxes).toContain('128, 1x1, 256');
    expect(textsOf(layout, 'b')).toContain('total 32 paths');
  });

  it('(c): 256, 1x1, 128 -> grouped 128, 3x3, 128 with 32 groups -> 128, 1x1, 256', () => {
    const boxes = boxesOf(layout, 'c');
    expect(boxes.map((b) => b.label)).toEqual(['256, 1x1, 128', '128, 3x3, 128', '128, 1x1, 256']);
    expect(boxes[1]?.kind).toBe('grouped');
    expect(boxes[1]?.note).toBe('groups=32');
    expect(textsOf(layout, 'c')).not.toContain('total 32 paths');
  });

  it('writes the block input and output as "256-d in" / "256-d out" and an identity shortcut', () => {
    for (const f of layout.forms) {
      expect(f.texts.map((t) => t.text)).toEqual(expect.arrayContaining(['256-d in', '256-d out', 'identity']));
      expect(f.edges.filter((e) => e.kind === 'shortcut')).toHaveLength(1);
    }
  });

  it('badges only the active form', () => {
    for (const active of ['a', 'b', 'c'] as const) {
      const l = layoutBlockForms(CONV2, active);
      expect(l.forms.filter((f) => f.texts.some((t) => t.kind === 'badge')).map((f) => f.form)).toEqual([active]);
    }
  });

  it('lines up the shortcut additions and keeps forms apart and inside the view', () => {
    const adds = layout.forms.map((f) => f.merges.find((m) => m.kind === 'add')?.cy);
    expect(new Set(adds).size).toBe(1);
    for (let i = 1; i < layout.forms.length; i++) {
      const prev = layout.forms[i - 1]!;
      expect(layout.forms[i]!.x).toBeGreaterThanOrEqual(prev.x + prev.w);
    }
    const last = layout.forms[layout.forms.length - 1]!;
    expect(last.x + last.w).toBeLessThanOrEqual(layout.width);
    expect(layout.caption.y).toBeGreaterThan(last.y + last.h);
    expect(layout.height).toBeGreaterThan(layout.caption.y);
  });

  it('sizes every box for its label at the classroom font size, and no two boxes overlap', () => {
    for (const f of layout.forms) {
      for (const b of f.boxes) {
        expect(b.w).toBeGreaterThanOrEqual(estimateTextWidth(b.label, DIAGRAM_FONT.label * CLASSROOM_FONT_SCALE));
        expect(b.x).toBeGreaterThanOrEqual(f.x);
        expect(b.x + b.w).toBeLessThanOrEqual(f.x + f.w);
      }
      for (const [i, a] of f.boxes.entries()) {
        for (const b of f.boxes.slice(i + 1)) {
          const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
        }
      }
    }
  });
});

describe('layoutBlockForms: other blocks', () => {
  it('C = 2, d = 40 draws both paths and no ellipsis', () => {
    const layout = layoutBlockForms({ ...CONV2, cardinality: 2, branchWidth: 40 });
    expect(labels(layout, 'a').filter((l) => l === '256, 1x1, 40')).toHaveLength(2);
    expect(textsOf(layout, 'a')).not.toContain('…');
    expect(labels(layout, 'c')).toEqual(['256, 1x1, 80', '80, 3x3, 80', '80, 1x1, 256']);
    expect(textsOf(layout, 'a')).toContain('total 2 paths');
  });

  it('a strided first block notes the stride on the 3x3 and draws the projection shortcut', () => {
    const layout = layoutBlockForms({ type: 'bottleneck', inChannels: 256, outChannels: 512, cardinality: 32, branchWidth: 8, stride: 2, shortcut: 'projection' });
    const grouped = boxesOf(layout, 'c').find((b) => b.kind === 'grouped');
    expect(grouped?.note).toBe('groups=32, stride 2');
    expect(boxesOf(layout, 'a').find((b) => b.label === '8, 3x3, 8')?.note).toBe('stride 2');
    const projection = boxesOf(layout, 'c').find((b) => b.kind === 'projection');
    expect(projection).toMatchObject({ label: '256, 1x1, 512', note: 'projection, stride 2' });
  });

  it('the iResNet shortcut is a max pool then a 1x1 projection', () => {
    const layout = layoutBlockForms({ type: 'bottleneck', inChannels: 256, outChannels: 512, cardinality: 1, branchWidth: 128, stride: 2, shortcut: 'maxpool-projection' });
    expect(boxesOf(layout, 'c').filter((b) => b.kind === 'pool' || b.kind === 'projection').map((b) => b.label)).toEqual(['3x3 max pool', '256, 1x1, 512']);
  });

  it('a basic block (Fig. 4) is C paths of in, 3x3, d -> d, 3x3, out, and one wide dense block', () => {
    const layout = layoutBlockForms({ type: 'basic', inChannels: 64, outChannels: 64, cardinality: 4, branchWidth: 16, stride: 1 }, 'c');
    expect(layout.forms.map((f) => f.form)).toEqual(['a', 'c']);
    expect(layout.forms.map((f) => f.title)).toEqual(['(a) aggregated, depth 2', '(b), (c) wide dense block']);
    expect(new Set(labels(layout, 'a'))).toEqual(new Set(['64, 3x3, 16', '16, 3x3, 64']));
    expect(labels(layout, 'a')).toHaveLength(8);
    expect(labels(layout, 'c')).toEqual(['64, 3x3, 64', '64, 3x3, 64']);
    expect(textsOf(layout, 'a')).toContain('total 4 paths');
    // Early concatenation of a depth-2 block is the same wide block: form (b) highlights it.
    const b = layoutBlockForms({ type: 'basic', inChannels: 64, outChannels: 64, cardinality: 4, branchWidth: 16, stride: 1 }, 'b');
    expect(b.forms.find((f) => f.texts.some((t) => t.kind === 'badge'))?.form).toBe('c');
  });
});

describe('blockDiagramSpecFrom', () => {
  it('reads resnext50_32x4d layer1.1: 256 -> 256, C = 32, d = 4', () => {
    const block = findNode(graphOf('resnext50_32x4d'), 'layer1.1')!;
    expect(blockDiagramSpecFrom(block)).toEqual({ ...CONV2, shortcut: 'identity' });
    expect(blockFormOf(block)).toBe('c');
  });

  it('reads the first block of a stage: input channels, stride and projection', () => {
    const block = findNode(graphOf('resnext50_32x4d'), 'layer2.0')!;
    expect(blockDiagramSpecFrom(block)).toEqual({
      type: 'bottleneck',
      inChannels: 256,
      outChannels: 512,
      cardinality: 32,
      branchWidth: 8,
      stride: 2,
      shortcut: 'projection',
    });
  });

  it('reads a basic block with C = 4, d = 16 built in form (a)', () => {
    const block = findNode(graphOf('resnet18', { cardinality: 4, bottleneckWidth: 16, form: 'a' }), 'layer1.1')!;
    expect(blockDiagramSpecFrom(block)).toMatchObject({ type: 'basic', inChannels: 64, outChannels: 64, cardinality: 4, branchWidth: 16 });
    expect(blockFormOf(block)).toBe('a');
  });

  it('is undefined for MBConv blocks and stages', () => {
    const g = graphOf('efficientnet_b0');
    expect(blockDiagramSpecFrom(findNode(g, 'features.2.0')!)).toBeUndefined();
    expect(blockDiagramSpecFrom(findNode(g, 'features.2')!)).toBeUndefined();
  });
});

describe('summarizeStages', () => {
  it('resnext50_32x4d: stem, conv2..conv5, head with shapes, block counts and exact subtotals', () => {
    const stages = summarizeStages(graphOf('resnext50_32x4d'));
    expect(stages.map((s) => [s.label, s.output, s.blocks])).toEqual([
      ['conv1', '64x56x56', 0],
      ['conv2', '256x56x56', 3],
      ['conv3', '512x28x28', 4],
      ['conv4', '1024x14x14', 6],
      ['conv5', '2048x7x7', 3],
      ['pool, fc', '1000x1x1', 0],
    ]);
    expect(stages.reduce((t, s) => t + s.params, 0)).toBe(25_028_904);
    expect(stages.reduce((t, s) => t + s.macs, 0)).toBe(4_230_479_872);
    const conv3 = stages[2]!;
    expect(conv3.items.map((i) => [i.title, ...i.details])).toEqual([
      ['bottleneck', 'stride 2', 'projection'],
      ['bottleneck', 'identity'],
      ['bottleneck', 'identity'],
      ['bottleneck', 'identity'],
    ]);
    expect(stages[0]!.items.map((i) => i.title)).toEqual(['conv 7x7, 64, /2', 'batchnorm', 'relu', 'maxpool 3x3, /2']);
  });

  it('resnext101_32x4d conv4 (23 blocks) folds into a first block and 22 identical ones', () => {
    const conv4 = summarizeStages(graphOf('resnext101_32x4d'))[3]!;
    expect(conv4.blocks).toBe(23);
    expect(conv4.items.map((i) => i.count)).toEqual([1, 22]);
    expect(conv4.items[1]?.details).toContain('× 22 identical blocks');
    expect(conv4.items[1]?.names).toEqual(['layer3.1', 'layer3.22']);
  });

  it('iresnet404 conv4 (80 blocks): start, the first middle (no leading BN), 77 middles, end', () => {
    const conv4 = summarizeStages(graphOf('iresnet404'))[3]!;
    expect(conv4.blocks).toBe(80);
    expect(conv4.items.map((i) => [i.title, i.count])).toEqual([
      ['start', 1],
      ['middle, no first BN', 1],
      ['middle', 77],
      ['end', 1],
    ]);
    expect(conv4.items[0]?.details).toEqual(['stride 2', 'maxpool-projection']);
  });

  it('efficientnet_b0: MBConv stages labelled by expansion and kernel', () => {
    const stages = summarizeStages(graphOf('efficientnet_b0'));
    expect(stages).toHaveLength(9);
    expect(stages[3]!.items.map((i) => [i.title, ...i.details])).toEqual([
      ['MBConv6, k5x5', 'stride 2', 'no shortcut'],
      ['MBConv6, k5x5', 'identity'],
    ]);
  });
});

describe('collapseRuns', () => {
  it('merges consecutive equal keys only', () => {
    expect(collapseRuns(['a', 'a', 'b', 'a'], (x) => x)).toEqual([
      { item: 'a', count: 2, start: 0 },
      { item: 'b', count: 1, start: 2 },
      { item: 'a', count: 1, start: 3 },
    ]);
  });
});

describe('layoutNetwork', () => {
  const stages = summarizeStages(graphOf('resnext50_32x4d'));

  it('stacks stages top to bottom; the widest box is the largest share', () => {
    const layout = layoutNetwork(stages, { expanded: new Set(), metric: 'macs', inputLabel: 'input 3x224x224' });
    const ys = layout.stages.map((s) => s.y);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    const widest = layout.stages.reduce((a, b) => (b.w > a.w ? b : a));
    expect(widest.share).toBe(Math.max(...layout.stages.map((s) => s.share)));
    expect(layout.stages.reduce((t, s) => t + s.share, 0)).toBeCloseTo(1, 12);
    for (const s of layout.stages) expect(s.x + s.w).toBeLessThanOrEqual(layout.width);
    expect(layout.edges).toHaveLength(stages.length);
  });

  it('an expanded stage shows its blocks below it, inside the view, and pushes later stages down', () => {
    const closed = layoutNetwork(stages, { expanded: new Set(), metric: 'macs', inputLabel: '' });
    const open = layoutNetwork(stages, { expanded: new Set(['layer3']), metric: 'macs', inputLabel: '' });
    const conv4 = open.stages[3]!;
    expect(conv4.expanded).toBe(true);
    expect(conv4.detail?.items).toHaveLength(6);
    expect(conv4.detail!.y).toBeGreaterThanOrEqual(conv4.y + conv4.h);
    for (const it of conv4.detail!.items) expect(it.x + it.w).toBeLessThanOrEqual(open.width);
    expect(open.stages[4]!.y).toBeGreaterThan(closed.stages[4]!.y);
    expect(open.stages[4]!.y).toBeGreaterThanOrEqual(conv4.detail!.y + conv4.detail!.h);
  });
});

describe('text helpers', () => {
  it('wraps at word boundaries within the width', () => {
    const lines = wrapText('one two three four five six', 120, 14);
    expect(lines.join(' ')).toBe('one two three four five six');
    for (const line of lines) expect(estimateTextWidth(line, 14 * CLASSROOM_FONT_SCALE)).toBeLessThanOrEqual(120);
  });
});
