/**
 * Test support for the fused training-mode BatchNorm kernels (WASM: kernels/wasm/batchNorm.test.ts;
 * WebGPU: e2e/batchNorm.spec.ts): seeded inputs and a float64 reference of BatchNorm, optionally with a
 * residual added and a ReLU or SiLU after it, forward and closed-form backward for loss = sum(y·dy).
 */
import { BN_EPSILON } from '../../models';

/** A deterministic stream in [offset - scale, offset + scale). */
export function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 * scale - scale + offset;
  });
}

export type Shape4 = [number, number, number, number];

export interface BatchNormCase {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  dy: Float32Array;
  shape: Shape4;
  /** Added to BatchNorm's output before the activation (a residual join). */
  residual?: Float32Array;
  activation?: 'relu' | 'silu';
}

export function makeCase(shape: Shape4, seed: number, xScale = 5, xOffset = 1.5): BatchNormCase {
  const n = shape.reduce((a, b) => a * b, 1);
  const c = shape[3];
  return { shape, x: values(n, seed, xScale, xOffset), gamma: values(c, seed + 1, 0.5, 1), beta: values(c, seed + 2), dy: values(n, seed + 3) };
}

/** float64 SiLU and its derivative. */
export const silu64 = (x: number): number => x / (1 + Math.exp(-x));
export const siluGrad64 = (x: number): number => {
  const s = 1 / (1 + Math.exp(-x));
  return s * (1 + x * (1 - s));
};

/**
 * float64 y = act(gamma·x̂ + beta + residual), the batch mean and biased variance, and the gradients of
 * sum(y·dy) for x, gamma, beta (and the residual: g, dy times the activation's derivative).
 */
export function reference({ x, gamma, beta, dy, shape, residual, activation }: BatchNormCase) {
  const c = shape[3];
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c]! += x[i]! / m;
  for (let i = 0; i < x.length; i++) variance[i % c]! += (x[i]! - mean[i % c]!) ** 2 / m;
  const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + BN_EPSILON));
  const y = new Float64Array(x.length);
  const g = new Float64Array(x.length);
  const dbeta = new Float64Array(c);
  const dgamma = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const xHat = (x[i]! - mean[k]!) * inv[k]!;
    const pre = gamma[k]! * xHat + beta[k]! + (residual ? residual[i]! : 0);
    y[i] = activation === 'relu' ? Math.max(pre, 0) : activation === 'silu' ? silu64(pre) : pre;
    g[i] = dy[i]! * (activation === 'relu' ? (pre > 0 ? 1 : 0) : activation === 'silu' ? siluGrad64(pre) : 1);
    dbeta[k]! += g[i]!;
    dgamma[k]! += g[i]! * xHat;
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % c;
    const xHat = (x[i]! - mean[k]!) * inv[k]!;
    dx[i] = gamma[k]! * inv[k]! * (g[i]! - dbeta[k]! / m - (xHat * dgamma[k]!) / m);
  }
  return { y, mean, variance, dx, dgamma, dbeta, dresidual: g };
}

/** ReLU's gradient inputs: x with exact zeros every 7th element (the kink), negatives and positives, odd length; dy. */
export function reluGradInputs(): { x: Float32Array; dy: Float32Array } {
  const x = values(4099, 5, 2);
  for (let i = 0; i < x.length; i += 7) x[i] = 0;
  return { x, dy: values(4099, 6, 3) };
}

/** max |a - b| / max(1, |b|). */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxScaledDiff(a, b);
}

export const BATCH_NORM_CASES: Shape4[] = [
  [2, 5, 3, 4],
  [4, 8, 8, 16],
  [1, 7, 7, 3], // C not a multiple of 4: the scalar lanes
  [3, 15, 13, 6], // M = 585 rows: more than one 256-row block, a partial one
  [32, 4, 4, 64],
  [2, 17, 19, 23], // M = 646: three blocks, the last partial; C = 23: a 16-channel chunk, a 4-channel one, scalars
];

/** Shapes [N, H, W, C] of the channel gate's gradient cases: channel tails of 16, 4 and 1; over 256 pixels (two sum blocks); 1x1 maps. */
export const CHANNEL_DOT_CASES: Shape4[] = [
  [2, 3, 5, 7],
  [3, 17, 17, 37],
  [2, 20, 20, 21],
  [4, 1, 1, 1152],
  [8, 4, 4, 96],
];

export interface ChannelGateCase {
  shape: Shape4;
  x: Float32Array;
  gate: Float32Array;
  dy: Float32Array;
}

export function makeGateCase(shape: Shape4, seed: number): ChannelGateCase {
  const [n, , , c] = shape;
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, x: values(size, seed, 2, 0.5), gate: values(n * c, seed + 1, 1, 0.5), dy: values(size, seed + 2, 1) };
}

/**
 * Float64 gradients of Σ dy·(x · gate) (gate [N, 1, 1, C] broadcast): dx = dy·gate, dgate = Σ_hw dy·x; and
 * per dgate element the sum of its terms' magnitudes (a float32 sum's error follows it, not the sum).
 */
export function gateReference({ shape, x, gate, dy }: ChannelGateCase): { dx: Float64Array; dgate: Float64Array; magnitude: Float64Array } {
  const [n, h, w, c] = shape;
  const dx = new Float64Array(x.length);
  const dgate = new Float64Array(n * c);
  const magnitude = new Float64Array(n * c);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < h * w; p++)
      for (let ch = 0; ch < c; ch++) {
        const i = (b * h * w + p) * c + ch;
        dx[i] = dy[i]! * gate[b * c + ch]!;
        dgate[b * c + ch]! += dy[i]! * x[i]!;
        magnitude[b * c + ch]! += Math.abs(dy[i]! * x[i]!);
      }
  return { dx, dgate, magnitude };
}

/** The largest |got - want| / max(1, scale) (scale: the reference's magnitude, or its terms' for a sum). */
export function maxScaledDiff(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> = want): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(scale[i]!)));
  return worst;
}

/** Shapes of the bias-gradient cases ([..., C]: a squeeze-excitation 1x1 conv's output, a dense layer's, a feature map). */
export const CHANNEL_SUM_CASES: number[][] = [
  [8, 1, 1, 48],
  [32, 10],
  [4, 9, 9, 37],
  [2, 40, 40, 24],
];

/** Float64 Σ of x over every axis but the last, and per channel the sum of the terms' magnitudes. */
export function channelSum64(x: Float32Array, c: number): { sum: Float64Array; magnitude: Float64Array } {
  const sum = new Float64Array(c);
  const magnitude = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    sum[i % c]! += x[i]!;
    magnitude[i % c]! += Math.abs(x[i]!);
  }
  return { sum, magnitude };
}
