import { expect, test } from '@playwright/test';
import { DEFAULT_PRESET, analyze, findPreset, formatInt } from '../src/models';

test('the app loads and shows the exact total params of the default preset', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'ResNeXt Lab' })).toBeVisible();
  await expect(page.getByLabel('Preset')).toHaveValue(DEFAULT_PRESET);
  // resnext50_32x4d: 25,028,904 params and 4,230,479,872 MACs (torchvision).
  await expect(page.getByTestId('total-params')).toHaveText('25,028,904');
  await expect(page.getByTestId('total-macs')).toHaveText('4,230,479,872');
  expect(errors).toEqual([]);
});

test('picking another preset updates the totals', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Preset').selectOption('efficientnet_b0');
  await expect(page.getByTestId('total-params')).toHaveText('5,288,548');
  await page.getByLabel('Preset').selectOption('cifar_resnext29_8x64d');
  const a = analyze(findPreset('cifar_resnext29_8x64d')!.spec);
  await expect(page.getByTestId('total-params')).toHaveText(formatInt(a.ok ? a.stats.totals.params : -1));
  await expect(page.getByTestId('total-params')).toHaveText('34,426,698');
  await expect(page.getByTestId('layer-table').getByRole('row', { name: /conv4/ })).toContainText('1024x8x8');
});

test('the test browser exposes WebGPU (SwiftShader on CPU-only machines)', async ({ page }) => {
  await page.goto('/');
  const adapter = await page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<object | null> } }).gpu;
    if (!gpu) return 'no navigator.gpu';
    const a = (await gpu.requestAdapter()) as { info?: { architecture?: string; vendor?: string } } | null;
    return a ? `adapter ${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''}` : 'null adapter';
  });
  expect(adapter).toMatch(/^adapter/);
});
