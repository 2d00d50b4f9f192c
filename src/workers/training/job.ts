/**
 * A training job in the worker: runs a Trainer in chunks of steps, reporting every step, evaluating
 * each epoch, checkpointing for resume, and obeying pause, resume, learning-rate changes and stop.
 */
import * as tf from '@tensorflow/tfjs';
import { isAbortError } from '../abort';
import type { TrainEvent, TrainOutcome, TrainRequest } from '../protocol';
import { planMicroBatch, trainingMemoryBudget } from './memory';
import { Trainer } from './trainer';
import type { TrainData } from './types';

const CHUNK = 5;

export class TrainingJob {
  private paused = false;
  private wake: (() => void) | undefined;
  private readonly trainer: Trainer;

  constructor(
    private readonly request: TrainRequest,
    data: TrainData,
    private readonly signal: AbortSignal,
  ) {
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
      const budgetBytes = trainingMemoryBudget(tf.getBackend());
      const bytesPerImage = await t.measureBytesPerImage();
      const microBatchSize = planMicroBatch(t.settings.batchSize, bytesPerImage, budgetBytes);
      t.setMicroBatchSize(microBatchSize);
      const memory = { bytesPerImage, budgetBytes, ...(microBatchSize ? { microBatchSize } : {}) };
      emit({ type: 'started', totalSteps: t.totalSteps, stepsPerEpoch: t.stepsPerEpoch, backend: tf.getBackend(), memory });
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
