/**
 * `npm run train -- --preset <name> --data <dir|archive> (--steps N | --epochs N | --minutes N) [--batch N]
 *   [--backend webgpu|wasm|webgl|cpu] [--seed N] [--lr X] [--recipe paper|fast] [--dials "blocks=1,1,1"] [--json]`
 *
 * Drives the real app and its worker in headless Chromium: loads the data through the Train tab's
 * file input, trains, and prints the held-out timeline, the test metrics and images/s (one JSON
 * object with --json), with the seconds from pressing Train to the first held-out accuracy on screen.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withPreview } from '../bench/preview';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'classroom_resnext29_8x4d' },
    data: { type: 'string' },
    steps: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
    seed: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.05' },
    recipe: { type: 'string', default: 'paper' },
    /** A time budget in minutes (the run sizes itself; replaces --steps / --epochs). */
    minutes: { type: 'string' },
    json: { type: 'boolean', default: false },
    port: { type: 'string', default: '4181' },
    /** Extra explorer dials as URL parameters, e.g. "blocks=1,1,1&C=4". */
    dials: { type: 'string', default: '' },
  },
});

function dataFiles(path: string): string[] {
  if (!existsSync(path)) throw new Error(`--data ${path} does not exist`);
  if (!statSync(path).isDirectory()) return [path];
  const dir = existsSync(join(path, 'cifar-10-batches-bin')) ? join(path, 'cifar-10-batches-bin') : path;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin') || f.endsWith('.txt'))
    .map((f) => join(dir, f));
}

if (!values.data) {
  console.error('usage: npm run train -- --preset <name> --data <dir|archive> (--steps N | --epochs N) [--batch N] [--backend wasm] [--seed N] [--lr X] [--json]');
  process.exit(1);
}
const files = dataFiles(values.data);

const result = await withPreview(Number(values.port), async (browser, origin) => {
  const page = await browser.newPage();
  await page.goto(`${origin}/?preset=${values.preset}&data=cifar10&view=train&backend=${values.backend}${values.dials ? `&${values.dials}` : ''}`);
  await page.getByLabel('Archive or .bin files').setInputFiles(files);
  await page.getByTestId('data-status').filter({ hasText: 'Loaded' }).waitFor({ timeout: 120_000 });
  const settings = page.getByRole('region', { name: 'Training settings' });
  await settings.getByRole('combobox', { name: 'Recipe', exact: true }).selectOption(values.recipe!);
  await settings.getByLabel('Batch size').fill(values.batch!);
  await settings.getByLabel('Seed').fill(values.seed!);
  await settings.getByLabel('Learning rate', { exact: true }).fill(values.lr!);
  if (values.epochs) await settings.getByLabel('Epochs', { exact: true }).fill(values.epochs);
  await settings.getByLabel('Steps (0 = epochs)').fill(values.steps ?? '0');
  if (values.minutes) await settings.getByLabel('Time budget, minutes (0 = off)').fill(values.minutes);
  const t0 = Date.now();
  await settings.getByRole('button', { name: 'Train', exact: true }).click();
  let last = '';
  let firstHeldOutOnScreen: number | undefined;
  for (;;) {
    await page.waitForTimeout(500);
    if (firstHeldOutOnScreen === undefined && (await page.getByTestId('held-out-accuracy').count())) firstHeldOutOnScreen = (Date.now() - t0) / 1000;
    if (await page.getByTestId('test-accuracy').count()) break;
    const alert = await settings.getByRole('alert').textContent().catch(() => null);
    if (alert) throw new Error(alert);
    const progress = (await page.getByTestId('train-progress').textContent().catch(() => '')) ?? '';
    if (!values.json && progress !== last) console.error(progress.trim());
    last = progress;
  }
  // The run as the ledger stored it (IndexedDB), the same record the app shows.
  const run = await page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => resolve((all.result as { createdAt: number }[]).sort((a, b) => b.createdAt - a.createdAt)[0]);
          all.onerror = () => reject(all.error);
        };
      }),
  );
  return {
    seconds: (Date.now() - t0) / 1000,
    firstHeldOutOnScreen,
    run: run as {
      steps: { step: number; epoch: number; loss: number; imagesPerSecond: number }[];
      evals: unknown[];
      heldOut?: { seconds: number; images: number; step: number; heldOutAccuracy: number }[];
      settings: { recipe?: string };
      final?: { accuracy: number; loss: number };
      backend: string;
      spec: { name: string };
    },
  };
});

const { run, seconds, firstHeldOutOnScreen } = result;
const ips = run.steps.map((s) => s.imagesPerSecond).sort((a, b) => a - b);
const summary = {
  preset: values.preset,
  backend: run.backend,
  steps: run.steps.length,
  recipe: run.settings.recipe,
  seconds,
  /** From pressing Train to the first held-out accuracy on screen (polled every 0.5 s). */
  secondsToFirstHeldOut: firstHeldOutOnScreen,
  heldOut: run.heldOut,
  medianImagesPerSecond: ips[Math.floor(ips.length / 2)],
  firstLoss: run.steps[0]?.loss,
  lastLoss: run.steps.at(-1)?.loss,
  epochs: run.evals,
  testAccuracy: run.final?.accuracy,
  testLoss: run.final?.loss,
};
console.log(values.json ? JSON.stringify(summary) : JSON.stringify(summary, null, 2));
