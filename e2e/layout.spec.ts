/**
 * The layout on a projector and a laptop: at 1280x720 and 1920x1080 in classroom mode, and at
 * 1440x900 without it, every view fits the window's width (no sideways page scroll), its tabs sit
 * on one row, the view starts in the top three quarters of the window, the layer table's Params and
 * MACs headers are on screen, and the Train tab shows its Train button, loss chart and data Load
 * button together, with the run ledger a little scrolling away (an ImageNet preset's too).
 */
import { type Locator, type Page, expect, test } from '@playwright/test';
import { VIEWS } from '../src/store/state';

const SCREENS = [
  { width: 1280, height: 720, classroom: true },
  { width: 1920, height: 1080, classroom: true },
  { width: 1440, height: 900, classroom: false },
] as const;

/** `locator`'s box lies wholly inside the window (at the current scroll position). */
async function expectOnScreen(page: Page, locator: Locator, what: string): Promise<void> {
  await expect(locator, what).toBeVisible();
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize()!;
  expect(box, what).not.toBeNull();
  const { x, y, width: w, height: h } = box!;
  expect({ what, left: x >= 0, top: y >= 0, right: x + w <= width, bottom: y + h <= height }).toEqual({ what, left: true, top: true, right: true, bottom: true });
}

for (const screen of SCREENS) {
  const name = `${screen.width}x${screen.height}${screen.classroom ? ', classroom' : ''}`;
  test.describe(name, () => {
    test.use({ viewport: { width: screen.width, height: screen.height } });
    for (const view of VIEWS) {
      test(`${view}: no sideways scroll, one row of tabs, the view above the fold`, async ({ page }) => {
        await page.goto(`/?view=${view}${screen.classroom ? '&classroom=1' : ''}`);
        const panel = page.getByRole('tabpanel');
        await expect(panel).toBeVisible();
        await expect(page.locator('html')).toHaveClass(screen.classroom ? /classroom/ : /^(?!.*classroom)/);
        // Charts and diagrams size themselves after the first frame.
        await page.waitForTimeout(300);

        const widths = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
        expect(widths.scroll, 'page width').toBeLessThanOrEqual(widths.inner);

        const tabs = page.getByRole('tab');
        const tops = await tabs.evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
        expect(tops.length).toBe(VIEWS.length);
        expect(new Set(tops).size, `tab tops ${tops.join(', ')}`).toBe(1);
        for (const tab of await tabs.all()) await expectOnScreen(page, tab, `tab ${await tab.textContent()}`);

        const top = (await panel.boundingBox())!.y;
        expect(top, 'the view starts in the top three quarters').toBeLessThan(0.75 * screen.height);

        if (view === 'layers') {
          const table = page.getByTestId('layer-table');
          await expectOnScreen(page, table.getByRole('columnheader', { name: 'Params' }), 'Params header');
          await expectOnScreen(page, table.getByRole('columnheader', { name: 'MACs' }), 'MACs header');
        }
        if (view === 'train') {
          await expectTrainTabFits(page, screen.height);
        }
      });
    }
  });
}

/** The Train tab's first screen: Train, the loss chart's frame and the data's Load; the run ledger within a little scrolling. */
async function expectTrainTabFits(page: Page, height: number): Promise<void> {
  await expectOnScreen(page, page.getByRole('button', { name: 'Train', exact: true }), 'Train button');
  await expectOnScreen(page, page.getByTestId('chart-train-loss'), 'loss chart');
  await expectOnScreen(page, page.getByRole('button', { name: 'Load (cached or self-hosted)' }), 'data Load button');
  const ledgerTop = (await page.getByTestId('ledger').boundingBox())!.y;
  expect(ledgerTop, 'the run ledger starts within about half a window of scrolling').toBeLessThan(1.6 * height);
}

test.describe('1280x720, classroom, an ImageNet preset', () => {
  test.use({ viewport: { width: 1280, height: 720 } });
  test('train: the memory estimate is one line that opens to the details; the first screen holds Train, the loss chart and Load', async ({ page }) => {
    await page.goto('/?view=train&classroom=1&preset=resnext50_32x4d');
    const estimate = page.getByTestId('memory-estimate');
    await expect(estimate.locator('summary')).toContainText(/^Memory at batch 32: [\d.]+ GiB of ~[\d.]+ GiB on \w+ — (too large to train here|runs as micro-batches of \d+)$/);
    const summaryBox = (await estimate.locator('summary').boundingBox())!;
    const lineHeight = await estimate.locator('summary').evaluate((e) => parseFloat(getComputedStyle(e).lineHeight) || 1.4 * parseFloat(getComputedStyle(e).fontSize));
    expect(summaryBox.height, 'at most two lines').toBeLessThanOrEqual(2 * lineHeight + 1);
    const details = estimate.locator('p');
    await expect(details).toBeHidden();
    await expectTrainTabFits(page, 720);
    await estimate.locator('summary').click();
    await expect(details).toBeVisible();
    await expect(details).toContainText('25.0M parameters');
  });
});
