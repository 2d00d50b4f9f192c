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
import { budgetTotalSteps, evaluationGap, heldOutIndices, topK } from './liveEval';
import { type TrainingMemoryPlan, checkTrainingMemory, planMicroBatchSize, planTrainingMemory, trainingMemoryBudget } from './memory';
import { resolveSettings } from './settings';
import { Trainer } from './trainer';
import type { TrainData } from './types';

/**
 * A time-budget run measures its speed from the end of its first step (which includes the backend's
 * warm-up) over at least this many steps and seconds, and, with live evaluation, one evaluation;
 * then it refits its length from the whole measurement so far every `refitSeconds` (a twentieth of a
 * shorter budget).
 */
const SIZING = { steps: 3, seconds: 5, refitSeconds: 5 } as const;

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
  /** Cancels the held-out evaluation in flight, if any (pause and stop do not wait for it). */
  private interruptHeldOut: (() => void) | undefined;
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
    this.interruptHeldOut?.();
    this.wake?.();
  }

  /** Pause after the current step; a held-out evaluation in flight is dropped (a later one replaces it). */
  pause(): void {
    this.paused = true;
    this.interruptHeldOut?.();
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
      // The budget's clock: the run's, less its pauses (a paused lesson does not spend the budget).
      let pausedSeconds = 0;
      const budgetClock = () => elapsed() - pausedSeconds;
      // Time spent on held-out evaluations and checkpoints since the speed measurement began.
      let evalSpent = 0;
      let checkpointSpent = 0;
      const evaluateHeldOut = async () => {
        const started = elapsed();
        // The first evaluation: the start of the slice (class-balanced as the whole), for an early number.
        const count = lastEvalEnd === undefined ? Math.min(live!.firstImages, heldOut!.labels.length) : heldOut!.labels.length;
        const on = { images: heldOut!.images.subarray(0, count * CIFAR_IMAGE_BYTES), labels: heldOut!.labels.subarray(0, count) };
        // Pause and stop interrupt it (on a slow backend it can take a minute); an abort too.
        const interrupt = new AbortController();
        const onAbort = () => interrupt.abort();
        this.signal.addEventListener('abort', onAbort);
        this.interruptHeldOut = () => interrupt.abort();
        let result;
        try {
          // Without the test-time flip (LIVE_EVAL_DEFAULTS says why).
          result = await t.evaluate({ signal: interrupt.signal, on, keepProbabilities: live!.predictionImages, tta: false });
        } catch (e) {
          if (!isAbortError(e) || this.signal.aborted) throw e;
          evalSpent += elapsed() - started;
          return; // interrupted by pause or stop: no point, and the next one is due at once
        } finally {
          this.interruptHeldOut = undefined;
          this.signal.removeEventListener('abort', onAbort);
        }
        const { probabilities, ...metrics } = result;
        const k = t.classes;
        const predictions = Array.from({ length: Math.min(live!.predictionImages, count) }, (_, i) => ({
          index: heldOut!.indices[i]!,
          label: heldOut!.labels[i]!,
          top: topK(probabilities!, i, k, live!.topK),
        }));
        lastEvalEnd = elapsed();
        evalSpent += lastEvalEnd - started;
        // Per whole slice (the first evaluation's cost scaled up): the next one's cost, for its gap and a time budget.
        evalSeconds = ((lastEvalEnd - started) * heldOut!.labels.length) / count;
        const point = { seconds: lastEvalEnd, images: t.step * t.settings.batchSize, step: t.step, heldOutAccuracy: metrics.accuracy };
        emit({ type: 'heldOut', point, metrics, predictions });
      };

      // A time budget: measured from the end of the first step of this start.
      const budgetSeconds = t.sizing ? (t.settings.timeBudgetMinutes ?? 0) * 60 : 0;
      const budgeted = t.sizing;
      let sizingFrom: { step: number; seconds: number } | undefined;
      let lastFit = -Infinity;
      /** Fits (the first time) or refits the run's length to the budget from the speed measured so far. */
      const fitToBudget = () => {
        sizingFrom ??= { step: t.step, seconds: budgetClock() };
        const steps = t.step - sizingFrom.step;
        const seconds = budgetClock() - sizingFrom.seconds;
        if (steps < SIZING.steps || seconds < SIZING.seconds || (live && evalSeconds === undefined)) return;
        if (!t.sizing && budgetClock() - lastFit < Math.min(SIZING.refitSeconds, budgetSeconds / 20)) return;
        // The steps' own time: the window less the evaluations and checkpoints it held.
        const stepSeconds = Math.max(1e-6, seconds - evalSpent - checkpointSpent);
        const secondsPerStep = stepSeconds / steps;
        const total = budgetTotalSteps({
          budgetSeconds,
          elapsedSeconds: budgetClock(),
          stepsDone: t.step,
          secondsPerStep,
          evalSeconds,
          everySeconds: live ? evaluationGap(live, evalSeconds) : undefined,
          otherPerTrainingSecond: checkpointSpent / stepSeconds,
        });
        lastFit = budgetClock();
        const before = t.totalSteps;
        if (t.sizing) t.fixTotalSteps(total);
        else t.refitTotalSteps(total);
        if (t.totalSteps !== before) emit({ type: 'sized', totalSteps: t.totalSteps, secondsPerStep, budgetSeconds });
      };

      const every = this.request.checkpointEvery;
      let lastCheckpoint = { step: t.step, time: performance.now() };
      while (!t.done && !this.signal.aborted && !this.stopping) {
        const pauseStart = elapsed();
        await this.waitWhilePaused(emit);
        pausedSeconds += elapsed() - pauseStart;
        if (this.signal.aborted || this.stopping) break;
        const epochBefore = Math.floor(t.step / t.stepsPerEpoch);
        await t.runSteps(1, {
          signal: this.signal,
          // A time-budget run ends with its budget: the time left is the budget's.
          onStep: (metrics) => emit({ type: 'step', metrics: budgeted ? { ...metrics, etaSeconds: Math.max(0, budgetSeconds - budgetClock()) } : metrics }),
        });
        if (this.signal.aborted) break;
        const epochAfter = Math.floor(t.step / t.stepsPerEpoch);
        if (this.request.evaluateEachEpoch && epochAfter > epochBefore && !t.done) {
          const started = elapsed();
          emit({ type: 'eval', step: t.step, epoch: epochAfter, metrics: await t.evaluate({ signal: this.signal }) });
          evalSpent += elapsed() - started;
        }
        if (live && !t.done && !this.stopping && !this.paused) {
          const due = lastEvalEnd === undefined ? elapsed() - jobStart >= live.firstAfterSeconds : elapsed() - lastEvalEnd >= evaluationGap(live, evalSeconds);
          if (due) await evaluateHeldOut();
        }
        if (budgeted && !t.done) {
          if (sizingFrom === undefined) {
            // The window starts after the first step (the backend's warm-up) and without what it held.
            evalSpent = 0;
            checkpointSpent = 0;
          }
          fitToBudget();
        }
        if (!t.done && (t.step - lastCheckpoint.step >= every.steps || performance.now() - lastCheckpoint.time >= every.seconds * 1000)) {
          const started = elapsed();
          lastCheckpoint = { step: t.step, time: performance.now() };
          emit({ type: 'checkpoint', checkpoint: await checkpoint() });
          checkpointSpent += elapsed() - started;
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
