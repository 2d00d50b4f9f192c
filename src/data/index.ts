/**
 * The CIFAR data layer for the app: the pure reader (cifar.ts: page, worker, Node) and the
 * browser-side sources with their IndexedDB cache (sources.ts). dataCommand.ts is Node-only (the
 * `scripts/data.ts` tool) and is not exported here.
 */
export * from './cifar';
export * from './sources';
