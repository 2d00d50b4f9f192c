/**
 * Keeps the URL and the stores in step: the URL is read on load and on back/forward; changes are
 * written back (debounced, one history entry per pause) so back/forward step through them. A link
 * that needed notices (junk dropped, values clamped) is replaced at once by the cleaned one, in
 * the same history entry, so what the address bar shows and shares is what the page shows.
 *
 * The link carries the explorer's state and the Train tab's settings form (the training store's
 * `form`): a link's training settings become the form, and the form's changes are written back.
 */
import { useEffect } from 'react';
import { DEFAULT_TRAIN_SETTINGS, applyRecipe } from '../workers/training/settings';
import { explorerState, useExplorer } from './explorer';
import { training } from './training';
import { DEFAULT_TRAIN_FORM, type TrainForm } from './training/form';
import { type LinkState, type TrainLink, parseUrl, serializeUrl, trainLinkOf } from './url';

const WRITE_DELAY_MS = 250;

/**
 * The Train tab's form for a link's settings: the defaults, then the link's recipe (its schedule and
 * tricks, so `recipe=fast` alone gives the fast recipe), then each setting the link names.
 */
export function formOfLink(train: TrainLink): TrainForm {
  const base: TrainForm = train.recipe && train.recipe !== DEFAULT_TRAIN_SETTINGS.recipe ? applyRecipe({ ...DEFAULT_TRAIN_FORM }, train.recipe) : { ...DEFAULT_TRAIN_FORM };
  return { ...base, ...train } as TrainForm;
}

/** What the page shows now, as a link carries it. */
export function currentLinkState(): LinkState {
  return { ...explorerState(useExplorer.getState()), train: trainLinkOf(training.state.form) };
}

export function loadFromUrl(): void {
  const { state, notices } = parseUrl(window.location.search);
  const { train, ...explorer } = state;
  useExplorer.getState().load(explorer, notices);
  training.updateForm(formOfLink(train));
  if (notices.length > 0) {
    const query = serializeUrl(currentLinkState());
    window.history.replaceState(window.history.state, '', `${window.location.pathname}?${query}${window.location.hash}`);
  }
}

export function useUrlSync(): void {
  useEffect(() => {
    let timer: number | undefined;
    const onPopState = () => loadFromUrl();
    window.addEventListener('popstate', onPopState);
    const write = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const query = serializeUrl(currentLinkState());
        if (query !== window.location.search.replace(/^\?/, '')) {
          window.history.pushState(null, '', `${window.location.pathname}?${query}`);
        }
      }, WRITE_DELAY_MS);
    };
    const unsubscribe = useExplorer.subscribe(write);
    // The training store changes at every step of a run: only a change of the form is the link's.
    const unsubscribeTraining = training.store.subscribe((s, prev) => {
      if (s.form !== prev.form) write();
    });
    return () => {
      window.clearTimeout(timer);
      unsubscribe();
      unsubscribeTraining();
      window.removeEventListener('popstate', onPopState);
    };
  }, []);
}
