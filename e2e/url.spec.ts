/**
 * URL hygiene: after notices the address bar shows the cleaned link (same history entry), identical
 * notices show once with a count, and a huge junk value leaves neither the link nor a huge notice.
 */
import { type Page, expect, test } from '@playwright/test';

const totalParams = (page: Page) => page.getByTestId('total-params');
const search = (page: Page) => new URL(page.url()).search;

/** Vite's preview server refuses request lines over Node's 16 KB header limit: serve `/` for long links, the page keeps its own URL. */
async function serveLongLinks(page: Page): Promise<void> {
  await page.route(
    (url) => url.pathname === '/' && url.search.length > 1000,
    (route) => route.continue({ url: new URL('/', route.request().url()).href }),
  );
}

test('a link with junk and out-of-range values is replaced by the cleaned link, in the same history entry', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?preset=resnet9000&C=lots&d=-3&foo=1&view=layers#top');
  const notices = page.getByTestId('notices');
  await expect(notices).toContainText('Unknown preset "resnet9000"');
  await expect(notices).toContainText('Ignored "C=lots": not a number.');
  await expect(notices).toContainText('"d=-3" is outside 1–65536 or not whole; using 1.');
  await expect.poll(() => search(page)).toBe('?preset=resnext50_32x4d&d=1');
  expect(new URL(page.url()).hash).toBe('#top');
  const historyLength = await page.evaluate(() => history.length);
  // The debounced writer finds the URL already clean: no second entry.
  await page.waitForTimeout(600);
  expect(await page.evaluate(() => history.length)).toBe(historyLength);
  expect(search(page)).toBe('?preset=resnext50_32x4d&d=1');
  await expect(totalParams(page)).not.toHaveText('');
  expect(errors).toEqual([]);
});

test('"zz=1" 3,000 times gives one notice with a count, and a clean link', async ({ page }) => {
  await serveLongLinks(page);
  await page.goto(`/?preset=resnet50&${Array.from({ length: 3000 }, () => 'zz=1').join('&')}`);
  const notices = page.getByTestId('notices');
  await expect(notices.locator('p')).toHaveCount(1);
  await expect(notices).toContainText('Ignored unknown URL parameter "zz" (3,000 times).');
  await expect.poll(() => search(page)).toBe('?preset=resnet50');
  await expect(totalParams(page)).toHaveText('25,557,032');
  await notices.getByRole('button', { name: 'Dismiss notice' }).click();
  await expect(notices).toHaveCount(0);
});

test('a 100 KB preset value leaves the link and gives a one-line notice', async ({ page }) => {
  await serveLongLinks(page);
  const junk = 'x'.repeat(100_000);
  await page.goto(`/?preset=${junk}&view=charts`);
  const notices = page.getByTestId('notices');
  await expect(notices).toContainText(`Unknown preset "${'x'.repeat(40)}…"; showing resnext50_32x4d.`);
  expect((await notices.innerText()).length).toBeLessThan(200);
  await expect.poll(() => search(page)).toBe('?preset=resnext50_32x4d&view=charts');
});

test('a clean link is left as it is', async ({ page }) => {
  await page.goto('/?preset=resnet50&view=layers');
  await expect(totalParams(page)).toHaveText('25,557,032');
  await page.waitForTimeout(600);
  expect(search(page)).toBe('?preset=resnet50&view=layers');
  await expect(page.getByTestId('notices')).toHaveCount(0);
});
