import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App';
import { loadFromUrl } from './store/urlSync';
import './styles.css';

/** Set just before the one reload that lets the service worker isolate the page; cleared once isolated. */
const RELOADED_FOR_ISOLATION = 'resnext-lab:reloaded-for-isolation';

/**
 * The service worker, public/sw.js, does two jobs: cross-origin isolation (threaded WASM) on hosts
 * that send no COOP/COEP, and the offline cache of the app (a classroom whose network fails).
 * Production builds always register it; the dev server does not (it sends the headers itself, and a
 * cache would serve stale code while editing).
 *
 * A page the service worker did not load is not isolated: wait until it is active, reload once.
 * Never twice in a session (a hard reload bypasses service workers; a browser may refuse them): the
 * page then stays single-threaded. No service workers (an insecure origin, a private window, storage
 * blocked): nothing to do, single-threaded and online only. Where the server sends the headers
 * (vite preview), the page is isolated already and is not reloaded.
 */
function registerServiceWorker(): void {
  if (!import.meta.env.PROD) return;
  let session: Storage;
  try {
    session = window.sessionStorage;
    if (window.crossOriginIsolated) session.removeItem(RELOADED_FOR_ISOLATION);
  } catch {
    return; // storage blocked: without the guard a reload could loop
  }
  if (!window.isSecureContext || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker
    .register(`${import.meta.env.BASE_URL}sw.js`)
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      if (window.crossOriginIsolated) return;
      if (session.getItem(RELOADED_FOR_ISOLATION)) {
        console.warn('Reloaded once for cross-origin isolation and still not isolated: WASM runs single-threaded.');
        return;
      }
      session.setItem(RELOADED_FOR_ISOLATION, String(Date.now()));
      window.location.reload();
    })
    .catch((e: unknown) => console.warn('The service worker did not register: WASM runs single-threaded and the app needs the network.', e));
}

registerServiceWorker();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
// The URL is the state: read it before the first render.
loadFromUrl();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
