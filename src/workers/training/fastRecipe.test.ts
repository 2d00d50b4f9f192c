/**
 * The fast recipe and live evaluation on the real CIFAR-10 subset (932 test images), WASM backend,
 * a tiny ResNet: the recipe trains and resumes exactly (its weight average included), a time-budget
 * run sizes itself, and a job evaluates its held-out slice while it trains, evaluates on Stop and
 * not on abort.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path, { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCifarFiles } from '../../data/cifar';
import { type ResNetSpec, findPreset } from '../../models';
import { switchBackend } from '../engine/backend';
import type { TrainEvent, TrainRequest } from '../protocol';
import { TrainingJob } from './job';
import type { LiveEvalOptions } from './liveEval';
import { applyRecipe } from './settings';
import { Trainer } from './trainer';
import type { TrainData } from './types';

const TIMEOUT_MS = 180_000;
const WASM_DIR = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
const CIFAR_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'shared', 'data', 'cifar10-subset', 'cifar-10-batches-bin');

let data: TrainData;
const classroom = findPreset('classroom_resnet29_1x18d')!.spec as ResNetSpec;
/** Basic blocks (so zero-init has a bn2 to zero), 4/8/8 channels: mechanics, not learning. */
const TINY: ResNetSpec = {
  ...classroom,
  name: 'tiny',
  block: 'basic',
  expansion: 1,
  bottleneckWidth: 4,
  stem: { ...classroom.stem, width: 4 },
  stages: [4, 8, 8].map((planes, i) => ({ blocks: 1, planes, stride: i === 0 ? 1 : 2 })),
};
/** The fast recipe with every trick on (label smoothing and zero-init are its toggles, off by default). */
const FAST = { ...applyRecipe({ batchSize: 16, epochs: 1, learningRate: 0.1, seed: 3 }, 'fast'), labelSmoothing: 0.2, zeroInitResidual: true };

beforeAll(async () => {
  setWasmPaths(WASM_DIR);
  expect(await switchBackend('wasm')).toBe(true);
  const names = [...[1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), 'test_batch.bin', 'batches.meta.txt'];
  const { train, test } = parseCifarFiles(names.map((name) => ({ name, bytes: new Uint8Array(readFileSync(resolve(CIFAR_DIR, name))) })));
  data = { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels, dataset: 'cifar10' };
  expect(data.testLabels.length).toBe(932);
}, TIMEOUT_MS);

afterAll(() => {
  expect(tf.memory().numTensors).toBe(0);
});

describe('the fast recipe in the Trainer', () => {
  it(
    'trains (finite loss, warming up), starts with zeroed residual gammas, evaluates the weight average, and resumes exactly, average included',
    async () => {
      const a = Trainer.create(TINY, data, FAST);
      const init = await a.checkpoint();
      expect(Array.from(init.params.get('layer1.0.bn2.weight')!.values).every((v) => v === 0)).toBe(true);
      expect(Array.from(init.params.get('layer1.0.bn1.weight')!.values).every((v) => v === 1)).toBe(true);
      const lrs: number[] = [];
      const losses: number[] = [];
      await a.runSteps(6, { onStep: (m) => (losses.push(m.loss), lrs.push(m.lr)) });
      expect(losses.every(Number.isFinite)).toBe(true);
      // Triangular: warming up from lr / 10 over the first 20% of the 291-step epoch.
      expect(lrs[0]).toBeCloseTo(0.01, 9);
      expect(lrs[5]).toBeGreaterThan(lrs[0]!);
      const saved = structuredClone(await a.checkpoint());
      expect(saved.ema).toBeDefined();
      expect(saved.settings).toMatchObject({ recipe: 'fast', nesterov: true, ema: true, tta: true });
      // The average is not the weights.
      expect(saved.ema!.get('conv1.weight')!.values).not.toEqual(saved.params.get('conv1.weight')!.values);
      const next: number[] = [];
      await a.runSteps(3, { onStep: (m) => next.push(m.loss) });
      const evalA = await a.evaluate({ limit: 64 });
      a.dispose();

      const b = Trainer.create(TINY, data, {}, saved);
      const resumed: number[] = [];
      await b.runSteps(3, { onStep: (m) => resumed.push(m.loss) });
      expect(resumed).toEqual(next);
      const evalB = await b.evaluate({ limit: 64 });
      expect(evalB.loss).toBe(evalA.loss);
      expect(evalB.confusion).toEqual(evalA.confusion);
      b.dispose();
    },
    TIMEOUT_MS,
  );

  it(
    'a time-budget run has no length until fixed: it runs at the schedule\'s start, then ends at the fixed total, which its checkpoint keeps',
    async () => {
      const t = Trainer.create(TINY, data, { ...FAST, timeBudgetMinutes: 1 });
      expect(t.sizing).toBe(true);
      expect(t.totalSteps).toBe(0);
      expect(t.done).toBe(false);
      expect(t.learningRate).toBeCloseTo(0.01, 9);
      await t.runSteps(2);
      t.fixTotalSteps(5);
      expect(() => t.fixTotalSteps(9)).toThrow(/already fixed/);
      expect(t.sizing).toBe(false);
      expect(t.totalSteps).toBe(5);
      expect((await t.checkpoint()).settings.steps).toBe(5);
      expect(await t.runSteps(10)).toBe(3);
      expect(t.done).toBe(true);
      t.dispose();
    },
    TIMEOUT_MS,
  );
});

/** Runs a job and collects its events; `during` sees each event (to stop or abort it). */
async function runJob(settings: TrainRequest['settings'], live: LiveEvalOptions, during?: (e: TrainEvent, job: TrainingJob, abort: () => void) => void) {
  const controller = new AbortController();
  const request: TrainRequest = { spec: TINY, settings, evaluateEachEpoch: false, liveEvaluation: live, checkpointEvery: { steps: 1000, seconds: 1000 } };
  const job = new TrainingJob(request, data, controller.signal);
  const events: TrainEvent[] = [];
  try {
    const outcome = await job.run((e) => {
      events.push(e);
      during?.(e, job, () => controller.abort());
    });
    return { outcome, events };
  } finally {
    job.dispose();
  }
}

const LIVE: LiveEvalOptions = { heldOutImages: 100, everySeconds: 1e6, firstAfterSeconds: 0, firstImages: 100, predictionImages: 8, topK: 3 };

describe('live evaluation in a training job', () => {
  it(
    'evaluates the class-balanced held-out slice once early, with the top-3 of 8 fixed images; the full test set at the end',
    async () => {
      const { outcome, events } = await runJob({ ...FAST, steps: 4 }, LIVE);
      const heldOut = events.filter((e) => e.type === 'heldOut');
      expect(heldOut).toHaveLength(1);
      const first = heldOut[0]!;
      expect(first.point.step).toBe(1);
      expect(first.point.images).toBe(16);
      expect(first.metrics.images).toBe(100);
      expect(first.metrics.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(new Array(10).fill(10));
      expect(first.point.heldOutAccuracy).toBe(first.metrics.accuracy);
      expect(first.predictions).toHaveLength(8);
      expect(first.predictions.map((p) => p.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      for (const p of first.predictions) {
        expect(data.testLabels[p.index]).toBe(p.label);
        expect(p.top).toHaveLength(3);
        expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
        expect(p.top.reduce((a, t) => a + t.probability, 0)).toBeLessThanOrEqual(1 + 1e-5);
      }
      expect(events.findIndex((e) => e.type === 'heldOut')).toBeLessThan(events.findIndex((e) => e.type === 'step' && e.metrics.step === 2));
      expect(outcome.status).toBe('finished');
      expect(outcome.final!.images).toBe(932);
      expect(outcome.checkpoint.seconds).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'Pause does not wait for a held-out evaluation in flight: it is dropped, the run pauses, and after Resume a new one comes',
    async () => {
      // Every step is followed by an evaluation of the whole 932-image test set, a long one.
      const slow: LiveEvalOptions = { ...LIVE, heldOutImages: 932, firstImages: 932, everySeconds: 0, maxShare: 1 };
      const order: string[] = [];
      const { outcome } = await runJob({ ...FAST, steps: 4, evalBatchSize: 4 }, slow, (e, job) => {
        order.push(e.type);
        if (e.type === 'step' && e.metrics.step === 2) {
          // Pressed while the evaluation after step 2 runs.
          setTimeout(() => {
            order.push('pause pressed');
            job.pause();
          }, 30);
        }
        if (e.type === 'paused') setTimeout(() => job.resume(), 10);
      });
      expect(outcome).toMatchObject({ status: 'finished', step: 4 });
      const pressed = order.indexOf('pause pressed');
      expect(pressed).toBeGreaterThan(0);
      // Between the press and the pause: no evaluation finished (and no further step).
      expect(order.slice(pressed + 1, order.indexOf('paused'))).toEqual([]);
      // After the resume the run goes on and evaluates again.
      expect(order.slice(order.indexOf('resumed'))).toContain('heldOut');
    },
    TIMEOUT_MS,
  );

  it(
    'Stop ends the run after the current step and evaluates the whole test set; an abort ends it without an evaluation',
    async () => {
      const stopped = await runJob({ ...FAST, steps: 200 }, LIVE, (e, job) => {
        if (e.type === 'step' && e.metrics.step === 2) job.stop();
      });
      expect(stopped.outcome).toMatchObject({ status: 'stopped', step: 2 });
      expect(stopped.outcome.final!.images).toBe(932);
      const aborted = await runJob({ ...FAST, steps: 200 }, LIVE, (e, _job, abort) => {
        if (e.type === 'step' && e.metrics.step === 2) abort();
      });
      expect(aborted.outcome).toMatchObject({ status: 'stopped', step: 2 });
      expect(aborted.outcome.final).toBeUndefined();
    },
    TIMEOUT_MS,
  );

  it(
    'a time budget: measures the speed, fixes the total (recorded as steps), refits it as it learns its real speed, and ends with the budget',
    async () => {
      const budgetSeconds = 12;
      let started = 0;
      let lastStep = 0;
      let slower = false;
      const { outcome, events } = await runJob({ ...FAST, timeBudgetMinutes: budgetSeconds / 60 }, { ...LIVE, everySeconds: 3, firstImages: 20 }, (e) => {
        if (e.type === 'started') started = performance.now();
        // Once the length is first fixed, the machine gets busier (another program, a hot laptop):
        // every step takes 100 ms more, which only a refitted length absorbs.
        if (e.type === 'sized') slower = true;
        if (e.type === 'step') {
          if (slower) for (const until = performance.now() + 100; performance.now() < until; );
          lastStep = performance.now();
        }
      });
      const sized = events.flatMap((e) => (e.type === 'sized' ? [e] : []));
      expect(sized.length).toBeGreaterThan(1);
      const { totalSteps } = sized.at(-1)!;
      expect(events[0]).toMatchObject({ type: 'started', totalSteps: 0 });
      expect(totalSteps).toBeGreaterThan(3);
      // The steps end with the budget (evaluations and the first step's warm-up included), not at twice it
      // as a length fixed once from the first seconds did; the final evaluation comes after.
      const seconds = (lastStep - started) / 1000;
      expect(seconds).toBeGreaterThan(budgetSeconds * 0.6);
      expect(seconds).toBeLessThan(budgetSeconds * 1.4);
      expect(outcome).toMatchObject({ status: 'finished', step: totalSteps });
      expect(outcome.checkpoint.settings.steps).toBe(totalSteps);
      // Held out at least twice (early, then every 3 s), each at a later step.
      const evaluations = events.flatMap((e) => (e.type === 'heldOut' ? [e] : []));
      const steps = evaluations.map((e) => e.point.step);
      expect(steps.length).toBeGreaterThanOrEqual(2);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      // The first takes the start of the slice (class-balanced: 2 per class), the later ones all of it.
      expect(evaluations.map((e) => e.metrics.images)).toEqual([20, ...new Array(evaluations.length - 1).fill(100)]);
      expect(evaluations[0]!.metrics.confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(new Array(10).fill(2));
    },
    TIMEOUT_MS,
  );
});
