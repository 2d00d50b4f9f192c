/**
 * The compute worker: one long-lived worker that owns TensorFlow.js. Created once by client.ts.
 */
import * as Comlink from 'comlink';
import { ComputeError, withKind } from './errors';
import { sendErrorKinds } from './errorTransfer';
import { tensorCount } from './engine/backend';
import { selectBackend } from './engine/backends';
import { runEquivalenceCheck } from './equivalence/check';
import type { BackendInfo, BackendName, RuntimeApi, TrainData } from './protocol';
import { TrainingJob } from './training/job';

const jobs = new Map<number, AbortController>();

sendErrorKinds();

/**
 * A WASM module that aborted (out of memory) fails every later call: fail the whole worker as well,
 * so the page marks the run interrupted and its next call starts a fresh worker (client.ts).
 */
function failWorkerIfAborted(e: unknown): void {
  if (!/\bAborted\(/.test((e as Error)?.message ?? '')) return;
  setTimeout(() => {
    throw new Error('the WASM backend ran out of memory and aborted');
  });
}
let started: Promise<BackendInfo> | undefined;
let trainData: TrainData | undefined;
/** The latest training job (kept after it ends, for predictions on the test images). */
let training: { id: number; job: TrainingJob } | undefined;

const api: RuntimeApi = {
  init(preferred?: BackendName) {
    started ??= selectBackend(preferred);
    return started;
  },
  async equivalence(jobId, request, onProgress) {
    if (!started) await api.init();
    await started;
    const controller = new AbortController();
    jobs.set(jobId, controller);
    try {
      return await runEquivalenceCheck(request, { signal: controller.signal, onProgress });
    } catch (e) {
      failWorkerIfAborted(e);
      throw e;
    } finally {
      jobs.delete(jobId);
    }
  },
  cancel(jobId) {
    jobs.get(jobId)?.abort();
  },
  tensorCount,
  setTrainData(data) {
    trainData = data;
  },
  async train(jobId, request, onEvent) {
    if (!started) await api.init();
    await started;
    if (!trainData) throw new ComputeError('no-data', 'No training data: load CIFAR first.');
    const controller = new AbortController();
    jobs.set(jobId, controller);
    training?.job.dispose();
    training = undefined;
    try {
      // A request the trainer refuses (spec, settings, data) is the caller's to fix.
      const job = (() => {
        try {
          return new TrainingJob(request, trainData, controller.signal);
        } catch (e) {
          throw withKind(e, 'invalid');
        }
      })();
      training = { id: jobId, job };
      return await job.run(onEvent);
    } catch (e) {
      failWorkerIfAborted(e);
      throw e;
    } finally {
      jobs.delete(jobId);
    }
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
    if (training?.id !== jobId || !trainData) throw new ComputeError('invalid', 'That run is no longer in the worker.');
    return training.job.predict(trainData.testImages, Math.min(count, trainData.testLabels.length));
  },
};

Comlink.expose(api);
