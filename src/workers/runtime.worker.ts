/**
 * The compute worker: one long-lived worker that owns TensorFlow.js. Created once by client.ts.
 */
import * as Comlink from 'comlink';
import type { BackendInfo, BackendName, RuntimeApi } from './protocol';
import { selectBackend } from './tf/backends';
import { runEquivalenceCheck, tensorCount } from './tf';

const jobs = new Map<number, AbortController>();
let started: Promise<BackendInfo> | undefined;

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
    } finally {
      jobs.delete(jobId);
    }
  },
  cancel(jobId) {
    jobs.get(jobId)?.abort();
  },
  tensorCount,
};

Comlink.expose(api);
