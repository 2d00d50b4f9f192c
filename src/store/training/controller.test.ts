import { describe, expect, it, vi } from 'vitest';
import { CIFAR_IMAGE_BYTES } from '../../data/format';
import type { LoadedDataset } from '../../data/sources';
import { findPreset } from '../../models';
import type { RunHandle } from '../../workers/client';
import { ComputeError } from '../../workers/errors';
import type { TrainCheckpoint, TrainData, TrainEvent, TrainOutcome, TrainRequest } from '../../workers/protocol';
import type { RunRecord } from '../runs';
import { LIVE_EVAL_DEFAULTS } from '../../workers/training/liveEval';
import { COMPARISON_SEEDS } from './comparison';
import { COMPARISON_PRESETS, GRID_IMAGES, RUN_HELD_ELSEWHERE, TrainingController } from './controller';
import type { RunLease } from './runLocks';

const spec = findPreset('classroom_resnet29_1x18d')!.spec;

function dataset(kind: 'cifar10' | 'cifar100' = 'cifar10', test = 30): LoadedDataset {
  const split = (count: number) => ({ images: new Uint8Array(count * CIFAR_IMAGE_BYTES).map((_, i) => i % 251), labels: new Uint8Array(count).map((_, i) => i % 10), count });
  return { kind, classNames: [], train: split(4), test: split(test), source: 'test', fromCache: false };
}

const checkpoint = (step: number) => ({ version: 1, specName: spec.name, step, settings: {}, params: {}, momentum: {}, rng: { algorithm: 'mulberry32', seed: 1, step } }) as unknown as TrainCheckpoint;
const finalMetrics = { split: 'test' as const, images: 30, loss: 1, accuracy: 0.5, perClassAccuracy: [], confusion: [], seconds: 1 };
const step = (n: number): TrainEvent => ({ type: 'step', metrics: { step: n, epoch: n / 10, loss: 2, accuracy: 0.1, lr: 0.05, imagesPerSecond: 50, etaSeconds: 9 } });

/** A controller over fake deps; each started job waits for `finish` or `fail`. */
function setup() {
  const jobs: { request: TrainRequest; emit: (e: TrainEvent) => void; signal: AbortSignal; handle: RunHandle; finish: (o: TrainOutcome) => void; fail: (e: unknown) => void }[] = [];
  const saved: RunRecord[] = [];
  const sent: TrainData[] = [];
  const resetRuntime = vi.fn();
  let clock = 1_700_000_000_000;
  let ids = 0;
  let runtimeFails = false;
  /** Run ids another tab holds; `leases` records this tab's claims and what it announced. */
  const elsewhere = new Set<string>();
  const leases: { id: string; released: boolean; announced: { step: number; status: string }[] }[] = [];
  const controller = new TrainingController({
    ensureRuntime: async () => {
      if (runtimeFails) throw new Error('the compute worker did not start');
    },
    resetRuntime,
    sendTrainData: async (data) => void sent.push(data),
    startTraining: (request, onEvent, signal) => {
      let finish!: (o: TrainOutcome) => void;
      let fail!: (e: unknown) => void;
      const outcome = new Promise<TrainOutcome>((resolve, reject) => ((finish = resolve), (fail = reject)));
      // Stop ends the job with an evaluation, an abort without one (as the worker does).
      const stop = vi.fn(() => finish({ status: 'stopped', step: 0, checkpoint: checkpoint(0), final: finalMetrics }));
      const handle: RunHandle = { job: jobs.length + 1, outcome, pause: vi.fn(), resume: vi.fn(), stop, setLearningRate: vi.fn(), predictTest: vi.fn(async (count: number) => new Float32Array(count * 10)) };
      signal.addEventListener('abort', () => finish({ status: 'stopped', step: 0, checkpoint: checkpoint(0) }));
      jobs.push({ request, emit: onEvent, signal, handle, finish, fail });
      return handle;
    },
    save: async (r) => void saved.push(r),
    claimRun: async (id) => {
      if (elsewhere.has(id)) return null;
      const entry = { id, released: false, announced: [] as { step: number; status: string }[] };
      leases.push(entry);
      const lease: RunLease = { id, announce: (p) => void entry.announced.push({ step: p.step, status: p.status }), release: () => void (entry.released = true) };
      return lease;
    },
    now: () => (clock += 500),
    newId: () => `run-${++ids}`,
  });
  /** Lets the awaited runtime start and data upload settle. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { controller, jobs, saved, sent, resetRuntime, settle, elsewhere, leases, failRuntime: () => (runtimeFails = true), state: () => controller.store.getState() };
}

describe('TrainingController', () => {
  it('asks for the data first and starts nothing without it', async () => {
    const t = setup();
    await t.controller.start(spec);
    expect(t.state().error).toBe('Load CIFAR-10 above first.');
    expect(t.jobs).toHaveLength(0);
    expect(t.state().state).toBe('idle');
  });

  it('a run: sends the data, starts with the form settings, folds the events into the record, saves it, and predicts the grid', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    t.controller.updateForm({ ...t.state().form, steps: 3, batchSize: 16 });
    const done = t.controller.start(spec);
    await t.settle();
    expect(t.sent[0]).toMatchObject({ dataset: 'cifar10' });
    expect(t.sent[0]!.trainImages).toBe(t.state().dataset!.train.images);
    const [job] = t.jobs;
    expect(job!.request).toMatchObject({ spec, settings: { batchSize: 16, steps: 3, recipe: 'paper' }, resume: undefined, evaluateEachEpoch: false, liveEvaluation: LIVE_EVAL_DEFAULTS });
    expect(t.state()).toMatchObject({ state: 'running', run: { id: 'run-1', status: 'running' } });

    job!.emit({ type: 'started', totalSteps: 3, stepsPerEpoch: 3, backend: 'wasm', memory: { bytesPerImage: 1, budgetBytes: 2 } });
    for (const n of [1, 2, 3]) job!.emit(step(n));
    expect(t.state().run).toMatchObject({ backend: 'wasm', totalSteps: 3 });
    expect(t.state().run!.steps.map((p) => p.step)).toEqual([1, 2, 3]);
    expect(t.state().progress).toEqual({ step: 3, total: 3, eta: 9, ips: 50 });
    expect(t.saved.at(-1)!.backend).toBe('wasm');

    job!.finish({ status: 'finished', step: 3, checkpoint: checkpoint(3), final: finalMetrics });
    await done;
    expect(t.state()).toMatchObject({ state: 'idle', error: '', run: { status: 'finished', final: { accuracy: 0.5 } } });
    expect(t.saved.at(-1)).toBe(t.state().run);
    expect(job!.handle.predictTest).toHaveBeenCalledWith(GRID_IMAGES);
    expect(t.state().grid!.images.length).toBe(GRID_IMAGES * CIFAR_IMAGE_BYTES);
    expect(t.state().grid!.labels.length).toBe(GRID_IMAGES);
  });

  it('pause, resume, learning rate and abort reach the running job; an aborted run has no evaluation', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const done = t.controller.start(spec);
    await t.settle();
    const { handle, signal } = t.jobs[0]!;
    t.controller.togglePause();
    expect(handle.pause).toHaveBeenCalled();
    expect(t.state().state).toBe('paused');
    t.controller.togglePause();
    expect(handle.resume).toHaveBeenCalled();
    expect(t.state().state).toBe('running');
    t.controller.setLearningRate(0.01);
    expect(handle.setLearningRate).toHaveBeenCalledWith(0.01);
    expect(t.state().lr).toBe(0.01);
    t.controller.abort();
    expect(signal.aborted).toBe(true);
    expect(handle.stop).not.toHaveBeenCalled();
    await done;
    expect(t.state()).toMatchObject({ state: 'idle', run: { status: 'stopped' } });
    expect(t.state().run!.final).toBeUndefined();
    expect(t.state().grid).toBeUndefined();
  });

  it('Stop asks the job to stop and evaluate (no abort): the stopped run keeps the test evaluation and shows the grid', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const done = t.controller.start(spec);
    await t.settle();
    const { handle, signal } = t.jobs[0]!;
    t.controller.stop();
    expect(handle.stop).toHaveBeenCalledTimes(1);
    expect(signal.aborted).toBe(false);
    await done;
    expect(t.state()).toMatchObject({ state: 'idle', run: { status: 'stopped', final: { accuracy: 0.5 } } });
    expect(t.state().grid!.labels.length).toBe(GRID_IMAGES);
  });

  it("held-out evaluations become the run's timeline and the live view (metrics and predictions); a time-budget run's length arrives with 'sized'", async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    t.controller.updateForm({ ...t.state().form, timeBudgetMinutes: 2 });
    const done = t.controller.start(spec);
    await t.settle();
    const job = t.jobs[0]!;
    expect(job.request.settings).not.toHaveProperty('steps');
    job.emit({ type: 'started', totalSteps: 0, stepsPerEpoch: 3, backend: 'wasm', memory: { bytesPerImage: 1, budgetBytes: 2 } });
    job.emit(step(1));
    const predictions = [{ index: 4, label: 3, top: [{ label: 3, probability: 0.6 }, { label: 1, probability: 0.3 }, { label: 0, probability: 0.1 }] }];
    job.emit({ type: 'heldOut', point: { seconds: 9.5, images: 32, step: 1, heldOutAccuracy: 0.25 }, metrics: { ...finalMetrics, accuracy: 0.25 }, predictions });
    expect(t.state().live).toEqual({ step: 1, seconds: 9.5, metrics: { ...finalMetrics, accuracy: 0.25 }, predictions });
    expect(t.state().run!.heldOut).toEqual([{ seconds: 9.5, images: 32, step: 1, heldOutAccuracy: 0.25 }]);
    job.emit({ type: 'sized', totalSteps: 40, secondsPerStep: 2, budgetSeconds: 120 });
    expect(t.state().progress.total).toBe(40);
    expect(t.state().run).toMatchObject({ totalSteps: 40, settings: { steps: 40, timeBudgetMinutes: 2 } });
    t.controller.abort();
    await done;
    // The next run starts without the last one's live view.
    const next = t.controller.start(spec);
    await t.settle();
    expect(t.state().live).toBeUndefined();
    t.controller.abort();
    await next;
  });

  it("a stopped worker ('worker-stopped'): the run is interrupted with the message and the runtime is reset", async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const done = t.controller.start(spec);
    await t.settle();
    t.jobs[0]!.emit({ type: 'checkpoint', checkpoint: checkpoint(2) });
    const message = 'The compute worker stopped: the GPU device was lost. It restarts on the next run.';
    t.jobs[0]!.fail(new ComputeError('worker-stopped', message));
    await done;
    expect(t.resetRuntime).toHaveBeenCalledWith(message);
    expect(t.state()).toMatchObject({ state: 'idle', error: message, run: { status: 'interrupted', error: message, checkpoint: { step: 2 } } });
    expect(t.saved.at(-1)).toMatchObject({ status: 'interrupted', error: message });
  });

  it('other errors interrupt the run without resetting the runtime (the kind decides, not the message)', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const done = t.controller.start(spec);
    await t.settle();
    t.jobs[0]!.emit({ type: 'started', totalSteps: 3, stepsPerEpoch: 3, backend: 'wasm', memory: { bytesPerImage: 1, budgetBytes: 2 } });
    t.jobs[0]!.fail(new ComputeError('out-of-memory', 'The compute worker stopped (not really): out of memory'));
    await done;
    expect(t.resetRuntime).not.toHaveBeenCalled();
    expect(t.state().run).toMatchObject({ status: 'interrupted' });
  });

  it("a run the worker refuses before 'started' (its memory plan) leaves no ledger entry, and the run on screen stays the last one", async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const sentence = 'This model cannot train on WASM: its 543M parameters need 8.1 GiB for weights, gradients and momentum before a single image, and the WASM backend holds about 3.0 GiB; make it narrower or shallower.';
    const done = t.controller.start(spec);
    await t.settle();
    t.jobs[0]!.fail(new ComputeError('out-of-memory', sentence));
    await done;
    expect(t.saved).toEqual([]);
    expect(t.state()).toMatchObject({ state: 'idle', error: sentence, run: null });
    expect(t.resetRuntime).not.toHaveBeenCalled();
    expect(t.leases).toEqual([{ id: 'run-1', released: true, announced: [] }]);

    // The next run trains (and is recorded).
    const next = t.controller.start(spec);
    await t.settle();
    t.jobs[1]!.emit({ type: 'started', totalSteps: 1, stepsPerEpoch: 1, backend: 'wasm', memory: { bytesPerImage: 1, budgetBytes: 2 } });
    t.jobs[1]!.finish({ status: 'stopped', step: 0, checkpoint: checkpoint(0) });
    await next;
    expect(t.saved.map((r) => [r.id, r.status])).toEqual([
      ['run-2', 'running'],
      ['run-2', 'stopped'],
    ]);
  });

  it('holds the run for its whole life: announces its progress to other tabs, lets go after the last save', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const done = t.controller.start(spec);
    await t.settle();
    const job = t.jobs[0]!;
    job.emit({ type: 'started', totalSteps: 3, stepsPerEpoch: 3, backend: 'wasm', memory: { bytesPerImage: 1, budgetBytes: 2 } });
    job.emit(step(1));
    job.emit({ type: 'paused', step: 1 });
    job.emit({ type: 'resumed', step: 1 });
    job.emit(step(2));
    expect(t.leases[0]!.announced).toEqual([
      { step: 0, status: 'running' },
      { step: 1, status: 'running' },
      { step: 1, status: 'paused' },
      { step: 1, status: 'running' },
      { step: 2, status: 'running' },
    ]);
    expect(t.leases[0]!.released).toBe(false);
    job.finish({ status: 'stopped', step: 2, checkpoint: checkpoint(2) });
    await done;
    expect(t.leases[0]!.released).toBe(true);
    expect(t.saved.at(-1)).toMatchObject({ status: 'stopped' });
  });

  it('cannot resume a run another tab trains', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const held = { ...({} as RunRecord), id: 'other-tab', spec, dataset: 'cifar10' as const, status: 'running' as const, checkpoint: checkpoint(3), settings: {}, steps: [], evals: [] };
    t.elsewhere.add('other-tab');
    await t.controller.resumeRun(held);
    expect(t.state()).toMatchObject({ state: 'idle', error: RUN_HELD_ELSEWHERE, run: null });
    expect(t.jobs).toHaveLength(0);
    expect(t.saved).toEqual([]);
  });

  it('keeps the live learning rate in the setting\'s range', () => {
    const t = setup();
    t.controller.setLearningRate(10 ** -4);
    expect(t.state().lr).toBe(1e-4);
    t.controller.setLearningRate(50);
    expect(t.state().lr).toBe(2);
  });

  it('a runtime that does not start shows the error and leaves the last run as it was', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const first = t.controller.start(spec);
    await t.settle();
    t.jobs[0]!.finish({ status: 'stopped', step: 1, checkpoint: checkpoint(1) });
    await first;
    t.failRuntime();
    await t.controller.start(spec);
    expect(t.state()).toMatchObject({ state: 'idle', error: 'the compute worker did not start', run: { id: 'run-1', status: 'stopped' } });
    expect(t.jobs).toHaveLength(1);
  });

  it('resumes a ledger run from its checkpoint with its own settings, continuing one history', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const first = t.controller.start(spec);
    await t.settle();
    for (const n of [1, 2, 3, 4, 5]) t.jobs[0]!.emit(step(n));
    t.jobs[0]!.emit({ type: 'checkpoint', checkpoint: checkpoint(3) });
    t.jobs[0]!.fail(new ComputeError('worker-stopped', 'lost'));
    await first;
    const interrupted = t.state().run!;

    t.controller.updateForm({ ...t.state().form, batchSize: 64 });
    const resumed = t.controller.resumeRun(interrupted);
    await t.settle();
    const job = t.jobs[1]!;
    expect(job.request.resume).toBe(interrupted.checkpoint);
    expect(job.request.settings).toBe(interrupted.settings);
    expect(t.state().run).toMatchObject({ id: interrupted.id, status: 'running', error: undefined });
    expect(t.state().progress.step).toBe(3);
    for (const n of [4, 5, 6]) job.emit(step(n));
    job.finish({ status: 'stopped', step: 6, checkpoint: checkpoint(6) });
    await resumed;
    expect(t.state().run!.steps.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a run of another dataset asks for that dataset first', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    await t.controller.resumeRun({ ...({} as RunRecord), spec, dataset: 'cifar100', checkpoint: checkpoint(3) });
    expect(t.state().error).toBe('Load CIFAR-100 above first to resume this run.');
    expect(t.jobs).toHaveLength(0);
  });

  it('"cardinality vs width" trains both lesson presets, seed by seed from the form\'s seed, interleaved; Stop ends the queue', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    t.controller.updateForm({ ...t.state().form, seed: 5 });
    const queue = t.controller.startComparison();
    for (let i = 0; i < 2 * COMPARISON_SEEDS; i++) {
      await t.settle();
      t.jobs[i]!.finish({ status: 'finished', step: 1, checkpoint: checkpoint(1), final: finalMetrics });
    }
    await queue;
    const [x, y] = COMPARISON_PRESETS;
    expect(t.jobs.map((j) => `${j.request.spec.name} ${j.request.settings.seed}`)).toEqual([`${x} 5`, `${y} 5`, `${x} 6`, `${y} 6`, `${x} 7`, `${y} 7`]);
    expect(t.state().form.seed).toBe(5);

    // Stop (which evaluates) ends the queue as Abort does.
    for (const end of ['stop', 'abort'] as const) {
      const before = t.jobs.length;
      const stopped = t.controller.startComparison();
      await t.settle();
      t.controller[end]();
      await stopped;
      expect(t.jobs, end).toHaveLength(before + 1);
    }
  });

  it('ignores a second start while a run is going', async () => {
    const t = setup();
    t.controller.setDataset(dataset());
    const first = t.controller.start(spec);
    await t.controller.start(spec);
    await t.settle();
    expect(t.jobs).toHaveLength(1);
    t.controller.abort();
    await first;
  });
});
