/**
 * `npm run bench:equiv`: forward+backward ms of one ResNeXt block in forms (a), (b), (c), on each
 * backend that starts, through the app's own equivalence lab (its worker, its kernels), and the
 * ratio against a dense bottleneck of equal MACs (1x64d: ResNeXt Table 2's ResNet row).
 * JSON to stdout. Figures, not a test. BENCH_BACKENDS=webgpu,wasm,... picks backends.
 */
import type { Page } from '@playwright/test';
import { withPreview } from './preview';

const PORT = 4177;
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'webgpu,wasm,webgl,cpu').split(',');
const RUNS = process.env.BENCH_RUNS ?? '5';
/** The conv2-stage template block of Table 2 at a small map size (software GPUs are slow). */
const BLOCK = { width: '256', size: process.env.BENCH_SIZE ?? '8', batch: process.env.BENCH_BATCH ?? '4' };

type FormTimes = Record<string, { forwardMs: number; forwardBackwardMs: number }>;

async function check(page: Page, origin: string, backend: string, C: string, d: string): Promise<{ backend: string; worst: string; forms: FormTimes }> {
  await page.goto(`${origin}/?view=equivalence&backend=${backend}`);
  const lab = page.getByRole('region', { name: 'Equivalence lab' });
  await lab.getByLabel('C', { exact: true }).fill(C);
  await lab.getByLabel('d', { exact: true }).fill(d);
  await lab.getByLabel('Input width').fill(BLOCK.width);
  await lab.getByLabel('Spatial size').fill(BLOCK.size);
  await lab.getByLabel('Batch').fill(BLOCK.batch);
  await lab.getByLabel('Timing runs').fill(RUNS);
  await lab.getByRole('button', { name: 'Run check' }).click();
  await lab.getByTestId('equivalence-verdict').or(lab.getByRole('alert')).first().waitFor({ timeout: 590_000 });
  const verdict = (await lab.getByTestId('equivalence-verdict').textContent({ timeout: 1000 }).catch(() => null)) ?? 'failed';
  const used = /on (\w+);/.exec(verdict)?.[1] ?? 'unknown';
  const forms: FormTimes = {};
  for (const f of ['a', 'b', 'c']) {
    const cells = await lab.getByTestId(`form-${f}`).locator('td').allTextContents();
    forms[f] = { forwardMs: Number(cells[3]), forwardBackwardMs: Number(cells[4]) };
  }
  return { backend: used, worst: /largest \|difference\| (\S+)/.exec(verdict)?.[1] ?? verdict, forms };
}

const results = await withPreview(PORT, async (browser, origin) => {
  const page = await browser.newPage();
  const rows = [];
  for (const backend of BACKENDS) {
    try {
      const x = await check(page, origin, backend, '32', '4');
      const dense = await check(page, origin, backend, '1', '64');
      if (x.backend !== backend) {
        rows.push({ backend, error: `did not start (ran on ${x.backend})` });
        continue;
      }
      const denseMs = dense.forms.c!.forwardBackwardMs;
      rows.push({
        backend,
        block: `32x4d, 256-d, ${BLOCK.size}x${BLOCK.size}, batch ${BLOCK.batch}`,
        maxAbsDiff: x.worst,
        fwdBwdMs: { a: x.forms.a!.forwardBackwardMs, b: x.forms.b!.forwardBackwardMs, c: x.forms.c!.forwardBackwardMs },
        fwdMs: { a: x.forms.a!.forwardMs, b: x.forms.b!.forwardMs, c: x.forms.c!.forwardMs },
        dense1x64dFwdBwdMs: denseMs,
        ratioToDense: {
          a: +(x.forms.a!.forwardBackwardMs / denseMs).toFixed(2),
          b: +(x.forms.b!.forwardBackwardMs / denseMs).toFixed(2),
          c: +(x.forms.c!.forwardBackwardMs / denseMs).toFixed(2),
        },
        fastestForm: Object.entries(x.forms).sort((p, q) => p[1].forwardBackwardMs - q[1].forwardBackwardMs)[0]![0],
      });
    } catch (e) {
      rows.push({ backend, error: (e as Error).message.split('\n')[0] });
    }
  }
  return rows;
});
console.log(JSON.stringify(results, null, 2));
