/**
 * "Preserve complexity" (ResNeXt Sec. 5.1, Table 2): when the cardinality C changes, solve the
 * bottleneck width d so that the block, or the whole network, keeps its params or MACs.
 */
import { buildGraph } from './analyze';
import type { ResNetSpec } from './spec';
import { computeStats } from './stats';
import { validateSpec } from './validate';

export type ComplexityMetric = 'params' | 'macs';
/** 'block': the conv2 template block of Table 2 (256-d in and out, stride 1); 'network': the whole model. */
export type ComplexityScope = 'block' | 'network';

export interface ComplexityTarget {
  scope: ComplexityScope;
  metric: ComplexityMetric;
  value: number;
}

/** The first stage's identity block: in = out = planes x expansion (256 for ResNeXt-50). */
export function templateBlockChannels(spec: ResNetSpec): number {
  return (spec.stages[0]?.planes ?? 64) * spec.expansion;
}

/**
 * Conv weights of the template block with C branches of width d:
 * bottleneck C·(in·d + 9·d² + d·out) (Table 2: ~70k); basic C·(9·in·d + 9·d·out).
 * At a fixed spatial size the block's MACs are proportional, so both metrics solve alike.
 */
export function templateBlockParams(spec: ResNetSpec, cardinality: number, bottleneckWidth: number): number {
  const io = templateBlockChannels(spec);
  const d = bottleneckWidth;
  return spec.block === 'basic' ? cardinality * (9 * io * d + 9 * d * io) : cardinality * (io * d + 9 * d * d + d * io);
}

/** The template block's formula with the numbers plugged in, e.g. `32·(256·4 + 9·4² + 4·256) = 70,144`. */
export function templateBlockFormula(spec: ResNetSpec, cardinality: number, bottleneckWidth: number): string {
  const io = templateBlockChannels(spec);
  const d = bottleneckWidth;
  const value = templateBlockParams(spec, cardinality, d).toLocaleString('en-US');
  return spec.block === 'basic'
    ? `${cardinality}·(9·${io}·${d} + 9·${d}·${io}) = ${value}`
    : `${cardinality}·(${io}·${d} + 9·${d}² + ${d}·${io}) = ${value}`;
}

/** The model's params or MACs with (C, d), or undefined if that combination cannot be built. */
export function networkCost(spec: ResNetSpec, cardinality: number, bottleneckWidth: number, metric: ComplexityMetric): number | undefined {
  const checked = validateSpec({ ...spec, cardinality, bottleneckWidth });
  if (!checked.ok) return undefined;
  return computeStats(buildGraph(checked.spec)).totals[metric];
}

export function currentCost(spec: ResNetSpec, scope: ComplexityScope, metric: ComplexityMetric): number | undefined {
  return scope === 'block'
    ? templateBlockParams(spec, spec.cardinality, spec.bottleneckWidth)
    : networkCost(spec, spec.cardinality, spec.bottleneckWidth, metric);
}

const MAX_WIDTH = 8192;

/**
 * The d (whole channels, >= 1) whose cost is closest to the target for this C; costs grow with d,
 * so a binary search finds it. Ties go to the smaller d.
 */
export function solveBottleneckWidth(spec: ResNetSpec, cardinality: number, target: ComplexityTarget): number {
  const cost = (d: number): number =>
    target.scope === 'block' ? templateBlockParams(spec, cardinality, d) : (networkCost(spec, cardinality, d, target.metric) ?? Infinity);
  let lo = 1;
  let hi = MAX_WIDTH;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (cost(mid) >= target.value) hi = mid;
    else lo = mid + 1;
  }
  if (lo > 1 && Math.abs(cost(lo - 1) - target.value) <= Math.abs(cost(lo) - target.value)) return lo - 1;
  return lo;
}

export interface CardinalityPoint {
  cardinality: number;
  bottleneckWidth: number;
  /** C·d, the width of the grouped conv in the first stage (Table 2's last row). */
  groupedWidth: number;
  blockParams: number;
  params: number;
  macs: number;
}

/** Table 2 regenerated: for each C, the solved d and the resulting block and network costs. */
export function cardinalitySweep(spec: ResNetSpec, target: ComplexityTarget, cardinalities = [1, 2, 4, 8, 16, 32, 64]): CardinalityPoint[] {
  const points: CardinalityPoint[] = [];
  for (const cardinality of cardinalities) {
    const d = solveBottleneckWidth(spec, cardinality, target);
    const checked = validateSpec({ ...spec, cardinality, bottleneckWidth: d });
    if (!checked.ok) continue;
    const totals = computeStats(buildGraph(checked.spec)).totals;
    points.push({
      cardinality,
      bottleneckWidth: d,
      groupedWidth: cardinality * d,
      blockParams: templateBlockParams(spec, cardinality, d),
      params: totals.params,
      macs: totals.macs,
    });
  }
  return points;
}
