/**
 * One writer per run across tabs (two pages of one browser context share IndexedDB, Web Locks and
 * BroadcastChannel, as two tabs do): the tab training a run holds it; a second tab sees it live,
 * "training in another tab", never interrupted, and cannot resume it; closing the first tab lets the
 * second resume it from its checkpoint.
 */
import { type Page, expect, test } from '@playwright/test';
import { SUBSET_ARCHIVE, startTraining } from './training';

const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm';

const stepOf = (text: string | null) => Number(/^\s*(\d+) \//.exec(text ?? '')?.[1] ?? NaN);

/** The stored records' (status, last step) as IndexedDB holds them. */
function storedRuns(page: Page): Promise<{ id: string; status: string; steps: number }[]> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => resolve((all.result as { id: string; status: string; steps: { step: number }[] }[]).map((r) => ({ id: r.id, status: r.status, steps: r.steps.at(-1)?.step ?? 0 })));
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

test('two tabs: one writer; the other sees the run live and cannot resume it; closing the writer lets the other resume it', async ({ context }) => {
  test.setTimeout(480_000);
  const first = await context.newPage();
  await startTraining(first, TINY, { batch: 4, steps: 5000 });
  // Past the first checkpoint (every 50 steps), so that the run can be resumed later.
  await expect(first.getByTestId('ledger').getByTestId('ledger-checkpoint')).toBeVisible({ timeout: 180_000 });

  const second = await context.newPage();
  await second.goto(TINY);
  const row = second.getByTestId('ledger').locator('tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('ledger-status')).toHaveText('training in another tab');
  // Live: the step count moves on in the second tab while the first trains.
  const seen = stepOf(await row.getByTestId('ledger-steps').textContent());
  await expect.poll(async () => stepOf(await row.getByTestId('ledger-steps').textContent()), { timeout: 60_000 }).toBeGreaterThan(seen + 10);
  await expect(row.getByRole('button', { name: 'Resume' })).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'Delete' })).toBeDisabled();
  // The first tab is still the writer: its run is running, here and in storage (never interrupted).
  await expect(first.getByTestId('train-progress')).toContainText('running');
  const [stored] = await storedRuns(second);
  expect(stored!.status).toBe('running');

  // A reload of the second tab changes nothing.
  await second.reload();
  await expect(second.getByTestId('ledger').locator('tbody tr').getByTestId('ledger-status')).toHaveText('training in another tab');
  expect((await storedRuns(second))[0]!.status).toBe('running');

  // The writer's tab closes: the browser ends its lock; the second tab marks the run interrupted and may resume it.
  await first.close();
  const after = second.getByTestId('ledger').locator('tbody tr');
  await expect(after.getByTestId('ledger-status')).toHaveText('interrupted', { timeout: 30_000 });
  expect((await storedRuns(second))[0]!.status).toBe('interrupted');
  const savedAt = Number(/saved at (\d+)/.exec((await after.getByTestId('ledger-checkpoint').textContent()) ?? '')?.[1]);
  expect(savedAt).toBeGreaterThan(0);

  await second.getByLabel('Archive or .bin files').setInputFiles(SUBSET_ARCHIVE);
  await expect(second.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
  await after.getByRole('button', { name: 'Resume' }).click();
  await expect(second.getByTestId('train-progress')).toContainText('running', { timeout: 60_000 });
  await expect.poll(async () => stepOf(await after.getByTestId('ledger-steps').textContent()), { timeout: 120_000 }).toBeGreaterThan(savedAt);
  await second.getByRole('region', { name: 'Training settings' }).getByRole('button', { name: 'Stop' }).click();
  await expect(after.getByTestId('ledger-status')).toHaveText('stopped', { timeout: 60_000 });
  expect((await storedRuns(second)).map((r) => r.status)).toEqual(['stopped']);
});
