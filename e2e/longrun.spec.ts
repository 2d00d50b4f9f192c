/**
 * Long runs leak nothing: a tiny model trains 1,000 steps on WASM (and ~20 on WebGPU, SwiftShader
 * here, then stopped) and the worker's tensor count, tensor bytes and WASM heap stay flat after warm-up. Each
 * sample is taken with the run paused (between chunks of steps: no step, evaluation or checkpoint in
 * flight), through the page's worker hook (e2e/fixtures/worker.ts).
 */
import { type Locator, type Page, expect, test } from '@playwright/test';
import type { WorkerMemory } from '../src/workers/client';
import { workerProbe } from './fixtures/worker';
import { startTraining } from './training';

/** Steps the worker may run between the step on screen and the pause (~3 s of this tiny model here). */
const MAX_PAUSE_LAG_STEPS = 50;

const stepOf = (text: string | null) => Number(/step (\d+) \//.exec(text ?? '')?.[1] ?? NaN);

/**
 * Pauses the run once it has passed `step`, reads the worker's memory, and resumes it. The pause
 * lands within a few steps of the one on screen: a page that falls behind the worker's events (its
 * charts' tables were once rebuilt on every step, ~70 ms each) shows old steps and pauses late.
 */
async function sampleAt(page: Page, training: Locator, step: number, timeout: number): Promise<WorkerMemory & { step: number }> {
  const progress = page.getByTestId('train-progress');
  await expect.poll(async () => stepOf(await progress.textContent()), { timeout, intervals: [100] }).toBeGreaterThanOrEqual(step);
  const shown = stepOf(await progress.textContent());
  await training.getByRole('button', { name: 'Pause' }).click();
  await expect(progress).toContainText('paused on', { timeout: 60_000 });
  const at = stepOf(await progress.textContent());
  expect(at - shown, `paused at step ${at}, ${at - shown} steps after the step on screen when Pause was clicked`).toBeLessThanOrEqual(MAX_PAUSE_LAG_STEPS);
  const memory = await (await workerProbe(page)).memory();
  await training.getByRole('button', { name: 'Resume' }).click();
  await expect(progress).toContainText('running on');
  return { ...memory, step: at };
}

const MiB = 2 ** 20;
const describe = (s: WorkerMemory & { step: number }) =>
  `step ${s.step}: ${s.numTensors} tensors, ${(s.numBytes / MiB).toFixed(2)} MiB${s.wasmHeapBytes !== undefined ? `, WASM heap ${(s.wasmHeapBytes / MiB).toFixed(0)} MiB` : ''}`;

test('1,000 WASM steps of a tiny model: tensors, tensor bytes and the WASM heap flat after warm-up', async ({ page }) => {
  test.setTimeout(900_000);
  const training = await startTraining(page, '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&widths=16,32,64&view=train&backend=wasm', { batch: 4, steps: 1000 });
  const samples = [];
  for (const step of [100, 400, 700, 850]) samples.push(await sampleAt(page, training, step, 600_000));
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 600_000 });
  const [warm, ...later] = samples;
  // The end is read once the worker is idle: right after "finished" the page asks for the prediction
  // grid, whose evaluation holds a snapshot of the parameters and its activations for a moment.
  const probe = await workerProbe(page);
  await expect.poll(async () => (await probe.memory()).numTensors, { timeout: 30_000 }).toBeLessThanOrEqual(warm!.numTensors);
  const end = { ...(await probe.memory()), step: stepOf(await page.getByTestId('train-progress').textContent()) };
  expect(end.step).toBe(1000);
  console.log(['WASM long run:', ...samples.map(describe), `after the run (the model kept for predictions): ${describe(end)}`].join('\n  '));
  for (const s of later) {
    expect(s.numTensors, describe(s)).toBe(warm!.numTensors);
    expect(s.numBytes, describe(s)).toBe(warm!.numBytes);
    expect(s.wasmHeapBytes, describe(s)).toBe(warm!.wasmHeapBytes);
  }
  // Once finished, the run keeps its model (for the prediction grid) and nothing of its steps.
  expect(end.numTensors).toBeLessThanOrEqual(warm!.numTensors);
  expect(end.wasmHeapBytes).toBe(warm!.wasmHeapBytes);
});

test('~20 WebGPU steps: tensors and tensor bytes flat after warm-up', async ({ page }) => {
  test.setTimeout(600_000);
  // More steps than it will run: aborted after the last sample (Stop would evaluate the 932 test
  // images, minutes on SwiftShader; Abort ends the run without an evaluation).
  const training = await startTraining(page, '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&widths=16,32,64&view=train&backend=webgpu', { batch: 2, steps: 1000 });
  await expect(page.getByTestId('train-progress')).toContainText('on webgpu', { timeout: 120_000 });
  const samples = [];
  for (const step of [6, 12, 20]) samples.push(await sampleAt(page, training, step, 300_000));
  await training.getByRole('button', { name: 'Abort' }).click();
  await expect(page.getByTestId('ledger')).toContainText('stopped', { timeout: 120_000 });
  const [warm, ...later] = samples;
  const probe = await workerProbe(page);
  await expect.poll(async () => (await probe.memory()).numTensors, { timeout: 60_000 }).toBeLessThanOrEqual(warm!.numTensors);
  const end = { ...(await probe.memory()), step: stepOf(await page.getByTestId('train-progress').textContent()) };
  console.log(['WebGPU run:', ...samples.map(describe), `aborted: ${describe(end)}`].join('\n  '));
  for (const s of later) {
    expect(s.numTensors, describe(s)).toBe(warm!.numTensors);
    expect(s.numBytes, describe(s)).toBe(warm!.numBytes);
  }
  expect(end.numTensors).toBeLessThanOrEqual(warm!.numTensors);
});
