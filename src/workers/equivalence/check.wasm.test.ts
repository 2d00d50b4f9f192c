/**
 * The whole-network check on tfjs-wasm, where seed 1 puts one ReLU input of the classroom
 * ResNeXt-29 at a tie (docs/papers.md#ties-at-relus-kink): the check finds it, shows that it alone
 * makes the gradients of (a) differ, and the lab's default seed has no tie.
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
  it('seed 1: one input of layer2.2.relu at a tie between (a) and (b)/(c); with one choice there the gradients agree', async () => {
    const start = tf.memory().numTensors;
    const r = await runEquivalenceCheck(classroomNetworkCheck(1));
    expect(tf.memory().numTensors).toBe(start);
    expect(r.ties.map((t) => [t.op, t.pair, t.elements])).toEqual([
      ['layer2.2.relu', 'a-b', 1],
      ['layer2.2.relu', 'a-c', 1],
    ]);
    const [x, y] = r.ties[0]!.examples[0]!.values;
    expect(x > 0 !== y > 0, 'on different sides of 0').toBe(true);
    expect(Math.abs(x - y)).toBeLessThan(EQUIVALENCE_TOLERANCE);
    for (const p of r.pairs) {
      expect(p.eval.maxAbs, `${p.pair} eval`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      expect(p.train.maxAbs, `${p.pair} train`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
      expect(p.gradientsOneChoice!.maxAbs, `${p.pair} gradients, one choice at the tie`).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
    }
    // The tie alone is what separates (a): its raw gradients are 70x over the tolerance, (b)-(c)'s are not.
    const raw = Object.fromEntries(r.pairs.map((p) => [p.pair, p.gradients.maxAbs]));
    expect(raw['a-b']).toBeGreaterThan(50 * EQUIVALENCE_TOLERANCE);
    expect(raw['a-c']).toBeGreaterThan(50 * EQUIVALENCE_TOLERANCE);
    expect(raw['b-c']).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
    const v = verdictOf(r);
    expect(v.equivalent).toBe(true);
    expect(v.gradientsAtTies!.maxAbs).toBe(r.worst.maxAbs);
  }, 120_000);

  it.each([...new Set([DEFAULT_SEED, 2, 3])])('seed %i: equivalent with no ReLU input at a tie', async (seed) => {
    const r = await runEquivalenceCheck(classroomNetworkCheck(seed));
    expect(r.ties).toEqual([]);
    expect(r.worst.maxAbs).toBeLessThanOrEqual(EQUIVALENCE_TOLERANCE);
    expect(r.pairs.every((p) => p.gradientsOneChoice === undefined)).toBe(true);
    expect(verdictOf(r).equivalent).toBe(true);
  }, 120_000);
});
