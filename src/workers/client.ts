/**
 * The app's handle on the compute worker: created once, on first use (tfjs loads with it, not with
 * the page). If the worker dies (a lost GPU device, out of memory) or retires itself after a fatal
 * engine error (runtime.worker.ts), pending calls reject with a ComputeError of kind
 * 'worker-stopped' (errors.ts), the worker is terminated, and the next call starts a fresh one, on
 * the backend the page last asked for.
 */
import * as Comlink from 'comlink';
import { ComputeError, errorKind } from './errors';
import type { BackendInfo, BackendName, CheckRequest, CheckResult, ProgressCallback, TrainData, TrainEvent, TrainOutcome, TrainRequest } from './protocol';
import type { WorkerApi, WorkerMemory } from './runtime.worker';

export type { WorkerMemory };

interface Runtime {
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
  /** Rejects when the worker reports an error it cannot recover from. */
  dead: Promise<never>;
  /** The backend chosen in this worker (a fresh worker after a restart starts the last one asked for). */
  initialized?: Promise<BackendInfo>;
}

let runtime: Runtime | undefined;
let nextJob = 1;
/** The backend the page last started (startRuntime): undefined until it has, or for the automatic choice. */
let chosen: { backend: BackendName | undefined } | undefined;

/** Ends `r`: the next call starts a fresh worker. */
function retire(r: Runtime): void {
  if (runtime === r) runtime = undefined;
  r.worker.terminate();
}

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
  return { worker, api: Comlink.wrap<WorkerApi>(worker), dead };
}

function current(): Runtime {
  runtime ??= start();
  return runtime;
}

/**
 * A call that also fails if the worker dies meanwhile. A fresh worker first starts the backend the
 * page chose; a 'worker-stopped' answer (a fatal engine error) retires the worker.
 */
function guarded<T>(call: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
  const r = current();
  if (chosen && !r.initialized) {
    const init = r.api.init(chosen.backend);
    r.initialized = init;
    // A backend that did not start is tried again by the next call.
    init.catch(() => {
      if (r.initialized === init) r.initialized = undefined;
    });
  }
  const ready = r.initialized ? r.initialized.then(() => call(r.api)) : call(r.api);
  return Promise.race([ready, r.dead]).catch((e: unknown) => {
    if (errorKind(e) === 'worker-stopped') retire(r);
    throw e;
  });
}

export function startRuntime(preferred?: BackendName): Promise<BackendInfo> {
  chosen = { backend: preferred };
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

/** The worker's tensors and memory (leak checks; the e2e tests read it through `window.resnextLabWorker`). */
export function workerMemory(): Promise<WorkerMemory> {
  return guarded((api) => api.memory());
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
  /** Stops after the current step and evaluates the whole test set (the signal aborts without evaluating). */
  stop(): void;
  setLearningRate(lr: number): void;
  predictTest(count: number): Promise<Float32Array>;
}

/** Starts a training run; `signal` aborts it (the outcome then has status 'stopped', without an evaluation; `stop()` evaluates). */
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
    stop: () => void r.api.stop(job),
    setLearningRate: (lr) => void r.api.setLearningRate(job, lr),
    predictTest: (count) => guarded((api) => api.predictTest(job, count)),
  };
}

// The e2e tests' hook on the worker (as e2e/fixtures expose theirs on window): tensor count and memory.
if (typeof window !== 'undefined') {
  (window as unknown as { resnextLabWorker: unknown }).resnextLabWorker = { tensorCount: workerTensorCount, memory: workerMemory };
}
