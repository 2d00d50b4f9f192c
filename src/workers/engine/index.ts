/**
 * The engine: a network graph from `src/models` run with tfjs on whatever backend is active. Backend
 * selection for browsers (the probe ladder, with the wasm and webgpu backends) is backends.ts, which
 * only the worker loads; Node callers use `switchBackend`.
 */
export { switchBackend, tensorCount } from './backend';
export { execute, type ExecOptions } from './execute';
export { initParams, paramTensors, type ParamTensors, type ParamValues } from './params';
