/**
 * Parameter values and tensors in tfjs layouts (`paramShape(info, 'tfjs')`), keyed by state_dict key.
 * The parameter list itself (keys, sizes, roles) is `src/models/params.ts`.
 *
 * `initParams` gives seeded values for the equivalence checks and export round trips; training has
 * its own initialisation (training/init.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { Mulberry32, type NetworkGraph, paramInfos, paramShape, paramSize, uniformArray } from '../../models';

export type ParamValues = Map<string, { shape: number[]; values: Float32Array }>;

/** Canonical parameter tensors by key (variables when training or taking gradients). */
export type ParamTensors = Map<string, tf.Tensor>;

/**
 * Seeded initial values. Convs and FC: uniform with He-like fan-in scaling (PyTorch's default
 * bound 1/sqrt(fan_in) times sqrt(3)); BN: gamma near 1, beta near 0, and non-trivial running
 * statistics so evaluation mode is a real test.
 */
export function initParams(graph: NetworkGraph, seed: number): ParamValues {
  const random = new Mulberry32(seed);
  const values: ParamValues = new Map();
  for (const info of paramInfos(graph)) {
    const n = paramSize(info);
    let v: Float32Array;
    if (info.role === 'conv' || info.role === 'fcWeight') {
      const fanIn = n / info.out;
      v = uniformArray(n, Math.sqrt(3 / fanIn), random);
    } else if (info.role === 'gamma') {
      v = uniformArray(n, 0.2, random).map((x) => 1 + x);
    } else if (info.role === 'runningVar') {
      v = uniformArray(n, 0.5, random).map((x) => 1 + x);
    } else {
      v = uniformArray(n, 0.1, random);
    }
    values.set(info.key, { shape: paramShape(info, 'tfjs'), values: v });
  }
  return values;
}

/** Tensors of `values`; with `trainable`, every parameter but the running statistics is a tf.Variable. */
export function paramTensors(values: ParamValues, trainable: boolean): ParamTensors {
  const out: ParamTensors = new Map();
  for (const [key, { shape, values: v }] of values) {
    const t = tf.tensor(v, shape);
    const isStat = key.endsWith('.running_mean') || key.endsWith('.running_var');
    out.set(key, trainable && !isStat ? tf.variable(t, true, `equiv/${key}`) : t);
    if (trainable && !isStat) t.dispose();
  }
  return out;
}
