import * as tf from '@tensorflow/tfjs';

/** The active backend's best rate, in MAC/s, on a size x size by size x size matMul (after one warm-up run). */
export async function matMulMacsPerSecond(size = 1024, runs = 3): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  let best = Infinity;
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    if (i > 0) best = Math.min(best, (performance.now() - t0) / 1000);
  }
  tf.dispose([a, b]);
  return size ** 3 / best;
}
