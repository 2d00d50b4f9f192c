/**
 * The grouped-convolution WebGPU kernels in real Chromium (SwiftShader's WebGPU on CPU-only
 * machines). The production build has only index.html, so the check is bundled here with esbuild
 * and injected into a page of the app (the localhost origin WebGPU needs).
 *
 * Tolerances (max abs, float32 on SwiftShader; y and dx are of order 1, dfilter up to ~20):
 * - 1e-5 against a float64 plain-loop reference, for y, dx and dfilter;
 * - 1e-4 against split+concat on the same backend: tfjs' own filter gradient sums all N*Ho*Wo
 *   positions in one float32 running sum and is itself ~2e-5 off the reference at 2x16x16
 *   (the chunked two-pass sum of the custom kernel is closer), so 1e-5 would test split, not us.
 */
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { GROUPED_CONV_CASES } from '../src/workers/engine/groupedConvCases';
import type { GroupedConvCheckResult } from './fixtures/groupedConv';

const TOLERANCE_VS_REFERENCE = 1e-5;
const TOLERANCE_VS_SPLIT = 1e-4;
const FIXTURE = fileURLToPath(new URL('./fixtures/groupedConv.ts', import.meta.url));

async function bundleFixture(): Promise<string> {
  const out = await build({ entryPoints: [FIXTURE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

test('grouped conv WebGPU kernels (forward, dx, dfilter) match the float64 reference within 1e-5 and split+concat within 1e-4', async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const script = await bundleFixture();
  await page.goto('/');
  await page.addScriptTag({ content: script, type: 'module' });
  await page.waitForFunction(() => 'runGroupedConvChecks' in window);
  const result = await page.evaluate(() => (window as unknown as { runGroupedConvChecks: () => Promise<GroupedConvCheckResult> }).runGroupedConvChecks());
  const worst = (pick: (c: (typeof result.cases)[number]) => Record<string, number>) => Math.max(...result.cases.flatMap((c) => Object.values(pick(c))));
  console.log(
    `grouped conv on ${result.backend}: worst max abs diff vs reference ${worst((c) => c.vsReference)}, vs split ${worst((c) => c.vsSplit)}; split vs reference ${worst((c) => c.splitVsReference)}`,
  );

  expect(result.setBackend).toBe(true);
  expect(result.backend).toBe('webgpu');
  const n = GROUPED_CONV_CASES.length;
  expect(result.cases).toHaveLength(n);
  // Each case runs the forward twice (y, and inside tf.grads) and each backward kernel once.
  expect(result.kernelCalls).toEqual({ GroupedConv2D: 2 * n, GroupedConv2DBackpropInput: n, GroupedConv2DBackpropFilter: n });
  for (const c of result.cases) {
    for (const [what, diffs, tolerance] of [
      ['the reference', c.vsReference, TOLERANCE_VS_REFERENCE],
      ['split', c.vsSplit, TOLERANCE_VS_SPLIT],
    ] as const) {
      expect.soft(diffs.y, `${c.name}: y vs ${what}`).toBeLessThanOrEqual(tolerance);
      expect.soft(diffs.dx, `${c.name}: dx vs ${what}`).toBeLessThanOrEqual(tolerance);
      expect.soft(diffs.dfilter, `${c.name}: dfilter vs ${what}`).toBeLessThanOrEqual(tolerance);
    }
  }
  expect(result.tensorsLeaked).toBe(0);
  expect(errors).toEqual([]);
});
