/**
 * EfficientNet compound scaling (Sec. 3.3): depth d = alpha^phi, width w = beta^phi,
 * resolution r = gamma^phi, with alpha * beta^2 * gamma^2 ~ 2 so FLOPs grow by ~2^phi.
 * It applies to any spec: the paper scales MobileNets and ResNet the same way.
 */
import { analyze } from './analyze';
import type { ArchSpec } from './spec';

export interface CompoundCoefficients {
  /** phi: the compound coefficient, how many "doublings" of compute to spend. */
  phi: number;
  alpha: number;
  beta: number;
  gamma: number;
}

/** The grid search on B0 at phi = 1. */
export const EFFICIENTNET_COEFFICIENTS = { alpha: 1.2, beta: 1.1, gamma: 1.15 } as const;

export interface CompoundMultipliers {
  depth: number;
  width: number;
  resolution: number;
  /** alpha * beta^2 * gamma^2: the FLOPs factor per unit of phi (the paper constrains it to ~2). */
  flopsBase: number;
  /** (alpha * beta^2 * gamma^2)^phi: the ideal FLOPs growth before rounding. */
  flopsFactor: number;
}

export function compoundMultipliers(c: CompoundCoefficients): CompoundMultipliers {
  const flopsBase = c.alpha * c.beta ** 2 * c.gamma ** 2;
  return {
    depth: c.alpha ** c.phi,
    width: c.beta ** c.phi,
    resolution: c.gamma ** c.phi,
    flopsBase,
    flopsFactor: flopsBase ** c.phi,
  };
}

/** Returns `spec` scaled by (phi, alpha, beta, gamma); the resolution is rounded to whole pixels. */
export function compoundScale<S extends ArchSpec>(spec: S, c: CompoundCoefficients): S {
  const m = compoundMultipliers(c);
  return {
    ...spec,
    name: `${spec.name} (phi=${c.phi})`,
    depthMultiplier: spec.depthMultiplier * m.depth,
    widthMultiplier: spec.widthMultiplier * m.width,
    input: { ...spec.input, resolution: Math.round(spec.input.resolution * m.resolution) },
  };
}

export interface PhiPoint {
  phi: number;
  resolution: number;
  depthMultiplier: number;
  widthMultiplier: number;
  params: number;
  macs: number;
  /** The base model's MACs times (alpha·beta²·gamma²)^phi: the pure formula, before any rounding. */
  idealMacs: number;
}

/** MACs against phi: the ideal ~2^phi growth beside the actual, rounded models. */
export function phiSweep(spec: ArchSpec, coefficients: Omit<CompoundCoefficients, 'phi'>, phis = [0, 1, 2, 3, 4, 5, 6, 7]): PhiPoint[] {
  const base = analyze(spec);
  if (!base.ok) return [];
  const points: PhiPoint[] = [];
  for (const phi of phis) {
    const scaled = compoundScale(spec, { ...coefficients, phi });
    const a = analyze(scaled);
    if (!a.ok) continue;
    points.push({
      phi,
      resolution: scaled.input.resolution,
      depthMultiplier: scaled.depthMultiplier,
      widthMultiplier: scaled.widthMultiplier,
      params: a.stats.totals.params,
      macs: a.stats.totals.macs,
      idealMacs: base.stats.totals.macs * compoundMultipliers({ ...coefficients, phi }).flopsFactor,
    });
  }
  return points;
}
