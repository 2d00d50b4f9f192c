/**
 * Keeps the URL and the store in step: the URL is read on load and on back/forward; changes are
 * written back (debounced, one history entry per pause) so back/forward step through them. A link
 * that needed notices (junk dropped, values clamped) is replaced at once by the cleaned one, in
 * the same history entry, so what the address bar shows and shares is what the page shows.
 */
import { useEffect } from 'react';
import { explorerState, useExplorer } from './explorer';
import { parseUrl, serializeUrl } from './url';

const WRITE_DELAY_MS = 250;

export function loadFromUrl(): void {
  const { state, notices } = parseUrl(window.location.search);
  useExplorer.getState().load(state, notices);
  if (notices.length > 0) {
    const query = serializeUrl(explorerState(useExplorer.getState()));
    window.history.replaceState(window.history.state, '', `${window.location.pathname}?${query}${window.location.hash}`);
  }
}

export function useUrlSync(): void {
  useEffect(() => {
    let timer: number | undefined;
    const onPopState = () => loadFromUrl();
    window.addEventListener('popstate', onPopState);
    const unsubscribe = useExplorer.subscribe((s) => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const query = serializeUrl(explorerState(s));
        if (query !== window.location.search.replace(/^\?/, '')) {
          window.history.pushState(null, '', `${window.location.pathname}?${query}`);
        }
      }, WRITE_DELAY_MS);
    });
    return () => {
      window.clearTimeout(timer);
      unsubscribe();
      window.removeEventListener('popstate', onPopState);
    };
  }, []);
}
