/**
 * The grouped-convolution WebGPU kernels in real Chromium (SwiftShader's WebGPU on CPU-only
 * machines), both program sets (tiled and untiled, kernels/webgpu/), and tfjs' dense
 * Conv2DBackpropFilter as the app replaces it. The production build has only index.html, so the
 * check is bundled here with esbuild and injected into a page of the app (the localhost origin
 * WebGPU needs).
 *
 * Tolerances (max abs difference, float32 on SwiftShader):
 * - against the float64 plain-loop reference: 1e-5 x max(1, the reference's largest magnitude), for
 *   y, dx and dfilter: 1e-5 absolute for outputs of order 1 (y, dx), 1e-5 relative for the filter
 *   gradients, which are sums over N*HO*WO positions (up to ~20 here) whose float32 rounding grows
 *   with their size. A float32 sum of n products is off by about sqrt(n) * 6e-8 of its terms'
 *   magnitude (~1e-6 relative at n = 512, the largest sum here), so 1e-5 leaves room for the
 *   summation order and still fails any wrong tap, channel or group (an error of one product,
 *   ~0.1-1, is 1e4 times the tolerance);
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

test('grouped conv WebGPU kernels (forward, dx, dfilter; tiled and untiled) and the dense filter gradient match the float64 reference within 1e-5 and split+concat within 1e-4', async ({ page }) => {
  // Two program sets, split and the dense check for 17 cases: SwiftShader compiles each shape's shaders (seconds each).
  test.setTimeout(600_000);
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
    `grouped conv on ${result.backend}: worst max abs diff vs reference: tiled ${worst((c) => c.vsReference)}, untiled ${worst((c) => c.untiledVsReference)}; vs split ${worst((c) => c.vsSplit)}; split vs reference ${worst((c) => c.splitVsReference)}`,
  );

  expect(result.setBackend).toBe(true);
  expect(result.backend).toBe('webgpu');
  const n = GROUPED_CONV_CASES.length;
  const dense = GROUPED_CONV_CASES.filter((k) => k.groups === 1).length;
  expect(result.cases).toHaveLength(n);
  // Per case and program set, the forward runs twice (y, and inside tf.grads) and each backward kernel once.
  // Conv2DBackpropFilter: split+concat's tf.conv2d per group, and the dense check of groups-1 cases.
  const groupsTotal = GROUPED_CONV_CASES.reduce((s, k) => s + k.groups, 0);
  expect(result.kernelCalls).toEqual({ GroupedConv2D: 4 * n, GroupedConv2DBackpropInput: 2 * n, GroupedConv2DBackpropFilter: 2 * n, Conv2DBackpropFilter: groupsTotal + dense });
  for (const c of result.cases) {
    const limit = (what: 'y' | 'dx' | 'dfilter') => TOLERANCE_VS_REFERENCE * Math.max(1, c.scale[what]);
    for (const what of ['y', 'dx', 'dfilter'] as const) {
      expect.soft(c.vsReference[what], `${c.name}: ${what} (tiled) vs the reference`).toBeLessThanOrEqual(limit(what));
      expect.soft(c.untiledVsReference[what], `${c.name}: ${what} (untiled) vs the reference`).toBeLessThanOrEqual(limit(what));
      expect.soft(c.vsSplit[what], `${c.name}: ${what} (tiled) vs split`).toBeLessThanOrEqual(TOLERANCE_VS_SPLIT * Math.max(1, c.scale[what]));
    }
    if (c.denseFilterVsReference !== undefined) expect.soft(c.denseFilterVsReference, `${c.name}: tf.conv2d's dfilter vs the reference`).toBeLessThanOrEqual(limit('dfilter'));
  }
  expect(result.cases.filter((c) => c.denseFilterVsReference !== undefined)).toHaveLength(dense);
  expect(result.tensorsLeaked).toBe(0);
  expect(errors).toEqual([]);
});
