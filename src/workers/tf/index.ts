/**
 * The tfjs side of the product, backend-agnostic: graph execution, canonical parameters and the
 * equivalence lab. Backend selection for browsers lives in backends.ts (the worker loads it).
 */
import * as tf from '@tensorflow/tfjs';

export * from './equivalence';
export { execute, type ExecOptions, type ParamTensors } from './execute';
export { initParams, paramInfos, BN_EPSILON } from './params';

/** Switches to a registered backend and waits until it is ready; false if it cannot start. */
export async function useBackend(name: string): Promise<boolean> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok && tf.getBackend() === name;
}

export function tensorCount(): number {
  return tf.memory().numTensors;
}
