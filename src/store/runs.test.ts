import { describe, expect, it, vi } from 'vitest';
import { findPreset } from '../models';
import { type LedgerStorage, type RunRecord, createLedger, distinctRunName, markInterrupted } from './runs';
import type { RunLease, RunLocks, RunMessage } from './training/runLocks';

const spec = findPreset('classroom_resnet29_1x18d')!.spec;
const run = (id: string, status: RunRecord['status'], step = 10): RunRecord => ({
  id,
  name: id,
  createdAt: Number(id.replace(/\D/g, '')) || 1,
  status,
  spec,
  settings: {},
  dataset: 'cifar10',
  backend: 'wasm',
  totalSteps: 100,
  steps: step ? [{ step, epoch: 0.1, loss: 2, accuracy: 0.1, lr: 0.05, imagesPerSecond: 10 }] : [],
  evals: [],
});

function memoryStorage(runs: RunRecord[]): LedgerStorage & { map: Map<string, RunRecord> } {
  const map = new Map(runs.map((r) => [r.id, r]));
  return {
    map,
    all: async () => [...map.values()],
    get: async (id) => map.get(id),
    save: async (r) => void map.set(r.id, r),
    remove: async (id) => void map.delete(id),
  };
}

/** Locks shared by fake tabs: `held` maps a run id to the tab holding it; releasing runs the waiters. */
function fakeTabs() {
  const held = new Map<string, string>();
  const waiters = new Map<string, (() => Promise<void>)[]>();
  const listeners = new Map<string, (m: RunMessage) => void>();
  const release = async (id: string) => {
    held.delete(id);
    const queue = waiters.get(id) ?? [];
    waiters.delete(id);
    for (const work of queue) await work();
  };
  const tab = (name: string): RunLocks => ({
    async claim(id) {
      if (held.has(id)) return null;
      held.set(id, name);
      const lease: RunLease = { id, announce: (p) => this.post({ type: 'progress', id, ...p }), release: () => void release(id) };
      return lease;
    },
    async ifFree(id, work) {
      if (held.has(id)) return false;
      await work();
      return true;
    },
    whenFree(id, work) {
      if (!held.has(id) || held.get(id) === name) return void work();
      waiters.set(id, [...(waiters.get(id) ?? []), work]);
    },
    holds: (id) => held.get(id) === name,
    post: (m) => {
      for (const [other, listener] of listeners) if (other !== name) listener(m);
    },
    listen(listener) {
      listeners.set(name, listener);
      return () => listeners.delete(name);
    },
  });
  return { tab, held, release };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the run ledger: one writer per run', () => {
  it('markInterrupted: running and paused runs no tab trains become interrupted; others stay', () => {
    const runs = [run('a1', 'running'), run('b2', 'paused'), run('c3', 'finished'), run('d4', 'running')];
    expect(markInterrupted(runs, new Set(['d4'])).map((r) => r.status)).toEqual(['interrupted', 'interrupted', 'finished', 'running']);
  });

  it("a run another tab trains is shown with its live progress, never interrupted, and cannot be deleted here; when that tab closes, it is interrupted and resumable", async () => {
    const storage = memoryStorage([run('r1', 'running', 40), run('r2', 'running', 7)]);
    const tabs = fakeTabs();
    const first = tabs.tab('first');
    const lease = await first.claim('r1');
    expect(lease).not.toBeNull();

    const ledger = createLedger(storage, () => tabs.tab('second'));
    await ledger.getState().load();
    const state = () => ledger.getState();
    // r2 was left running by a closed tab: interrupted (stored too). r1 is held by the first tab.
    expect(state().runs.map((r) => [r.id, r.status])).toEqual([
      ['r2', 'interrupted'],
      ['r1', 'running'],
    ]);
    expect(storage.map.get('r2')!.status).toBe('interrupted');
    expect(storage.map.get('r1')!.status).toBe('running');
    expect(state().elsewhere).toEqual({ r1: { step: 40, total: 100, status: 'running' } });

    // Live progress from the writer.
    lease!.announce({ step: 41, total: 100, status: 'running' });
    lease!.announce({ step: 42, total: 100, status: 'paused' });
    expect(state().elsewhere.r1).toEqual({ step: 42, total: 100, status: 'paused' });

    // Not this tab's to delete.
    await state().remove('r1');
    expect(storage.map.has('r1')).toBe(true);

    // A save by the writer is read again.
    storage.map.set('r1', run('r1', 'running', 50));
    first.post({ type: 'saved', id: 'r1' });
    await settle();
    expect(state().runs.find((r) => r.id === 'r1')!.steps.at(-1)!.step).toBe(50);

    // The first tab closes mid-run: the browser releases its lock; this tab marks the run interrupted.
    await tabs.release('r1');
    await settle();
    expect(state().elsewhere).toEqual({});
    expect(state().runs.find((r) => r.id === 'r1')!.status).toBe('interrupted');
    expect(storage.map.get('r1')!.status).toBe('interrupted');
  });

  it('a run that ends normally in the other tab keeps its status here', async () => {
    const storage = memoryStorage([run('r1', 'running')]);
    const tabs = fakeTabs();
    const first = tabs.tab('first');
    const lease = await first.claim('r1');
    const ledger = createLedger(storage, () => tabs.tab('second'));
    await ledger.getState().load();
    storage.map.set('r1', run('r1', 'finished', 100));
    lease!.release();
    await settle();
    expect(ledger.getState().runs[0]!.status).toBe('finished');
    expect(ledger.getState().elsewhere).toEqual({});
  });

  it('a run started in another tab after this one loaded appears, live', async () => {
    const storage = memoryStorage([]);
    const tabs = fakeTabs();
    const first = tabs.tab('first');
    const ledger = createLedger(storage, () => tabs.tab('second'));
    await ledger.getState().load();
    const lease = await first.claim('r9');
    storage.map.set('r9', run('r9', 'running', 1));
    first.post({ type: 'saved', id: 'r9' });
    lease!.announce({ step: 2, total: 100, status: 'running' });
    await settle();
    expect(ledger.getState().runs.map((r) => r.id)).toEqual(['r9']);
    expect(ledger.getState().elsewhere.r9).toEqual({ step: 2, total: 100, status: 'running' });
  });

  it('old records load unchanged (the stored format is the same)', async () => {
    const old = { ...run('r5', 'finished'), memory: undefined };
    const storage = memoryStorage([old]);
    const ledger = createLedger(storage, () => fakeTabs().tab('only'));
    await ledger.getState().load();
    expect(ledger.getState().runs).toEqual([old]);
  });
});

describe('the run ledger: names, rename, delete with undo', () => {
  const other = findPreset('classroom_resnext29_8x4d')!.spec;
  const fresh = (id: string, settings: RunRecord['settings'], model = spec): RunRecord => ({ ...run(id, 'running'), name: `trainer's name ${id}`, spec: model, settings });

  it('distinctRunName: the model, a number per model, and the settings that differ from its latest run', () => {
    const first = { ...fresh('r1', { learningRate: 0.05, batchSize: 32, seed: 1 }), name: `${spec.name} #1` };
    expect(distinctRunName(fresh('r0', { seed: 1 }), [])).toBe(`${spec.name} #1`);
    expect(distinctRunName(fresh('r2', { learningRate: 0.1, batchSize: 32, seed: 2 }), [first])).toBe(`${spec.name} #2 · lr 0.1, seed 2`);
    expect(distinctRunName(fresh('r2', { learningRate: 0.05, batchSize: 32, seed: 1 }), [first])).toBe(`${spec.name} #2`);
    expect(distinctRunName(fresh('r3', { seed: 1 }, other), [first])).toBe(`${other.name} #1`);
    // Numbers go on from the highest, also after deletions.
    expect(distinctRunName(fresh('r9', {}), [{ ...first, name: `${spec.name} #7 · lr 0.2` }])).toBe(`${spec.name} #8`);
  });

  it('a new run is named by the ledger, and the trainer’s later saves keep that name or the user’s rename', async () => {
    const storage = memoryStorage([]);
    const ledger = createLedger(storage, () => fakeTabs().tab('only'));
    await ledger.getState().load();
    await ledger.getState().put(fresh('r1', { seed: 1 }));
    await ledger.getState().put(fresh('r2', { seed: 2 }));
    expect(ledger.getState().runs.map((r) => r.name)).toEqual([`${spec.name} #2 · seed 2`, `${spec.name} #1`]);
    await ledger.getState().rename('r1', '  baseline  ');
    await ledger.getState().put({ ...fresh('r1', { seed: 1 }), status: 'finished' });
    expect(ledger.getState().runs.find((r) => r.id === 'r1')).toMatchObject({ name: 'baseline', status: 'finished' });
    expect(storage.map.get('r1')!.name).toBe('baseline');
    await ledger.getState().rename('r1', '   ');
    expect(storage.map.get('r1')!.name).toBe('baseline');
  });

  it('delete hides a run at once and keeps its record (checkpoint too) until the undo time is over; undo brings it back', async () => {
    vi.useFakeTimers();
    try {
      const checkpointed = { ...run('r1', 'stopped'), checkpoint: { step: 10 } as RunRecord['checkpoint'] };
      const storage = memoryStorage([checkpointed, run('r2', 'finished')]);
      const ledger = createLedger(storage, () => fakeTabs().tab('only'), { undoMs: 10_000, now: () => 0 });
      await ledger.getState().load();
      await ledger.getState().remove('r1');
      expect(ledger.getState().runs.map((r) => r.id)).toEqual(['r2']);
      expect(ledger.getState().pending).toEqual([{ run: checkpointed, until: 10_000 }]);
      vi.advanceTimersByTime(9_999);
      expect(storage.map.get('r1')).toEqual(checkpointed);
      ledger.getState().undo('r1');
      expect(ledger.getState().runs.map((r) => r.id)).toEqual(['r2', 'r1']);
      expect(ledger.getState().pending).toEqual([]);
      vi.advanceTimersByTime(60_000);
      expect(storage.map.has('r1')).toBe(true);

      // Without undo, the record goes when the time is over.
      await ledger.getState().remove('r2');
      vi.advanceTimersByTime(9_999);
      expect(storage.map.has('r2')).toBe(true);
      vi.advanceTimersByTime(1);
      expect(storage.map.has('r2')).toBe(false);
      expect(ledger.getState().pending).toEqual([]);
      expect(ledger.getState().runs.map((r) => r.id)).toEqual(['r1']);
    } finally {
      vi.useRealTimers();
    }
  });
});
