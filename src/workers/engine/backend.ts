/**
 * Switching tfjs' backend, for every caller (the worker's backend ladder, Node tests, benchmarks, the
 * CLI): set it, wait until it is ready, register the app's kernels for it (kernels/index.ts) and share the
 * tensors saved for the backward pass (savedTensors.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { registerKernels } from '../kernels';
import { shareSavedTensors } from './savedTensors';

/** Switches to a registered backend with the app's kernels; false if it cannot start. */
export async function switchBackend(name: string): Promise<boolean> {
  if (!(await tf.setBackend(name))) return false;
  await tf.ready();
  if (tf.getBackend() !== name) return false;
  registerKernels(name);
  shareSavedTensors();
  return true;
}

export function tensorCount(): number {
  return tf.memory().numTensors;
}
