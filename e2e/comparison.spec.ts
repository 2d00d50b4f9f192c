import { expect, test } from '@playwright/test';
import { findPreset } from '../src/models';
import { COMPARISON_PRESETS } from '../src/store/training/controller';

/** Finished runs of the two lesson presets as the ledger keeps them, three seeds each. */
function records() {
  const [x, y] = COMPARISON_PRESETS;
  const accuracies: Record<string, number[]> = { [x]: [0.6, 0.62, 0.64], [y]: [0.55, 0.56, 0.57] };
  return [1, 2, 3].flatMap((seed, i) =>
    [x, y].map((name, j) => ({
      id: `${name}-${seed}`,
      name: `${name} #${seed}`,
      createdAt: 1_700_000_000_000 + 10 * i + j,
      status: 'finished',
      spec: findPreset(name)!.spec,
      settings: { seed, batchSize: 32, learningRate: 0.05, recipe: 'fast', timeBudgetMinutes: 5 },
      dataset: 'cifar10',
      backend: 'wasm',
      totalSteps: 10,
      steps: [],
      evals: [],
      final: { accuracy: accuracies[name]![i]!, loss: 1 },
    })),
  );
}

test('the ledger compares the lesson presets over seeds: mean ± sd, the difference ± its standard error, the verdict', async ({ page }) => {
  await page.goto('/?view=train');
  await expect(page.getByTestId('ledger')).toBeVisible();
  await page.evaluate(
    (runs) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('resnext-lab-runs');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('runs', 'readwrite');
          for (const r of runs) tx.objectStore('runs').put(r, r.id);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      }),
    records(),
  );
  await page.reload();
  const table = page.getByRole('region', { name: 'Cardinality vs width over seeds' });
  const [x, y] = COMPARISON_PRESETS;
  await expect(table.getByRole('row', { name: new RegExp(`^${x}`) })).toContainText('62.0% ± 2.0');
  await expect(table.getByRole('row', { name: new RegExp(`^${x}`) })).toContainText('135,898');
  await expect(table.getByRole('row', { name: new RegExp(`^${y}`) })).toContainText('56.0% ± 1.0');
  await expect(table.getByRole('row', { name: new RegExp(`^${y}`) })).toContainText('6,507,776');
  await expect(table.getByTestId('comparison-difference')).toContainText(`Difference ${x} − ${y}: +6.0 ± 1.3 points (standard error)`);
  await expect(table.getByTestId('comparison-difference')).toContainText('larger than the seed-to-seed spread (n = 3 and 3 seeds)');
});
