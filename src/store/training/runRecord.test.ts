import { describe, expect, it } from 'vitest';
import { findPreset } from '../../models';
import type { EvalMetrics, StepMetrics, TrainCheckpoint, TrainEvent, TrainOutcome } from '../../workers/protocol';
import type { RunRecord } from '../runs';
import { applyEvent, failRecord, finishRecord, newRunRecord, resumeRecord, runName } from './runRecord';

const spec = findPreset('classroom_resnet29_1x18d')!.spec;

/** Freezes `value` and everything in it, so a reducer that mutated its input would throw (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const fresh = (): RunRecord => deepFreeze(newRunRecord({ id: 'r1', createdAt: Date.UTC(2025, 0, 1, 12, 34), spec, settings: { batchSize: 32, seed: 7, epochs: 1 }, dataset: 'cifar10' }));

const stepMetrics = (step: number): StepMetrics => ({ step, epoch: step / 10, loss: 2.3 - step / 100, accuracy: step / 100, lr: 0.05, imagesPerSecond: 100 + step, etaSeconds: 60 - step });
const stepEvent = (step: number): TrainEvent => ({ type: 'step', metrics: stepMetrics(step) });
const evalMetrics = (accuracy: number): EvalMetrics => ({ split: 'test', images: 100, loss: 1.5, accuracy, perClassAccuracy: [], confusion: [], seconds: 1 });
const checkpoint = (step: number): TrainCheckpoint =>
  ({ version: 1, specName: spec.name, step, settings: {} as TrainCheckpoint['settings'], params: {}, momentum: {}, rng: { algorithm: 'mulberry32', seed: 7, step } }) as TrainCheckpoint;
const started: TrainEvent = { type: 'started', totalSteps: 20, stepsPerEpoch: 10, backend: 'wasm', memory: { bytesPerImage: 1e6, budgetBytes: 3e9 } };

const fold = (record: RunRecord, events: TrainEvent[]) => events.reduce((r, e) => deepFreeze(applyEvent(r, e)), record);

describe('newRunRecord', () => {
  it('is a running run with no history, named by model, seed, batch and start time', () => {
    const r = fresh();
    expect(r).toMatchObject({ id: 'r1', status: 'running', spec, dataset: 'cifar10', backend: '', totalSteps: 0, steps: [], evals: [] });
    expect(r.name).toBe(runName(spec.name, { seed: 7, batchSize: 32 }, new Date(r.createdAt)));
    expect(r.name).toMatch(new RegExp(`^${spec.name} seed 7, batch 32, \\d\\d:\\d\\d$`));
  });
});

describe('applyEvent', () => {
  it("'started' sets the backend, the run's length and its memory plan", () => {
    const r = applyEvent(fresh(), started);
    expect(r).toMatchObject({ backend: 'wasm', totalSteps: 20, memory: { bytesPerImage: 1e6, budgetBytes: 3e9 } });
  });

  it("'step' appends the step's metrics (without the ETA) to the history, in order", () => {
    const r = fold(fresh(), [started, stepEvent(1), stepEvent(2), stepEvent(3)]);
    expect(r.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    const { etaSeconds: _, ...point } = stepMetrics(2);
    expect(r.steps[1]).toEqual(point);
  });

  it("'eval' appends the test accuracy and loss at its step and epoch", () => {
    const r = fold(fresh(), [stepEvent(1), { type: 'eval', step: 10, epoch: 1, metrics: evalMetrics(0.4) }]);
    expect(r.evals).toEqual([{ step: 10, epoch: 1, accuracy: 0.4, loss: 1.5 }]);
    expect(r.steps).toHaveLength(1);
  });

  it("'heldOut' appends {seconds, images, step, heldOutAccuracy} to the held-out timeline, in order", () => {
    const heldOut = (step: number, acc: number): TrainEvent => ({
      type: 'heldOut',
      point: { seconds: 10 * step, images: 32 * step, step, heldOutAccuracy: acc },
      metrics: evalMetrics(acc),
      predictions: [{ index: 0, label: 1, top: [{ label: 1, probability: 0.9 }] }],
    });
    const r = fold(fresh(), [stepEvent(1), heldOut(1, 0.2), stepEvent(2), heldOut(2, 0.3)]);
    expect(r.heldOut).toEqual([
      { seconds: 10, images: 32, step: 1, heldOutAccuracy: 0.2 },
      { seconds: 20, images: 64, step: 2, heldOutAccuracy: 0.3 },
    ]);
    expect(r.evals).toEqual([]);
  });

  it("'sized' fixes the run's length and records it as its steps (a resume goes on to the same total)", () => {
    const r = fold(fresh(), [started, { type: 'sized', totalSteps: 77, secondsPerStep: 0.5, budgetSeconds: 60 }]);
    expect(r.totalSteps).toBe(77);
    expect(r.settings.steps).toBe(77);
    expect(r.settings.seed).toBe(7);
  });

  it("'checkpoint' keeps the latest checkpoint", () => {
    const r = fold(fresh(), [{ type: 'checkpoint', checkpoint: checkpoint(5) }, { type: 'checkpoint', checkpoint: checkpoint(9) }]);
    expect(r.checkpoint?.step).toBe(9);
  });

  it("'paused' and 'resumed' set the status", () => {
    const paused = applyEvent(fresh(), { type: 'paused', step: 3 });
    expect(paused.status).toBe('paused');
    expect(applyEvent(paused, { type: 'resumed', step: 3 }).status).toBe('running');
  });

  it('returns a new record and leaves its input untouched', () => {
    const before = fold(fresh(), [started, stepEvent(1)]);
    const copy = structuredClone(before);
    for (const e of [started, stepEvent(2), { type: 'eval', step: 2, epoch: 0.2, metrics: evalMetrics(0.2) }, { type: 'checkpoint', checkpoint: checkpoint(2) }, { type: 'paused', step: 2 }, { type: 'resumed', step: 2 }] as TrainEvent[]) {
      const after = applyEvent(before, e);
      expect(after).not.toBe(before);
      expect(before).toEqual(copy);
    }
    expect(applyEvent(before, stepEvent(2)).steps).not.toBe(before.steps);
  });
});

describe('finishing and failing a run', () => {
  const ran = () => fold(fresh(), [started, stepEvent(1), stepEvent(2), { type: 'checkpoint', checkpoint: checkpoint(2) }]);

  it('a finished run takes the outcome: status, checkpoint, final metrics, and the final evaluation joins the history', () => {
    const outcome: TrainOutcome = { status: 'finished', step: 2, checkpoint: checkpoint(2), final: evalMetrics(0.3) };
    const r = finishRecord(ran(), outcome);
    expect(r).toMatchObject({ status: 'finished', checkpoint: outcome.checkpoint, final: outcome.final });
    expect(r.evals).toEqual([{ step: 2, epoch: 0.2, accuracy: 0.3, loss: 1.5 }]);
  });

  it('the final evaluation is not repeated when the last step was already evaluated', () => {
    const evaluated = fold(ran(), [{ type: 'eval', step: 2, epoch: 0.2, metrics: evalMetrics(0.3) }]);
    expect(finishRecord(evaluated, { status: 'finished', step: 2, checkpoint: checkpoint(2), final: evalMetrics(0.3) }).evals).toHaveLength(1);
  });

  it('an aborted run keeps its checkpoint and has no final metrics', () => {
    const r = finishRecord(ran(), { status: 'stopped', step: 2, checkpoint: checkpoint(2) });
    expect(r).toMatchObject({ status: 'stopped', final: undefined, evals: [] });
    expect(r.checkpoint?.step).toBe(2);
  });

  it('a stopped run (Stop evaluates) keeps its test evaluation, which joins the history', () => {
    const r = finishRecord(ran(), { status: 'stopped', step: 2, checkpoint: checkpoint(2), final: evalMetrics(0.35) });
    expect(r).toMatchObject({ status: 'stopped', final: { accuracy: 0.35 } });
    expect(r.evals).toEqual([{ step: 2, epoch: 0.2, accuracy: 0.35, loss: 1.5 }]);
  });

  it('a failure marks the run interrupted with the message, keeping its checkpoint and history', () => {
    const before = ran();
    const r = failRecord(before, 'The compute worker stopped: the GPU device was lost.');
    expect(r).toMatchObject({ status: 'interrupted', error: 'The compute worker stopped: the GPU device was lost.' });
    expect(r.checkpoint?.step).toBe(2);
    expect(r.steps).toBe(before.steps);
    expect(before.status).toBe('running');
  });
});

describe('resumeRecord', () => {
  it('continues one history: the steps and evaluations after the checkpoint are dropped and done again', () => {
    let r = fold(fresh(), [started, ...[1, 2, 3, 4, 5].map(stepEvent), { type: 'checkpoint', checkpoint: checkpoint(3) }, { type: 'eval', step: 5, epoch: 0.5, metrics: evalMetrics(0.2) }]);
    r = failRecord(r, 'lost');
    const resumed = deepFreeze(resumeRecord(r));
    expect(resumed).toMatchObject({ id: r.id, status: 'running', error: undefined, evals: [] });
    expect(resumed.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    const done = fold(resumed, [started, ...[4, 5, 6, 7].map(stepEvent)]);
    expect(done.steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.steps).toHaveLength(5);
  });

  it('drops the held-out evaluations after the checkpoint too', () => {
    const heldOut = (step: number): TrainEvent => ({ type: 'heldOut', point: { seconds: step, images: step, step, heldOutAccuracy: 0.1 }, metrics: evalMetrics(0.1), predictions: [] });
    const r = fold(fresh(), [stepEvent(1), heldOut(1), { type: 'checkpoint', checkpoint: checkpoint(2) }, stepEvent(2), stepEvent(3), heldOut(3)]);
    expect(resumeRecord(r).heldOut!.map((p) => p.step)).toEqual([1]);
  });

  it('a run without a checkpoint starts again from step 0', () => {
    const r = failRecord(fold(fresh(), [stepEvent(1), stepEvent(2)]), 'lost');
    expect(resumeRecord(r).steps).toEqual([]);
  });
});
