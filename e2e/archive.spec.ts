/**
 * Bounded archives. Through the Train tab's data panel (the app's own build, its bundled data
 * worker): a 2 GiB gzip bomb (2 MB on disk) is refused with "expands to more than …" while the
 * page keeps handling clicks; Cancel stops a full-size load at once; a valid archive loads after
 * either. Through the data worker alone (e2e/fixtures/data.ts injected, as in data.spec.ts): the
 * peak memory of parsing a full-size archive and the bomb. The archives are built here by
 * streaming zlib into the test's output folder (never expanded in memory, never in the
 * repository). Peak renderer memory is the renderer's VmHWM in /proc (Linux only).
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, createGzip } from 'node:zlib';
import { type Page, type TestInfo, expect, test } from '@playwright/test';
import { build } from 'esbuild';
import type { CifarDataFixture } from './fixtures/data';
import { SUBSET_ARCHIVE } from './training';

const MiB = 1 << 20;
const FOLDER = 'cifar-10-batches-bin';
const RECORD = 1 + 3072;
/** The larger official dataset's records (CIFAR-100: 60,000 x 3,074 bytes), as src/data/archive.ts derives it. */
const OFFICIAL_BYTES = 60_000 * 3074;
/**
 * What a data worker costs by itself (its V8 isolate and script): the bomb's RSS growth less the
 * 185 MB it decompresses is ~30 MB. Decompressed chunks are freed only when V8 collects them, so a
 * parse holds about the archive's output plus the arrays built from it: 2x the official size.
 */
const WORKER_OVERHEAD = 40e6;

/** A ustar header block for a file of `size` bytes. */
function tarHeader(name: string, size: number): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number) => block.set(new TextEncoder().encode(text), at);
  put(name, 0);
  put('0000644\0', 100);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124);
  put('00000000000\0', 136);
  put('0', 156);
  put('ustar\0', 257);
  put('00', 263);
  block.fill(0x20, 148, 156);
  put(`${block.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** gzip of `parts` (a number: that many zero bytes), streamed through zlib into `path`. */
async function writeGzip(testInfo: TestInfo, name: string, parts: readonly (Uint8Array | number)[]): Promise<string> {
  const path = testInfo.outputPath(name);
  await mkdir(dirname(path), { recursive: true });
  const gz = createGzip({ level: 9, strategy: constants.Z_RLE });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((done) => gz.on('end', done));
  const zeros = new Uint8Array(MiB);
  for (const part of parts) {
    const pieces = typeof part === 'number' ? Array.from({ length: Math.ceil(part / MiB) }, (_, i) => zeros.subarray(0, Math.min(MiB, part - i * MiB))) : [part];
    for (const piece of pieces) if (!gz.write(piece)) await new Promise((done) => gz.once('drain', done));
  }
  gz.end();
  await ended;
  await writeFile(path, Buffer.concat(out));
  return path;
}

/** A CIFAR-10 archive of the official size (6 x 10,000 records), every image black, label 0: 0.2 MB gzipped. */
function fullSizeArchive(testInfo: TestInfo): Promise<string> {
  const size = 10_000 * RECORD;
  const names = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  return writeGzip(testInfo, 'full/cifar-10-binary.tar.gz', [...names.flatMap((n) => [tarHeader(`${FOLDER}/${n}`, size), size + ((512 - (size % 512)) % 512)]), 1024]);
}

/** Resident and peak resident memory (VmRSS, VmHWM) of the browser's renderers, the largest; undefined off Linux. */
async function rendererMemory(page: Page): Promise<{ rss: number; peak: number } | undefined> {
  const browser = page.context().browser();
  if (process.platform !== 'linux' || !browser) return undefined;
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  await cdp.detach();
  let best: { rss: number; peak: number } | undefined;
  for (const { id } of processInfo.filter((p) => p.type === 'renderer')) {
    try {
      const status = readFileSync(`/proc/${id}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      if (!best || kb('VmRSS') > best.rss) best = { rss: kb('VmRSS'), peak: kb('VmHWM') };
    } catch {
      // A renderer that has gone meanwhile.
    }
  }
  return best;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

const bundle = async (entry: string) =>
  (await build({ entryPoints: [fileURLToPath(new URL(entry, import.meta.url))], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }))
    .outputFiles[0]!.text;

/** A page of the app with the data layer injected (e2e/fixtures/data.ts) and its worker from a blob URL. */
async function openFixture(page: Page): Promise<void> {
  await page.goto('/');
  await page.addScriptTag({ content: await bundle('./fixtures/data.ts'), type: 'module' });
  await page.waitForFunction(() => 'cifarData' in window);
  await page.evaluate((code) => (window as unknown as { cifarData: CifarDataFixture }).cifarData.useParseWorker(code), await bundle('../src/data/parse.worker.ts'));
}

interface Probe {
  clicks: { delay: number; during: boolean }[];
  longTasks: number[];
  maxFrameGap: number;
}

/** Records each click's queueing delay (handler time minus the event's time) and whether a load was in progress, long tasks, and the longest gap between frames. */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe: Probe = { clicks: [], longTasks: [], maxFrameGap: 0 };
    (window as unknown as { probe: Probe }).probe = probe;
    document.addEventListener(
      'click',
      (e) => probe.clicks.push({ delay: performance.now() - e.timeStamp, during: document.querySelector('section[aria-label="Training data"] [role=status]') !== null }),
      true,
    );
    new PerformanceObserver((list) => list.getEntries().forEach((entry) => probe.longTasks.push(entry.duration))).observe({ type: 'longtask' });
    let last = performance.now();
    const frame = (t: number) => {
      probe.maxFrameGap = Math.max(probe.maxFrameGap, t - last);
      last = t;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

const readProbe = (page: Page) => page.evaluate(() => (window as unknown as { probe: Probe }).probe);

test.describe('bounded archives in the data panel', () => {
  test.setTimeout(120_000);
  let errors: string[];

  test.beforeEach(async ({ page }) => {
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
  });
  test.afterEach(() => expect(errors).toEqual([]));

  test('a 2 GiB gzip bomb is refused ("expands to more than"), the page handles clicks meanwhile, memory stays low; a valid archive loads next', async ({ page }, testInfo) => {
    const bomb = await writeGzip(testInfo, 'bomb/cifar-10-binary.tar.gz', [2048 * MiB]);
    await page.goto('/?view=train');
    const data = page.getByRole('region', { name: 'Training data' });
    await expect(data).toBeVisible();
    await installProbe(page);
    const before = await rendererMemory(page);
    const heading = (await data.getByRole('heading', { name: 'Data' }).boundingBox())!;

    const t0 = Date.now();
    await data.getByLabel('Archive or .bin files').setInputFiles(bomb);
    // Real clicks (through the browser's input pipeline) until the refusal shows.
    const roundTrips: number[] = [];
    while (!(await page.getByTestId('data-error').isVisible()) && Date.now() - t0 < 60_000) {
      const start = performance.now();
      await page.mouse.click(heading.x + 4, heading.y + 4);
      roundTrips.push(performance.now() - start);
    }
    const elapsed = Date.now() - t0;
    await expect(page.getByTestId('data-error')).toContainText(/^The archive expands to more than 185\.5 MB, more than any CIFAR archive/);
    const probe = await readProbe(page);
    const after = await rendererMemory(page);
    const during = probe.clicks.filter((c) => c.during);
    console.log(
      `gzip bomb (${mb(readFileSync(bomb).length)} -> 2 GiB) refused after ${elapsed} ms; ${during.length} of ${probe.clicks.length} clicks during the load, ` +
        `worst delay ${Math.max(...probe.clicks.map((c) => c.delay)).toFixed(1)} ms, worst click round trip ${Math.max(...roundTrips).toFixed(0)} ms; ` +
        `longest task ${Math.max(0, ...probe.longTasks).toFixed(0)} ms, longest frame gap ${probe.maxFrameGap.toFixed(0)} ms` +
        (before && after ? `; renderer RSS ${mb(before.rss)} before, peak ${mb(after.peak)}` : ''),
    );
    expect(during.length).toBeGreaterThan(0);
    // The criterion: every click handled within 200 ms. (Long tasks are reported, not asserted: on a
    // loaded machine, preemption alone can stretch a short task.)
    for (const click of probe.clicks) expect(click.delay).toBeLessThan(200);
    if (before && after) expect(after.peak - before.rss).toBeLessThan(2 * OFFICIAL_BYTES);

    await data.getByLabel('Archive or .bin files').setInputFiles(SUBSET_ARCHIVE);
    await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
    await expect(page.getByTestId('data-error')).toHaveCount(0);
  });

  test('Cancel stops a full-size load at once (its worker ends); then it loads whole, and the subset after it', async ({ page }, testInfo) => {
    const archive = await fullSizeArchive(testInfo);
    await page.goto('/?view=train');
    const data = page.getByRole('region', { name: 'Training data' });
    await expect(data).toBeVisible();
    const workers: { closed: boolean }[] = [];
    page.on('worker', (worker) => {
      if (!/parse\.worker/.test(worker.url())) return;
      const entry = { closed: false };
      workers.push(entry);
      worker.on('close', () => (entry.closed = true));
    });

    // Cancel is pressed the moment the panel shows the load in a phase (in the same task that sees it):
    // while decompressing, and while parsing the decompressed files.
    for (const phase of ['decompress', 'parse']) {
      const cancelled = page.evaluate(
        (phase) =>
          new Promise<{ status: string; ms: number }>((resolve) => {
            const panel = document.querySelector('section[aria-label="Training data"]')!;
            const observer = new MutationObserver(() => {
              const status = panel.querySelector('[role=status]');
              const cancel = [...panel.querySelectorAll('button')].find((b) => b.textContent === 'Cancel');
              if (!status || !cancel || !status.textContent?.includes(phase)) return;
              observer.disconnect();
              const text = status.textContent;
              const t0 = performance.now();
              cancel.click();
              const done = () => {
                if (panel.querySelector('[data-testid=data-error]')?.textContent?.includes('cancelled')) resolve({ status: text, ms: performance.now() - t0 });
                else requestAnimationFrame(done);
              };
              done();
            });
            observer.observe(panel, { subtree: true, childList: true, characterData: true });
          }),
        phase,
      );
      // Emptied first: choosing the same file again is not a change.
      await data.getByLabel('Archive or .bin files').setInputFiles([]);
      await data.getByLabel('Archive or .bin files').setInputFiles(archive);
      const { status, ms } = await cancelled;
      await expect(page.getByTestId('data-error')).toHaveText('Loading was cancelled; nothing changed.');
      await expect.poll(() => workers.length > 0 && workers.every((w) => w.closed)).toBe(true);
      console.log(`cancelled during "${status.replace('Cancel', '').trim()}": the panel said so ${ms.toFixed(0)} ms after the click`);
      expect(ms).toBeLessThan(200);
    }
    expect(workers).toHaveLength(2);
    await expect(page.getByTestId('data-status')).toContainText('No cached copy yet');

    // The same archive loaded to the end: 60,000 images, parsed, handed to the page and written to IndexedDB.
    await page.reload();
    const before = await rendererMemory(page);
    const t0 = Date.now();
    await data.getByLabel('Archive or .bin files').setInputFiles(archive);
    await expect(page.getByTestId('data-status')).toContainText('Loaded 50,000 training and 10,000 test images', { timeout: 90_000 });
    const after = await rendererMemory(page);
    if (before && after) {
      console.log(`full-size archive through the panel (parse, then IndexedDB): ${Date.now() - t0} ms; renderer RSS ${mb(before.rss)} before, peak ${mb(after.peak)} (+${mb(after.peak - before.rss)})`);
      // The parse stays under 2x (next test); IndexedDB's write serialises a further copy of the arrays.
      expect(after.peak - before.rss).toBeLessThan(3 * OFFICIAL_BYTES);
    }

    await data.getByLabel('Archive or .bin files').setInputFiles(SUBSET_ARCHIVE);
    await expect(page.getByTestId('data-status')).toContainText('Loaded 4,660 training and 932 test images', { timeout: 60_000 });
  });

  for (const what of ['full-size archive', '2 GiB gzip bomb'] as const)
    test(`the data worker alone: the ${what} in under 2x the official size`, async ({ page }, testInfo) => {
      const path = what === 'full-size archive' ? await fullSizeArchive(testInfo) : await writeGzip(testInfo, 'bomb/cifar-10-binary.tar.gz', [2048 * MiB]);
      await openFixture(page);
      await page.getByLabel('CIFAR archive or .bin files').setInputFiles(path);
      const before = await rendererMemory(page);
      const outcome = await page.evaluate(() => (window as unknown as { cifarData: CifarDataFixture }).cifarData.parseInput('cifar10'));
      const after = await rendererMemory(page);
      if (what === 'full-size archive') expect(outcome).toMatchObject({ trainCount: 50_000, testCount: 10_000 });
      else expect(outcome.error).toMatchObject({ code: 'too-large', message: expect.stringContaining('expands to more than 185.5 MB') });
      if (!before || !after) return;
      console.log(`${what} in the data worker: ${outcome.ms.toFixed(0)} ms; renderer RSS ${mb(before.rss)} before, peak ${mb(after.peak)} (+${mb(after.peak - before.rss)})`);
      expect(after.peak - before.rss).toBeLessThan(2 * OFFICIAL_BYTES + WORKER_OVERHEAD);
    });
});
