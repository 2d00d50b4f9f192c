/** Shared steps of the training e2e tests. */
import { resolve } from 'node:path';
import { type Locator, type Page, expect } from '@playwright/test';

/** The real CIFAR-10 subset beside the repository (932 images per batch file); never copied into it. */
export const SUBSET_ARCHIVE = resolve(process.cwd(), '..', 'shared', 'data', 'cifar10-subset', 'cifar-10-binary.tar.gz');

/**
 * Opens `url` (a Train tab), loads the shared subset through the file input, fills the given
 * training fields (and chooses a recipe) and clicks Train. Returns the training settings region.
 */
export async function startTraining(page: Page, url: string | null, fields: { batch?: number; steps: number; lr?: number; recipe?: 'paper' | 'fast' }): Promise<Locator> {
  if (url !== null) await page.goto(url); // null: the page as it is
  await page.getByLabel('Archive or .bin files').setInputFiles(SUBSET_ARCHIVE);
  await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
  const training = page.getByRole('region', { name: 'Training settings' });
  if (fields.recipe !== undefined) await training.getByRole('combobox', { name: 'Recipe', exact: true }).selectOption(fields.recipe);
  if (fields.batch !== undefined) await training.getByLabel('Batch size').fill(String(fields.batch));
  await training.getByLabel('Steps (0 = epochs)').fill(String(fields.steps));
  if (fields.lr !== undefined) await training.getByLabel('Learning rate', { exact: true }).fill(String(fields.lr));
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  return training;
}
