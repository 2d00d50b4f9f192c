/**
 * The whole-network check on tfjs-wasm, where some seeds put a ReLU input of the classroom
 * ResNeXt-29 at a tie (docs/papers.md#ties-at-relus-kink; which seeds depends on every kernel's
 * rounding): the lab's default seed has none, and every seed is judged truly: equivalent, with any
 * tie a real one that one slope resolves.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchBackend } from '../engine/backend';
import { runEquivalenceCheck } from './check';
import { DEFAULT_SEED, classroomNetworkCheck } from './defaults';
import { EQUIVALENCE_TOLERANCE, verdictOf } from './verdict';

beforeAll(async () => {
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  expect(await switchBackend('wasm')).toBe(true);
});

describe('the classroom ResNeXt-29 on wasm', () => {
  it(`the default seed (${DEFAULT_SEED}): equivalent, with no ReLU input at a tie`, async () => {
    const r = await runEquivalenceCheck(classroomNetworkCheck(DEFAULT_SEED));
    expect(r.ties).toEqual([]);
    expect(r.worst.maxAbs).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
    expect(r.pairs.every((p) => p.gradientsOneChoice === undefined)).toBe(true);
    expect(verdictOf(r).equivalent).toBe(true);
  }, 120_000);

  it.each([1, 2, 3, 4])('seed %i: equivalent; any tie is on both sides of 0 within the tolerance, and one slope there brings the gradients within it', async (seed) => {
    const start = tf.memory().numTensors;
    const r = await runEquivalenceCheck(classroomNetworkCheck(seed));
    expect(tf.memory().numTensors).toBe(start);
    for (const t of r.ties) {
      for (const { values: [x, y] } of t.examples) {
        expect(x > 0 !== y > 0, `${t.op} on different sides of 0`).toBe(true);
        expect(Math.abs(x - y)).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      }
    }
    for (const p of r.pairs) {
      expect(p.eval.maxAbs, `${p.pair} eval`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      expect(p.train.maxAbs, `${p.pair} train`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      expect((p.gradientsOneChoice ?? p.gradients).maxAbs, `${p.pair} gradients`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      // One slope is taken only where there is a tie.
      expect(p.gradientsOneChoice !== undefined).toBe(r.ties.length > 0);
    }
    expect(verdictOf(r).equivalent).toBe(true);
  }, 120_000);
});
