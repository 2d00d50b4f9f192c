/**
 * The run ledger: every training run (spec, settings, seed, metrics history, final weights) kept in
 * IndexedDB, so it survives a reload. A run whose worker died or whose tab closed mid-run is marked
 * interrupted, with its last checkpoint, and can be resumed.
 *
 * One writer per run (src/store/training/runLocks.ts): the tab training a run holds its lock, and
 * only that tab writes its record. Another tab shows such a run read-only, "training in another tab",
 * with the live progress its writer posts, and never marks it interrupted; when the writer's lock
 * ends (the run ended, or its tab closed), that tab reads the record again under the lock, marking it
 * interrupted if it was left running.
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import { create } from 'zustand';
import type { CifarKind } from '../data/format';
import type { ArchSpec } from '../models';
import type { EvalMetrics, StepMetrics, TrainCheckpoint, TrainMemoryPlan, TrainSettings } from '../workers/protocol';
import { type RunLocks, type RunMessage, browserRunLocks } from './training/runLocks';

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

/** A run another tab is training, as this tab sees it: its live progress. */
export interface ElsewhereRun {
  step: number;
  total: number;
  status: 'running' | 'paused';
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

/** A run some tab was training when it was last saved. */
export const isLive = (r: RunRecord): boolean => r.status === 'running' || r.status === 'paused';

/** Runs still marked running/paused whose page is gone (not in `live`, the runs a tab still trains) become interrupted. */
export function markInterrupted(runs: RunRecord[], live: ReadonlySet<string> = new Set()): RunRecord[] {
  return runs.map((r) => (isLive(r) && !live.has(r.id) ? { ...r, status: 'interrupted' } : r));
}

/** The progress of a run as its record last saved it. */
function progressOf(r: RunRecord): ElsewhereRun {
  return { step: r.steps.at(-1)?.step ?? 0, total: r.totalSteps, status: r.status === 'paused' ? 'paused' : 'running' };
}

/** Where the ledger keeps its records (IndexedDB in the app; a Map in tests). */
export interface LedgerStorage {
  all(): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecord | undefined>;
  save(run: RunRecord): Promise<void>;
  remove(id: string): Promise<void>;
}

export const idbLedgerStorage: LedgerStorage = {
  all: loadRuns,
  get: (id) => get<RunRecord>(id, db),
  save: saveRun,
  remove: deleteRun,
};

export interface LedgerState {
  runs: RunRecord[];
  loaded: boolean;
  error?: string;
  /** Runs another tab is training (it holds their lock): read-only here, with their live progress. */
  elsewhere: Readonly<Record<string, ElsewhereRun>>;
  load: () => Promise<void>;
  /** Writes a run this tab trains (or one it holds the lock of). */
  put: (run: RunRecord) => Promise<void>;
  remove: (id: string) => Promise<void>;
}

const byNewest = (runs: RunRecord[]) => runs.sort((a, b) => b.createdAt - a.createdAt);
const upsert = (runs: RunRecord[], run: RunRecord) => byNewest([run, ...runs.filter((r) => r.id !== run.id)]);
function without<T>(map: Readonly<Record<string, T>>, id: string): Record<string, T> {
  const { [id]: _gone, ...rest } = map;
  return rest;
}

/** The ledger store over `storage` and the tabs' run locks (`locks` is called once, on the first load). */
export function createLedger(storage: LedgerStorage, locks: () => RunLocks) {
  let lockSet: RunLocks | undefined;
  return create<LedgerState>()((setState, getState) => {
    /** Follows run `id`, which another tab trains, until its lock ends; then reads it again (interrupted if left live). */
    const watch = (l: RunLocks, id: string, progress?: ElsewhereRun) => {
      if (l.holds(id)) return;
      const known = getState().elsewhere[id];
      const record = getState().runs.find((r) => r.id === id);
      const next = progress ?? known ?? (record ? progressOf(record) : undefined);
      if (next) setState({ elsewhere: { ...getState().elsewhere, [id]: next } });
      l.whenFree(id, async () => {
        let run = await storage.get(id);
        if (run && isLive(run)) {
          run = { ...run, status: 'interrupted' };
          await storage.save(run);
          l.post({ type: 'saved', id });
        }
        setState({ runs: run ? upsert(getState().runs, run) : getState().runs, elsewhere: without(getState().elsewhere, id) });
      });
    };
    /** The locks, listening to the other tabs from the first use on. */
    const tabLocks = (): RunLocks => {
      if (!lockSet) {
        const l = locks();
        lockSet = l;
        l.listen((m) => onMessage(l, m));
      }
      return lockSet;
    };
    const onMessage = (l: RunLocks, m: RunMessage) => {
      if (l.holds(m.id)) return;
      if (m.type === 'progress') {
        watch(l, m.id, { step: m.step, total: m.total, status: m.status });
        return;
      }
      void storage.get(m.id).then((run) => {
        if (!run) return;
        setState({ runs: upsert(getState().runs, run) });
        if (isLive(run)) watch(l, run.id);
      });
    };
    return {
      runs: [],
      loaded: false,
      elsewhere: {},
      load: async () => {
        try {
          const l = tabLocks();
          const stored = await storage.all();
          const live = new Set<string>();
          const settled = new Map<string, RunRecord>();
          const heldElsewhere: RunRecord[] = [];
          await Promise.all(
            stored.filter(isLive).map(async (r) => {
              if (l.holds(r.id)) {
                live.add(r.id);
                return;
              }
              // Read again under the run's lock: a run no tab holds was left running by a closed tab.
              const free = await l.ifFree(r.id, async () => {
                const fresh = await storage.get(r.id);
                if (!fresh) return;
                const run = isLive(fresh) ? { ...fresh, status: 'interrupted' as const } : fresh;
                if (run !== fresh) await storage.save(run);
                settled.set(r.id, run);
              });
              if (!free) {
                live.add(r.id);
                heldElsewhere.push(r);
              }
            }),
          );
          const runs = markInterrupted(
            stored.map((r) => settled.get(r.id) ?? r),
            live,
          );
          setState({ runs: byNewest(runs), loaded: true });
          for (const r of heldElsewhere) watch(l, r.id);
        } catch (e) {
          setState({ loaded: true, error: `The run ledger (IndexedDB) is unavailable: ${(e as Error).message}` });
        }
      },
      put: async (run) => {
        setState({ runs: upsert(getState().runs, run) });
        try {
          await storage.save(run);
          tabLocks().post({ type: 'saved', id: run.id });
        } catch (e) {
          setState({ error: `Could not save run ${run.name}: ${(e as Error).message}` });
        }
      },
      remove: async (id) => {
        // Another tab's run is its writer's to keep.
        if (getState().elsewhere[id]) return;
        setState({ runs: getState().runs.filter((r) => r.id !== id) });
        await storage.remove(id);
      },
    };
  });
}

/** The tab's run locks, shared by the ledger and the training controller. */
let tabLocks: RunLocks | undefined;
export function runLocks(): RunLocks {
  tabLocks ??= browserRunLocks();
  return tabLocks;
}

export const useLedger = createLedger(idbLedgerStorage, runLocks);
