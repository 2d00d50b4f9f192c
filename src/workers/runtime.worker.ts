/**
 * The compute worker: one long-lived worker that owns TensorFlow.js. Created once by client.ts.
 *
 * A fatal engine error (errors.ts `fatalCause`: a WebAssembly trap, out of memory, a typed array
 * that could not be allocated, a lost GPU device) retires the worker: that call and every later one
 * reject with a 'worker-stopped' ComputeError, on which the page (client.ts) terminates it, and the
 * next run starts a fresh worker with a fresh engine.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { ComputeError, fatalCause, fatalEngineError, fatalEngineWhat, withKind } from './errors';
import { sendErrorKinds } from './errorTransfer';
import { tensorCount } from './engine/backend';
import { selectBackend } from './engine/backends';
import { runEquivalenceCheck } from './equivalence/check';
import type { BackendInfo, BackendName, RuntimeApi, TrainData } from './protocol';
import { TrainingJob } from './training/job';

/** The worker's memory as tfjs sees it, for leak checks (e2e): live tensors, their bytes, and the WASM heap. */
export interface WorkerMemory {
  backend: string;
  numTensors: number;
  numBytes: number;
  /** WASM only: the size of the wasm32 heap (it grows, and never shrinks). */
  wasmHeapBytes?: number;
}

/** What the worker exposes: the protocol's API and its memory (diagnostics, beside the protocol). */
export interface WorkerApi extends RuntimeApi {
  memory(): Promise<WorkerMemory>;
}

const jobs = new Map<number, AbortController>();

sendErrorKinds();

/** Set once a fatal engine error happened: every later call rejects with it. */
let retired: ComputeError | undefined;

function throwIfRetired(): void {
  if (retired) throw retired;
}

/**
 * `e`, or the 'worker-stopped' error that replaces it when it is fatal to the engine (which retires
 * this worker). The original goes to the worker's console; the page gets one plain sentence.
 */
function retireIfFatal(e: unknown): unknown {
  if (retired) return retired;
  const cause = fatalCause(e);
  if (!cause) return e;
  console.error('compute worker: fatal engine error, retiring the worker', e);
  retired = fatalEngineError(cause, tf.getBackend(), e);
  for (const controller of jobs.values()) controller.abort();
  training = undefined;
  return retired;
}

// A fatal error outside any call (a rejected promise nobody awaits) retires the worker too; the
// page sees it through the worker's error event (client.ts).
self.addEventListener('unhandledrejection', (event) => {
  const cause = fatalCause(event.reason);
  if (retired || !cause) return;
  retireIfFatal(event.reason);
  setTimeout(() => {
    throw new Error(fatalEngineWhat(cause, tf.getBackend()));
  });
});

let started: Promise<BackendInfo> | undefined;
let trainData: TrainData | undefined;
/** The latest training job (kept after it ends, for predictions on the test images). */
let training: { id: number; job: TrainingJob } | undefined;

const api: WorkerApi = {
  init(preferred?: BackendName) {
    throwIfRetired();
    started ??= selectBackend(preferred);
    return started;
  },
  async equivalence(jobId, request, onProgress) {
    throwIfRetired();
    if (!started) await api.init();
    await started;
    const controller = new AbortController();
    jobs.set(jobId, controller);
    try {
      return await runEquivalenceCheck(request, { signal: controller.signal, onProgress });
    } catch (e) {
      throw retireIfFatal(e);
    } finally {
      jobs.delete(jobId);
    }
  },
  cancel(jobId) {
    jobs.get(jobId)?.abort();
  },
  tensorCount() {
    throwIfRetired();
    return tensorCount();
  },
  async memory() {
    throwIfRetired();
    // tf.memory() would start a default backend: wait for the chosen one.
    if (!started) return { backend: '', numTensors: 0, numBytes: 0 };
    await started;
    const m = tf.memory();
    const heap = (tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8 : undefined)?.buffer.byteLength;
    return { backend: tf.getBackend(), numTensors: m.numTensors, numBytes: m.numBytes, ...(heap !== undefined ? { wasmHeapBytes: heap } : {}) };
  },
  setTrainData(data) {
    throwIfRetired();
    trainData = data;
  },
  async train(jobId, request, onEvent) {
    throwIfRetired();
    if (!started) await api.init();
    await started;
    if (!trainData) throw new ComputeError('no-data', 'No training data: load CIFAR first.');
    const controller = new AbortController();
    jobs.set(jobId, controller);
    training?.job.dispose();
    training = undefined;
    let job: TrainingJob | undefined;
    try {
      // A request the trainer refuses (spec, settings, data) is the caller's to fix; one that does not
      // fit the backend's memory is refused (out-of-memory) before anything is allocated.
      job = (() => {
        try {
          return new TrainingJob(request, trainData, controller.signal);
        } catch (e) {
          if (fatalCause(e)) throw e;
          throw withKind(e, 'invalid');
        }
      })();
      training = { id: jobId, job };
      return await job.run(onEvent);
    } catch (e) {
      // A failed run keeps nothing in the worker.
      if (job && !retired) {
        job.dispose();
        if (training?.job === job) training = undefined;
      }
      throw retireIfFatal(e);
    } finally {
      jobs.delete(jobId);
    }
  },
  stop(jobId) {
    if (training?.id === jobId) training.job.stop();
  },
  pause(jobId) {
    if (training?.id === jobId) training.job.pause();
  },
  resume(jobId) {
    if (training?.id === jobId) training.job.resume();
  },
  setLearningRate(jobId, lr) {
    if (training?.id === jobId) training.job.setLearningRate(lr);
  },
  async predictTest(jobId, count) {
    throwIfRetired();
    if (training?.id !== jobId || !trainData) throw new ComputeError('invalid', 'That run is no longer in the worker.');
    try {
      return await training.job.predict(trainData.testImages, Math.min(count, trainData.testLabels.length));
    } catch (e) {
      throw retireIfFatal(e);
    }
  },
};

Comlink.expose(api);
