/**
 * Exact counts. Golden numbers come from PyTorch (scripts/golden/count_torch.py: torchvision's
 * own models where it has them, ports of the papers' reference code otherwise) and are compared
 * to the unit.
 */
import { describe, expect, it } from 'vitest';
import golden from '../../scripts/golden/torch-counts.json';
import { type ArchSpec, EFFICIENTNET_COEFFICIENTS, PRESETS, analyze, buildGraph, compoundScale, findPreset, opsOf } from './index';

type Golden = Record<string, { params: number; macs: number; resolution: number; classes: number }>;
const GOLDEN = golden as Golden;

function totals(spec: ArchSpec) {
  const a = analyze(spec);
  if (!a.ok) throw new Error(a.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  return a.stats.totals;
}

function preset(name: string): ArchSpec {
  const p = findPreset(name);
  if (!p) throw new Error(`no preset ${name}`);
  return p.spec;
}

describe('the counts the issue names', () => {
  it.each([
    ['resnet50', 25_557_032, 4_089_184_256],
    ['resnext50_32x4d', 25_028_904, 4_230_479_872],
    ['efficientnet_b0', 5_288_548, 385_814_752],
    ['cifar_resnext29_8x64d', 34_426_698, 5_387_266_048],
  ])('%s has %i params and %i MACs', (name, params, macs) => {
    const t = totals(preset(name));
    expect(t.params).toBe(params);
    expect(t.macs).toBe(macs);
    expect(t.flops).toBe(2 * macs);
  });
});

describe('every preset matches PyTorch exactly', () => {
  it.each(PRESETS.map((p) => p.name))('%s', (name) => {
    const g = GOLDEN[name];
    expect(g, `no golden count for ${name}: add it to scripts/golden/count_torch.py`).toBeDefined();
    const spec = preset(name);
    expect(spec.input.resolution).toBe(g!.resolution);
    expect(spec.input.classes).toBe(g!.classes);
    const t = totals(spec);
    expect({ params: t.params, macs: t.macs }).toEqual({ params: g!.params, macs: g!.macs });
  });

  it.each(['cifar_resnet29', 'cifar_resnext29_8x64d', 'cifar_resnext29_16x64d'])('%s on CIFAR-100', (name) => {
    const spec = preset(name);
    const t = totals({ ...spec, input: { ...spec.input, classes: 100 } });
    const g = GOLDEN[`${name}@cifar100`]!;
    expect({ params: t.params, macs: t.macs }).toEqual({ params: g.params, macs: g.macs });
  });

  it.each([
    ['efficientnet_b0', 'efficientnet_b0@phi1'],
    ['resnet50', 'resnet50@phi1'],
    ['resnext50_32x4d', 'resnext50_32x4d@phi1'],
  ])('%s compound-scaled with phi = 1 (alpha 1.2, beta 1.1, gamma 1.15)', (name, key) => {
    const scaled = compoundScale(preset(name), { phi: 1, ...EFFICIENTNET_COEFFICIENTS });
    const g = GOLDEN[key]!;
    expect(scaled.input.resolution).toBe(g.resolution);
    const t = totals(scaled);
    expect({ params: t.params, macs: t.macs }).toEqual({ params: g.params, macs: g.macs });
  });
});

describe('ResNeXt Table 2: cardinality vs bottleneck width at ~70k params per conv2 block', () => {
  // A conv2 block away from the stage boundary: 256 -> [1x1, d] x C -> [3x3, d] x C -> [1x1, 256].
  const table2 = [
    [1, 64, 69_632],
    [2, 40, 69_760],
    [4, 24, 69_888],
    [8, 14, 71_456],
    [32, 4, 70_144],
  ] as const;

  it.each(table2)('C = %i, d = %i: conv params C(256d + 9d² + 256d) = %i', (C, d, expected) => {
    const spec = { ...preset('resnext50_32x4d'), cardinality: C, bottleneckWidth: d };
    const graph = buildGraph(spec);
    const conv2 = graph.children.find((s) => s.name === 'layer1');
    const block = conv2?.kind === 'node' ? conv2.children[1] : undefined;
    expect(block?.name).toBe('layer1.1');
    const convParams = [...opsOf(block!)].filter((o) => o.type === 'conv').reduce((n, o) => n + o.params, 0);
    expect(convParams).toBe(C * (256 * d + 9 * d * d + d * 256));
    expect(convParams).toBe(expected);
    // The grouped conv width C·d of the table's last row.
    expect(block?.kind === 'node' && block.block?.width).toBe([64, 80, 96, 112, 128][table2.findIndex((r) => r[0] === C)]);
    expect(Math.abs(convParams - 70_000) / 70_000).toBeLessThan(0.025);
  });
});

describe('iResNet', () => {
  it('ResGroupFix-50 has ~8.57% fewer params than ResNet-50', () => {
    const base = totals(preset('resnet50')).params;
    const fix = totals(preset('resgroupfix50')).params;
    const fewer = (100 * (base - fix)) / base;
    expect(fewer).toBeCloseTo(8.57, 2);
  });

  it('ResStage + improved shortcut add no parameters (iResNet-50 = ResNet-50 params)', () => {
    expect(totals(preset('iresnet50')).params).toBe(totals(preset('resnet50')).params);
  });

  it('ResGroup-50 keeps 32 channels per group in every stage', () => {
    const graph = buildGraph(preset('resgroup50'));
    const grouped = [...opsOf(graph)].filter((o) => o.type === 'conv' && (o.groups ?? 1) > 1);
    expect(new Set(grouped.map((o) => o.input.channels / o.groups!))).toEqual(new Set([32]));
  });
});
