/*
 * ResNeXt Lab's service worker: the page's only one (src/main.tsx registers it). Plain JavaScript,
 * served as is from the site root (Vite copies public/ untouched).
 *
 * Cross-origin isolation where the host sends no headers (GitHub Pages and the like): every
 * same-origin response passes through here and gains COOP `same-origin` and COEP `require-corp`
 * (the headers vite.config.ts sets in dev and preview), so the page and its workers are
 * `crossOriginIsolated`, SharedArrayBuffer exists and tfjs' WASM backend runs threaded
 * (docs/tfjs.md#wasm-threads-need-isolation-and-unminified-glue). A page loaded before this worker
 * controlled it is not isolated: main.tsx reloads it once.
 *
 * Cross-origin requests (a dataset download) are left to the browser: CORS fetches pass COEP as
 * they are. Later features (offline caching) add their handlers here.
 *
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

// Take over at once, open pages included: main.tsx waits for this, then reloads once.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** The same response with the isolation headers added. */
function isolated(response) {
  // Opaque and opaque-redirect responses (status 0) cannot be rewritten; pass them on as they are.
  if (response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Chromium's devtools can issue such requests; fetch() rejects them outside same-origin mode.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then(isolated));
});
