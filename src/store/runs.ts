/**
 * The run ledger: every training run (spec, settings, seed, metrics history, final weights) kept in
 * IndexedDB, so it survives a reload. A run whose worker died or whose tab closed mid-run is marked
 * interrupted, with its last checkpoint, and can be resumed.
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import { create } from 'zustand';
import type { CifarKind } from '../data/format';
import type { ArchSpec } from '../models';
import type { EvalMetrics, StepMetrics, TrainCheckpoint, TrainMemoryPlan, TrainSettings } from '../workers/protocol';

/** A step as the ledger keeps it: its metrics without the ETA (a moment's estimate, not history). */
export type StepPoint = Omit<StepMetrics, 'etaSeconds'>;

/** An evaluation as the ledger keeps it: where it happened and its headline figures. */
export type EvalPoint = Pick<EvalMetrics, 'accuracy' | 'loss'> & { step: number; epoch: number };

export type RunStatus = 'running' | 'paused' | 'finished' | 'stopped' | 'interrupted';

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  status: RunStatus;
  spec: ArchSpec;
  settings: Partial<TrainSettings>;
  dataset: CifarKind;
  backend: string;
  totalSteps: number;
  /** Measured memory per image and the micro-batching it led to (the latest start of the run). */
  memory?: TrainMemoryPlan;
  steps: StepPoint[];
  evals: EvalPoint[];
  final?: EvalMetrics;
  /** The latest weights (and optimizer state): resume from here, or download them. */
  checkpoint?: TrainCheckpoint;
  error?: string;
}

const db = createStore('resnext-lab-runs', 'runs');
const STEP_HISTORY_LIMIT = 5000;

export async function saveRun(run: RunRecord): Promise<void> {
  await set(run.id, { ...run, steps: run.steps.slice(-STEP_HISTORY_LIMIT) }, db);
}

export async function deleteRun(id: string): Promise<void> {
  await del(id, db);
}

export async function loadRuns(): Promise<RunRecord[]> {
  const ids = (await keys(db)) as string[];
  const runs = (await Promise.all(ids.map((id) => get<RunRecord>(id, db)))).filter((r): r is RunRecord => r !== undefined);
  return runs.sort((a, b) => b.createdAt - a.createdAt);
}

/** On load: runs still marked running/paused belonged to a page that is gone. */
export function markInterrupted(runs: RunRecord[]): RunRecord[] {
  return runs.map((r) => (r.status === 'running' || r.status === 'paused' ? { ...r, status: 'interrupted' } : r));
}

interface LedgerState {
  runs: RunRecord[];
  loaded: boolean;
  error?: string;
  load: () => Promise<void>;
  put: (run: RunRecord) => Promise<void>;
  remove: (id: string) => Promise<void>;
}

export const useLedger = create<LedgerState>()((setState, getState) => ({
  runs: [],
  loaded: false,
  load: async () => {
    try {
      const runs = markInterrupted(await loadRuns());
      await Promise.all(runs.filter((r) => r.status === 'interrupted').map(saveRun));
      setState({ runs, loaded: true });
    } catch (e) {
      setState({ loaded: true, error: `The run ledger (IndexedDB) is unavailable: ${(e as Error).message}` });
    }
  },
  put: async (run) => {
    setState({ runs: [run, ...getState().runs.filter((r) => r.id !== run.id)].sort((a, b) => b.createdAt - a.createdAt) });
    try {
      await saveRun(run);
    } catch (e) {
      setState({ error: `Could not save run ${run.name}: ${(e as Error).message}` });
    }
  },
  remove: async (id) => {
    setState({ runs: getState().runs.filter((r) => r.id !== id) });
    await deleteRun(id);
  },
}));
