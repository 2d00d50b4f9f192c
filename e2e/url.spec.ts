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

test('"Set up a lesson" builds a link that reproduces the dials, the training settings, the view, hidden parts and lock in a fresh page', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/?preset=classroom_resnext29_8x4d&view=train');
  const c = page.getByLabel('Cardinality C', { exact: true });
  await c.fill('4');
  await c.press('Enter');
  await expect(page).toHaveURL(/C=4/);
  const params = await totalParams(page).textContent();
  const settings = page.getByRole('region', { name: 'Training settings' });
  await settings.getByLabel('Batch size').fill('64');
  await settings.getByLabel('Seed').fill('7');
  await settings.getByLabel('Learning rate', { exact: true }).fill('0.1');
  await settings.getByLabel('Learning rate', { exact: true }).press('Tab');
  await settings.getByLabel('Schedule').selectOption('step');
  // The page's own address carries the training settings too.
  await expect(page).toHaveURL(/bs=64.*seed=7.*lr=0\.1.*schedule=step/);

  await page.getByRole('button', { name: 'Set up a lesson' }).click();
  const panel = page.getByRole('region', { name: 'Set up a lesson' });
  await panel.getByLabel('Open on').selectOption('train');
  await panel.getByLabel('Charts tab').check();
  await panel.getByLabel('Lock the model controls').check();
  await expect(panel.getByTestId('lesson-training')).toContainText('bs=64');
  const link = await panel.getByLabel('Lesson link').inputValue();
  expect(link).toMatch(/C=4/);
  await panel.getByRole('button', { name: 'Copy link' }).click();
  await expect(panel.getByRole('status')).toHaveText(/Link copied|press Ctrl\+C/);
  if ((await panel.getByRole('status').textContent())?.startsWith('Link copied')) expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await page.keyboard.press('Escape');
  await expect(panel).toHaveCount(0);

  const fresh = await context.newPage();
  await fresh.goto(link);
  await expect(fresh.locator('html')).toHaveClass(/classroom/);
  await expect(fresh.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');
  await expect(fresh.getByRole('tab', { name: 'Charts' })).toHaveCount(0);
  await expect(fresh.getByLabel('Cardinality C', { exact: true })).toHaveValue('4');
  await expect(fresh.getByLabel('Cardinality C', { exact: true })).toBeDisabled();
  await expect(totalParams(fresh)).toHaveText(params!);
  const freshSettings = fresh.getByRole('region', { name: 'Training settings' });
  await expect(freshSettings.getByLabel('Batch size')).toHaveValue('64');
  await expect(freshSettings.getByLabel('Seed')).toHaveValue('7');
  await expect(freshSettings.getByLabel('Learning rate', { exact: true })).toHaveValue('0.1');
  await expect(freshSettings.getByLabel('Schedule')).toHaveValue('step');
  expect(search(fresh)).toBe(new URL(link).search);
});

test('a link\'s training settings fill the Train tab; a clamped one is cleaned in the address', async ({ page }) => {
  await page.goto('/?view=train&bs=1000&epochs=2&recipe=fast');
  await expect(page.getByTestId('notices')).toContainText('"bs=1000" is outside 2–512 or not whole; using 512.');
  const settings = page.getByRole('region', { name: 'Training settings' });
  await expect(settings.getByLabel('Batch size')).toHaveValue('512');
  await expect(settings.getByLabel('Epochs', { exact: true })).toHaveValue('2');
  await expect(settings.getByRole('combobox', { name: 'Recipe', exact: true })).toHaveValue('fast');
  await expect.poll(() => search(page)).toMatch(/^\?preset=resnext50_32x4d&view=train&recipe=fast&bs=512&epochs=2&/);
});

test('where the clipboard is refused, "Copy link" selects the lesson link for Ctrl+C', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) } });
  });
  await page.goto('/?preset=resnet50&view=papers');
  await page.getByRole('button', { name: 'Set up a lesson' }).click();
  const panel = page.getByRole('region', { name: 'Set up a lesson' });
  const field = panel.getByLabel('Lesson link');
  await expect(field).toHaveValue(/\?preset=resnet50&view=papers&classroom=1$/);
  await panel.getByRole('button', { name: 'Copy link' }).click();
  await expect(panel.getByRole('status')).toContainText('press Ctrl+C');
  await expect(field).toBeFocused();
  const selected = await field.evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd, el.value.length]);
  expect(selected).toEqual([0, selected[2], selected[2]]);
});
