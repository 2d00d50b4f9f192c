import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { batchNormTraining } from './execute';
import { BN_EPSILON } from '../../models';

/** tfjs' own ops, differentiated by tfjs: the reference. */
function reference(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, BN_EPSILON);
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('training-mode BatchNorm with the closed-form gradient', () => {
  it.each([
    [[2, 5, 3, 4], 1],
    [[4, 8, 8, 16], 2],
    [[1, 7, 7, 3], 3],
  ] as const)('output, batch statistics and gradients match tfjs moments + batchNorm (%j)', (shape, seed) => {
    tf.tidy(() => {
      const c = shape[3];
      const x = tf.add(tf.mul(tf.randomNormal([...shape], 0, 1, 'float32', seed), 3), 1.5) as tf.Tensor4D;
      const gamma = tf.randomUniform([c], 0.5, 1.5, 'float32', seed + 10) as tf.Tensor1D;
      const beta = tf.randomNormal([c], 0, 1, 'float32', seed + 20) as tf.Tensor1D;
      const weights = tf.randomNormal([...shape], 0, 1, 'float32', seed + 30);
      const loss = (f: typeof reference) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), weights));

      let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;
      const ours = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => batchNormTraining(a, g, b, (mean, variance) => (stats = { mean, variance }));
      expect(maxAbsDiff(ours(x, gamma, beta), reference(x, gamma, beta))).toBeLessThan(1e-5);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      expect(maxAbsDiff(stats!.mean, mean)).toBeLessThan(1e-5);
      expect(maxAbsDiff(stats!.variance, variance)).toBeLessThan(1e-4);
      tf.dispose([stats!.mean, stats!.variance]); // kept for the caller

      const got = tf.grads(loss(batchNormTraining))([x, gamma, beta]);
      const want = tf.grads(loss(reference))([x, gamma, beta]);
      got.forEach((g, i) => expect(maxAbsDiff(g, want[i]!), ['dx', 'dgamma', 'dbeta'][i]).toBeLessThan(2e-4));
    });
  });

  it('leaks nothing when the statistics are not asked for', () => {
    const x = tf.randomNormal([2, 4, 4, 3]) as tf.Tensor4D;
    const [g, b] = [tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D];
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((a: tf.Tensor) => tf.sum(batchNormTraining(a as tf.Tensor4D, g, b)))([x]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });
});
