/**
 * WASM threads on a host that sends no COOP/COEP headers (GitHub Pages-like): the production build
 * (`dist/`, built by playwright.config.ts's webServer) served by a plain static server. The service
 * worker (public/sw.js) adds the headers; the page reloads once and is cross-origin isolated; the
 * compute worker starts tfjs' threaded WASM build with one thread per core (at most 8).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { type StaticServer, serveStatic } from './fixtures/staticServer';
import { startTraining } from './training';

const DIST = resolve(process.cwd(), process.env.E2E_DIST ?? 'dist');
/** The classroom ResNet-29 with one block per stage, on WASM: a step takes well under a second. */
const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm';

let server: StaticServer;

test.beforeAll(async () => {
  expect(existsSync(resolve(DIST, 'index.html')), 'dist/ is built by the webServer of playwright.config.ts').toBe(true);
  server = await serveStatic(DIST);
});
test.afterAll(() => server?.close());

/**
 * Document loads (first loads and reloads) of a page. Not 'framenavigated': that also fires for
 * same-document changes of the address (the app writes its settings into the URL with replaceState).
 */
function countNavigations(page: Page): () => number {
  let n = 0;
  page.on('domcontentloaded', () => n++);
  return () => n;
}

const isolated = (page: Page) => page.evaluate(() => window.crossOriginIsolated).catch(() => undefined);

test('a header-less host: the service worker isolates the page after one reload, and WASM trains with threads', async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const navigations = countNavigations(page);

  const first = await page.goto(`${server.origin}${TINY}`);
  expect(first?.headers()['cross-origin-opener-policy'], 'the server sends no COOP').toBeUndefined();
  expect(first?.headers()['cross-origin-embedder-policy'], 'the server sends no COEP').toBeUndefined();
  // First visit: not isolated; main.tsx registers public/sw.js, waits for it and reloads once.
  await expect.poll(() => isolated(page), { timeout: 30_000 }).toBe(true);
  // The reloaded document can answer before its DOMContentLoaded reaches the test: wait for it.
  await expect.poll(navigations, { timeout: 10_000 }).toBe(2);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${server.origin}/sw.js`);

  // Later visits are isolated from the start: no reload loop.
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = Math.min(8, Math.max(1, cores));
  await startTraining(page, `${server.origin}${TINY}`, { batch: 16, steps: 3 });
  expect(await isolated(page)).toBe(true);
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 180_000 });
  await expect(page.getByTestId('train-progress')).toContainText('step 3 / 3');
  expect(navigations()).toBe(3);

  // The backend line (in the equivalence lab; the compute worker is the one that trained).
  await page.getByRole('tab', { name: 'Equivalence lab' }).click();
  const line = page.getByTestId('backend-info');
  await expect(line).toContainText('Backend: wasm');
  await expect(line).toContainText(threads > 1 ? `SIMD on, ${threads} threads` : 'SIMD on, single-threaded');
  // XNNPACK's pool on one thread, the app's kernels on all of them (engine/backends.ts xnnpackThreadCount).
  if (threads > 1) await expect(line.locator('span[title^="XNNPACK"]')).toHaveAttribute('title', `XNNPACK's operators on 1 thread, the app's own kernels on ${threads}`);
  // Chromium validates the native kernels' relaxed SIMD builds (kernels/wasm/native.ts), and the training above ran them.
  await expect(line).toContainText(threads > 1 ? `SIMD on, ${threads} threads, relaxed SIMD` : 'SIMD on, single-threaded, relaxed SIMD');
  expect(errors).toEqual([]);
});

test('without service workers the page is not isolated, does not reload, and WASM runs single-threaded', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const navigations = countNavigations(page);
  await page.goto(`${server.origin}/?view=equivalence&backend=wasm`);
  const lab = page.getByRole('region', { name: 'Equivalence lab' });
  await lab.getByLabel('C', { exact: true }).fill('4');
  await lab.getByLabel('d', { exact: true }).fill('4');
  await lab.getByLabel('Input width').fill('16');
  await lab.getByLabel('Spatial size').fill('4');
  await lab.getByLabel('Timing runs').fill('1');
  await lab.getByRole('button', { name: 'Run check' }).click();
  await expect(lab.getByTestId('equivalence-verdict')).toContainText('✓ Equivalent', { timeout: 90_000 });
  await expect(lab.getByTestId('backend-info')).toContainText('SIMD on, single-threaded (the page is not cross-origin isolated)');
  expect(await isolated(page)).toBe(false);
  expect(navigations()).toBe(1);
  await context.close();
});
