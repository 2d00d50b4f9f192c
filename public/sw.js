/*
 * ResNeXt Lab's service worker: the page's only one (src/main.tsx registers it). Plain JavaScript,
 * served as is from the site root (Vite copies public/ untouched).
 *
 * Two jobs, one worker:
 *
 * 1. Cross-origin isolation where the host sends no headers (GitHub Pages and the like): every
 *    same-origin response passes through here and gains COOP `same-origin` and COEP `require-corp`
 *    (the headers vite.config.ts sets in dev and preview), so the page and its workers are
 *    `crossOriginIsolated`, SharedArrayBuffer exists and tfjs' WASM backend runs threaded
 *    (docs/tfjs.md#wasm-threads-need-isolation-and-unminified-glue). A page loaded before this worker
 *    controlled it is not isolated: main.tsx reloads it once.
 * 2. Offline after the first visit (a classroom's network fails): the build's files (the app shell,
 *    the compute worker, tfjs' WASM binaries) are cached at install, from the list vite-plugin-pwa
 *    writes into `self.__WB_MANIFEST` at build time (vite.config.ts). Pages are network-first with
 *    the cached index.html as the fallback, so an online reload always gets the newest build; the
 *    build's files are cache-first (their names carry a content hash). A new build installs a new
 *    cache and deletes the old one. Data sets are not here: they stay in IndexedDB (src/data/cache.ts).
 *
 * Cross-origin requests (a dataset download) are left to the browser: CORS fetches pass COEP as
 * they are.
 */

/*!
 * The header rewriting follows coi-serviceworker v0.1.7 (https://github.com/gzuidhof/coi-serviceworker,
 * a dependency of this project), under its licence:
 *
 * MIT License
 *
 * Copyright (c) 2021 Guido Zuidhof
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to deal
 * in the Software without restriction, including without limitation the rights
 * to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 * copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all
 * copies or substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 * IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 * FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 * AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 * LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 * OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 * SOFTWARE.
 */

/** The headers that make a document (and each worker) cross-origin isolated. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The build's files, `{ url, revision }` relative to this worker; revision null for hashed names. */
const PRECACHE = self.__WB_MANIFEST;
const CACHE_PREFIX = 'resnext-lab-shell-';

/** One cache per build: its name is a hash of the file list and revisions. */
function cacheName() {
  let h = 2166136261;
  for (const { url, revision } of PRECACHE) {
    for (const ch of `${url} ${revision ?? ''};`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  }
  return CACHE_PREFIX + h.toString(16);
}
const CACHE = cacheName();
const scoped = (url) => new URL(url, self.registration.scope).href;

// Cache the whole build, then take over at once, open pages included (main.tsx waits for this).
self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map(({ url }) => scoped(url))))
      .then(() => self.skipWaiting()),
  );
});
self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

/** The same response with the isolation headers added. */
function isolated(response) {
  // Opaque and opaque-redirect responses (status 0) cannot be rewritten; pass them on as they are.
  if (response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** Pages: the network first (the newest build when online), else the cached index.html. */
async function page(request) {
  try {
    return await fetch(request);
  } catch (offline) {
    const cached = await caches.match(scoped('index.html'), { cacheName: CACHE });
    if (cached) return cached;
    throw offline;
  }
}

/** The build's own files, as absolute URLs without a query. */
const BUILD_FILES = new Set(PRECACHE.map(({ url }) => scoped(url)));

/** A file of the build: from the cache (the network if the cache lost it). */
async function file(request) {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreSearch: true });
  return cached ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Chromium's devtools can issue such requests; fetch() rejects them outside same-origin mode.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request).then(isolated));
    return;
  }
  const url = new URL(request.url);
  url.search = '';
  // Anything else (a self-hosted data set, say) goes to the network untouched: isolation headers
  // matter for documents and worker scripts only, and those are pages or build files.
  if (BUILD_FILES.has(url.href)) event.respondWith(file(request).then(isolated));
});
