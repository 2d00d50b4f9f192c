/**
 * One writer per run across tabs and windows. A tab that trains a run holds a Web Lock named after
 * the run (`navigator.locks`) from before the run starts until its record is saved for the last time;
 * only the holder writes the record. The browser releases a closed or crashed tab's locks, so a run
 * whose lock nobody holds is not being trained anywhere (the ledger marks it interrupted, and it can
 * be resumed); a run whose lock another tab holds is shown read-only, "training in another tab", with
 * the live progress its writer posts on a BroadcastChannel.
 *
 * Without Web Locks (an old browser, Node) every claim succeeds and no run is held elsewhere (the
 * behaviour of one tab); without BroadcastChannel, nothing is posted.
 */

/** What a writer tells the other tabs. */
export type RunMessage =
  /** A step, pause or resume of run `id` (its live progress). */
  | { type: 'progress'; id: string; step: number; total: number; status: 'running' | 'paused' }
  /** Run `id`'s record was written to the ledger: read it again. */
  | { type: 'saved'; id: string };

export interface RunLease {
  readonly id: string;
  /** Tells the other tabs the run's progress. */
  announce(progress: { step: number; total: number; status: 'running' | 'paused' }): void;
  /** Lets the run go (after its last save). */
  release(): void;
}

export interface RunLocks {
  /** Takes run `id` for this tab, waiting at most `waitMs` for a lock in passing; null when another tab holds it. */
  claim(id: string, waitMs?: number): Promise<RunLease | null>;
  /** Runs `work` holding `id`'s lock when no tab holds it now; false (without running it) when one does. */
  ifFree(id: string, work: () => Promise<void>): Promise<boolean>;
  /** Runs `work` holding `id`'s lock as soon as no other tab holds it (once per id until it has run). */
  whenFree(id: string, work: () => Promise<void>): void;
  /** Whether this tab holds run `id`. */
  holds(id: string): boolean;
  post(message: RunMessage): void;
  /** Calls `listener` with the other tabs' messages; returns the unsubscribe. */
  listen(listener: (message: RunMessage) => void): () => void;
}

export const RUN_CHANNEL = 'resnext-lab-runs';
const lockName = (id: string) => `resnext-lab-run:${id}`;
/** How long a claim waits for a lock held in passing (another tab reading the record when its writer let go). */
const CLAIM_WAIT_MS = 1500;

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<void>;
}

/** The run locks of this browser tab (Web Locks and a BroadcastChannel when the browser has them). */
export function browserRunLocks(): RunLocks {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(RUN_CHANNEL) : undefined;
  const held = new Set<string>();
  const waiting = new Set<string>();
  const post = (message: RunMessage) => channel?.postMessage(message);
  const lease = (id: string, release: () => void): RunLease => ({
    id,
    announce: (progress) => post({ type: 'progress', id, ...progress }),
    release: () => {
      held.delete(id);
      release();
    },
  });

  return {
    async claim(id, waitMs = CLAIM_WAIT_MS) {
      if (held.has(id)) return null;
      if (!locks) {
        held.add(id);
        return lease(id, () => undefined);
      }
      return new Promise<RunLease | null>((resolve) => {
        let letGo!: () => void;
        const holding = new Promise<void>((r) => (letGo = r));
        locks
          .request(lockName(id), { signal: AbortSignal.timeout(waitMs) }, () => {
            held.add(id);
            resolve(lease(id, letGo));
            return holding;
          })
          .catch(() => resolve(null));
      });
    },
    async ifFree(id, work) {
      if (held.has(id)) return false;
      if (!locks) {
        await work();
        return true;
      }
      let free = false;
      await locks.request(lockName(id), { ifAvailable: true }, async (lock) => {
        if (!lock) return;
        free = true;
        await work();
      });
      return free;
    },
    whenFree(id, work) {
      if (!locks || waiting.has(id)) return;
      waiting.add(id);
      void locks
        .request(lockName(id), {}, async () => {
          waiting.delete(id);
          await work();
        })
        .catch(() => waiting.delete(id));
    },
    holds: (id) => held.has(id),
    post,
    listen(listener) {
      if (!channel) return () => undefined;
      const onMessage = (e: MessageEvent<RunMessage>) => listener(e.data);
      channel.addEventListener('message', onMessage);
      return () => channel.removeEventListener('message', onMessage);
    },
  };
}
