/**
 * The Train tab's run controller, outside React: the loaded dataset, the settings of the next run,
 * the current run (its record, state and progress), start / pause / resume / stop (which evaluates)
 * / abort (which does not), resuming a ledger run from its checkpoint, the live learning rate, the
 * latest held-out evaluation with its predictions, the evaluation grid, and saving each record to the
 * ledger. The worker's events fold into the record through the pure
 * reducer of runRecord.ts. A vanilla zustand store holds the state (React reads it with
 * `useTraining`, index.ts); the worker, runtime, ledger and run locks come in as `TrainingDeps`, so
 * the controller runs in Node tests with fakes.
 *
 * A run enters the ledger only once the worker has said 'started' (its memory plan passed and its
 * model was built): a run the worker refuses leaves no record. The tab holds the run's lock
 * (runLocks.ts) from before it starts until its last save, so no other tab writes or resumes it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { CIFAR_IMAGE_BYTES, CIFAR_LAYOUTS, type CifarKind } from '../../data/format';
import type { LoadedDataset } from '../../data/sources';
import { type ArchSpec, findPreset } from '../../models';
import type { RunHandle } from '../../workers/client';
import { errorKind } from '../../workers/errors';
import type { EvalMetrics, Prediction, TrainData, TrainEvent, TrainRequest, TrainSettings } from '../../workers/protocol';
import { LIVE_EVAL_DEFAULTS } from '../../workers/training/liveEval';
import type { RunRecord } from '../runs';
import { COMPARISON_SEEDS, comparisonQueue } from './comparison';
import { DEFAULT_TRAIN_FORM, type TrainForm, formSettings, learningRateInRange } from './form';
import { applyEvent, failRecord, finishRecord, newRunRecord, resumeRecord } from './runRecord';
import type { RunLease } from './runLocks';

export type RunState = 'idle' | 'running' | 'paused';

export interface RunProgress {
  step: number;
  total: number;
  /** Seconds left, as the worker estimates them. */
  eta: number;
  /** Images per second of the latest step. */
  ips: number;
}

/** The first test images with the finished model's class probabilities (`labels.length` rows of `probs`). */
export interface EvalGrid {
  /** CHW images, CIFAR_IMAGE_BYTES each. */
  images: Uint8Array;
  labels: Uint8Array;
  probs: Float32Array;
}

/** The latest held-out evaluation of the run on screen: its metrics (confusion matrix) and prediction images. */
export interface LiveEvaluation {
  step: number;
  seconds: number;
  metrics: EvalMetrics;
  predictions: Prediction[];
}

export interface TrainingState {
  /** The dataset chosen in the Data panel. */
  kind: CifarKind;
  /** The dataset loaded in the page (sent to the worker at each start). */
  dataset?: LoadedDataset;
  /** The settings of the next run. */
  form: TrainForm;
  /** The run on screen: the current one, or the last one. */
  run: RunRecord | null;
  state: RunState;
  progress: RunProgress;
  /** The learning rate the slider last set. */
  lr: number;
  /** Why the last start or run failed ('' when it did not). */
  error: string;
  grid?: EvalGrid;
  /** The run's latest held-out evaluation (not kept in the ledger: the record keeps its timeline). */
  live?: LiveEvaluation;
}

/** What the controller talks to: the compute worker (src/workers/client.ts), the runtime and the ledger. */
export interface TrainingDeps {
  /** Starts the compute worker with the chosen backend; throws when it does not start. */
  ensureRuntime(): Promise<void>;
  /** The worker died: the runtime starts a fresh one next time. */
  resetRuntime(message: string): void;
  sendTrainData(data: TrainData): Promise<void>;
  startTraining(request: TrainRequest, onEvent: (e: TrainEvent) => void, signal: AbortSignal): RunHandle;
  /** Keeps a record in the ledger. */
  save(record: RunRecord): Promise<void>;
  /** Takes run `id` for this tab (runLocks.ts): null when another tab trains it. */
  claimRun(id: string): Promise<RunLease | null>;
  now(): number;
  newId(): string;
}

/** A lost device or worker costs at most this much training. */
export const CHECKPOINT_EVERY = { steps: 50, seconds: 15 } as const;
/** Step events save the record at most this often (the others always save it). */
export const SAVE_STEPS_EVERY_MS = 2000;
/** What a tab is told when it tries to resume a run another tab trains. */
export const RUN_HELD_ELSEWHERE = 'This run is training in another tab: follow it there, or close that tab to resume it here.';
/** Test images of the evaluation grid. */
export const GRID_IMAGES = 24;
/** "Cardinality vs width": the lesson ResNeXt-11 (8x4d) and its ResNet twin at equal MACs, COMPARISON_SEEDS seeds each, interleaved (comparison.ts). */
export const COMPARISON_PRESETS = ['lesson_resnext11_8x4d', 'lesson_resnet11_1x19d'] as const;

export const INITIAL_TRAINING_STATE: Readonly<TrainingState> = {
  kind: 'cifar10',
  form: DEFAULT_TRAIN_FORM,
  run: null,
  state: 'idle',
  progress: { step: 0, total: 0, eta: 0, ips: 0 },
  lr: DEFAULT_TRAIN_FORM.learningRate,
  error: '',
};

export class TrainingController {
  readonly store: StoreApi<TrainingState>;
  private readonly deps: TrainingDeps;
  private handle: RunHandle | null = null;
  private stopper: AbortController | null = null;
  /** Stop was pressed: the run evaluates and ends, and a queue goes no further. */
  private stopRequested = false;
  /** Set from a start until its run ends: a second start meanwhile is ignored. */
  private starting = false;

  constructor(deps: TrainingDeps) {
    this.deps = deps;
    this.store = createStore<TrainingState>()(() => ({ ...INITIAL_TRAINING_STATE }));
  }

  get state(): TrainingState {
    return this.store.getState();
  }

  private set(patch: Partial<TrainingState>): void {
    this.store.setState(patch);
  }

  setKind(kind: CifarKind): void {
    this.set({ kind });
  }

  setDataset(dataset: LoadedDataset): void {
    this.set({ dataset });
  }

  updateForm(form: TrainForm): void {
    this.set({ form });
  }

  /** Trains `spec` with the form's settings. */
  start(spec: ArchSpec): Promise<void> {
    return this.begin(spec);
  }

  /** Goes on with a ledger run from its checkpoint, with its own settings. */
  resumeRun(record: RunRecord): Promise<void> {
    return this.begin(record.spec, record);
  }

  /** Trains the COMPARISON_PRESETS with seeds form.seed, form.seed + 1, ..., interleaved (comparisonQueue); Stop ends the queue. */
  async startComparison(): Promise<void> {
    for (const { preset: name, seed } of comparisonQueue(COMPARISON_PRESETS, COMPARISON_SEEDS, this.state.form.seed)) {
      const preset = findPreset(name);
      if (preset) await this.begin(preset.spec, undefined, { seed });
      if (this.stopper?.signal.aborted || this.stopRequested) break;
    }
  }

  togglePause(): void {
    if (this.state.state === 'paused') {
      this.handle?.resume();
      this.set({ state: 'running' });
    } else {
      this.handle?.pause();
      this.set({ state: 'paused' });
    }
  }

  /** Stops the run after its current step and evaluates it on the whole test set. */
  stop(): void {
    this.stopRequested = true;
    this.handle?.stop();
  }

  /** Ends the run at once, without an evaluation. */
  abort(): void {
    this.stopper?.abort();
  }

  /** The live learning rate, kept in the setting's range (a resumed run's checkpoint carries it). */
  setLearningRate(lr: number): void {
    const inRange = learningRateInRange(lr);
    this.set({ lr: inRange });
    this.handle?.setLearningRate(inRange);
  }

  private async begin(spec: ArchSpec, resume?: RunRecord, overrides: Partial<TrainSettings> = {}): Promise<void> {
    const { dataset, kind, form } = this.state;
    if (this.starting || this.state.state !== 'idle') return;
    if (!dataset || (resume && resume.dataset !== kind)) {
      const wanted = resume?.dataset ?? kind;
      this.set({ error: `Load ${CIFAR_LAYOUTS[wanted].title} above first${resume ? ' to resume this run' : ''}.` });
      return;
    }
    this.starting = true;
    const { deps } = this;
    const previous = this.state.run;
    this.set({ error: '', grid: undefined, live: undefined });
    const stopper = new AbortController();
    this.stopper = stopper;
    this.stopRequested = false;
    const id = resume?.id ?? deps.newId();
    let lease: RunLease | null = null;
    /** The record once the worker said 'started' (until then the run is not in the ledger). */
    let record: RunRecord | undefined;
    try {
      lease = await deps.claimRun(id);
      if (!lease) {
        this.set({ error: RUN_HELD_ELSEWHERE });
        return;
      }
      const claimed = lease;
      this.set({ state: 'running' });
      await deps.ensureRuntime();
      await deps.sendTrainData({ trainImages: dataset.train.images, trainLabels: dataset.train.labels, testImages: dataset.test.images, testLabels: dataset.test.labels, dataset: kind });
      const settings = resume?.settings ?? { ...formSettings(form), ...overrides };
      // A resumed run goes on from its checkpoint: the steps logged after it are done again.
      let current = resume ? resumeRecord(resume) : newRunRecord({ id, createdAt: deps.now(), spec, settings, dataset: kind });
      this.set({ run: current, progress: { step: resume?.checkpoint?.step ?? 0, total: current.totalSteps, eta: 0, ips: 0 } });
      // The held-out slice is the progress measure: whole-test evaluations come at the end (or on Stop).
      const request: TrainRequest = { spec, settings, resume: resume?.checkpoint, evaluateEachEpoch: false, liveEvaluation: LIVE_EVAL_DEFAULTS, checkpointEvery: CHECKPOINT_EVERY };
      let lastSave = 0;
      const onEvent = (e: TrainEvent) => {
        current = applyEvent(current, e);
        record = current;
        if (e.type === 'step') {
          const m = e.metrics;
          this.set({ run: current, progress: { step: m.step, total: current.totalSteps, eta: m.etaSeconds, ips: m.imagesPerSecond } });
        } else if (e.type === 'heldOut') {
          this.set({ run: current, live: { step: e.point.step, seconds: e.point.seconds, metrics: e.metrics, predictions: e.predictions } });
        } else if (e.type === 'sized') {
          this.set({ run: current, progress: { ...this.state.progress, total: e.totalSteps } });
        } else this.set({ run: current });
        if (e.type === 'step' || e.type === 'started' || e.type === 'paused' || e.type === 'resumed') {
          const step = e.type === 'step' ? e.metrics.step : e.type === 'started' ? this.state.progress.step : e.step;
          claimed.announce({ step, total: current.totalSteps, status: current.status === 'paused' ? 'paused' : 'running' });
        }
        if (e.type !== 'step' || deps.now() - lastSave > SAVE_STEPS_EVERY_MS) {
          lastSave = deps.now();
          void deps.save(current);
        }
      };
      const handle = deps.startTraining(request, onEvent, stopper.signal);
      this.handle = handle;
      // Stop pressed while the worker was being started.
      if (this.stopRequested) handle.stop();
      const outcome = await handle.outcome;
      record = finishRecord(current, outcome);
      this.set({ run: record });
      await deps.save(record);
      if (outcome.final) {
        const count = Math.min(GRID_IMAGES, dataset.test.count);
        const probs = await handle.predictTest(count);
        this.set({ grid: { images: dataset.test.images.subarray(0, count * CIFAR_IMAGE_BYTES), labels: dataset.test.labels.subarray(0, count), probs } });
      }
    } catch (e) {
      const message = (e as Error).message;
      this.set({ error: message });
      if (errorKind(e) === 'worker-stopped') deps.resetRuntime(message);
      if (record && record.status !== 'finished' && record.status !== 'stopped') {
        const failed = failRecord(record, message);
        this.set({ run: failed });
        await deps.save(failed).catch(() => undefined);
      } else if (!record) {
        // Refused before it started: nothing was recorded, and the run on screen stays the last one.
        this.set({ run: previous });
      }
    } finally {
      lease?.release();
      this.set({ state: 'idle' });
      this.handle = null;
      this.starting = false;
    }
  }
}
