import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { startTraining } from './training';

/** A tiny model the explorer can build: the classroom ResNet-29 with one block per stage, on WASM. */
const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm';

/** The ledger's records, read from IndexedDB as the app stored them. */
async function storedRuns(page: import('@playwright/test').Page): Promise<{ settings: { recipe?: string; tta?: boolean }; heldOut?: { seconds: number; images: number; step: number; heldOutAccuracy: number }[]; status: string; final?: { images: number } }[]> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => resolve(all.result);
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

test('the fast recipe: its tricks are toggles with a why; held-out accuracy and top-3 predictions appear while it trains; Stop evaluates; the run records its recipe and timeline', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(TINY);
  const recipe = page.getByRole('group', { name: 'Recipe' });
  await expect(recipe.getByTestId('recipe-status')).toHaveText('paper');
  for (const trick of ['Nesterov momentum', 'Weight averaging (EMA)', 'Zero-init last BN of each residual branch', 'Test-time flip']) await expect(recipe.getByLabel(trick)).not.toBeChecked();
  await recipe.getByRole('combobox', { name: 'Recipe', exact: true }).selectOption('fast');
  for (const trick of ['Nesterov momentum', 'Weight averaging (EMA)', 'Test-time flip']) await expect(recipe.getByLabel(trick)).toBeChecked();
  // Zero-init and label smoothing are toggles of the fast recipe, off (slower at a lesson's length).
  await expect(recipe.getByLabel('Zero-init last BN of each residual branch')).not.toBeChecked();
  // The tricks sit in a disclosure whose one-line summary says which are on; opened, each is a toggle with its why.
  const tricks = recipe.getByTestId('recipe-tricks-summary');
  await expect(tricks).toHaveText('Tricks: warm-up 0.2, Nesterov, weight averaging 0.99, flip at test');
  await expect(recipe.getByLabel('Test-time flip')).toBeHidden();
  await tricks.click();
  await expect(recipe.getByLabel('Test-time flip')).toBeVisible();
  await expect(recipe.getByLabel('Label smoothing (0 = off)')).toHaveValue('0');
  await expect(recipe).toContainText('averages each image with its mirror image');
  await expect(page.getByRole('combobox', { name: 'Schedule' })).toHaveValue('triangular');
  // A trick changed after choosing keeps the name, marked.
  await recipe.getByLabel('Test-time flip').uncheck();
  await expect(recipe.getByTestId('recipe-status')).toHaveText('fast (modified)');
  await expect(tricks).toHaveText('Tricks: warm-up 0.2, Nesterov, weight averaging 0.99');
  await recipe.getByLabel('Test-time flip').check();
  await expect(recipe.getByTestId('recipe-status')).toHaveText('fast');

  const training = await startTraining(page, TINY, { steps: 3000, recipe: 'fast' });
  await expect(page.getByTestId('run-recipe')).toContainText('Recipe: fast · triangular schedule · Nesterov momentum', { timeout: 120_000 });

  // During the run: a held-out accuracy, its chart, the live confusion matrix and 8 images with their top 3.
  const heldOut = page.getByTestId('held-out-accuracy');
  // The first, early one on the start of the slice; the next on all of it (the subset's 932 test images).
  await expect(heldOut).toContainText(/Held-out accuracy [\d.]+% on 200 test images at step \d+/, { timeout: 120_000 });
  await expect(heldOut).toContainText(/Held-out accuracy [\d.]+% on 932 test images at step \d+/, { timeout: 120_000 });
  await expect(page.getByTestId('train-progress')).toContainText('running');
  await expect(page.getByTestId('chart-held-out-time')).toBeVisible();
  await expect(page.getByTestId('live-evaluation').getByRole('table')).toBeVisible();
  const predictions = page.getByTestId('live-prediction');
  await expect(predictions).toHaveCount(8);
  for (const figure of await predictions.all()) {
    const top = figure.locator('ol li');
    await expect(top).toHaveCount(3);
    await expect(top.first()).toHaveText(/^\w+ \d+%$/);
  }

  // Stop = stop and evaluate: the whole test set.
  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('test-accuracy')).toContainText(/Test accuracy [\d.]+% on 932 images/, { timeout: 120_000 });
  await expect(page.getByTestId('ledger')).toContainText('stopped');
  const [run] = await storedRuns(page);
  expect(run!.status).toBe('stopped');
  expect(run!.settings).toMatchObject({ recipe: 'fast', tta: true });
  expect(run!.final!.images).toBe(932);
  expect(run!.heldOut!.length).toBeGreaterThanOrEqual(1);
  expect(run!.heldOut![0]!.seconds).toBeGreaterThan(0);
  expect(run!.heldOut![0]!.images).toBe(32 * run!.heldOut![0]!.step);

  // The weights export saves the weights the run was evaluated with: with weight averaging on, the average.
  const key = 'bn1.running_mean';
  const saved = await page.evaluate(
    (key) =>
      new Promise<{ ema: number[]; live: number[] }>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => {
            const c = all.result[0].checkpoint as { ema: Map<string, { values: Float32Array }>; params: Map<string, { values: Float32Array }> };
            resolve({ ema: [...c.ema.get(key)!.values], live: [...c.params.get(key)!.values] });
          };
          all.onerror = () => reject(all.error);
        };
      }),
    key,
  );
  expect(saved.ema, 'the average differs from the live weights').not.toEqual(saved.live);
  const downloads: import('@playwright/test').Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByTestId('ledger').getByRole('button', { name: 'Weights (tf.io)' }).click();
  await expect.poll(() => downloads.length).toBe(2);
  const file = async (suffix: string) => readFileSync((await downloads.find((d) => d.suggestedFilename().endsWith(suffix))!.path())!);
  const manifest = JSON.parse((await file('.json')).toString('utf8')) as { userDefinedMetadata: { weights: string }; weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
  expect(manifest.userDefinedMetadata.weights).toBe('averaged (EMA)');
  const bin = await file('.weights.bin');
  let offset = 0;
  for (const w of manifest.weightsManifest[0]!.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (w.name === key) {
      const exported = [...new Float32Array(bin.buffer.slice(bin.byteOffset + offset * 4, bin.byteOffset + (offset + n) * 4))];
      expect(exported).toEqual(saved.ema);
    }
    offset += n;
  }
  expect(manifest.weightsManifest[0]!.weights.map((w) => w.name)).toContain(key);
});

test('Abort ends a run at once without an evaluation', async ({ page }) => {
  test.setTimeout(180_000);
  const training = await startTraining(page, TINY, { steps: 3000 });
  await expect(page.getByTestId('train-progress')).toContainText(/step [1-9]\d* \//, { timeout: 120_000 });
  await training.getByRole('button', { name: 'Abort' }).click();
  await expect(page.getByTestId('ledger')).toContainText('stopped', { timeout: 60_000 });
  await expect(page.getByTestId('test-accuracy')).toHaveCount(0);
  const [run] = await storedRuns(page);
  expect(run!.final).toBeUndefined();
  expect(run!.settings.recipe).toBe('paper');
});
