/** Shared by the browser benchmarks: build the app, serve it with `vite preview`, open Chromium. */
import { type Browser, chromium } from '@playwright/test';
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium';

async function waitForServer(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} did not start`);
}

/** Builds, serves on `port`, launches Chromium, runs `fn`, and cleans up whatever happens. */
export async function withPreview<T>(port: number, fn: (browser: Browser, origin: string) => Promise<T>): Promise<T> {
  execSync('npx vite build --logLevel error', { stdio: 'inherit' });
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
  try {
    const origin = `http://localhost:${port}`;
    await waitForServer(`${origin}/`);
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      return await fn(browser, origin);
    } finally {
      await browser.close();
    }
  } finally {
    if (server.pid) process.kill(-server.pid);
  }
}
