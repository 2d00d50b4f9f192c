/** The training benchmark's page: one worker per backend, driven from bench/train.bench.ts. */
import * as Comlink from 'comlink';
import type { TrainBenchWorker } from './worker';

let worker: Worker | undefined;
let api: Comlink.Remote<TrainBenchWorker> | undefined;

const bench = {
  /** A fresh worker (and so a fresh tfjs) for each backend. */
  open(): void {
    worker?.terminate();
    worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    api = Comlink.wrap<TrainBenchWorker>(worker);
  },
  get api(): Comlink.Remote<TrainBenchWorker> {
    if (!api) throw new Error('call open() first');
    return api;
  },
  close(): void {
    worker?.terminate();
    worker = api = undefined;
  },
};

(globalThis as unknown as { trainBench: typeof bench }).trainBench = bench;
document.body.dataset.ready = 'true';
