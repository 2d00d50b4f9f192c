/**
 * What went wrong in the compute worker, as a kind the page can act on (restart the runtime, offer a
 * smaller batch, show the field) instead of matching message text. Pure: the page imports it.
 *
 * Errors cross the worker boundary through Comlink, which rebuilds an Error from its own properties
 * (`Object.assign(new Error(message), serialized)`): the worker (runtime.worker.ts) adds `kind` to
 * what is serialized, so `errorKind` reads it on the page side.
 */

export type ComputeErrorKind =
  /** The worker died (out of memory, a lost GPU device): the next call starts a fresh one. */
  | 'worker-stopped'
  /** The model does not fit in the backend's memory, even as micro-batches. */
  | 'out-of-memory'
  /** The request cannot run: an invalid spec, settings or data for this model. */
  | 'invalid'
  /** Training was asked for before the data was sent. */
  | 'no-data'
  /** Stopped on request. */
  | 'stopped'
  /** Anything else. */
  | 'failed';

const KINDS: readonly ComputeErrorKind[] = ['worker-stopped', 'out-of-memory', 'invalid', 'no-data', 'stopped', 'failed'];

export class ComputeError extends Error {
  readonly kind: ComputeErrorKind;
  constructor(kind: ComputeErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ComputeError';
    this.kind = kind;
  }
}

/** The kind of any error: a ComputeError's (also after crossing the worker boundary), 'stopped' for an AbortError, else 'failed'. */
export function errorKind(e: unknown): ComputeErrorKind {
  const kind = (e as { kind?: unknown } | undefined)?.kind;
  if (typeof kind === 'string' && (KINDS as readonly string[]).includes(kind)) return kind as ComputeErrorKind;
  return (e as Error | undefined)?.name === 'AbortError' ? 'stopped' : 'failed';
}

/** `e` as a ComputeError of `kind` unless it already has a kind (keeps the message). */
export function withKind(e: unknown, kind: ComputeErrorKind): ComputeError {
  if (e instanceof ComputeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ComputeError(errorKind(e) === 'failed' ? kind : errorKind(e), message, { cause: e });
}
