/**
 * Weight averaging for evaluation: an exponential moving average of every parameter and BatchNorm
 * running statistic (as timm's ModelEmaV2 averages the whole state_dict), updated after each step.
 * Averaging the running statistics with the weights keeps them describing the averaged network's
 * recent inputs; the live weights and their own statistics keep training untouched.
 *
 * The decay warms up as TensorFlow's ExponentialMovingAverage with num_updates does,
 * min(decay, (1 + t) / (10 + t)) after t updates, so a short run's average is not dominated by the
 * random initial weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamTensors, ParamValues } from '../engine/params';

/** The decay of update number `t` (0-based: updates already made). */
export function emaDecayAt(decay: number, t: number): number {
  return Math.min(decay, (1 + t) / (10 + t));
}

export class WeightAverage {
  /** The averages, by state_dict key (owned; dispose). */
  readonly values: Map<string, tf.Variable>;

  /** Starts at `source`'s values, or at `initial` (a checkpoint's averages) where it has them. */
  constructor(
    source: ReadonlyMap<string, tf.Variable>,
    private readonly decay: number,
    initial?: ParamValues,
  ) {
    this.values = new Map(
      [...source].map(([key, v]) => {
        const saved = initial?.get(key);
        if (saved && saved.values.length !== v.size) throw new Error(`weight average ${key}: ${saved.values.length} values for ${v.size} weights`);
        const init = saved ? tf.tensor(saved.values.slice(), v.shape) : tf.clone(v);
        const average = tf.variable(init, false);
        init.dispose();
        return [key, average];
      }),
    );
  }

  /** average = d·average + (1 - d)·value, with d = emaDecayAt(decay, t) and `t` the updates made before this one. */
  update(source: ReadonlyMap<string, tf.Variable>, t: number): void {
    const d = emaDecayAt(this.decay, t);
    tf.tidy(() => {
      const keep = tf.scalar(d);
      const take = tf.scalar(1 - d);
      for (const [key, average] of this.values) average.assign(tf.add(tf.mul(keep, average), tf.mul(take, source.get(key)!)));
    });
  }

  /** Copies of the averages (the caller owns them), e.g. for an evaluation that runs while training goes on. */
  snapshot(): ParamTensors {
    return new Map([...this.values].map(([k, v]) => [k, tf.clone(v)]));
  }

  dispose(): void {
    tf.dispose([...this.values.values()]);
    this.values.clear();
  }
}
