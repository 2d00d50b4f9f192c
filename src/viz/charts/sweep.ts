/**
 * The cardinality sweep at preserved complexity, as chart data. d is a whole number, so at some C
 * no d keeps the budget closely (ResNeXt-50's conv2 block at C = 16: 16x7d is 8.2% under,
 * 16x8d 6.6% over, and the solver takes the closer); such points are marked and say by how much.
 */
import type { CardinalityPoint, ComplexityTarget } from '../../models';
import type { XYChartData, XYPoint } from './types';

/** A point whose kept figure misses the target by more than this fraction is marked. */
export const BUDGET_TOLERANCE = 0.02;

/** The figure the sweep keeps for this point: the template block's params, or the network's params or MACs. */
export const keptFigure = (p: CardinalityPoint, target: ComplexityTarget): number =>
  target.scope === 'block' ? p.blockParams : target.metric === 'params' ? p.params : p.macs;

/** How far the point's kept figure is from the target, as a signed fraction (0.066 = 6.6% over). */
export const budgetMiss = (p: CardinalityPoint, target: ComplexityTarget): number => keptFigure(p, target) / target.value - 1;

const pct = (f: number) => `${f > 0 ? '+' : '−'}${Math.abs(f * 100).toFixed(1)}%`;
const nameOf = (p: CardinalityPoint) => `${p.cardinality}x${p.bottleneckWidth}d`;

/**
 * One chart of the sweep: the line, and the points off the budget by more than the tolerance as a
 * labelled second series ("16x8d: block +6.6%"), so a bump reads as the rounding it is.
 */
export function sweepChartData(
  points: CardinalityPoint[],
  target: ComplexityTarget,
  y: (p: CardinalityPoint) => number,
  name: string,
  thisModel: number,
): XYChartData {
  const kept = target.scope === 'block' ? 'block' : target.metric === 'params' ? 'params' : 'MACs';
  const off: XYPoint[] = points
    .filter((p) => Math.abs(budgetMiss(p, target)) > BUDGET_TOLERANCE)
    .map((p) => ({ x: p.cardinality, y: y(p), label: `${nameOf(p)}: ${kept} ${pct(budgetMiss(p, target))}` }));
  return {
    series: [
      { name, kind: 'line', points: points.map((p) => ({ x: p.cardinality, y: y(p), label: nameOf(p) })), styleSlot: 0 },
      ...(off.length ? [{ name: `no whole d keeps the ${kept} within ${BUDGET_TOLERANCE * 100}%`, kind: 'points' as const, points: off, styleSlot: 1 }] : []),
    ],
    markers: [{ x: thisModel, label: 'this model' }],
  };
}
