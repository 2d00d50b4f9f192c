/** Graph structure: per-preset invariants, the three block forms, Fig. 4, ResStage, shortcuts. */
import { describe, expect, it } from 'vitest';
import {
  type ArchSpec,
  type BlockForm,
  type GraphItem,
  type GraphNode,
  type NetworkGraph,
  type Op,
  PRESETS,
  type ResNetSpec,
  analyze,
  buildGraph,
  computeStats,
  findPreset,
  opsOf,
} from './index';

const resnetPreset = (name: string): ResNetSpec => {
  const spec = findPreset(name)?.spec;
  if (spec?.family !== 'resnet') throw new Error(`${name} is not a ResNet-family preset`);
  return spec;
};

function nodes(item: GraphItem, level: GraphNode['level']): GraphNode[] {
  if (item.kind === 'op') return [];
  const own = item.level === level ? [item] : [];
  return own.concat(item.children.flatMap((c) => nodes(c, level)));
}

const ops = (g: NetworkGraph): Op[] => [...opsOf(g)];

describe.each(PRESETS.map((p) => [p.name, p.spec] as const))('preset %s', (_name, spec: ArchSpec) => {
  const a = analyze(spec);

  it('validates, builds and counts', () => {
    expect(a.ok, a.ok ? '' : JSON.stringify(a.errors)).toBe(true);
  });

  it('survives a JSON round trip unchanged', () => {
    const copy: unknown = JSON.parse(JSON.stringify(spec));
    expect(copy).toEqual(spec);
    const b = analyze(copy);
    expect(b.ok && a.ok && b.stats.totals).toEqual(a.ok && a.stats.totals);
  });

  it('has consistent shapes, unique names and subtotals that add up', () => {
    if (!a.ok) return;
    const all = ops(a.graph);
    for (const op of all) {
      for (const s of [op.input, op.output]) {
        for (const v of [s.channels, s.height, s.width]) expect(Number.isInteger(v) && v >= 1, `${op.name} shape`).toBe(true);
      }
      expect(Number.isSafeInteger(op.params) && Number.isSafeInteger(op.macs), op.name).toBe(true);
    }
    expect(new Set(all.map((o) => o.name)).size).toBe(all.length);
    const last = all[all.length - 1]!;
    expect(last.type).toBe('linear');
    expect(last.output.channels).toBe(spec.input.classes);
    const { stages, totals } = a.stats;
    expect(stages.reduce((n, s) => n + s.params, 0)).toBe(totals.params);
    expect(stages.reduce((n, s) => n + s.macs, 0)).toBe(totals.macs);
    expect(all.reduce((n, o) => n + o.params, 0)).toBe(totals.params);
  });

  it('chains every op: each input is the previous output within a sequence', () => {
    if (!a.ok) return;
    // Stages hand their output to the next stage's input.
    const stageNodes = a.graph.children as GraphNode[];
    for (let i = 1; i < stageNodes.length; i++) expect(stageNodes[i]!.input).toEqual(stageNodes[i - 1]!.output);
  });
});

describe('ResNeXt block forms (a), (b), (c) of Fig. 3', () => {
  const forms: BlockForm[] = ['a', 'b', 'c'];
  const cases: [string, Partial<ResNetSpec>][] = [
    ['resnext50_32x4d', {}],
    ['cifar_resnext29_8x64d', {}],
    ['classroom_resnext29_8x4d', {}],
    ['iresnet50', { cardinality: 4, bottleneckWidth: 24 }],
    ['resgroup50', {}],
    ['resnet18', { cardinality: 4, bottleneckWidth: 16 }],
    ['resnext50_32x4d', { shortcuts: false }],
  ];

  it.each(cases)('%s %j: identical params, MACs, and block outputs in every form', (name, overrides) => {
    const graphs = forms.map((form) => buildGraph({ ...resnetPreset(name), ...overrides, form }));
    const stats = graphs.map((g) => computeStats(g).totals);
    expect(stats[0]!.params).toBe(stats[2]!.params);
    expect(stats[1]!.params).toBe(stats[2]!.params);
    expect(stats[0]!.macs).toBe(stats[2]!.macs);
    expect(stats[1]!.macs).toBe(stats[2]!.macs);
    const outputs = graphs.map((g) => nodes(g, 'block').map((b) => b.output));
    expect(outputs[0]).toEqual(outputs[2]);
    expect(outputs[1]).toEqual(outputs[2]);
  });

  it('expands to different graphs: C branches in (a) and (b), one grouped conv in (c)', () => {
    const spec = resnetPreset('resnext50_32x4d');
    const [a, b, c] = forms.map((form) => buildGraph({ ...spec, form }));
    const firstBlock = (g: NetworkGraph) => nodes(g, 'block')[0]!;
    const branches = (g: NetworkGraph) => firstBlock(g).children.filter((x) => x.kind === 'node' && x.name.includes('.branches.'));
    expect(branches(a!)).toHaveLength(32);
    expect(branches(b!)).toHaveLength(32);
    expect(branches(c!)).toHaveLength(0);

    const typesOf = (g: NetworkGraph) => [...opsOf(firstBlock(g))].map((o) => o.type);
    // (a): every branch ends with its own 1x1 to 256; outputs summed, then one BN.
    expect(typesOf(a!).filter((t) => t === 'conv')).toHaveLength(32 * 3 + 1);
    expect(typesOf(a!)).toContain('sum');
    // (b): branches stop after the 3x3; concatenated (C·d = 128 channels) into one 1x1.
    const concat = [...opsOf(firstBlock(b!))].find((o) => o.type === 'concat')!;
    expect(concat.output.channels).toBe(128);
    expect(typesOf(b!).filter((t) => t === 'conv')).toHaveLength(32 * 2 + 1 + 1);
    // (c): the 3x3 is one conv with groups = 32.
    const grouped = [...opsOf(firstBlock(c!))].filter((o) => (o.groups ?? 1) > 1);
    expect(grouped.map((o) => [o.kernel, o.groups, o.input.channels])).toEqual([[3, 32, 128]]);
  });

  it('in form (a) the last BN follows the aggregation, before the shortcut addition', () => {
    const g = buildGraph({ ...resnetPreset('resnext50_32x4d'), form: 'a' });
    const block = nodes(g, 'block')[1]!;
    const tail = block.children.filter((x) => x.kind === 'op').map((x) => (x as Op).type);
    expect(tail).toEqual(['sum', 'batchnorm', 'add', 'relu']);
  });
});

describe('Fig. 4: a depth-2 block of C branches is one wide dense block', () => {
  it('form (c) of a basic block has no grouped conv and the same counts as C branches', () => {
    const spec = { ...resnetPreset('resnet18'), cardinality: 8, bottleneckWidth: 16 };
    const c = buildGraph({ ...spec, form: 'c' });
    expect([...opsOf(c)].every((o) => (o.groups ?? 1) === 1)).toBe(true);
    const wide = buildGraph({ ...spec, cardinality: 1, bottleneckWidth: 8 * 16 });
    expect(computeStats(wide).totals).toEqual(computeStats(c).totals);
    const a = buildGraph({ ...spec, form: 'a' });
    expect(computeStats(a).totals.params).toBe(computeStats(c).totals.params);
    expect(nodes(a, 'branch').filter((n) => n.name.includes('.branches.')).length).toBe(8 * 8);
  });
});

describe('iResNet ResStage', () => {
  it('Start, Middle..., End roles with BN placement of the paper', () => {
    const g = buildGraph(resnetPreset('iresnet50'));
    const stage = nodes(g, 'stage').find((s) => s.name === 'layer2')!;
    const blocks = stage.children as GraphNode[];
    expect(blocks.map((b) => b.block?.role)).toEqual(['start', 'middle', 'middle', 'end']);
    const names = (b: GraphNode) => b.children.filter((x) => x.kind === 'op').map((x) => x.name.split('.').pop());
    // Start: conv1..conv3 with BN after each, projection shortcut, add, no ReLU after the add.
    expect(names(blocks[0]!)).toEqual(['conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'relu2', 'conv3', 'bn3', 'add']);
    // The first Middle block begins with ReLU (no bn0); the second one with BN.
    expect(names(blocks[1]!)).toEqual(['relu0', 'conv1', 'bn1', 'relu1', 'conv2', 'bn2', 'relu2', 'conv3', 'add']);
    expect(names(blocks[2]!)![0]).toBe('bn0');
    // End: BN and ReLU after the addition.
    expect(names(blocks[3]!)!.slice(-3)).toEqual(['add', 'bn3', 'relu']);
  });

  it('the improved shortcut is max pool (stride 2) -> 1x1 conv (stride 1) -> BN', () => {
    const g = buildGraph(resnetPreset('iresnet50'));
    const down = nodes(g, 'branch').find((n) => n.name === 'layer2.0.downsample')!;
    const o = down.children as Op[];
    expect(o.map((x) => [x.type, x.stride ?? null])).toEqual([
      ['maxpool', 2],
      ['conv', 1],
      ['batchnorm', null],
    ]);
    expect(o[1]!.input.height).toBe(o[1]!.output.height);
  });

  it('has a fixed number of ReLUs on the main path: one per stage end, whatever the depth', () => {
    for (const name of ['iresnet50', 'iresnet404']) {
      const g = buildGraph(resnetPreset(name));
      const afterAdd = nodes(g, 'block').filter((b) => {
        const own = b.children.filter((x) => x.kind === 'op') as Op[];
        const i = own.findIndex((x) => x.type === 'add');
        return own.slice(i + 1).some((x) => x.type === 'relu');
      });
      expect(afterAdd).toHaveLength(4);
    }
  });
});

describe('shortcuts off (the residual-connection ablation)', () => {
  it('removes every addition and projection', () => {
    const g = buildGraph({ ...resnetPreset('resnet50'), shortcuts: false });
    const all = [...opsOf(g)];
    expect(all.some((o) => o.type === 'add')).toBe(false);
    expect(all.some((o) => o.name.includes('downsample'))).toBe(false);
    const withShortcuts = computeStats(buildGraph(resnetPreset('resnet50'))).totals.params;
    expect(computeStats(g).totals.params).toBeLessThan(withShortcuts);
  });
});
