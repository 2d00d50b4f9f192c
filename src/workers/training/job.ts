/**
 * A training job in the worker: checks that the run fits the backend's memory before it allocates
 * anything, then runs a Trainer step by step, reporting every step, evaluating a held-out slice of
 * the test set on a cadence in seconds (once early, then every `everySeconds`), evaluating each epoch
 * if asked, sizing a time-budget run from its measured speed, checkpointing for resume, and obeying
 * pause, resume, learning-rate changes, stop (which evaluates the whole test set) and abort (which
 * does not).
 */
import * as tf from '@tensorflow/tfjs';
import { CIFAR_IMAGE_BYTES } from '../../data/format';
import { analyzeOrThrow } from '../../models';
import { isAbortError } from '../abort';
import { ComputeError } from '../errors';
import type { TrainEvent, TrainOutcome, TrainRequest } from '../protocol';
import { budgetTotalSteps, heldOutIndices, topK } from './liveEval';
import { type TrainingMemoryPlan, checkTrainingMemory, planMicroBatchSize, planTrainingMemory, trainingMemoryBudget } from './memory';
import { resolveSettings } from './settings';
import { Trainer } from './trainer';
import type { TrainData } from './types';

/**
 * A time-budget run measures its speed from the end of its first step (which includes the backend's
 * warm-up) over at least this many steps and seconds, and, with live evaluation, one evaluation.
 */
const SIZING = { steps: 3, seconds: 5 } as const;

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
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly trainer: Trainer;
  private readonly data: TrainData;

  constructor(
    private readonly request: TrainRequest,
    data: TrainData,
    private readonly signal: AbortSignal,
  ) {
    // Nothing is allocated for a run that cannot fit (a refused run leaves the worker as it was).
    planRun(request, tf.getBackend());
    this.trainer = Trainer.create(request.spec, data, request.settings, request.resume);
    this.data = data;
  }

  /** Stop after the current step, then evaluate the whole test set (an abort, through the signal, does not). */
  stop(): void {
    this.stopping = true;
    this.wake?.();
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
    if (!this.paused || this.signal.aborted || this.stopping) return Promise.resolve();
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

  /** The held-out slice of the test set, gathered once: its records, labels and test-set indices. */
  private heldOutSlice(count: number): { images: Uint8Array; labels: Uint8Array; indices: Int32Array } {
    const { testImages, testLabels } = this.data;
    const indices = heldOutIndices(testLabels, this.trainer.classes, count);
    const images = new Uint8Array(indices.length * CIFAR_IMAGE_BYTES);
    indices.forEach((i, j) => images.set(testImages.subarray(i * CIFAR_IMAGE_BYTES, (i + 1) * CIFAR_IMAGE_BYTES), j * CIFAR_IMAGE_BYTES));
    return { images, labels: Uint8Array.from(indices, (i) => testLabels[i]!), indices };
  }

  async run(emit: (e: TrainEvent) => void): Promise<TrainOutcome> {
    const t = this.trainer;
    // The run's clock: wall seconds since it started, going on from a resumed checkpoint's.
    const t0 = performance.now() - (this.request.resume?.seconds ?? 0) * 1000;
    const elapsed = () => (performance.now() - t0) / 1000;
    const checkpoint = async () => ({ ...(await t.checkpoint()), seconds: elapsed() });
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

      const live = this.request.liveEvaluation;
      const heldOut = live ? this.heldOutSlice(live.heldOutImages) : undefined;
      const jobStart = elapsed();
      let lastEvalEnd: number | undefined;
      let evalSeconds: number | undefined;
      const evaluateHeldOut = async () => {
        const started = elapsed();
        // The first evaluation: the start of the slice (class-balanced as the whole), for an early number.
        const count = lastEvalEnd === undefined ? Math.min(live!.firstImages, heldOut!.labels.length) : heldOut!.labels.length;
        const on = { images: heldOut!.images.subarray(0, count * CIFAR_IMAGE_BYTES), labels: heldOut!.labels.subarray(0, count) };
        // Without the test-time flip (LIVE_EVAL_DEFAULTS says why).
        const { probabilities, ...metrics } = await t.evaluate({ signal: this.signal, on, keepProbabilities: live!.predictionImages, tta: false });
        const k = t.classes;
        const predictions = Array.from({ length: Math.min(live!.predictionImages, count) }, (_, i) => ({
          index: heldOut!.indices[i]!,
          label: heldOut!.labels[i]!,
          top: topK(probabilities!, i, k, live!.topK),
        }));
        lastEvalEnd = elapsed();
        // Per whole slice (the first evaluation's cost scaled up), for sizing a time budget.
        evalSeconds = ((lastEvalEnd - started) * heldOut!.labels.length) / count;
        const point = { seconds: lastEvalEnd, images: t.step * t.settings.batchSize, step: t.step, heldOutAccuracy: metrics.accuracy };
        emit({ type: 'heldOut', point, metrics, predictions });
      };

      // A time budget: measured from the end of the first step of this start.
      const budgetSeconds = t.sizing ? (t.settings.timeBudgetMinutes ?? 0) * 60 : 0;
      let sizingFrom: { step: number; seconds: number } | undefined;

      const every = this.request.checkpointEvery;
      let lastCheckpoint = { step: t.step, time: performance.now() };
      while (!t.done && !this.signal.aborted && !this.stopping) {
        await this.waitWhilePaused(emit);
        if (this.signal.aborted || this.stopping) break;
        const epochBefore = Math.floor(t.step / t.stepsPerEpoch);
        await t.runSteps(1, {
          signal: this.signal,
          // While the length is unknown, the time left is the budget's.
          onStep: (metrics) => emit({ type: 'step', metrics: t.sizing ? { ...metrics, etaSeconds: Math.max(0, budgetSeconds - elapsed()) } : metrics }),
        });
        if (this.signal.aborted) break;
        const epochAfter = Math.floor(t.step / t.stepsPerEpoch);
        if (this.request.evaluateEachEpoch && epochAfter > epochBefore && !t.done) {
          emit({ type: 'eval', step: t.step, epoch: epochAfter, metrics: await t.evaluate({ signal: this.signal }) });
        }
        if (live && !t.done && !this.stopping) {
          const due = lastEvalEnd === undefined ? elapsed() - jobStart >= live.firstAfterSeconds : elapsed() - lastEvalEnd >= live.everySeconds;
          if (due) await evaluateHeldOut();
        }
        if (t.sizing) {
          sizingFrom ??= { step: t.step, seconds: elapsed() };
          const steps = t.step - sizingFrom.step;
          const seconds = elapsed() - sizingFrom.seconds;
          // The evaluations' time is the cadence's share below, not the steps'.
          if (steps >= SIZING.steps && seconds >= SIZING.seconds && (!live || evalSeconds !== undefined)) {
            const secondsPerStep = (seconds - (lastEvalEnd !== undefined && lastEvalEnd > sizingFrom.seconds ? evalSeconds! : 0)) / steps;
            t.fixTotalSteps(budgetTotalSteps({ budgetSeconds, elapsedSeconds: elapsed(), stepsDone: t.step, secondsPerStep, evalSeconds, everySeconds: live?.everySeconds }));
            emit({ type: 'sized', totalSteps: t.totalSteps, secondsPerStep, budgetSeconds });
          }
        }
        if (!t.done && (t.step - lastCheckpoint.step >= every.steps || performance.now() - lastCheckpoint.time >= every.seconds * 1000)) {
          lastCheckpoint = { step: t.step, time: performance.now() };
          emit({ type: 'checkpoint', checkpoint: await checkpoint() });
        }
      }
      if (this.signal.aborted) return { status: 'stopped', step: t.step, checkpoint: await checkpoint() };
      // Finished or stopped: the whole test set (an abort meanwhile ends it without one).
      const final = await t.evaluate({ signal: this.signal });
      return { status: t.done ? 'finished' : 'stopped', step: t.step, checkpoint: await checkpoint(), final };
    } catch (e) {
      // A stop that lands inside an evaluation: the run is stopped, not failed.
      if (isAbortError(e)) return { status: 'stopped', step: t.step, checkpoint: await checkpoint() };
      throw e;
    }
  }

  dispose(): void {
    this.trainer.dispose();
  }
}
