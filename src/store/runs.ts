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
 *
 * The ledger names each new run (the model and a number, plus the settings that differ from the
 * model's previous run) and keeps that name, or the user's rename, over the trainer's later saves.
 * A delete can be undone for UNDO_DELETE_MS: until then the record, checkpoint included, stays stored
 * (a tab closed meanwhile keeps it).
 */
import { createStore, get, getMany, keys, promisifyRequest } from 'idb-keyval';
import { create } from 'zustand';
import type { CifarKind } from '../data/format';
import type { ArchSpec } from '../models';
import type { EvalMetrics, HeldOutPoint, StepMetrics, TrainCheckpoint, TrainMemoryPlan, TrainSettings } from '../workers/protocol';
import { type CheckpointManifest, joinCheckpoint, splitCheckpoint } from './checkpointParts';
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
  /** The held-out evaluations while it trained, in order (runs from before live evaluation have none). */
  heldOut?: HeldOutPoint[];
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

/**
 * A record as stored: a checkpoint too large for one IndexedDB value (Chromium refuses one over 127 MiB)
 * keeps its values under the run's part keys, the record their manifest (store/checkpointParts.ts).
 */
type StoredRun = RunRecord & { checkpointManifest?: CheckpointManifest };
const PART = '\u0000part:';
const partKey = (id: string, i: number) => `${id}${PART}${i}`;
const partsOf = (id: string) => IDBKeyRange.bound(`${id}${PART}`, `${id}${PART}\uffff`);

/** Writes the record and its checkpoint's parts in one transaction, replacing the run's earlier parts. */
export async function saveRun(run: RunRecord): Promise<void> {
  const { checkpointManifest: _old, ...clean } = run as StoredRun;
  const record: StoredRun = { ...clean, steps: run.steps.slice(-STEP_HISTORY_LIMIT) };
  const split = run.checkpoint ? splitCheckpoint(run.checkpoint) : undefined;
  if (split?.manifest) Object.assign(record, { checkpoint: split.checkpoint, checkpointManifest: split.manifest });
  await db('readwrite', (store) => {
    store.delete(partsOf(run.id));
    store.put(record, run.id);
    split?.parts.forEach((part, i) => store.put(part, partKey(run.id, i)));
    return promisifyRequest(store.transaction);
  });
}

export async function deleteRun(id: string): Promise<void> {
  await db('readwrite', (store) => {
    store.delete(id);
    store.delete(partsOf(id));
    return promisifyRequest(store.transaction);
  });
}

/** The record with its checkpoint whole again; without it (it cannot resume) where its parts are not all there. */
async function restoreRun(stored: StoredRun | undefined): Promise<RunRecord | undefined> {
  if (!stored?.checkpointManifest || !stored.checkpoint) return stored;
  const { checkpointManifest: manifest, ...run } = stored;
  const parts = await getMany<Float32Array[] | undefined>(
    Array.from({ length: manifest.parts }, (_, i) => partKey(run.id, i)),
    db,
  );
  try {
    return { ...run, checkpoint: joinCheckpoint(stored.checkpoint, manifest, parts) };
  } catch (e) {
    console.warn(`run ${run.id}: its checkpoint could not be read back (${(e as Error).message}); it is listed without it`);
    const { checkpoint: _lost, ...rest } = run;
    return rest;
  }
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  return restoreRun(await get<StoredRun>(id, db));
}

export async function loadRuns(): Promise<RunRecord[]> {
  const ids = ((await keys(db)) as string[]).filter((k) => typeof k === 'string' && !k.includes(PART));
  const runs = (await Promise.all(ids.map(getRun))).filter((r): r is RunRecord => r !== undefined);
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
  get: getRun,
  save: saveRun,
  remove: deleteRun,
};

/** How long a deleted run can be brought back (its record and checkpoint are kept until then). */
export const UNDO_DELETE_MS = 10_000;

/** A run deleted a moment ago: hidden, still stored, until `until` (ms since the epoch). */
export interface PendingDelete {
  run: RunRecord;
  until: number;
}

/** Short names of the settings a run name may mention, in the order it mentions them. */
const SETTING_WORDS: [string, string][] = [
  ['learningRate', 'lr'],
  ['batchSize', 'batch'],
  ['seed', 'seed'],
  ['steps', 'steps'],
  ['epochs', 'epochs'],
  ['schedule', 'schedule'],
  ['timeBudgetMinutes', 'minutes'],
];
/** At most this many differing settings are named. */
const NAMED_SETTINGS = 3;

const settingText = (value: unknown) => (typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value));

/**
 * A new run's name: its model, a number counting that model's runs, and the settings that differ from
 * the model's latest run ("resnext29_8x4d #3 · lr 0.1, seed 2"), so runs of one model tell apart.
 */
export function distinctRunName(run: Pick<RunRecord, 'spec' | 'settings'>, runs: readonly Pick<RunRecord, 'name' | 'spec' | 'settings' | 'createdAt'>[]): string {
  const model = run.spec.name;
  const same = runs.filter((r) => r.spec.name === model);
  const numbers = same.map((r) => Number(/ #(\d+)/.exec(r.name.slice(model.length))?.[1] ?? 0));
  const n = Math.max(same.length, ...numbers) + 1;
  const previous = [...same].sort((a, b) => b.createdAt - a.createdAt)[0];
  const settings = run.settings as Record<string, unknown>;
  const before = (previous?.settings ?? {}) as Record<string, unknown>;
  const known = new Set(SETTING_WORDS.map(([k]) => k));
  const changed = previous
    ? [...SETTING_WORDS, ...Object.keys(settings).filter((k) => !known.has(k)).map((k): [string, string] => [k, k])]
        .filter(([k]) => settings[k] !== undefined && settings[k] !== before[k])
        .map(([k, word]) => `${word} ${settingText(settings[k])}`)
    : [];
  const more = changed.length > NAMED_SETTINGS ? ', …' : '';
  return `${model} #${n}${changed.length ? ` · ${changed.slice(0, NAMED_SETTINGS).join(', ')}${more}` : ''}`;
}

export interface LedgerState {
  runs: RunRecord[];
  /** Runs deleted a moment ago that Undo can bring back (newest last). */
  pending: PendingDelete[];
  loaded: boolean;
  error?: string;
  /** Runs another tab is training (it holds their lock): read-only here, with their live progress. */
  elsewhere: Readonly<Record<string, ElsewhereRun>>;
  load: () => Promise<void>;
  /** Writes a run this tab trains (or one it holds the lock of). */
  put: (run: RunRecord) => Promise<void>;
  /** Hides run `id` at once and deletes its record after UNDO_DELETE_MS, unless `undo` brings it back. */
  remove: (id: string) => Promise<void>;
  undo: (id: string) => void;
  /** Renames a run this tab may write (not one another tab trains). */
  rename: (id: string, name: string) => Promise<void>;
}

export interface LedgerOptions {
  undoMs?: number;
  now?: () => number;
}

const byNewest = (runs: RunRecord[]) => runs.sort((a, b) => b.createdAt - a.createdAt);
const upsert = (runs: RunRecord[], run: RunRecord) => byNewest([run, ...runs.filter((r) => r.id !== run.id)]);
function without<T>(map: Readonly<Record<string, T>>, id: string): Record<string, T> {
  const { [id]: _gone, ...rest } = map;
  return rest;
}

/** The ledger store over `storage` and the tabs' run locks (`locks` is called once, on the first load). */
export function createLedger(storage: LedgerStorage, locks: () => RunLocks, { undoMs = UNDO_DELETE_MS, now = Date.now }: LedgerOptions = {}) {
  let lockSet: RunLocks | undefined;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
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
    const isPending = (id: string) => getState().pending.some((p) => p.run.id === id);
    return {
      runs: [],
      pending: [],
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
          setState({ runs: byNewest(runs.filter((r) => !isPending(r.id))), loaded: true });
          for (const r of heldElsewhere) watch(l, r.id);
        } catch (e) {
          setState({ loaded: true, error: `The run ledger (IndexedDB) is unavailable: ${(e as Error).message}` });
        }
      },
      put: async (run) => {
        // The ledger names a run once; the trainer's later saves keep that name (or the user's rename).
        const known = getState().runs.find((r) => r.id === run.id) ?? getState().pending.find((p) => p.run.id === run.id)?.run;
        run = { ...run, name: known ? known.name : distinctRunName(run, getState().runs) };
        if (isPending(run.id)) setState({ pending: getState().pending.map((p) => (p.run.id === run.id ? { ...p, run } : p)) });
        else setState({ runs: upsert(getState().runs, run) });
        try {
          await storage.save(run);
          tabLocks().post({ type: 'saved', id: run.id });
        } catch (e) {
          setState({ error: `Could not save run ${run.name}: ${(e as Error).message}` });
        }
      },
      remove: async (id) => {
        // Another tab's run is its writer's to keep.
        const run = getState().runs.find((r) => r.id === id);
        if (getState().elsewhere[id] || !run) return;
        setState({ runs: getState().runs.filter((r) => r.id !== id), pending: [...getState().pending, { run, until: now() + undoMs }] });
        timers.set(
          id,
          setTimeout(() => {
            timers.delete(id);
            setState({ pending: getState().pending.filter((p) => p.run.id !== id) });
            void storage.remove(id).catch((e: Error) => setState({ error: `Could not delete run ${run.name}: ${e.message}` }));
          }, undoMs),
        );
      },
      undo: (id) => {
        const pending = getState().pending.find((p) => p.run.id === id);
        if (!pending) return;
        clearTimeout(timers.get(id));
        timers.delete(id);
        setState({ pending: getState().pending.filter((p) => p.run.id !== id), runs: upsert(getState().runs, pending.run) });
      },
      rename: async (id, name) => {
        const run = getState().runs.find((r) => r.id === id);
        const trimmed = name.trim();
        if (!run || getState().elsewhere[id] || trimmed === '' || trimmed === run.name) return;
        const renamed = { ...run, name: trimmed };
        setState({ runs: upsert(getState().runs, renamed) });
        try {
          await storage.save(renamed);
          tabLocks().post({ type: 'saved', id });
        } catch (e) {
          setState({ error: `Could not rename run ${run.name}: ${(e as Error).message}` });
        }
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
