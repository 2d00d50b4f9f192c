import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

const PORT = Number(process.env.E2E_PORT ?? 4173);
/** Build folder: several shells can run e2e at once with their own E2E_PORT and E2E_DIST. */
const DIST = process.env.E2E_DIST ?? 'dist';

/**
 * End-to-end tests in Debian's Chromium (Playwright cannot download its own browser here), against
 * the production build served by `vite preview`. See DEVELOPERS.md for the launch flags.
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `npx vite build --outDir ${DIST} --emptyOutDir && npx vite preview --outDir ${DIST} --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
