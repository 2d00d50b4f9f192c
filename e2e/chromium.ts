/**
 * How the tests (and the headless tools) start Chromium. Debian's build at /usr/bin/chromium, or
 * CHROMIUM_PATH. The flags give a working WebGPU adapter (SwiftShader, on the CPU) in headless mode
 * and keep Chromium off the network, which is closed here.
 */
import type { LaunchOptions } from '@playwright/test';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

export function chromiumLaunchOptions(): LaunchOptions {
  return { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS };
}
