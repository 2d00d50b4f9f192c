/**
 * The compute worker as the UI sees it: not started, starting, ready (with the chosen backend and
 * adapter), or failed. Runtime facts, not user choices: not in the URL.
 */
import { create } from 'zustand';
import type { BackendInfo } from '../workers/protocol';
import { startRuntime } from '../workers/client';
import type { BackendChoice } from './state';

interface RuntimeState {
  status: 'idle' | 'starting' | 'ready' | 'error';
  info?: BackendInfo;
  error?: string;
  /** Starts the worker once; later calls return the same promise. */
  ensureStarted: (choice: BackendChoice) => Promise<BackendInfo | undefined>;
  /** The worker died: the next use starts a fresh one. */
  reset: (error: string) => void;
}

let starting: Promise<BackendInfo | undefined> | undefined;

export const useRuntime = create<RuntimeState>()((set) => ({
  status: 'idle',
  ensureStarted: (choice) => {
    starting ??= (async () => {
      set({ status: 'starting', error: undefined });
      try {
        const info = await startRuntime(choice === 'auto' ? undefined : choice);
        set({ status: 'ready', info });
        return info;
      } catch (e) {
        starting = undefined;
        set({ status: 'error', error: (e as Error).message });
        return undefined;
      }
    })();
    return starting;
  },
  reset: (error) => {
    starting = undefined;
    set({ status: 'error', info: undefined, error });
  },
}));
