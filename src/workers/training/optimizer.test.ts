/**
 * The SGD update's fused WASM kernel (kernels/wasm/batchNorm.ts) against the tfjs ops it replaces
 * (the CPU backend, which has no fused kernel, runs them): bit for bit, over several steps with a
 * changing learning rate, weight decay on and off, Nesterov on and off; and PyTorch's figures.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../engine/backend';
import { SGD_MOMENTUM_UPDATE, SGD_MOMENTUM_UPDATE_MANY, hasKernel } from '../kernels/batchNormOp';
import { updateOptions } from '../kernels/wasm/batchNorm';
import { SgdMomentum } from './optimizer';

let previous = '';
beforeAll(() => {
  previous = tf.getBackend();
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
});
afterAll(async () => {
  if (previous) await switchBackend(previous);
});

function stream(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/** Five steps on a decayed [37] weight and an undecayed [5] one, on `backend`: the final weights and buffers. */
async function train(backend: string, nesterov: boolean, weightDecay: number): Promise<Float32Array[]> {
  expect(await switchBackend(backend)).toBe(true);
  const w = tf.variable(tf.tensor1d(stream(37, 1, 1)), true, `opt-${backend}-${nesterov}-${weightDecay}/w`);
  const b = tf.variable(tf.tensor1d(stream(5, 2, 1)), true, `opt-${backend}-${nesterov}-${weightDecay}/b`);
  const sgd = new SgdMomentum(
    [
      { key: 'w', variable: w, decay: true },
      { key: 'b', variable: b, decay: false },
    ],
    { momentum: 0.9, weightDecay, nesterov },
  );
  const before = tf.memory().numTensors;
  [0.1, 0.37, 0.05, 0.013, 0.2].forEach((lr, i) => {
    const grads = { [w.name]: tf.tensor1d(stream(37, 10 + i, 0.3)), [b.name]: tf.tensor1d(stream(5, 20 + i, 0.3)) };
    sgd.apply(grads, lr);
    tf.dispose(Object.values(grads));
  });
  expect(tf.memory().numTensors).toBe(before);
  const out = [w, b, sgd.buffers.get('w')!, sgd.buffers.get('b')!].map((t) => t.dataSync() as Float32Array);
  sgd.dispose();
  tf.dispose([w, b]);
  return out;
}

describe('the fused SGD update on wasm', () => {
  it('wasm has the fused kernel, the CPU backend does not (so the comparison below is fused against unfused)', async () => {
    expect(await switchBackend('wasm')).toBe(true);
    expect(hasKernel(SGD_MOMENTUM_UPDATE)).toBe(true);
    expect(hasKernel(SGD_MOMENTUM_UPDATE_MANY)).toBe(true);
    expect(await switchBackend('cpu')).toBe(true);
    expect(hasKernel(SGD_MOMENTUM_UPDATE)).toBe(false);
    expect(hasKernel(SGD_MOMENTUM_UPDATE_MANY)).toBe(false);
  });

  it.each([
    [false, 5e-4],
    [true, 5e-4],
    [false, 0],
    [true, 0.1],
  ])('nesterov %s, weight decay %s: weights and buffers bit for bit those of the tfjs ops', async (nesterov, wd) => {
    const fused = await train('wasm', nesterov, wd);
    const ops = await train('cpu', nesterov, wd);
    fused.forEach((values, i) => expect(Array.from(values), ['w', 'b', 'v(w)', 'v(b)'][i]).toEqual(Array.from(ops[i]!)));
  });

  it('updates in place where only the variables hold p and v, and leaves a snapshot (a clone sharing the data) alone', async () => {
    expect(await switchBackend('wasm')).toBe(true);
    const run = (inPlace: boolean) => {
      updateOptions.inPlace = inPlace;
      try {
        // Variables made as the trainer makes them: their first values disposed, so only the variables hold the data.
        const variable = (values: Float32Array, name: string) => {
          const t = tf.tensor1d(values);
          const v = tf.variable(t, true, `opt-in-place-${inPlace}/${name}`);
          t.dispose();
          return v;
        };
        const [w, b] = [variable(stream(37, 1, 1), 'w'), variable(stream(5, 2, 1), 'b')];
        const sgd = new SgdMomentum(
          [
            { key: 'w', variable: w, decay: true },
            { key: 'b', variable: b, decay: false },
          ],
          { momentum: 0.9, weightDecay: 5e-4, nesterov: false },
        );
        const snapshot = tf.clone(b);
        const snapshotValues = Array.from(snapshot.dataSync());
        const [wData, bData, vData] = [w.dataId, b.dataId, sgd.buffers.get('w')!.dataId];
        const before = tf.memory().numTensors;
        const grads = { [w.name]: tf.tensor1d(stream(37, 10, 0.3)), [b.name]: tf.tensor1d(stream(5, 20, 0.3)) };
        sgd.apply(grads, 0.1);
        tf.dispose(Object.values(grads));
        expect(tf.memory().numTensors).toBe(before);
        const same = [w.dataId === wData, sgd.buffers.get('w')!.dataId === vData, b.dataId === bData];
        const values = [w, b, sgd.buffers.get('w')!].map((t) => Array.from(t.dataSync()));
        expect(Array.from(snapshot.dataSync()), 'the snapshot keeps the values it had').toEqual(snapshotValues);
        expect(values[1], 'b was updated').not.toEqual(snapshotValues);
        tf.dispose([snapshot, w, b]);
        sgd.dispose();
        return { same, values };
      } finally {
        updateOptions.inPlace = true;
      }
    };
    const inPlace = run(true);
    const fresh = run(false);
    expect(inPlace.same, 'w and its buffer in place; b (shared with the snapshot) new').toEqual([true, true, false]);
    expect(fresh.same).toEqual([false, false, false]);
    expect(inPlace.values).toEqual(fresh.values);
  });

  it('Nesterov steps with changing lr match PyTorch 1.13 on wasm', async () => {
    expect(await switchBackend('wasm')).toBe(true);
    const w = tf.variable(tf.tensor1d([1, -2]), true, 'opt-torch/w');
    const sgd = new SgdMomentum([{ key: 'w', variable: w, decay: true }], { momentum: 0.9, weightDecay: 0.1, nesterov: true });
    // Same figures as recipe.test.ts' Nesterov test (PyTorch 1.13, float64).
    const grads = [
      [0.3, -0.1],
      [-0.4, 0.25],
      [0.05, 0.5],
    ];
    const torch = [
      [0.924, -1.943],
      [0.937022, -1.9361415],
      [0.9307124364, -1.9443125023],
    ];
    [0.1, 0.05, 0.02].forEach((lr, i) => {
      const g = tf.tensor1d(grads[i]!);
      sgd.apply({ [w.name]: g }, lr);
      g.dispose();
      Array.from(w.dataSync()).forEach((v, j) => expect(v, `step ${i + 1} w[${j}]`).toBeCloseTo(torch[i]![j]!, 5));
    });
    sgd.dispose();
    w.dispose();
  });
});
