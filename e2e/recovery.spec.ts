import { expect, test } from '@playwright/test';
import { startTraining } from './training';

/** The tiny classroom ResNet on WebGPU (SwiftShader here: slow, so few steps). */
const TINY_WEBGPU = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=webgpu';

const stepOf = (text: string | null) => Number(/step (\d+) \//.exec(text ?? '')?.[1] ?? NaN);

test('a lost GPU device: the run is marked interrupted with its checkpoint, the app stays usable, and the run resumes from the checkpoint', async ({ page }) => {
  test.setTimeout(600_000);
  const training = await startTraining(page, TINY_WEBGPU, { batch: 4, steps: 400 });

  // A checkpoint is saved every 15 s of training.
  const ledger = page.getByTestId('ledger');
  await expect(ledger.getByTestId('ledger-checkpoint')).toBeVisible({ timeout: 300_000 });
  const saved = Number(/saved at (\d+)/.exec((await ledger.getByTestId('ledger-checkpoint').textContent()) ?? '')?.[1]);
  expect(saved).toBeGreaterThan(0);

  // Lose the device: the worker's next command encoder destroys it first (as a driver reset would).
  const worker = page.workers().find((w) => w.url().includes('worker'));
  expect(worker, 'the compute worker').toBeDefined();
  await worker!.evaluate(() => {
    const proto = GPUDevice.prototype;
    const original = proto.createCommandEncoder;
    proto.createCommandEncoder = function (this: GPUDevice, ...args: Parameters<GPUDevice['createCommandEncoder']>) {
      proto.createCommandEncoder = original;
      this.destroy();
      return original.apply(this, args);
    };
  });
  await expect(ledger).toContainText('interrupted', { timeout: 120_000 });
  await expect(ledger).toContainText('GPU device was lost');
  await expect(training.getByRole('alert')).toContainText('GPU device was lost');

  // The app keeps working: another view, and back.
  await page.getByRole('tab', { name: 'Layers' }).click();
  await expect(page.getByRole('table').first()).toBeVisible();
  await page.getByRole('tab', { name: 'Train' }).click();

  // Resume: a fresh worker and device go on from the checkpoint, not from step 0.
  const interrupted = (await ledger.getByTestId('ledger-checkpoint').textContent()) ?? '';
  expect(interrupted).toContain(`saved at`);
  const resumeFrom = Number(/saved at (\d+)/.exec(interrupted)?.[1]);
  await ledger.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-progress')).toContainText('running');
  await expect.poll(async () => stepOf(await page.getByTestId('train-progress').textContent()), { timeout: 300_000 }).toBeGreaterThan(resumeFrom);
  // Abort, not Stop: Stop evaluates the 932 test images first, minutes on SwiftShader (past 180 s on a
  // slower machine of this kind); what this test checks is the stored history, not an evaluation.
  await training.getByRole('button', { name: 'Abort' }).click();
  await expect(ledger).toContainText('stopped', { timeout: 120_000 });

  // The stored run: one history, steps 1..N without repeats, past the checkpoint it resumed from.
  const steps = await page.evaluate(
    () =>
      new Promise<number[]>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => resolve((all.result as { steps: { step: number }[] }[])[0]!.steps.map((s) => s.step));
          all.onerror = () => reject(all.error);
        };
      }),
  );
  expect(steps.length).toBeGreaterThan(resumeFrom);
  expect(steps).toEqual(steps.map((_, i) => i + 1));
});
