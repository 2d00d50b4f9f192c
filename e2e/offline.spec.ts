/**
 * Offline after the first visit: the production build on a plain static host; the first visit lets
 * the service worker (public/sw.js) cache the build; then the host goes away (the network of a
 * classroom fails) and a reload still opens the app, loads data and trains on WASM.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { type StaticServer, serveStatic } from './fixtures/staticServer';
import { startTraining } from './training';

const DIST = resolve(process.cwd(), process.env.E2E_DIST ?? 'dist');
/** The classroom ResNet-29 with one block per stage, on WASM: a step takes well under a second. */
const TINY = '/?preset=classroom_resnet29_1x18d&blocks=1,1,1&view=train&backend=wasm';

let server: StaticServer | undefined;

test.beforeAll(async () => {
  expect(existsSync(resolve(DIST, 'index.html')), 'dist/ is built by the webServer of playwright.config.ts').toBe(true);
  server = await serveStatic(DIST);
});
test.afterAll(() => server?.close());

test('after one visit the app opens and trains with the host gone', async ({ page, context }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const origin = server!.origin;

  await page.goto(`${origin}${TINY}`);
  // The first visit: the service worker installs (caching the build), the page reloads once isolated.
  await expect.poll(() => page.evaluate(() => window.crossOriginIsolated).catch(() => undefined), { timeout: 30_000 }).toBe(true);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${origin}/sw.js`);
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls = (await Promise.all(names.map(async (n) => (await caches.open(n)).keys()))).flat().map((r) => new URL(r.url).pathname);
    return { names, urls };
  });
  expect(cached.names.filter((n) => n.startsWith('resnext-lab-shell-'))).toHaveLength(1);
  expect(cached.urls).toContain('/index.html');
  expect(cached.urls.some((u) => /\/assets\/runtime\.worker-.*\.js$/.test(u)), 'the compute worker is cached').toBe(true);
  expect(cached.urls.some((u) => /tfjs-backend-wasm.*\.wasm$/.test(u)), "tfjs' WASM binaries are cached").toBe(true);

  // The network goes: the host stops and the browser is offline.
  await server!.close();
  server = undefined;
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('total-params')).toBeVisible();

  await startTraining(page, `${origin}${TINY}`, { batch: 16, steps: 3 });
  await expect(page.getByTestId('ledger')).toContainText('finished', { timeout: 180_000 });
  await expect(page.getByTestId('train-progress')).toContainText('step 3 / 3');
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
  expect(errors).toEqual([]);
});
