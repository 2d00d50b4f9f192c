/**
 * The app's handle on the compute worker: created once, on first use (tfjs loads with it, not with
 * the page). If the worker dies (a lost GPU device, out of memory), pending calls reject with a
 * ComputeError of kind 'worker-stopped' (errors.ts) and the next call starts a fresh worker.
 */
import * as Comlink from 'comlink';
import { ComputeError } from './errors';
import type { BackendInfo, BackendName, CheckRequest, CheckResult, ProgressCallback, RuntimeApi, TrainData, TrainEvent, TrainOutcome, TrainRequest } from './protocol';

interface Runtime {
  worker: Worker;
  api: Comlink.Remote<RuntimeApi>;
  /** Rejects when the worker reports an error it cannot recover from. */
  dead: Promise<never>;
}

let runtime: Runtime | undefined;
let nextJob = 1;

function start(): Runtime {
  const worker = new Worker(new URL('./runtime.worker.ts', import.meta.url), { type: 'module', name: 'resnext-lab-compute' });
  const dead = new Promise<never>((_, reject) => {
    const fail = (message: string) => {
      if (runtime?.worker === worker) runtime = undefined;
      worker.terminate();
      reject(new ComputeError('worker-stopped', `The compute worker stopped: ${message}. It restarts on the next run.`));
    };
    // An error thrown in the worker arrives as "Uncaught Error: …": keep the message only.
    worker.addEventListener('error', (e) => fail((e.message || 'script error').replace(/^Uncaught (\w*Error: )?/, '')));
    worker.addEventListener('messageerror', () => fail('a message could not be read'));
  });
  dead.catch(() => undefined);
  return { worker, api: Comlink.wrap<RuntimeApi>(worker), dead };
}

function current(): Runtime {
  runtime ??= start();
  return runtime;
}

/** A call that also fails if the worker dies meanwhile. */
function guarded<T>(call: (api: Comlink.Remote<RuntimeApi>) => Promise<T>): Promise<T> {
  const r = current();
  return Promise.race([call(r.api), r.dead]);
}

export function startRuntime(preferred?: BackendName): Promise<BackendInfo> {
  return guarded((api) => api.init(preferred));
}

export async function runEquivalence(request: CheckRequest, options: { signal?: AbortSignal; onProgress?: ProgressCallback } = {}): Promise<CheckResult> {
  const job = nextJob++;
  const r = current();
  const onAbort = () => void r.api.cancel(job);
  options.signal?.addEventListener('abort', onAbort);
  try {
    const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    return await guarded((api) => api.equivalence(job, request, progress));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export function workerTensorCount(): Promise<number> {
  return guarded((api) => api.tensorCount());
}

/** Sends the dataset to the worker (copied: the page keeps its arrays for the image grid). */
export function sendTrainData(data: TrainData): Promise<void> {
  return guarded((api) => api.setTrainData(data));
}

export interface RunHandle {
  job: number;
  outcome: Promise<TrainOutcome>;
  pause(): void;
  resume(): void;
  setLearningRate(lr: number): void;
  predictTest(count: number): Promise<Float32Array>;
}

/** Starts a training run; `signal` stops it (the outcome then has status 'stopped'). */
export function startTraining(request: TrainRequest, onEvent: (e: TrainEvent) => void, signal?: AbortSignal): RunHandle {
  const job = nextJob++;
  const r = current();
  const onAbort = () => void r.api.cancel(job);
  signal?.addEventListener('abort', onAbort);
  const outcome = guarded((api) => api.train(job, request, Comlink.proxy(onEvent))).finally(() => signal?.removeEventListener('abort', onAbort));
  return {
    job,
    outcome,
    pause: () => void r.api.pause(job),
    resume: () => void r.api.resume(job),
    setLearningRate: (lr) => void r.api.setLearningRate(job, lr),
    predictTest: (count) => guarded((api) => api.predictTest(job, count)),
  };
}
