#!/usr/bin/env node
/**
 * Dev tool: screenshot the Train tab while a run trains, in Debian's Chromium with the e2e launch flags.
 *   node scripts/dev/screenshot-training.mjs <url of a Train tab> <out.png> [width=1440] [height=900]
 * Loads the shared CIFAR-10 subset (../shared/data/cifar10-subset, as the e2e tests do), sets a long
 * run of batch 8, clicks Train, waits for the model-in-training summary and a few steps, then takes
 * the viewport (not the full page) and prints where the run buttons are, so "does Stop stay in view"
 * has a number. Use a small model and backend=wasm, e.g.
 *   '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&C=2&view=train&backend=wasm&classroom=1'
 */
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';

const [url, out, w, h] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node scripts/dev/screenshot-training.mjs <url> <out.png> [width] [height]');
  process.exit(1);
}
const archive = resolve(process.cwd(), '..', 'shared', 'data', 'cifar10-subset', 'cifar-10-binary.tar.gz');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(w) || 1440, height: Number(h) || 900 } });
  page.on('console', (m) => m.type() === 'error' && console.log('console error:', m.text()));
  page.on('pageerror', (e) => console.log('page error:', e.message));
  await page.goto(url);
  await page.getByLabel('Archive or .bin files').setInputFiles(archive);
  await page.getByTestId('data-status').getByText(/Loaded \d/).waitFor({ timeout: 90_000 });
  const training = page.getByRole('region', { name: 'Training settings' });
  await training.getByLabel('Batch size').fill('8');
  await training.getByLabel('Steps (0 = epochs)').fill('2000');
  await training.getByRole('button', { name: 'Train', exact: true }).click();
  await page.getByTestId('running-model-name').waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => /step [1-9]\d* \//.test(document.querySelector('[data-testid="train-progress"]')?.textContent ?? ''), null, { timeout: 120_000 });
  await page.waitForTimeout(Number(process.env.SHOT_WAIT_MS ?? 500));
  for (const name of ['Train', 'Pause', 'Stop']) {
    const box = await training.getByRole('button', { name, exact: true }).boundingBox();
    console.log(`${name}: ${box ? `x=${Math.round(box.x)} y=${Math.round(box.y)} h=${Math.round(box.height)}` : 'not found'}`);
  }
  const summary = await page.getByTestId('running-model').boundingBox();
  console.log(`running-model: ${summary ? `y=${Math.round(summary.y)} h=${Math.round(summary.height)}` : 'not found'}`);
  await page.screenshot({ path: out });
  await training.getByRole('button', { name: 'Abort', exact: true }).click();
} finally {
  await browser.close();
}
