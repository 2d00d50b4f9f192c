/**
 * Where the app gets CIFAR from, in the browser (page or worker), and the framework-free API the UI
 * calls. Sources, in the order the UI offers them:
 *
 * 1. `hosted`: an archive self-hosted beside the app, `public/data/<archive>` (served at
 *    `/data/cifar-10-binary.tar.gz`), put there by `npx tsx scripts/data.ts`;
 * 2. `file`: the archive, or the .bin files, that a person drops or picks;
 * 3. `url`: a download (default the official archive), with progress and an md5 check.
 *
 * Whatever the source, the parsed arrays are kept in IndexedDB (cache.ts), and `hosted` and `url`
 * loads come from there when a copy exists: offline after the first load. A bad file throws a
 * `CifarDataError` before anything is stored, so the cached copy is never replaced by a bad one.
 *
 * Archives and files are read, decompressed and parsed in a worker (parseClient.ts), streamed and
 * capped at what a CIFAR archive can hold, so the page stays responsive and Cancel works throughout.
 */
import { md5 } from 'js-md5';
import { type CachedDatasetInfo, cachedDatasetInfo, clearCachedData, readFromCache, saveToCache } from './cache';
import { CIFAR_LAYOUTS, CifarDataError, type CifarDataset, type CifarKind, OFFICIAL_ARCHIVES, checkArchiveMd5 } from './cifar';
import type { ParseRequest } from './parse';
import { parseInWorker } from './parseClient';

export { cachedDatasetInfo, clearCachedData, type CachedDatasetInfo };

export type DataSource = 'hosted' | 'file' | 'url';

/**
 * `cache`: reading IndexedDB; `download`/`read`: bytes of the file(s) (total 0 when the server
 * sends no length; `read` also counts a .tar read); `verify`: md5; `decompress`: gzip input
 * consumed; `parse`, `store`: 0/1 then 1/1.
 */
export type LoadPhase = 'cache' | 'download' | 'read' | 'verify' | 'decompress' | 'parse' | 'store';

export type ProgressCallback = (loaded: number, total: number, phase: LoadPhase) => void;

export interface LoadOptions {
  source: DataSource;
  /** For `file`: the archive, or the .bin files (and optionally the class-name .txt files). */
  file?: File | ArrayLike<File>;
  /** For `url`; default the official archive of `kind`. */
  url?: string;
  /** For `url`: the md5 the download must have. The official archive's is always recognised. */
  md5?: string;
  /** For `hosted`: where `data/` is served from; default the app's base URL. */
  hostedBase?: string;
  /** Load from the source even when a cached copy exists (which it then replaces). */
  refresh?: boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface LoadedDataset extends CifarDataset {
  /** Read from IndexedDB rather than the source. */
  fromCache: boolean;
  /** Set when the data loaded but could not be kept for offline use (e.g. the storage quota is full): show it. */
  cacheWarning?: string;
  /** For `url`: the download's md5, and whether it is the official archive's. */
  md5?: { hex: string; official: boolean };
}

/** Where the app serves a self-hosted archive of `kind` (public/data/ in the repository). */
export function hostedUrl(kind: CifarKind, base?: string): string {
  const appBase = base ?? (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  const relative = `${appBase.endsWith('/') ? appBase : `${appBase}/`}data/${CIFAR_LAYOUTS[kind].archiveName}`;
  return typeof location === 'undefined' ? relative : new URL(relative, location.href).href;
}

/**
 * Loads CIFAR-10 or CIFAR-100 from `options.source` (or from the IndexedDB copy, for `hosted` and
 * `url`), and keeps the parsed arrays in IndexedDB. Throws `CifarDataError` for bad or missing data
 * and the signal's reason (an AbortError) when stopped.
 */
export async function loadDataset(kind: CifarKind, options: LoadOptions): Promise<LoadedDataset> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  if (options.source !== 'file' && !options.refresh) {
    const cached = await readCached(kind, onProgress);
    if (cached) return { ...cached, fromCache: true };
  }
  signal?.throwIfAborted();
  const loaded = await loadFromSource(kind, options);
  signal?.throwIfAborted();
  onProgress?.(0, 1, 'store');
  let cacheWarning: string | undefined;
  try {
    await saveToCache(loaded.dataset);
  } catch (e) {
    cacheWarning = (e as Error).message;
  }
  onProgress?.(1, 1, 'store');
  return { ...loaded.dataset, fromCache: false, ...(cacheWarning ? { cacheWarning } : {}), ...(loaded.md5 ? { md5: loaded.md5 } : {}) };
}

/** The IndexedDB copy of `kind` alone, asking no source (what a reload loads by itself); null when there is none or IndexedDB is unusable. */
export async function loadCachedDataset(kind: CifarKind, onProgress?: ProgressCallback): Promise<LoadedDataset | null> {
  const cached = await readCached(kind, onProgress);
  return cached ? { ...cached, fromCache: true } : null;
}

async function readCached(kind: CifarKind, onProgress?: ProgressCallback): Promise<CifarDataset | null> {
  onProgress?.(0, 1, 'cache');
  try {
    const dataset = await readFromCache(kind);
    onProgress?.(1, 1, 'cache');
    return dataset;
  } catch {
    // No usable IndexedDB (some private modes): load from the source instead.
    return null;
  }
}

async function loadFromSource(kind: CifarKind, options: LoadOptions): Promise<{ dataset: CifarDataset; md5?: LoadedDataset['md5'] }> {
  const { signal, onProgress } = options;
  const parse = (request: Omit<ParseRequest, 'kind'>) => parseInWorker({ kind, ...request }, { ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) });
  const title = CIFAR_LAYOUTS[kind].title;
  switch (options.source) {
    case 'hosted': {
      const url = hostedUrl(kind, options.hostedBase);
      const notHosted = (why: string) =>
        new CifarDataError(
          'not-hosted',
          `No ${title} archive is hosted with the app (${why} at ${url}). To host one, run "npx tsx scripts/data.ts <archive or URL>" ` +
            'in the repository (it copies it into public/data/); or choose a file or a URL instead.',
        );
      const response = await open(url, signal);
      // Dev and preview servers answer unknown paths with index.html (the single-page-app fallback).
      if (response.status === 404 || /text\/html/i.test(response.headers.get('content-type') ?? '')) {
        await response.body?.cancel();
        throw notHosted(response.status === 404 ? 'nothing' : 'an HTML page, not an archive,');
      }
      if (!response.ok) throw downloadFailed(url, `the server answered ${response.status} ${response.statusText}`);
      const { chunks } = await readBody(response, url, { signal, onProgress });
      return { dataset: await parse({ archive: chunks, source: `hosted: ${new URL(url, 'http://x').pathname}` }) };
    }
    case 'url': {
      const url = options.url ?? OFFICIAL_ARCHIVES[kind].url;
      const response = await open(url, signal);
      if (!response.ok) throw downloadFailed(url, `the server answered ${response.status} ${response.statusText}`);
      const { chunks, size, md5: hex } = await readBody(response, url, { signal, onProgress, hash: true });
      onProgress?.(0, 1, 'verify');
      const verdict = checkArchiveMd5(kind, size, hex!, options.md5);
      onProgress?.(1, 1, 'verify');
      const dataset = await parse({ archive: chunks, source: `url: ${url}` });
      return { dataset, md5: { hex: hex!, official: verdict === 'official' } };
    }
    case 'file': {
      const files = !options.file ? [] : options.file instanceof Blob ? [options.file] : Array.from(options.file);
      if (files.length === 0) throw new CifarDataError('unknown-file', 'No file was given: choose the archive or the .bin files.');
      // The worker reads the files itself (an archive as a stream): the page never holds them.
      const only = files.length === 1 ? files[0]! : undefined;
      if (only && !/\.(bin|txt)$/i.test(only.name)) return { dataset: await parse({ archive: only, source: `file: ${only.name}` }) };
      return { dataset: await parse({ files, source: `files: ${files.map((f) => f.name).join(', ')}` }) };
    }
  }
}

function downloadFailed(url: string, why: string, cause?: unknown): CifarDataError {
  return new CifarDataError(
    'download-failed',
    `Could not download ${url}: ${why}. Download the archive yourself and drop it here, or host it with the app ("npx tsx scripts/data.ts ${url}").`,
    { cause },
  );
}

async function open(url: string, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(url, signal ? { signal } : {});
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const crossOrigin = typeof location !== 'undefined' && new URL(url, location.href).origin !== location.origin;
    throw downloadFailed(
      url,
      crossOrigin
        ? `the network request failed (${(e as Error).message}): you may be offline, or the site does not let web pages download from it (CORS)`
        : `the network request failed (${(e as Error).message}); you may be offline`,
      e,
    );
  }
}

/**
 * The body as the chunks that arrived (not joined into one buffer: they go to the data worker,
 * which frees each once decompressed), with progress and (when asked) an md5 computed as they arrive.
 */
async function readBody(
  response: Response,
  url: string,
  { signal, onProgress, hash = false }: { signal?: AbortSignal; onProgress?: ProgressCallback; hash?: boolean },
): Promise<{ chunks: Uint8Array[]; size: number; md5?: string }> {
  // With a Content-Encoding the length is of the encoded bytes, not of what the body yields.
  const declared = response.headers.get('content-encoding') ? 0 : Number(response.headers.get('content-length') ?? 0) || 0;
  const hasher = hash ? md5.create() : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.(0, declared, 'download');
  if (!response.body) throw downloadFailed(url, 'the response has no body');
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      hasher?.update(value);
      onProgress?.(loaded, Math.max(declared, loaded), 'download');
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw downloadFailed(url, `the download broke off after ${loaded.toLocaleString('en-US')} bytes (${(e as Error).message})`, e);
  }
  return hasher ? { chunks, size: loaded, md5: hasher.hex() } : { chunks, size: loaded };
}
