/**
 * The run ledger keeps a run whose checkpoint is larger than one IndexedDB value may be in Chromium
 * (~128 MiB): 20M parameters, weights and momentum, 160 MB (store/checkpointParts.ts). Bundled and
 * injected as e2e/batchNorm.spec.ts does.
 */
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/runLedger.ts', import.meta.url));

test('a run with a 160 MB checkpoint is saved, read back whole, re-saved smaller without leftovers, and deleted', async ({ page }) => {
  test.setTimeout(120_000);
  const out = await build({ entryPoints: [FIXTURE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  await page.goto('/');
  await page.addScriptTag({ content: out.outputFiles[0]!.text, type: 'module' });
  await page.waitForFunction(() => 'runLedger' in window);
  type Trip = { big: { same: boolean; arrays: number }; listed: string[]; smallSame: boolean; keysAfterSmall: number; gone: boolean };
  const trip = await page.evaluate(() => (window as unknown as { runLedger: { roundTrip(a: number, b: number): Promise<Trip> } }).runLedger.roundTrip(20_000_000, 1_000));
  expect(trip.big).toEqual({ same: true, arrays: 10 });
  expect(trip.listed).toEqual(['ledger-e2e']);
  expect(trip.smallSame).toBe(true);
  expect(trip.keysAfterSmall).toBe(1);
  expect(trip.gone).toBe(true);
});
