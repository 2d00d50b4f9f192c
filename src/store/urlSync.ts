/**
 * Keeps the URL and the store in step: the URL is read on load and on back/forward; changes are
 * written back (debounced, one history entry per pause) so back/forward step through them.
 */
import { useEffect } from 'react';
import { explorerState, useExplorer } from './explorer';
import { parseUrl, serializeUrl } from './url';

const WRITE_DELAY_MS = 250;

export function loadFromUrl(): void {
  const { state, notices } = parseUrl(window.location.search);
  useExplorer.getState().load(state, notices);
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
