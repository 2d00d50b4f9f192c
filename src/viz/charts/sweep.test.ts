import { describe, expect, it } from 'vitest';
import { type ResNetSpec, cardinalitySweep, currentCost, findPreset } from '../../models';
import { BUDGET_TOLERANCE, budgetMiss, sweepChartData } from './sweep';

const base = findPreset('resnext50_32x4d')!.spec as ResNetSpec;
const target = { scope: 'block' as const, metric: 'params' as const, value: currentCost(base, 'block', 'params')! };
const points = cardinalitySweep(base, target);

describe('the params-vs-C sweep at a preserved conv2 block (ResNeXt-50)', () => {
  it('16x8d is the closest whole d at C = 16, 6.6% over the block budget: the bump is rounding, not a wrong point', () => {
    const c16 = points.find((p) => p.cardinality === 16)!;
    expect(c16.bottleneckWidth).toBe(8);
    expect(c16.blockParams).toBe(74_752);
    expect(target.value).toBe(70_144);
    expect(budgetMiss(c16, target)).toBeCloseTo(0.0657, 3);
    // The other whole d is farther off: 16x7d is 64,400 (8.2% under).
    expect(16 * (256 * 7 + 9 * 49 + 7 * 256)).toBe(64_400);
  });

  it('marks exactly the points off the budget by more than 2%, labelled with the miss', () => {
    const data = sweepChartData(points, target, (p) => p.params, 'params', 32);
    expect(data.series).toHaveLength(2);
    expect(data.series[0]!.points).toHaveLength(points.length);
    expect(data.series[1]!.points.map((p) => p.label)).toEqual(['16x8d: block +6.6%', '64x2d: block −3.3%']);
    for (const p of points) {
      const marked = data.series[1]!.points.some((q) => q.x === p.cardinality);
      expect(marked, `${p.cardinality}`).toBe(Math.abs(budgetMiss(p, target)) > BUDGET_TOLERANCE);
    }
    expect(data.markers).toEqual([{ x: 32, label: 'this model' }]);
  });

  it('no marked series when every point keeps the budget', () => {
    const close = points.filter((p) => Math.abs(budgetMiss(p, target)) <= BUDGET_TOLERANCE);
    expect(sweepChartData(close, target, (p) => p.macs, 'MACs', 32).series).toHaveLength(1);
  });
});
