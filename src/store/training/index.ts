/**
 * The app's one training controller, wired to the compute worker (src/workers/client.ts), the
 * runtime (the explorer's backend choice), the run ledger and the tab's run locks, and the hook React
 * reads it with.
 */
import { useStore } from 'zustand';
import { sendTrainData, startTraining } from '../../workers/client';
import { useExplorer } from '../explorer';
import { runLocks, useLedger } from '../runs';
import { useRuntime } from '../runtime';
import { TrainingController, type TrainingState } from './controller';

export const training = new TrainingController({
  ensureRuntime: async () => {
    if (!(await useRuntime.getState().ensureStarted(useExplorer.getState().backend))) throw new Error(useRuntime.getState().error ?? 'the compute worker did not start');
  },
  resetRuntime: (message) => useRuntime.getState().reset(message),
  sendTrainData,
  startTraining,
  save: (record) => useLedger.getState().put(record),
  claimRun: (id) => runLocks().claim(id),
  now: () => Date.now(),
  newId: () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
});

/** A slice of the training state (re-renders when it changes). */
export function useTraining<T>(selector: (state: TrainingState) => T): T {
  return useStore(training.store, selector);
}
