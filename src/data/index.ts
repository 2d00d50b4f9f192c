/**
 * The CIFAR data layer for the app: the pure reader (cifar.ts: page, worker, Node; archives
 * streamed with a cap by archive.ts and tar.ts) and the browser-side sources with their IndexedDB
 * cache (sources.ts), which parse in a worker (parseClient.ts, parse.worker.ts). dataCommand.ts is Node-only (the
 * `scripts/data.ts` tool) and is not exported here.
 */
export * from './cifar';
export * from './sources';
export { parseInWorker, setParseWorkerFactory } from './parseClient';
