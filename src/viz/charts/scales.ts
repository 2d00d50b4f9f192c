/** Scales and tick values for the XY chart: linear, log2 and log10, with readable ticks on each. */
import { type ScaleContinuousNumeric, scaleLinear, scaleLog } from 'd3-scale';

export type ScaleKind = 'linear' | 'log2' | 'log10';

export type NumericScale = ScaleContinuousNumeric<number, number>;

export const logBase = (kind: ScaleKind): number | null => (kind === 'log2' ? 2 : kind === 'log10' ? 10 : null);

/** Values a scale of this kind can draw: finite, and positive on a log scale. */
export const drawable = (kind: ScaleKind, v: number): boolean => Number.isFinite(v) && (kind === 'linear' || v > 0);

export interface DomainOptions {
  /** Fixed domain; the data are not consulted. */
  fixed?: [number, number];
  /** Fraction of the span added on each side, so points and labels clear the axes. */
  pad: number;
  /** Linear only: stretch the domain to include 0 and do not pad past it. */
  zero?: boolean;
}

/** A scale over `values` (already filtered with `drawable`). */
export function makeScale(kind: ScaleKind, values: number[], { fixed, pad, zero = false }: DomainOptions): NumericScale {
  const base = logBase(kind);
  if (base === null) {
    if (fixed) return scaleLinear().domain(fixed);
    let lo = values.length ? Math.min(...values) : 0;
    let hi = values.length ? Math.max(...values) : 1;
    if (zero) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
    // One value (a chart's first point): a small whole number (an epoch, C, φ) gets one unit either
    // side (epoch 1 sits between 0 and 2, with whole ticks), any other a tenth of itself.
    if (lo === hi) {
      const half = Number.isInteger(lo) && Math.abs(lo) < 1000 ? 1 : Math.abs(lo) * 0.1 || 1;
      [lo, hi] = [lo >= 0 ? Math.max(0, lo - half) : lo - half, hi + half];
    }
    const span = hi - lo;
    // Padding never pushes an all-positive (or all-negative) axis across zero.
    lo = lo >= 0 ? Math.max(0, lo - span * pad) : lo - span * pad;
    hi = hi <= 0 ? Math.min(0, hi + span * pad) : hi + span * pad;
    return scaleLinear().domain([lo, hi]).nice();
  }
  const scale = scaleLog().base(base);
  if (fixed) return scale.domain(fixed);
  const log = (v: number) => Math.log(v) / Math.log(base);
  let lo = values.length ? log(Math.min(...values)) : 0;
  let hi = values.length ? log(Math.max(...values)) : 1;
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const span = hi - lo;
  return scale.domain([base ** (lo - span * pad), base ** (hi + span * pad)]);
}

/**
 * At most about `count` tick values. On a log scale these are whole powers of the base when at
 * least three fit (thinned to every 2nd, 3rd, ... power when crowded), else d3's 1-2-5 style ticks.
 * With `integers`, a linear scale keeps only whole-number ticks (when two or more remain).
 */
export function tickValues(scale: NumericScale, kind: ScaleKind, count: number, integers = false): number[] {
  const base = logBase(kind);
  if (base === null) {
    const ticks = scale.ticks(count);
    // Cardinality, φ and epochs are whole numbers; a tick at 2.5 would suggest otherwise.
    const whole = integers ? ticks.filter(Number.isInteger) : ticks;
    return whole.length >= 2 ? whole : ticks;
  }
  const [a, b] = scale.domain() as [number, number];
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const log = (v: number) => Math.log(v) / Math.log(base);
  const first = Math.ceil(log(lo) - 1e-9);
  const last = Math.floor(log(hi) + 1e-9);
  if (last - first + 1 >= 3) {
    const stride = Math.max(1, Math.ceil((last - first + 1) / count));
    const powers: number[] = [];
    for (let e = first; e <= last; e++) if (e % stride === 0) powers.push(base ** e);
    return powers;
  }
  const ticks = scale.ticks(count);
  if (ticks.length <= count) return ticks;
  const mantissa = (v: number) => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  const round = ticks.filter((v) => [1, 2, 5].includes(mantissa(v)));
  if (round.length <= count) return round;
  const stride = Math.ceil(round.length / count);
  return round.filter((_, i) => i % stride === 0);
}

/**
 * The most ticks whose labels do not collide along a horizontal axis: each neighbouring pair
 * must be at least half their widths plus `gap` apart.
 */
export function fitHorizontalTicks(
  scale: NumericScale,
  kind: ScaleKind,
  format: (n: number) => string,
  textWidth: (s: string) => number,
  gap: number,
  integers = false,
): number[] {
  const [r0, r1] = scale.range() as [number, number];
  const length = Math.abs(r1 - r0);
  for (let count = Math.max(2, Math.floor(length / (gap * 3))); count >= 2; count--) {
    const ticks = tickValues(scale, kind, count, integers);
    const widths = ticks.map((t) => textWidth(format(t)));
    const fits = ticks.every((t, i) => {
      if (i === 0) return true;
      const room = Math.abs(scale(t) - scale(ticks[i - 1] as number));
      return room >= ((widths[i] as number) + (widths[i - 1] as number)) / 2 + gap;
    });
    if (fits) return ticks;
  }
  return tickValues(scale, kind, 2, integers);
}
