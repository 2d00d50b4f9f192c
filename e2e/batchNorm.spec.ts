/**
 * The fused training-mode BatchNorm, ReLU's gradient, SiLU, the channel gate's gradient and the SGD update on WebGPU in real Chromium (SwiftShader on
 * CPU-only machines): the app's WGSL kernels (kernels/webgpu/batchNorm.ts) through the engine, against
 * the float64 reference (kernels/batchNormCases.ts). Bundled and injected as e2e/groupedConv.spec.ts does.
 *
 * Tolerance: 1e-5, the bound every WebGPU kernel is held to; per element relative to max(1, |reference|)
 * (y, dx, the statistics: a few float32 operations each on O(1-10) values), and for the channel sums
 * dgamma and dbeta relative to their largest magnitude, as the grouped conv spec holds its filter
 * gradients (float32 over blocks of at least 16 rows, then over at most 256 blocks: the error follows
 * the terms' size, not the sum's; the fixture says more). Seen: 1.8e-6, and 8.1e-6 with the mean at
 * 100 ± 1. SiLU alone: 1e-5 (WGSL's exp is within a few ulp per unit of |x|; seen 6.5e-7).
 */
import { expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type { BatchNormCheckResult } from './fixtures/batchNorm';

const FIXTURE = fileURLToPath(new URL('./fixtures/batchNorm.ts', import.meta.url));

test('fused BatchNorm (+ ReLU, SiLU, residual join), ReLU gradient, SiLU, the channel gate and bias gradients, the running update and the SGD update on WebGPU match float64 (1e-5; SGD and running update 1e-6)', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    // WebGPU validation errors (an invalid bind group or command buffer) come as warnings.
    if (m.type() === 'error' || (m.type() === 'warning' && /invalid/i.test(m.text()))) errors.push(m.text());
  });
  const out = await build({ entryPoints: [FIXTURE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  await page.goto('/');
  await page.addScriptTag({ content: out.outputFiles[0]!.text, type: 'module' });
  await page.waitForFunction(() => 'runBatchNormChecks' in window);
  const result = await page.evaluate(() => (window as unknown as { runBatchNormChecks: () => Promise<BatchNormCheckResult> }).runBatchNormChecks());
  const worst = (cases: typeof result.cases) => Math.max(...cases.flatMap((c) => Object.values(c.vsReference)));
  const far = result.cases.filter((c) => c.name.startsWith('mean 100'));
  console.log(`batchNorm on ${result.backend}: worst ${worst(result.cases.filter((c) => !far.includes(c)))} (mean 100 ± 1: ${worst(far)}); SiLU ${result.silu.y} / ${result.silu.dx}; running ${JSON.stringify(result.running)}; gate ${JSON.stringify(result.gate)}; bias ${JSON.stringify(result.bias)}`);

  expect(result.setBackend).toBe(true);
  expect(result.backend).toBe('webgpu');
  const withActivation = result.cases.filter((c) => c.name.includes('+')).length;
  const withResidual = result.cases.filter((c) => c.name.includes('residual')).length;
  // Each case: the forward twice (y, and inside tf.grads), the backward once; ReLU's gradient once per residual join and once alone.
  expect(result.kernelCalls).toEqual({
    AppBatchNormTraining: 2 * result.cases.length,
    AppBatchNormTrainingGrad: result.cases.length,
    AppReluGrad: withResidual + 1,
    AppSilu: 2,
    AppSiluGrad: 1,
    AppSgdMomentumUpdate: 4,
    AppChannelDot: result.gate.length,
    AppChannelSum: result.bias.length,
    AppRunningUpdate: result.running.length,
  });
  expect(withActivation).toBe(6);
  for (const c of result.cases) {
    for (const [output, diff] of Object.entries(c.vsReference)) {
      expect.soft(diff, `${c.name}: ${output} vs float64`).toBeLessThanOrEqual(1e-5);
    }
    if (c.name.includes('ReLU')) expect.soft(c.zeros, `${c.name}: the ReLU zeroed outputs`).toBeGreaterThan(100);
  }
  expect(result.reluGradDiffering).toBe(0);
  expect(result.reluGradZeros).toBeGreaterThan(1500);
  expect(result.silu.y).toBeLessThanOrEqual(1e-5);
  expect(result.silu.dx).toBeLessThanOrEqual(1e-5);
  // SGD: a few float32 roundings per element on O(1) values.
  expect(result.sgd).toHaveLength(4);
  for (const u of result.sgd) {
    expect.soft(u.p, `SGD decay ${u.decay} Nesterov ${u.nesterov}: p`).toBeLessThanOrEqual(1e-6);
    expect.soft(u.v, `SGD decay ${u.decay} Nesterov ${u.nesterov}: v`).toBeLessThanOrEqual(1e-6);
  }
  // The running estimates' update: two products and a sum (a compiler may fuse them into one multiply-add).
  expect(result.running).toHaveLength(2);
  for (const r of result.running) expect.soft(r.vsReference, `running update, ${r.size} values`).toBeLessThanOrEqual(1e-6);
  // The gate's gradient: dx one multiply; dgate float32 sums of 64 pixels, then over the blocks (relative to its terms).
  expect(result.gate).toHaveLength(5);
  for (const g of result.gate) {
    expect.soft(g.dx, `gate ${JSON.stringify(g.shape)}: dx`).toBeLessThanOrEqual(1e-5);
    expect.soft(g.dgate, `gate ${JSON.stringify(g.shape)}: dgate`).toBeLessThanOrEqual(1e-5);
  }
  // A bias's gradient: float32 channel sums (as BatchNorm's), relative to the terms; the input's gradient is dy itself.
  expect(result.bias).toHaveLength(4);
  for (const b of result.bias) {
    expect.soft(b.dbias, `bias ${JSON.stringify(b.shape)}: dbias`).toBeLessThanOrEqual(1e-5);
    expect.soft(b.dyDiffering, `bias ${JSON.stringify(b.shape)}: dy`).toBe(0);
  }
  expect(result.tensorsLeaked).toBe(0);
  expect(errors).toEqual([]);
});
