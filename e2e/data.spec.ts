/**
 * The CIFAR data layer (src/data) in Chromium, on the real subset in ../shared/data/cifar10-subset:
 * the archive parsed in the page gives the same arrays as in Node; the IndexedDB copy serves later
 * loads without the network (across a reload, and offline); bad files leave the copy alone; a URL
 * download reports progress; a full storage quota is explained. The layer is driven directly (the
 * Train tab's data panel has its own tests in train.spec.ts): e2e/fixtures/data.ts is bundled here
 * with esbuild and injected into a page of the app (as groupedConv.spec.ts does). Archives are served with page.route: the machine has no internet.
 */
import { type Page, type Request, expect, test } from '@playwright/test';
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCifarArchive } from '../src/data/cifar';
import type { CifarDataFixture, FixtureLoadOptions, Outcome } from './fixtures/data';

const FIXTURE = fileURLToPath(new URL('./fixtures/data.ts', import.meta.url));
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUBSET = resolve(repoRoot, '..', 'shared', 'data', 'cifar10-subset');
const ARCHIVE = readFileSync(resolve(SUBSET, 'cifar-10-binary.tar.gz'));
const BIN_DIR = resolve(SUBSET, 'cifar-10-batches-bin');
const ARCHIVE_MD5 = 'e50f6dcfb728c19fad27ee17ce586a13';
const TRAIN = 5 * 932;
const TEST = 932;

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** The same archive parsed in Node: what the page must reproduce byte for byte. */
async function expectedArrays() {
  const ds = await parseCifarArchive(ARCHIVE);
  return { trainImagesMd5: md5(ds.train.images), trainLabelsMd5: md5(ds.train.labels), testImagesMd5: md5(ds.test.images) };
}

let script: string | undefined;
async function fixtureScript(): Promise<string> {
  script ??= (await build({ entryPoints: [FIXTURE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }))
    .outputFiles[0]!.text;
  return script;
}

const WORKER = fileURLToPath(new URL('../src/data/parse.worker.ts', import.meta.url));
let workerScript: string | undefined;
/** The data worker, bundled: the fixture starts it from a blob URL (the app's own build places it itself). */
async function parseWorkerScript(): Promise<string> {
  workerScript ??= (await build({ entryPoints: [WORKER], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' }))
    .outputFiles[0]!.text;
  return workerScript;
}

async function openFixture(page: Page): Promise<void> {
  await page.goto('/');
  await page.addScriptTag({ content: await fixtureScript(), type: 'module' });
  await page.waitForFunction(() => 'cifarData' in window);
  await page.evaluate((code) => (window as unknown as Fixture).cifarData.useParseWorker(code), await parseWorkerScript());
}

type Fixture = { cifarData: CifarDataFixture };

const load = (page: Page, options: FixtureLoadOptions): Promise<Outcome> =>
  page.evaluate((o) => (window as unknown as Fixture).cifarData.load('cifar10', o), options);
const info = (page: Page) => page.evaluate(() => (window as unknown as Fixture).cifarData.info('cifar10'));

function ok(outcome: Outcome) {
  if (!outcome.ok) throw new Error(`expected a dataset, got ${outcome.error.name}: ${outcome.error.message}`);
  return outcome.dataset;
}

function failed(outcome: Outcome) {
  if (outcome.ok) throw new Error(`expected an error, got a dataset from ${outcome.dataset.source}`);
  return outcome.error;
}

/** Serves the subset archive at the app's hosted path; counts the requests that reach it. */
async function hostArchive(page: Page, body: Buffer = ARCHIVE): Promise<{ requests: () => number; goOffline: () => void }> {
  let requests = 0;
  let offline = false;
  await page.route((url) => url.pathname === '/data/cifar-10-binary.tar.gz', (route) => {
    requests++;
    return offline ? route.abort('internetdisconnected') : route.fulfill({ status: 200, contentType: 'application/gzip', body });
  });
  return { requests: () => requests, goOffline: () => (offline = true) };
}

test.describe('CIFAR data in the browser', () => {
  test.setTimeout(120_000);
  let errors: string[];

  test.beforeEach(async ({ page }) => {
    errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
  });
  test.afterEach(() => expect(errors).toEqual([]));

  test('the hosted archive is parsed as in Node, kept in IndexedDB, loaded from there after a reload and offline, and cleared', async ({ page }) => {
    const expected = await expectedArrays();
    const host = await hostArchive(page);
    await openFixture(page);
    expect(await info(page)).toBeNull();

    const first = await load(page, { source: 'hosted' });
    const dataset = ok(first);
    expect(dataset).toMatchObject({ kind: 'cifar10', trainCount: TRAIN, testCount: TEST, maxLabel: 9, fromCache: false, ...expected });
    expect(dataset.classNames).toEqual(readFileSync(resolve(BIN_DIR, 'batches.meta.txt'), 'utf8').split('\n').filter(Boolean));
    expect(dataset.source).toBe('hosted: /data/cifar-10-binary.tar.gz');
    expect(dataset.cacheWarning).toBeUndefined();
    expect(host.requests()).toBe(1);
    expect(new Set(first.progress.map((p) => p.phase))).toEqual(new Set(['cache', 'download', 'decompress', 'parse', 'store']));
    const downloaded = first.progress.filter((p) => p.phase === 'download').at(-1)!;
    expect([downloaded.loaded, downloaded.total]).toEqual([ARCHIVE.length, ARCHIVE.length]);

    const cached = await info(page);
    expect(cached).toMatchObject({ kind: 'cifar10', trainCount: TRAIN, testCount: TEST, source: dataset.source, bytes: (TRAIN + TEST) * 3073 });

    // A second load: from IndexedDB, no request.
    const second = ok(await load(page, { source: 'hosted' }));
    expect(second).toMatchObject({ fromCache: true, trainCount: TRAIN, testCount: TEST, ...expected });
    expect(host.requests()).toBe(1);

    // After a reload, with the network gone: still there.
    host.goOffline();
    const archiveRequests: Request[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('.tar.gz')) archiveRequests.push(r);
    });
    await openFixture(page);
    const offline = await load(page, { source: 'url', url: '/data/cifar-10-binary.tar.gz' });
    expect(ok(offline)).toMatchObject({ fromCache: true, ...expected });
    expect(offline.progress.map((p) => p.phase)).toEqual(['cache', 'cache']);
    expect(archiveRequests).toEqual([]);

    await page.evaluate(() => (window as unknown as Fixture).cifarData.clear());
    expect(await info(page)).toBeNull();
    const gone = failed(await load(page, { source: 'hosted' }));
    expect(gone.code).toBe('download-failed');
    expect(gone.message).toMatch(/Could not download .*\/data\/cifar-10-binary\.tar\.gz: the network request failed/);
    expect(archiveRequests).toHaveLength(1);
  });

  test('bad files give a clear error and leave the cached copy as it was; good .bin files replace it', async ({ page }, testInfo) => {
    const expected = await expectedArrays();
    await hostArchive(page);
    await openFixture(page);
    ok(await load(page, { source: 'hosted' }));
    const before = await info(page);
    const files = page.getByLabel('CIFAR archive or .bin files');

    // Files on disk, as a person picks them (setInputFiles with buffers is slow: they cross the protocol as base64).
    const onDisk = (name: string, bytes: Uint8Array) => {
      const path = testInfo.outputPath(name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      return path;
    };
    await files.setInputFiles(onDisk('cut/cifar-10-binary.tar.gz', ARCHIVE.subarray(0, 5_000_000)));
    const cut = failed(await load(page, { source: 'file', fromFileInput: true }));
    expect(cut).toMatchObject({ name: 'CifarDataError', code: 'not-an-archive' });
    expect(cut.message).toMatch(/not a valid gzip file .*partly downloaded/);

    const bins = readdirSync(BIN_DIR).map((name) => resolve(BIN_DIR, name));
    const batch4 = readFileSync(resolve(BIN_DIR, 'data_batch_4.bin'));
    batch4[3 * 3073] = 200;
    await files.setInputFiles(bins.map((path) => (path.endsWith('data_batch_4.bin') ? onDisk('flipped/data_batch_4.bin', batch4) : path)));
    const label = failed(await load(page, { source: 'file', fromFileInput: true }));
    expect(label).toMatchObject({ code: 'label-out-of-range' });
    expect(label.message).toBe('data_batch_4.bin: record 3 (counting from 0, at byte 9,219) has label 200, but CIFAR-10 labels are 0-9.');

    await files.setInputFiles(resolve(BIN_DIR, 'data_batch_1.bin'));
    const noTest = failed(await load(page, { source: 'file', fromFileInput: true }));
    expect(noTest).toMatchObject({ code: 'empty-test-set', message: 'There is no test set: test_batch.bin is missing.' });

    // The app's server answers an unknown path with index.html: "not hosted", not a parse error.
    const notHosted = failed(await load(page, { source: 'hosted', hostedBase: '/no-such-folder/', refresh: true }));
    expect(notHosted.code).toBe('not-hosted');
    expect(notHosted.message).toContain('No CIFAR-10 archive is hosted with the app');
    expect(notHosted.message).toContain('scripts/data.ts');

    expect(await info(page)).toEqual(before);

    // The real .bin files (as a person drops the folder's contents): same arrays, and the copy is replaced.
    await files.setInputFiles(bins);
    const fromBins = ok(await load(page, { source: 'file', fromFileInput: true }));
    expect(fromBins).toMatchObject({ trainCount: TRAIN, testCount: TEST, fromCache: false, ...expected });
    expect(fromBins.source).toMatch(/^files: batches\.meta\.txt, data_batch_1\.bin/);
    expect((await info(page))?.source).toBe(fromBins.source);
  });

  test('a URL download reports progress, checks the md5, and can be stopped', async ({ page }) => {
    const expected = await expectedArrays();
    let served = 0;
    await page.route('**/fake-cifar.tar.gz', (route) => {
      served++;
      return route.fulfill({ status: 200, contentType: 'application/gzip', body: ARCHIVE });
    });
    await page.route('**/missing-cifar.tar.gz', (route) => route.fulfill({ status: 404, body: 'no' }));
    await openFixture(page);

    const outcome = await load(page, { source: 'url', url: '/fake-cifar.tar.gz' });
    const dataset = ok(outcome);
    expect(dataset).toMatchObject({ trainCount: TRAIN, testCount: TEST, fromCache: false, md5: { hex: ARCHIVE_MD5, official: false }, ...expected });
    expect(dataset.source).toMatch(/^url: \/fake-cifar\.tar\.gz$/);
    // page.route hands the body over in one piece: the start and the end (streaming is the next test's).
    const download = outcome.progress.filter((p) => p.phase === 'download');
    expect(download.map((p) => [p.loaded, p.total])).toEqual([
      [0, ARCHIVE.length],
      [ARCHIVE.length, ARCHIVE.length],
    ]);
    const phases = [...new Set(outcome.progress.map((p) => p.phase))];
    expect(phases).toEqual(['cache', 'download', 'verify', 'decompress', 'parse', 'store']);
    const decompress = outcome.progress.filter((p) => p.phase === 'decompress').at(-1)!;
    expect([decompress.loaded, decompress.total]).toEqual([ARCHIVE.length, ARCHIVE.length]);

    const wrongMd5 = failed(await load(page, { source: 'url', url: '/fake-cifar.tar.gz', md5: '0'.repeat(32), refresh: true }));
    expect(wrongMd5).toMatchObject({ code: 'checksum-mismatch' });
    expect(wrongMd5.message).toContain(`md5 is ${ARCHIVE_MD5}, not the expected ${'0'.repeat(32)}`);

    const missing = failed(await load(page, { source: 'url', url: '/missing-cifar.tar.gz', refresh: true }));
    expect(missing).toMatchObject({ code: 'download-failed' });
    expect(missing.message).toContain('the server answered 404');

    const stopped = failed(await load(page, { source: 'url', url: '/fake-cifar.tar.gz', refresh: true, abortOnDownload: true }));
    // The signal's own AbortError (a DOMException), not a CifarDataError, so the UI can tell "stopped" from "failed".
    expect(stopped.name).toBe('AbortError');

    expect(served).toBe(3);
    expect((await info(page))?.source).toBe('url: /fake-cifar.tar.gz');
  });

  test('a cross-origin download streams with progress when the server allows it (CORS), and says why when not', async ({ page }) => {
    const expected = await expectedArrays();
    const chunk = 1 << 20;
    // A second origin on the loopback, like the official site; it sends the archive in 1 MB pieces.
    const server = createServer((req, res) => {
      const cors = req.url?.startsWith('/cors/');
      res.writeHead(200, {
        'content-type': 'application/gzip',
        'content-length': ARCHIVE.length,
        ...(cors ? { 'access-control-allow-origin': '*' } : {}),
      });
      let at = 0;
      const next = () => {
        if (at >= ARCHIVE.length) return void res.end();
        res.write(ARCHIVE.subarray(at, at + chunk));
        at += chunk;
        setTimeout(next, 5);
      };
      next();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await openFixture(page);
      const outcome = await load(page, { source: 'url', url: `${origin}/cors/cifar-10-binary.tar.gz` });
      expect(ok(outcome)).toMatchObject({ trainCount: TRAIN, testCount: TEST, md5: { hex: ARCHIVE_MD5, official: false }, ...expected });
      const download = outcome.progress.filter((p) => p.phase === 'download');
      // The server sends ~16 chunks; the network stack may coalesce some, so ask for a real stream
      // of progress (well over a handful of reports), not one report per chunk.
      expect(download.length).toBeGreaterThanOrEqual(Math.ceil(ARCHIVE.length / chunk / 2));
      for (let i = 1; i < download.length; i++) expect(download[i]!.loaded).toBeGreaterThanOrEqual(download[i - 1]!.loaded);
      expect(download.every((p) => p.total === ARCHIVE.length)).toBe(true);
      expect(download.at(-1)!.loaded).toBe(ARCHIVE.length);

      const blocked = failed(await load(page, { source: 'url', url: `${origin}/plain/cifar-10-binary.tar.gz`, refresh: true }));
      expect(blocked.code).toBe('download-failed');
      expect(blocked.message).toMatch(/the site does not let web pages download from it \(CORS\)/);
      expect(blocked.message).toContain('drop it here');
      errors = errors.filter((e) => !/CORS|Access-Control-Allow-Origin/.test(e));
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  test('IndexedDB keeps a dataset of the official size (50,000 + 10,000 images, 184 MB) intact', async ({ page }) => {
    await openFixture(page);
    const trip = await page.evaluate(() => (window as unknown as Fixture).cifarData.roundTrip(50_000, 10_000));
    console.log(`full-size cache: ${(trip.bytes / 1e6).toFixed(0)} MB saved in ${trip.saveMs.toFixed(0)} ms, read in ${trip.readMs.toFixed(0)} ms`);
    expect(trip).toMatchObject({ same: true, bytes: 60_000 * 3073 });
    expect(await info(page)).toMatchObject({ trainCount: 50_000, testCount: 10_000, source: 'synthetic' });
  });

  test('a full storage quota is explained, and the data is still loaded', async ({ page, baseURL }) => {
    await page.route('**/fake-cifar.tar.gz', (route) => route.fulfill({ status: 200, contentType: 'application/gzip', body: ARCHIVE }));
    await openFixture(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin, quotaSize: 2_000_000 });
    const outcome = ok(await load(page, { source: 'url', url: '/fake-cifar.tar.gz' }));
    expect(outcome).toMatchObject({ trainCount: TRAIN, testCount: TEST, fromCache: false });
    expect(outcome.cacheWarning).toMatch(/^The browser would not keep CIFAR-10 for offline use: this site's storage is full \(QuotaExceededError; the data needs about 17 MB\)/);
    expect(outcome.cacheWarning).toMatch(/free some disk space, leave private or incognito browsing/);
    expect(await info(page)).toBeNull();

    // Past the estimate check: IndexedDB's own refusal is explained the same way.
    const write = await page.evaluate(() => (window as unknown as Fixture).cifarData.saveWithoutEstimate('/fake-cifar.tar.gz'));
    expect(write).toMatchObject({ ok: false, error: { code: 'storage-quota', cause: 'QuotaExceededError' } });
    expect(await info(page)).toBeNull();
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL!).origin });
  });
});
