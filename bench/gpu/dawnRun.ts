/**
 * The WebGPU side of `npm run bench:gpu -- --dawn`, in Node: the app's Trainer on tfjs' WebGPU
 * backend with the app's kernels (switchBackend), on Dawn's adapter (./dawn.ts installs it first;
 * this module imports tfjs, so it is imported only after that). Each preset and batch is timed as the
 * training bench's worker times it (bench/train/steps.ts); `profile` runs one step under tf.profile.
 */
import '@tensorflow/tfjs-backend-webgpu';
import { switchBackend } from '../../src/workers/engine/backend';
import { matMulMacsPerSecond } from '../train/ceiling';
import { type StepProfile, profileStep } from '../train/profile';
import { type StepTiming, presetTrainer, timeSteps } from '../train/steps';

export async function startWebgpu(): Promise<void> {
  if (!(await switchBackend('webgpu'))) throw new Error('tfjs did not start its WebGPU backend on the Dawn adapter');
}

/** tfjs' own matMul rate on the adapter, size³ (a GPU needs a larger one than 1024 to be busy); here so the driver imports tfjs only after Dawn is installed. */
export const webgpuMatMulMacsPerSecond = (size: number) => matMulMacsPerSecond(size);

export async function timePreset(name: string, batch: number, seconds: number): Promise<StepTiming> {
  const { trainer, step, forwardMacs } = presetTrainer(name, batch);
  try {
    return await timeSteps(step, batch, seconds, forwardMacs);
  } finally {
    trainer.dispose();
  }
}

export async function profilePreset(name: string, batch: number, top = 15): Promise<StepProfile> {
  const { trainer, step, forwardMacs } = presetTrainer(name, batch);
  try {
    for (let i = 0; i < 2; i++) await step();
    return await profileStep(step, { model: name, batch, macsExpected: 3 * forwardMacs * batch, top });
  } finally {
    trainer.dispose();
  }
}
