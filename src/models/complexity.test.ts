import { describe, expect, it } from 'vitest';
import {
  RESNEXT_TABLE2,
  RESNEXT_TABLE3,
  RESNEXT_TABLE4,
  accuracyPointMacs,
  type ResNetSpec,
  analyze,
  buildGraph,
  cardinalitySweep,
  findPreset,
  paperTableRows,
  phiSweep,
  EFFICIENTNET_COEFFICIENTS,
  solveBottleneckWidth,
  templateBlockFormula,
  templateBlockParams,
} from './index';

const r50 = findPreset('resnet50')!.spec as ResNetSpec;

describe('preserve complexity', () => {
  it('solves Table 2: d = 64, 40, 24, 14, 4 for C = 1, 2, 4, 8, 32 at the ResNet-50 conv2 block budget', () => {
    const target = { scope: 'block' as const, metric: 'params' as const, value: templateBlockParams(r50, 1, 64) };
    expect(target.value).toBe(69_632);
    expect(RESNEXT_TABLE2.map((row) => solveBottleneckWidth(r50, row.cardinality, target))).toEqual(RESNEXT_TABLE2.map((row) => row.bottleneckWidth));
  });

  it('the solved d is the closest whole width (checked against its neighbours)', () => {
    const target = { scope: 'network' as const, metric: 'macs' as const, value: 4_089_184_256 };
    for (const C of [2, 8, 64]) {
      const d = solveBottleneckWidth(r50, C, target);
      const cost = (w: number) => {
        const a = analyze({ ...r50, cardinality: C, bottleneckWidth: w });
        return a.ok ? Math.abs(a.stats.totals.macs - target.value) : Infinity;
      };
      expect(cost(d)).toBeLessThanOrEqual(cost(d - 1));
      expect(cost(d)).toBeLessThanOrEqual(cost(d + 1));
    }
  });

  it('the sweep keeps the budget within a few percent', () => {
    const target = { scope: 'network' as const, metric: 'params' as const, value: 25_557_032 };
    const points = cardinalitySweep(r50, target);
    expect(points.map((p) => p.cardinality)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    for (const p of points) expect(Math.abs(p.params - target.value) / target.value).toBeLessThan(0.05);
  });

  it('writes the template formula with the numbers plugged in', () => {
    expect(templateBlockFormula(r50, 32, 4)).toBe('32·(256·4 + 9·4² + 4·256) = 70,144');
    const r18 = findPreset('resnet18')!.spec as ResNetSpec;
    expect(templateBlockFormula(r18, 1, 64)).toBe('1·(9·64·64 + 9·64·64) = 73,728');
  });
});

describe('paper table generators', () => {
  it('ResNeXt Table 1 rows for resnext50_32x4d', () => {
    const spec = findPreset('resnext50_32x4d')!.spec;
    expect(paperTableRows(spec, buildGraph(spec))).toEqual([
      { stage: 'conv1', output: '112x112', layers: '7x7, 64, stride 2' },
      { stage: 'conv2', output: '56x56', layers: '3x3 max pool, stride 2; [1x1, 128; 3x3, 128, C=32; 1x1, 256] x3' },
      { stage: 'conv3', output: '28x28', layers: '[1x1, 256; 3x3, 256, C=32; 1x1, 512] x4' },
      { stage: 'conv4', output: '14x14', layers: '[1x1, 512; 3x3, 512, C=32; 1x1, 1024] x6' },
      { stage: 'conv5', output: '7x7', layers: '[1x1, 1024; 3x3, 1024, C=32; 1x1, 2048] x3' },
      { stage: '', output: '1x1', layers: 'global average pool, 1000-d fc, softmax' },
    ]);
  });

  it('EfficientNet Table 1 rows for B0', () => {
    const spec = findPreset('efficientnet_b0')!.spec;
    const rows = paperTableRows(spec, buildGraph(spec));
    expect(rows.map((r) => r.output)).toEqual(['224x224', '112x112', '112x112', '56x56', '28x28', '14x14', '14x14', '7x7', '7x7']);
    expect(rows[3]!.layers).toBe('MBConv6, k5x5, 40 ch, x2, stride 2');
    expect(rows[8]!.layers).toBe('Conv1x1 & Pooling & FC, 1280 ch');
  });

  it('phiSweep: phi = 0 is the base model and ideal MACs follow (alpha·beta²·gamma²)^phi', () => {
    const b0 = findPreset('efficientnet_b0')!.spec;
    const points = phiSweep(b0, EFFICIENTNET_COEFFICIENTS, [0, 1, 2]);
    expect(points[0]).toMatchObject({ phi: 0, macs: 385_814_752, idealMacs: 385_814_752, resolution: 224 });
    expect(points[1]!.params).toBe(9_109_994);
    expect(points[2]!.idealMacs / points[0]!.macs).toBeCloseTo(1.920_27 ** 2, 3);
  });
});

describe('accuracy points', () => {
  it('each point is computed from its preset with its C and d', () => {
    const x50 = RESNEXT_TABLE3.find((p) => p.label === '50-layer 32x4d')!;
    expect(accuracyPointMacs(x50)).toBe(4_230_479_872);
    const r50 = RESNEXT_TABLE3.find((p) => p.label === '50-layer 1x64d')!;
    expect(accuracyPointMacs(r50)).toBe(4_089_184_256);
    // Every point is within 10% of the complexity the paper quotes for it.
    for (const p of [...RESNEXT_TABLE3, ...RESNEXT_TABLE4]) expect(Math.abs(accuracyPointMacs(p) / p.paperMacs - 1), p.label).toBeLessThan(0.1);
  });
});
