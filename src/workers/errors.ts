/**
 * What went wrong in the compute worker, as a kind the page can act on (restart the runtime, offer a
 * smaller batch, show the field) instead of matching message text. Pure: the page imports it.
 *
 * Errors cross the worker boundary through Comlink, which rebuilds an Error from its own properties
 * (`Object.assign(new Error(message), serialized)`): the worker (runtime.worker.ts) adds `kind` to
 * what is serialized, so `errorKind` reads it on the page side.
 */

export type ComputeErrorKind =
  /**
   * The worker died or was retired after a fatal engine error (a WebAssembly trap, out of memory, a
   * typed array that could not be allocated, a lost GPU device): the next call starts a fresh one.
   */
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

/** What a fatal engine error was, for its sentence (`fatalEngineError`). */
export type FatalCause = 'out-of-memory' | 'device-lost' | 'trap';

/**
 * Whether an error thrown inside the worker leaves its engine unusable, and why: a WebAssembly trap
 * ("memory access out of bounds", "unreachable": a RuntimeError) or an aborted module ("Aborted(…)")
 * poisons the WASM heap for every later call; an allocation that failed ("Invalid typed array
 * length", "Array buffer allocation failed", "out of memory") leaves tensors half-made; a lost GPU
 * device or WebGL context cannot run anything again. Undefined for everything else (a bad request,
 * a stop). Used in the worker only: the page acts on the kind it turns into ('worker-stopped').
 */
export function fatalCause(e: unknown): FatalCause | undefined {
  // The worker's own errors are already classified (a refusal says "memory" and is not fatal).
  if (e instanceof ComputeError) return undefined;
  const err = e as { name?: unknown; message?: unknown } | undefined;
  const name = typeof err?.name === 'string' ? err.name : '';
  const message = typeof err?.message === 'string' ? err.message : typeof e === 'string' ? e : '';
  if (/device (was )?lost|context (was )?lost/i.test(message)) return 'device-lost';
  if (/\bAborted\(|out of memory|\bOOM\b|allocation failed|Invalid typed array length|Invalid array buffer length|memory access out of bounds/i.test(message)) return 'out-of-memory';
  if (name === 'RangeError' && /array|buffer|memory|allocat/i.test(message)) return 'out-of-memory';
  if (name === 'RuntimeError' || (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError)) return 'trap';
  return undefined;
}

const BACKEND_LABELS: Readonly<Record<string, string>> = { wasm: 'WASM', webgpu: 'WebGPU', webgl: 'WebGL', cpu: 'CPU' };

/** A backend's name as the UI writes it (WASM, WebGPU, WebGL, CPU). */
export function backendLabel(backend: string): string {
  return BACKEND_LABELS[backend] ?? backend;
}

/** What happened, as the end of "The compute worker stopped: …" (no engine text). */
export function fatalEngineWhat(cause: FatalCause, backend: string): string {
  if (cause === 'device-lost') return 'the GPU device was lost';
  return cause === 'out-of-memory' ? `the ${backendLabel(backend)} backend ran out of memory` : `the ${backendLabel(backend)} backend hit a fatal error`;
}

/**
 * The 'worker-stopped' error that replaces a fatal engine error (`fatalCause`): plain sentences, no
 * engine text (the worker logs the original to its console).
 */
export function fatalEngineError(cause: FatalCause, backend: string, original?: unknown): ComputeError {
  const advice = cause === 'device-lost' ? '' : ' A smaller model or batch needs less memory.';
  return new ComputeError('worker-stopped', `The compute worker stopped: ${fatalEngineWhat(cause, backend)}. It restarts on the next run.${advice}`, { cause: original });
}
