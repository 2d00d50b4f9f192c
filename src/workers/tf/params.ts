/**
 * A network's parameters, one array per parameter of its form-(c) graph, in tfjs layouts:
 * conv filters `[kh, kw, in/groups, out]` (the compact grouped layout), FC weights `[in, out]`,
 * BatchNorm gamma/beta/running mean/running variance. Keys follow PyTorch's state_dict names
 * (`layer1.0.conv2.weight`, `layer1.0.bn2.running_var`) so exports can line up.
 *
 * Forms (a) and (b) have no parameters of their own: each branch reads a slice of these
 * (see `execute.ts`), so the three forms are the same function with the same parameters.
 * Plain data, no tfjs: seeded and deterministic, so a check can be reproduced anywhere.
 */
import { type GraphItem, type NetworkGraph, type Op, opsOf } from '../../models';

export interface ParamInfo {
  key: string;
  shape: number[];
  /** What initialises it and whether training updates it. */
  role: 'conv' | 'bias' | 'gamma' | 'beta' | 'runningMean' | 'runningVar' | 'fcWeight';
}

/** BatchNorm epsilon (PyTorch's default). */
export const BN_EPSILON = 1e-5;

export function paramInfos(item: GraphItem): ParamInfo[] {
  const infos: ParamInfo[] = [];
  for (const op of opsOf(item)) infos.push(...opParams(op));
  return infos;
}

export function opParams(op: Op): ParamInfo[] {
  const k = op.kernel ?? 1;
  switch (op.type) {
    case 'conv': {
      const groups = op.groups ?? 1;
      const infos: ParamInfo[] = [{ key: `${op.name}.weight`, shape: [k, k, op.input.channels / groups, op.output.channels], role: 'conv' }];
      if (op.bias) infos.push({ key: `${op.name}.bias`, shape: [op.output.channels], role: 'bias' });
      return infos;
    }
    case 'linear': {
      const features = op.input.channels * op.input.height * op.input.width;
      return [
        { key: `${op.name}.weight`, shape: [features, op.output.channels], role: 'fcWeight' },
        { key: `${op.name}.bias`, shape: [op.output.channels], role: 'bias' },
      ];
    }
    case 'batchnorm': {
      const c = [op.input.channels];
      return [
        { key: `${op.name}.weight`, shape: c, role: 'gamma' },
        { key: `${op.name}.bias`, shape: c, role: 'beta' },
        { key: `${op.name}.running_mean`, shape: c, role: 'runningMean' },
        { key: `${op.name}.running_var`, shape: c, role: 'runningVar' },
      ];
    }
    default:
      return [];
  }
}

/** mulberry32: a small seeded generator, the same on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform in [-bound, bound), seeded. */
export function uniformArray(n: number, bound: number, random: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * random() - 1) * bound;
  return out;
}

export type ParamValues = Map<string, { shape: number[]; values: Float32Array }>;

/**
 * Seeded initial values. Convs and FC: uniform with He-like fan-in scaling (PyTorch's default
 * bound 1/sqrt(fan_in) times sqrt(3)); BN: gamma near 1, beta near 0, and non-trivial running
 * statistics so evaluation mode is a real test.
 */
export function initParams(graph: NetworkGraph, seed: number): ParamValues {
  const random = seededRandom(seed);
  const values: ParamValues = new Map();
  for (const info of paramInfos(graph)) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    let v: Float32Array;
    if (info.role === 'conv' || info.role === 'fcWeight') {
      const fanIn = info.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      v = uniformArray(n, Math.sqrt(3 / fanIn), random);
    } else if (info.role === 'gamma') {
      v = uniformArray(n, 0.2, random).map((x) => 1 + x);
    } else if (info.role === 'runningVar') {
      v = uniformArray(n, 0.5, random).map((x) => 1 + x);
    } else {
      v = uniformArray(n, 0.1, random);
    }
    values.set(info.key, { shape: info.shape, values: v });
  }
  return values;
}

/** Sum of element counts of the trainable parameters (running statistics excluded), as the core counts them. */
export function trainableCount(infos: ParamInfo[]): number {
  return infos.filter((i) => i.role !== 'runningMean' && i.role !== 'runningVar').reduce((n, i) => n + i.shape.reduce((a, b) => a * b, 1), 0);
}
