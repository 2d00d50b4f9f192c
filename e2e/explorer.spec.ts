import { type Page, expect, test } from '@playwright/test';
import { type ArchSpec, analyze, findPreset, formatInt } from '../src/models';

/** The exact params the app must show for a spec, computed by the same core in Node. */
function paramsOf(spec: ArchSpec): string {
  const a = analyze(spec);
  if (!a.ok) throw new Error(JSON.stringify(a.errors));
  return formatInt(a.stats.totals.params);
}

const preset = (name: string) => findPreset(name)!.spec;
const totalParams = (page: Page) => page.getByTestId('total-params');

test('moving the cardinality slider updates the totals to the exact value', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d');
  await expect(totalParams(page)).toHaveText('25,028,904');
  await page.getByLabel('Cardinality C slider').fill('8');
  await expect(page.getByLabel('Cardinality C', { exact: true })).toHaveValue('8');
  await expect(totalParams(page)).toHaveText(paramsOf({ ...preset('resnext50_32x4d'), cardinality: 8 } as ArchSpec));
  await expect(page.getByTestId('template-formula')).toHaveText('conv2 block: 8·(256·4 + 9·4² + 4·256) = 17,536');
});

test('"preserve complexity" regenerates Table 2: d for C = 1, 2, 4, 8, 32', async ({ page }) => {
  await page.goto('/?preset=resnet50');
  await page.getByRole('radio', { name: 'block (Table 2)' }).check();
  await expect(page.getByTestId('preserve-budget')).toContainText('69,632 conv params');
  const d = page.getByLabel('Bottleneck width d', { exact: true });
  for (const [C, width] of [
    [2, 40],
    [4, 24],
    [8, 14],
    [32, 4],
    [1, 64],
  ]) {
    await page.getByLabel('Cardinality C slider').fill(String(C));
    await expect(d).toHaveValue(String(width));
  }
});

test('a copied URL opened in a new page shows the same model; back/forward work', async ({ page, context }) => {
  await page.goto('/');
  await page.getByLabel('Preset').selectOption('resnet101');
  // One history entry per pause in editing: wait for this one before the next edits.
  await expect(page).toHaveURL(/\?preset=resnet101$/);
  await page.getByLabel('Cardinality C slider').fill('16');
  await page.getByRole('radio', { name: '(a) aggregated' }).check();
  await page.getByLabel('Blocks in conv4').fill('12');
  await page.getByLabel('Blocks in conv4').press('Enter');
  await expect(page).toHaveURL(/preset=resnet101.*C=16.*blocks=3,4,12,3.*form=a/);
  const expected = await totalParams(page).textContent();
  expect(expected).toBe(paramsOf({ ...preset('resnet101'), cardinality: 16, form: 'a', stages: [3, 4, 12, 3].map((b, i) => ({ blocks: b, planes: 64 * 2 ** i, stride: i ? 2 : 1 })) } as ArchSpec));

  const other = await context.newPage();
  await other.goto(page.url());
  await expect(totalParams(other)).toHaveText(expected!);
  await expect(other.getByLabel('Preset')).toHaveValue('resnet101');
  await expect(other.getByLabel('Blocks in conv4')).toHaveValue('12');
  await expect(other.getByRole('radio', { name: '(a) aggregated' })).toBeChecked();

  await page.goBack();
  await expect(page.getByLabel('Blocks in conv4')).toHaveValue('23');
  await page.goForward();
  await expect(page.getByLabel('Blocks in conv4')).toHaveValue('12');
});

test('a garbage URL parameter shows a notice and a valid model', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?preset=resnet9000&C=lots&foo=1');
  await expect(page.getByTestId('notices')).toContainText('Unknown preset "resnet9000"');
  await expect(page.getByTestId('notices')).toContainText('Ignored "C=lots": not a number.');
  await expect(totalParams(page)).toHaveText('25,028,904');
  expect(errors).toEqual([]);
});

test('an invalid dial shows the message next to the control and keeps the last valid model', async ({ page }) => {
  await page.goto('/?preset=resnet50');
  await page.getByLabel('Input resolution (px)', { exact: true }).fill('16');
  await page.getByLabel('Input resolution (px)', { exact: true }).press('Enter');
  await expect(page.getByTestId('dial-resolution').getByRole('alert')).toContainText('too small for this network');
  await expect(totalParams(page)).toHaveText('25,557,032');
  await page.getByLabel('Input resolution (px)', { exact: true }).fill('448');
  await page.getByLabel('Input resolution (px)', { exact: true }).press('Enter');
  await expect(page.getByTestId('dial-resolution').getByRole('alert')).toHaveCount(0);
  const at448 = analyze({ ...preset('resnet50'), input: { resolution: 448, channels: 3, classes: 1000 } });
  await expect(page.getByTestId('total-macs')).toHaveText(formatInt(at448.ok ? at448.stats.totals.macs : -1));
});

test('EfficientNet-B0 and a phi = 1 model show their exact params', async ({ page }) => {
  await page.goto('/?preset=efficientnet_b0');
  await expect(totalParams(page)).toHaveText('5,288,548');
  await expect(page.getByTestId('compound-product')).toContainText('α·β²·γ² = 1.920');
  await page.getByLabel('Scale this EfficientNet by φ').check();
  await expect(totalParams(page)).toHaveText('9,109,994');
  await page.getByLabel('α (depth)', { exact: true }).fill('2');
  await page.getByLabel('α (depth)', { exact: true }).press('Enter');
  await expect(page.getByTestId('compound-product')).toContainText('far from 2');
});

test('views are keyboard operable tabs; the paper tables are regenerated', async ({ page }) => {
  await page.goto('/?preset=resnext50_32x4d');
  await page.getByRole('tab', { name: 'Layers' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Paper tables' })).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(/view=papers/);
  const table2 = page.getByTestId('paper-table2');
  await expect(table2.getByRole('row', { name: /^8 14 14 112/ })).toBeVisible();
  await expect(page.getByTestId('paper-table1')).toContainText('[1x1, 128; 3x3, 128, C=32; 1x1, 256] x3');
});

test('classroom mode and lock come from the URL', async ({ page }) => {
  await page.goto('/?preset=resnet50&classroom=1&lock=1&hide=totals');
  await expect(page.locator('html')).toHaveClass(/classroom/);
  await expect(page.getByLabel('Preset')).toBeDisabled();
  await expect(page.getByTestId('total-params')).toHaveCount(0);
});
