/**
 * A design that cannot train is refused before the worker allocates anything, with one plain
 * sentence and no ledger entry, and nothing it does breaks the next run in the tab: a fatal engine
 * error retires the worker and the next run gets a fresh one.
 */
import { type Page, expect, test } from '@playwright/test';
import { type ArchSpec, type ResNetSpec, analyze, findPreset } from '../src/models';
import { memoryRefusal, planTrainingMemory, trainingMemoryBudget } from '../src/workers/training/memory';
import { type WorkerProbe, workerProbe } from './fixtures/worker';
import { startTraining } from './training';

const classroom = findPreset('classroom_resnet29_1x18d')!.spec as ResNetSpec;
const wide = (w: number): ArchSpec => ({ ...classroom, stages: classroom.stages.map((s) => ({ ...s, planes: w })) });

/** The sentence the worker's plan gives `spec` on WASM (the same pure function, run here in Node). */
function refusalOf(spec: ArchSpec, batch: number): string {
  const a = analyze(spec);
  if (!a.ok) throw new Error('does not analyze');
  return memoryRefusal(planTrainingMemory(a.stats.totals, trainingMemoryBudget('wasm')), 'wasm', batch)!;
}

const ledgerRows = (page: Page) => page.getByTestId('ledger').locator('tbody tr');

/** Sets the explorer's stage dials (blocks and planes per stage) in place: the tab, its data and its worker stay. */
async function setStages(page: Page, blocks: number[], planes: number[]): Promise<void> {
  // Each number box commits on Enter.
  const enter = async (label: string, value: number) => {
    await page.getByLabel(label, { exact: true }).fill(String(value));
    await page.getByLabel(label, { exact: true }).press('Enter');
  };
  for (const [i, b] of blocks.entries()) await enter(`Blocks in conv${i + 2}`, b);
  for (const [i, p] of planes.entries()) await enter(`Planes in conv${i + 2}`, p);
}

test('widths 4096: one plain sentence before any allocation, no ledger entry; then the small model trains in the same tab', async ({ page }) => {
  test.setTimeout(300_000);
  const sentence = refusalOf(wide(4096), 4);
  expect(sentence).toMatch(/^This model cannot train on WASM: its 543M parameters need 8\.1 GiB for weights, gradients and momentum before a single image, and the WASM backend holds about 3\.0 GiB; make it narrower or shallower/);
  const training = await startTraining(page, '/?preset=classroom_resnet29_1x18d&widths=4096,4096,4096&view=train&backend=wasm', { batch: 4, steps: 5 });
  // The page's own estimate says so too, and suggests no batch.
  await expect(page.getByTestId('memory-estimate')).toContainText(sentence);
  const alert = training.getByRole('alert');
  await expect(alert).toHaveText(sentence, { timeout: 60_000 });
  await expect(alert).not.toContainText(/out of bounds|Aborted|RangeError|typed array/);
  await expect(ledgerRows(page)).toHaveCount(0);
  const probe: WorkerProbe = await workerProbe(page);
  expect((await probe.memory()).numTensors, 'nothing allocated for the refused run').toBe(0);

  // The small model (one block per stage), in the same tab: it trains and is recorded.
  await setStages(page, [1, 1, 1], classroom.stages.map((s) => s.planes));
  await expect(page.getByTestId('memory-estimate')).not.toContainText('cannot train');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 240_000 });
  await expect(alert).toHaveCount(0);
  await expect(ledgerRows(page)).toHaveCount(1);
});

test('widths 65536: the plain sentence at once (no typed array of 138G parameters is ever made)', async ({ page }) => {
  test.setTimeout(180_000);
  const sentence = refusalOf(wide(65536), 4);
  expect(sentence).toMatch(/^This model cannot train on WASM: its 138G parameters need 2\.0 TiB/);
  const training = await startTraining(page, '/?preset=classroom_resnet29_1x18d&widths=65536,65536,65536&view=train&backend=wasm', { batch: 4, steps: 5 });
  await expect(training.getByRole('alert')).toHaveText(sentence, { timeout: 60_000 });
  await expect(ledgerRows(page)).toHaveCount(0);
  // Fast: a second try, with the worker started, answers within a second or two.
  const t0 = Date.now();
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(training.getByRole('alert')).toHaveText(sentence);
  await expect(training.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  expect(Date.now() - t0, 'refused before any allocation').toBeLessThan(5_000);
  const memory = await (await workerProbe(page)).memory();
  expect(memory.numTensors).toBe(0);
  expect(memory.wasmHeapBytes ?? 0, 'the WASM heap did not grow for it').toBeLessThan(256 * 2 ** 20);
});

test('a fatal engine error mid-run retires the worker: the run is interrupted with one sentence, and the next run gets a fresh worker', async ({ page }) => {
  test.setTimeout(300_000);
  const training = await startTraining(page, '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm', { batch: 4, steps: 2000 });
  await expect(page.getByTestId('train-progress')).toContainText(/step [1-9]\d* \//, { timeout: 120_000 });
  const probe = await workerProbe(page);
  const before = probe.worker;
  // The worker's next typed array of any size fails as a heap that cannot grow does.
  await probe.failNextAllocation();
  const alert = training.getByRole('alert');
  await expect(alert).toHaveText('The compute worker stopped: the WASM backend ran out of memory. It restarts on the next run. A smaller model or batch needs less memory.', { timeout: 60_000 });
  await expect(page.getByTestId('ledger')).toContainText('interrupted');
  await expect.poll(() => page.workers().includes(before), { timeout: 10_000 }).toBe(false);

  await training.getByLabel('Steps (0 = epochs)').fill('5');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 240_000 });
  await expect(alert).toHaveCount(0);
});
