#!/usr/bin/env node
/**
 * Dev tool: screenshot a page in Debian's Chromium with the e2e launch flags.
 *   node scripts/dev/screenshot.mjs <url> <out.png> [width=1440] [height=900]
 * Console errors and page errors are printed, so a broken page does not pass unnoticed.
 */
import { chromium } from '@playwright/test';

const [url, out, w, h] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node scripts/dev/screenshot.mjs <url> <out.png> [width] [height]');
  process.exit(1);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'],
});
const page = await browser.newPage({ viewport: { width: Number(w) || 1440, height: Number(h) || 900 } });
page.on('console', (m) => m.type() === 'error' && console.log('console error:', m.text()));
page.on('pageerror', (e) => console.log('page error:', e.message));
await page.goto(url);
await page.waitForTimeout(Number(process.env.SHOT_WAIT_MS ?? 800));
await page.screenshot({ path: out, fullPage: true });
await browser.close();
