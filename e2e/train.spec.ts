import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Download, expect, test } from '@playwright/test';
import { analyze, findPreset, formatInt } from '../src/models';
import { SUBSET_ARCHIVE, startTraining } from './training';

/** A tiny model the explorer can build: the classroom ResNet-29 with one block per stage, on WASM (the fast path here). */
const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm';

test('load the shared archive, train a tiny model, loss falls, accuracy beats chance; runs survive stop and reload', async ({ page }) => {
  test.setTimeout(480_000);
  const training = await startTraining(page, TINY, { steps: 40, lr: 0.05 });
  // The Steps box was typed into and Train clicked at once: leaving the box committed it.
  await expect(page.getByTestId('train-progress')).toContainText('/ 40', { timeout: 120_000 });
  await expect(page.getByTestId('test-accuracy')).toBeVisible({ timeout: 420_000 });

  const trend = (await page.getByTestId('loss-trend').textContent()) ?? '';
  const [first, last] = [...trend.matchAll(/(\d+\.\d+)/g)].map((m) => Number(m[1]));
  expect(last!, trend).toBeLessThan(first!);
  const accuracy = Number(/Test accuracy ([\d.]+)%/.exec((await page.getByTestId('test-accuracy').textContent()) ?? '')?.[1]);
  expect(accuracy, 'test accuracy after 40 steps').toBeGreaterThan(15); // chance: 10%
  await expect(page.getByTestId('ledger')).toContainText('finished');

  // The trained weights as tf.io files: a manifest naming the app's parameters and their float32 data.
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await page.getByTestId('ledger').getByRole('button', { name: 'Weights (tf.io)' }).click();
  await expect.poll(() => downloads.length).toBe(2);
  const file = (suffix: string) => downloads.find((d) => d.suggestedFilename().endsWith(suffix))!.path();
  const manifest = JSON.parse(readFileSync(await file('.json'), 'utf8')) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
  const specs = manifest.weightsManifest[0]!.weights;
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  expect(readFileSync(await file('.weights.bin')).length).toBe(4 * specs.reduce((n, w) => n + size(w.shape), 0));
  const learned = specs.filter((w) => !/running_(mean|var)$/.test(w.name)).reduce((n, w) => n + size(w.shape), 0);
  expect(formatInt(learned)).toBe(await page.getByTestId('total-params').textContent());

  // A second run, stopped part-way: it is kept, stopped, with its checkpoint.
  await training.getByLabel('Steps (0 = epochs)').fill('200');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByTestId('train-progress')).toContainText(/step [3-9] \//, { timeout: 120_000 });
  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('ledger')).toContainText('stopped', { timeout: 60_000 });

  await page.reload();
  const ledger = page.getByTestId('ledger');
  await expect(ledger).toContainText('finished');
  await expect(ledger).toContainText('stopped');
  await expect(ledger.getByRole('button', { name: 'Resume' })).toHaveCount(1);
});

test('a corrupt archive shows a clear error and the app keeps working', async ({ page }) => {
  await page.goto(TINY);
  const bytes = readFileSync(SUBSET_ARCHIVE).subarray(0, 100_000); // a truncated download
  await page.getByLabel('Archive or .bin files').setInputFiles({ name: 'cifar-10-binary.tar.gz', mimeType: 'application/gzip', buffer: bytes });
  await expect(page.getByTestId('data-error')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('data-error')).not.toBeEmpty();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await page.getByRole('tab', { name: 'Layers' }).click();
  const tiny = findPreset('classroom_resnet29_1x18d')!.spec;
  const a = analyze({ ...tiny, stages: tiny.family === 'resnet' ? tiny.stages.map((s) => ({ ...s, blocks: 1 })) : [] });
  await expect(page.getByTestId('total-params')).toHaveText(formatInt(a.ok ? a.stats.totals.params : -1));
});

test('training goes on while the tab is hidden (no animation frames, page timers throttled to 1 s)', async ({ page }) => {
  test.setTimeout(300_000);
  await startTraining(page, TINY, { batch: 16, steps: 30 });
  // The run's record (and its progress line) appears once the worker has started, received the data
  // and built the model: seconds on an idle machine, longer under load. Waits for that, not a fixed time.
  await expect(page.getByTestId('train-progress')).toContainText('running', { timeout: 120_000 });
  // Headless Chromium never hides a page, so hide this one the way Chromium treats a background tab:
  // visibilityState 'hidden', no requestAnimationFrame callbacks, page timers at most once a second.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    window.requestAnimationFrame = () => 0;
    const setTimeoutOriginal = window.setTimeout;
    window.setTimeout = ((f: TimerHandler, ms?: number, ...args: unknown[]) => setTimeoutOriginal(f, Math.max(1000, ms ?? 0), ...args)) as typeof window.setTimeout;
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hiddenAt = Number(/step (\d+) \//.exec((await page.getByTestId('train-progress').textContent()) ?? '')?.[1]);
  expect(hiddenAt).toBeLessThan(30);
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 240_000 });
  await expect(page.getByTestId('test-accuracy')).toBeVisible();
});

test('the data panel: a URL download and its md5, the cached copy across a reload without the network, and clearing it', async ({ page }) => {
  test.setTimeout(180_000);
  const archive = readFileSync(SUBSET_ARCHIVE);
  const md5 = createHash('md5').update(archive).digest('hex');
  const url = 'https://data.example.org/cifar-10-binary.tar.gz';
  let online = true;
  await page.route(url, (route) =>
    online ? route.fulfill({ status: 200, contentType: 'application/gzip', headers: { 'access-control-allow-origin': '*' }, body: archive }) : route.abort('internetdisconnected'),
  );
  await page.goto(TINY);
  const data = page.getByRole('region', { name: 'Training data' });
  await expect(page.getByTestId('data-status')).toContainText('No cached copy yet');
  await data.getByLabel('URL').fill(url);
  await data.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
  await expect(page.getByTestId('data-status')).toContainText(`md5 ${md5}: not the official archive`);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();

  // Offline after a reload: the IndexedDB copy serves it, loaded by itself (Train is ready without pressing Load).
  online = false;
  await page.reload();
  await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images from the cache (automatically', { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  await data.getByRole('button', { name: 'Load (cached or self-hosted)' }).click();
  await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images from the cache.');

  // Cleared: the next load has to find the data elsewhere, and says where it looked.
  await data.getByRole('button', { name: 'Clear cached data' }).click();
  await expect(page.getByTestId('data-status')).toHaveText('Cached data cleared.');
  await page.reload();
  await expect(page.getByTestId('data-status')).toContainText('No cached copy yet');
  await data.getByRole('button', { name: 'Load (cached or self-hosted)' }).click();
  await expect(page.getByTestId('data-error')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('data-error')).not.toBeEmpty();
});

test('a batch too big for the backend runs as micro-batches, measured and said so', async ({ page }) => {
  test.setTimeout(300_000);
  await startTraining(page, TINY, { batch: 512, steps: 1 });
  // tfjs keeps several times the activations the core counts: 512 images of even the tiny ResNet pass WASM's 3 GiB budget.
  await expect(page.getByTestId('train-memory')).toContainText(/measured [\d.]+ MiB per image: batch 512 runs as \d+ micro-batches of \d+/, { timeout: 120_000 });
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 240_000 });
  await expect(page.getByTestId('test-accuracy')).toBeVisible();
});
