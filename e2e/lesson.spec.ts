/**
 * A lesson that cannot break: the model dials lock while a run trains (the Train tab shows the model
 * in training from its run record), a dialled design is named for what it is, number boxes take free
 * typing and refuse invalid values without touching the URL, data files drop onto a drop zone (a
 * drop elsewhere does not navigate), the cached data loads by itself after a reload, and a deleted
 * run can be undone. Training runs on WASM with a tiny model and few steps.
 */
import { readFileSync } from 'node:fs';
import { type JSHandle, type Page, expect, test } from '@playwright/test';
import { type ArchSpec, analyze, findPreset, formatInt } from '../src/models';
import { SUBSET_ARCHIVE, startTraining } from './training';

/** The classroom ResNet-29 with one block per stage and C = 2: a dialled design, small enough to train on WASM. */
const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&C=2&view=train&backend=wasm';
const TINY_NAME = 'classroom_resnet11_2x18d';
const tinySpec = (): ArchSpec => {
  const base = findPreset('classroom_resnet29_1x18d')!.spec;
  if (base.family !== 'resnet') throw new Error('not a ResNet');
  return { ...base, cardinality: 2, stages: base.stages.map((s) => ({ ...s, blocks: 1 })) };
};
const countsOf = (spec: ArchSpec) => {
  const a = analyze(spec);
  if (!a.ok) throw new Error('does not analyze');
  return a.stats.totals;
};
const totalParams = (page: Page) => page.getByTestId('total-params');
const query = (page: Page) => new URL(page.url()).search;

test('while a run trains, the dials lock under a banner and the Train tab shows the model in training; Stop unlocks them', async ({ page }) => {
  test.setTimeout(240_000);
  const training = await startTraining(page, TINY, { batch: 8, steps: 2000 });
  const banner = page.getByTestId('dial-lock');
  await expect(banner).toContainText(`Training ${TINY_NAME}…`);
  await expect(banner).toContainText('the model dials are locked until the run stops');
  const running = page.getByTestId('running-model');
  // The summary comes from the run's record, once the worker has started the run.
  await expect(running.getByTestId('running-model-name')).toHaveText(TINY_NAME, { timeout: 90_000 });
  const { params, macs } = countsOf(tinySpec());
  await expect(running.getByTestId('running-model-params')).toContainText(formatInt(params));
  await expect(running.getByTestId('running-model-macs')).toContainText(formatInt(macs));
  await expect(running).toContainText('2 × 18d');
  await expect(page.getByTestId('model-name')).toContainText(TINY_NAME);
  await expect(totalParams(page)).toHaveText(formatInt(params));
  // Every model dial is read-only while it trains; the URL keeps the model in training.
  const controls = page.getByRole('complementary', { name: 'Controls' });
  await expect(controls.getByLabel('Cardinality C', { exact: true })).toBeDisabled();
  await expect(controls.getByLabel('Cardinality C slider')).toBeDisabled();
  await expect(controls.getByLabel('Preset')).toBeDisabled();
  await expect(controls.getByLabel('Blocks in conv3')).toBeDisabled();
  const before = query(page);
  await expect(page.getByTestId('train-progress')).toContainText(/step [1-9]\d* \//, { timeout: 120_000 });
  await expect(running.getByTestId('running-model-params')).toContainText(formatInt(params));
  expect(query(page)).toBe(before);
  // The ledger names the run for the model it trains.
  await expect(page.getByTestId('ledger')).toContainText(TINY_NAME);

  await banner.getByRole('button', { name: 'Stop the run' }).click();
  await expect(page.getByTestId('ledger')).toContainText('stopped', { timeout: 60_000 });
  await expect(banner).toHaveCount(0);
  await expect(running).toHaveCount(0);
  await expect(controls.getByLabel('Cardinality C', { exact: true })).toBeEnabled();
  await expect(training.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
});

test('with the controls hidden a run still holds the model: back to an earlier link mid-run keeps the model in training', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(`${TINY}&hide=controls`);
  await expect(page.getByRole('complementary', { name: 'Controls' })).toHaveCount(0);
  const training = await startTraining(page, null, { batch: 8, steps: 2000 });
  await expect(page.getByTestId('train-progress')).toContainText(/step [1-9]\d* \//, { timeout: 120_000 });
  const { params } = countsOf(tinySpec());
  // Back to an entry of this tab's history naming another model (what changing the dials before would have written).
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const here = window.location.search;
        window.history.pushState(null, '', '?preset=resnext50_32x4d&hide=controls&view=train&backend=wasm');
        window.history.pushState(null, '', here);
        window.addEventListener('popstate', () => resolve(), { once: true });
        window.history.back();
      }),
  );
  // The page keeps showing (and training) the model in training, and writes it back into the link.
  await expect.poll(() => query(page)).toContain('preset=classroom_resnet29_1x18d');
  await expect(page.getByTestId('model-name')).toContainText(TINY_NAME);
  await expect(totalParams(page)).toHaveText(formatInt(params));
  await expect(page.getByTestId('running-model').getByTestId('running-model-name')).toHaveText(TINY_NAME);
  await training.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('ledger')).toContainText('stopped', { timeout: 60_000 });
});

test('number boxes: clear and retype, commit on Enter, invalid values shown beside the box and kept out of the URL', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d');
  const c = page.getByLabel('Cardinality C', { exact: true });
  const dial = page.getByTestId('dial-cardinality');
  const start = await totalParams(page).textContent();
  // Backspace empties the box; typing 5 gives 5 (not 325), and nothing changes before Enter.
  await c.click();
  await c.press('End');
  await c.press('Backspace');
  await c.press('Backspace');
  await expect(c).toHaveValue('');
  await c.pressSequentially('5');
  await expect(c).toHaveValue('5');
  await expect(totalParams(page)).toHaveText(start!);
  await c.press('Enter');
  const c5 = findPreset('resnext50_32x4d')!.spec;
  await expect(totalParams(page)).toHaveText(formatInt(countsOf({ ...c5, cardinality: 5 } as ArchSpec).params));
  await expect(page).toHaveURL(/[?&]C=5(&|$)/);
  await expect(page.getByTestId('model-name')).toHaveText('resnext50_5x4d');

  for (const bad of ['0', '100000']) {
    await c.fill(bad);
    await c.press('Enter');
    const error = dial.getByTestId('dial-cardinality-error');
    await expect(error).toContainText('is out of range: enter a whole number from 1 to 4,096');
    await expect(c).toHaveAttribute('aria-describedby', new RegExp(`(^| )${await error.getAttribute('id')}( |$)`));
    await expect(c).toHaveAttribute('aria-invalid', 'true');
    await expect(c).toHaveValue(bad);
    // The URL writes after a pause: give it time to (wrongly) change.
    await page.waitForTimeout(600);
    expect(query(page)).toMatch(/[?&]C=5(&|$)/);
    await expect(page.getByTestId('model-name')).toHaveText('resnext50_5x4d');
  }
  // Blur commits too; Escape drops a draft.
  await c.fill('64');
  await page.getByLabel('Bottleneck width d', { exact: true }).fill('8');
  await page.getByLabel('Bottleneck width d', { exact: true }).press('Tab');
  await expect(page.getByTestId('model-name')).toHaveText('resnext50_64x8d');
  await expect(page).toHaveURL(/C=64&d=8/);
  await c.fill('7');
  await c.press('Escape');
  await expect(c).toHaveValue('64');

  // Export names the file for the design.
  const menu = page.getByRole('group', { name: 'Export the design' });
  const [torch] = await Promise.all([page.waitForEvent('download'), menu.getByRole('button', { name: 'PyTorch (.py)' }).click()]);
  expect(torch.suggestedFilename()).toBe('resnext50_64x8d.py');
  expect(readFileSync((await torch.path())!, 'utf8')).toContain('resnext50_64x8d');

  // A value the model cannot build (16 px on ResNet-50) is refused at the box, with the model's reason.
  const res = page.getByLabel('Input resolution (px)', { exact: true });
  await res.fill('16');
  await res.press('Enter');
  await expect(page.getByTestId('dial-resolution-error')).toContainText('too small for this network');
  await page.waitForTimeout(600);
  expect(query(page)).not.toContain('res=');
});

test('preserve complexity says d is the closest solution and by how much it misses the budget', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d');
  await page.getByRole('radio', { name: 'block (Table 2)' }).check();
  await expect(page.getByTestId('preserve-budget')).toContainText('70,144');
  await page.getByLabel('Cardinality C slider').fill('8');
  await expect(page.getByLabel('Bottleneck width d', { exact: true })).toHaveValue('14');
  const d = page.getByTestId('dial-width');
  await expect(d).toContainText('closest');
  await expect(d).toContainText('71,456, 1,312 over');
});


/** A DataTransfer in the page holding `bytes` as one file, as a drag from the desktop carries it. */
async function fileTransfer(page: Page, name: string, bytes: Buffer): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(
    async ({ name, base64 }) => {
      const blob = await (await fetch(`data:application/gzip;base64,${base64}`)).blob();
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], name, { type: 'application/gzip' }));
      return transfer;
    },
    { name, base64: bytes.toString('base64') },
  );
}

test('data: the drop zone loads a dropped archive, a drop elsewhere is cancelled, and after a reload the cached copy loads by itself', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(TINY);
  const status = page.getByTestId('data-status');
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeDisabled();

  // A file dragged onto the page outside the zone: the page cancels the drag and the drop (no navigation).
  const small = await fileTransfer(page, 'notes.tar.gz', Buffer.from('not an archive'));
  const cancelled = await page.evaluate((transfer) => {
    const fire = (type: string) => {
      const e = new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true });
      document.querySelector('h1')!.dispatchEvent(e);
      return e.defaultPrevented;
    };
    return { dragover: fire('dragover'), drop: fire('drop') };
  }, small);
  expect(cancelled).toEqual({ dragover: true, drop: true });
  const url = page.url();

  // The subset archive dropped on the zone loads.
  const archive = await fileTransfer(page, 'cifar-10-binary.tar.gz', readFileSync(SUBSET_ARCHIVE));
  await page.getByTestId('drop-zone').dispatchEvent('dragenter', { dataTransfer: archive });
  await expect(page.getByTestId('drop-zone')).toContainText('Drop to load it.');
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: archive });
  await expect(status).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
  await expect(train).toBeEnabled();
  expect(page.url()).toBe(url);

  // After a reload, the cached copy loads without pressing Load.
  await page.reload();
  await expect(status).toContainText('Loaded 4,660 training and 932 test images from the cache (automatically', { timeout: 60_000 });
  await expect(train).toBeEnabled();
});

test('ledger: a run is named for its model and can be renamed; Delete can be undone for 10 s, then the run is gone', async ({ page }) => {
  test.setTimeout(300_000);
  await startTraining(page, TINY, { batch: 8, steps: 3 });
  const ledger = page.getByTestId('ledger');
  const rows = ledger.locator('tbody tr');
  await expect(ledger).toContainText('finished', { timeout: 240_000 });
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId('ledger-name')).toHaveText(`${TINY_NAME} #1`);

  // Delete, then Undo: the run is back with its checkpoint (its weights can still be downloaded).
  await rows.first().getByRole('button', { name: 'Delete' }).click();
  await expect(rows).toHaveCount(0);
  const undo = page.getByTestId('ledger-undo');
  await expect(undo).toContainText(`Deleted run ${TINY_NAME} #1`);
  // Nothing is lost before the undo time is over: the record is still stored.
  expect(await storedRunCount(page)).toBe(1);
  await undo.getByRole('button', { name: 'Undo' }).click();
  await expect(rows).toHaveCount(1);
  await expect(undo).toHaveCount(0);
  await expect(rows.first().getByRole('button', { name: 'Weights (.safetensors)' })).toBeVisible();

  // Rename; the name is kept across a reload.
  await rows.first().getByRole('button', { name: 'Rename' }).click();
  const box = rows.first().getByLabel(`New name for ${TINY_NAME} #1`);
  await box.fill('baseline, C=2');
  await box.press('Enter');
  await expect(rows.first().getByTestId('ledger-name')).toHaveText('baseline, C=2');
  await page.reload();
  await expect(rows.first().getByTestId('ledger-name')).toHaveText('baseline, C=2');

  // A delete left alone: the notice goes after 10 s and the run does not come back on reload.
  await rows.first().getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('ledger-undo')).toContainText('Deleted run baseline, C=2');
  await expect(page.getByTestId('ledger-undo')).toHaveCount(0, { timeout: 15_000 });
  expect(await storedRunCount(page)).toBe(0);
  await page.reload();
  await expect(page.getByTestId('data-status')).toContainText('from the cache', { timeout: 60_000 });
  await expect(rows).toHaveCount(0);
});

/** Records in the ledger's IndexedDB store (src/store/runs.ts). */
const storedRunCount = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const count = open.result.transaction('runs').objectStore('runs').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
      }),
  );
