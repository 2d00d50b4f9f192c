/**
 * A training job in the worker: checks that the run fits the backend's memory before it allocates
 * anything, then runs a Trainer in chunks of steps, reporting every step, evaluating each epoch,
 * checkpointing for resume, and obeying pause, resume, learning-rate changes and stop.
 */
import * as tf from '@tensorflow/tfjs';
import { analyzeOrThrow } from '../../models';
import { isAbortError } from '../abort';
import { ComputeError } from '../errors';
import type { TrainEvent, TrainOutcome, TrainRequest } from '../protocol';
import { type TrainingMemoryPlan, checkTrainingMemory, planMicroBatchSize, planTrainingMemory, trainingMemoryBudget } from './memory';
import { resolveSettings } from './settings';
import { Trainer } from './trainer';
import type { TrainData } from './types';

const CHUNK = 5;

/** Measured bytes per training image, by backend and spec: a model measured once is planned from its measurement. */
const measuredPerImage = new Map<string, number>();
const measureKey = (backend: string, spec: unknown) => `${backend}\n${JSON.stringify(spec)}`;

/**
 * The memory plan of `request` on `backend`, from the architecture's counts (and the model's measured
 * figure per image when an earlier run measured it), checked before anything is allocated: throws a
 * ComputeError 'out-of-memory' with one plain sentence when the run cannot fit, 'invalid' when the
 * spec or settings are wrong.
 */
export function planRun(request: TrainRequest, backend: string): TrainingMemoryPlan & { batchSize: number } {
  let counts;
  let batchSize: number;
  try {
    counts = analyzeOrThrow(request.spec).stats.totals;
    batchSize = resolveSettings(request.resume ? request.resume.settings : request.settings).batchSize;
  } catch (e) {
    throw new ComputeError('invalid', (e as Error).message, { cause: e });
  }
  const plan = planTrainingMemory(counts, trainingMemoryBudget(backend), measuredPerImage.get(measureKey(backend, request.spec)));
  checkTrainingMemory(plan, backend, batchSize);
  return { ...plan, batchSize };
}

export class TrainingJob {
  private paused = false;
  private wake: (() => void) | undefined;
  private readonly trainer: Trainer;

  constructor(
    private readonly request: TrainRequest,
    data: TrainData,
    private readonly signal: AbortSignal,
  ) {
    // Nothing is allocated for a run that cannot fit (a refused run leaves the worker as it was).
    planRun(request, tf.getBackend());
    this.trainer = Trainer.create(request.spec, data, request.settings, request.resume);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  setLearningRate(lr: number): void {
    this.trainer.setLearningRate(lr);
  }

  predict(images: Uint8Array, count: number): Promise<Float32Array> {
    return this.trainer.predict(images, count);
  }

  private waitWhilePaused(emit: (e: TrainEvent) => void): Promise<void> {
    if (!this.paused || this.signal.aborted) return Promise.resolve();
    emit({ type: 'paused', step: this.trainer.step });
    return new Promise<void>((resolve) => {
      const done = () => {
        this.signal.removeEventListener('abort', done);
        this.wake = undefined;
        if (!this.signal.aborted) emit({ type: 'resumed', step: this.trainer.step });
        resolve();
      };
      this.wake = done;
      this.signal.addEventListener('abort', done);
    });
  }

  async run(emit: (e: TrainEvent) => void): Promise<TrainOutcome> {
    const t = this.trainer;
    try {
      // Measured before the first step, so that a batch too big for the backend runs as micro-batches
      // instead of exhausting its memory (which aborts a WASM module for good).
      const backend = tf.getBackend();
      const bytesPerImage = await t.measureBytesPerImage();
      measuredPerImage.set(measureKey(backend, this.request.spec), bytesPerImage);
      const plan = planTrainingMemory(analyzeOrThrow(this.request.spec).stats.totals, trainingMemoryBudget(backend), bytesPerImage);
      checkTrainingMemory(plan, backend, t.settings.batchSize);
      const microBatchSize = planMicroBatchSize(plan, t.settings.batchSize);
      t.setMicroBatchSize(microBatchSize);
      const memory = { bytesPerImage, budgetBytes: plan.budgetBytes, ...(microBatchSize ? { microBatchSize } : {}) };
      emit({ type: 'started', totalSteps: t.totalSteps, stepsPerEpoch: t.stepsPerEpoch, backend, memory });
      const every = this.request.checkpointEvery;
      let lastCheckpoint = { step: t.step, time: performance.now() };
      while (!t.done && !this.signal.aborted) {
        await this.waitWhilePaused(emit);
        if (this.signal.aborted) break;
        const epochBefore = Math.floor(t.step / t.stepsPerEpoch);
        await t.runSteps(Math.min(CHUNK, t.stepsPerEpoch - (t.step % t.stepsPerEpoch)), { signal: this.signal, onStep: (metrics) => emit({ type: 'step', metrics }) });
        const epochAfter = Math.floor(t.step / t.stepsPerEpoch);
        if (this.request.evaluateEachEpoch && epochAfter > epochBefore && !this.signal.aborted) {
          emit({ type: 'eval', step: t.step, epoch: epochAfter, metrics: await t.evaluate({ signal: this.signal }) });
        }
        if (!t.done && (t.step - lastCheckpoint.step >= every.steps || performance.now() - lastCheckpoint.time >= every.seconds * 1000)) {
          lastCheckpoint = { step: t.step, time: performance.now() };
          emit({ type: 'checkpoint', checkpoint: await t.checkpoint() });
        }
      }
      const checkpoint = await t.checkpoint();
      if (this.signal.aborted) return { status: 'stopped', step: t.step, checkpoint };
      const final = await t.evaluate();
      return { status: 'finished', step: t.step, checkpoint, final };
    } catch (e) {
      // A stop that lands inside an evaluation: the run is stopped, not failed.
      if (isAbortError(e)) return { status: 'stopped', step: t.step, checkpoint: await t.checkpoint() };
      throw e;
    }
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
