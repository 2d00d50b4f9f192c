import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from './backend';
import { savedTensorOptions } from './savedTensors';

beforeAll(async () => {
  expect(await switchBackend('cpu')).toBe(true);
});
afterEach(() => {
  savedTensorOptions.share = true;
});

/** A small conv net's loss, its variables' gradients and the Identity kernels run for them (tf.profile). */
async function gradients(share: boolean) {
  savedTensorOptions.share = share;
  const x = tf.randomNormal<tf.Rank.R4>([2, 6, 6, 3], 0, 1, 'float32', 1);
  const w1 = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4], 0, 0.5, 'float32', 2));
  const w2 = tf.variable(tf.randomNormal([36, 3], 0, 0.5, 'float32', 3));
  const f = () => {
    const h = tf.relu(tf.conv2d(x, w1, 2, 'same'));
    const logits = tf.matMul(tf.reshape(tf.sigmoid(h), [2, 36]), w2);
    return tf.mean(tf.square(tf.tanh(logits))) as tf.Scalar;
  };
  const before = tf.memory().numTensors;
  let grads: tf.Tensor[] = [];
  let value = 0;
  const profile = await tf.profile(() => {
    const { value: loss, grads: g } = tf.variableGrads(f, [w1, w2]);
    value = loss.dataSync()[0]!;
    grads = [g[w1.name]!, g[w2.name]!];
    loss.dispose();
  });
  const out = { value, grads: grads.map((g) => Array.from(g.dataSync())), identities: profile.kernels.filter((k) => k.name === 'Identity').length };
  tf.dispose(grads);
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, w1, w2]);
  return { ...out, leaked };
}

describe('tensors saved for the backward pass', () => {
  it('are shared without an Identity kernel, with the same gradients bit for bit and nothing leaked', async () => {
    const cloned = await gradients(false);
    const shared = await gradients(true);
    expect(cloned.identities, 'tfjs clones what it saves through Identity').toBeGreaterThan(0);
    expect(shared.identities).toBe(0);
    expect(shared.value).toBe(cloned.value);
    expect(shared.grads).toEqual(cloned.grads);
    expect(shared.leaked).toBe(0);
    expect(cloned.leaked).toBe(0);
  });

  it('keep second-order gradients: inside nested gradient scopes the engine clones as before', () => {
    // f(x) = x^3 · sin(x): the product saves x^3 and sin(x); f'' = 6x sin x + 6x² cos x - x³ sin x.
    const xs = [0.3, -1.2, 2.0];
    const d2 = tf.tidy(() => Array.from(tf.grad(tf.grad((x: tf.Tensor) => tf.mul(tf.pow(x, 3), tf.sin(x))))(tf.tensor1d(xs)).dataSync()));
    xs.forEach((x, i) => expect(d2[i]).toBeCloseTo(6 * x * Math.sin(x) + 6 * x * x * Math.cos(x) - x ** 3 * Math.sin(x), 4));
  });
});
