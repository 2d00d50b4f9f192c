import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { sendErrorKinds } from './errorTransfer';
import { ComputeError, errorKind, fatalCause, fatalEngineError, withKind } from './errors';

/** What the page receives for an error thrown in the worker: Comlink's own serialise / deserialise. */
function acrossTheBoundary(e: unknown): unknown {
  const handler = Comlink.transferHandlers.get('throw')!;
  const [serialized] = handler.serialize({ value: e } as never);
  try {
    handler.deserialize(serialized);
  } catch (received) {
    return received;
  }
  throw new Error('deserialize did not throw');
}

describe('compute error kinds', () => {
  it('errorKind reads a ComputeError, an AbortError, and anything else as failed', () => {
    expect(errorKind(new ComputeError('out-of-memory', 'too big'))).toBe('out-of-memory');
    expect(errorKind(new DOMException('Stopped.', 'AbortError'))).toBe('stopped');
    expect(errorKind(new Error('boom'))).toBe('failed');
    expect(errorKind(Object.assign(new Error('x'), { kind: 'not-a-kind' }))).toBe('failed');
    expect(errorKind(undefined)).toBe('failed');
  });

  it('withKind keeps a kind already given and the message', () => {
    expect(withKind(new Error('bad spec'), 'invalid')).toMatchObject({ kind: 'invalid', message: 'bad spec' });
    expect(withKind(new ComputeError('out-of-memory', 'm'), 'invalid').kind).toBe('out-of-memory');
  });

  it('the kind survives the worker boundary once the worker sends it (and not before)', () => {
    const e = new ComputeError('out-of-memory', 'This model needs about 900 MiB per training image');
    expect(errorKind(acrossTheBoundary(e))).toBe('failed');
    sendErrorKinds();
    const received = acrossTheBoundary(e) as Error;
    expect(errorKind(received)).toBe('out-of-memory');
    expect(received.message).toBe(e.message);
  });
});

describe('fatal engine errors (they retire the worker)', () => {
  it('WASM traps, aborts, failed allocations and lost devices are fatal; a bad request or a stop is not', () => {
    const trap = Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    expect(fatalCause(trap)).toBe('out-of-memory');
    expect(fatalCause(Object.assign(new Error('unreachable'), { name: 'RuntimeError' }))).toBe('trap');
    expect(fatalCause(new Error('Aborted(OOM). Build with -sASSERTIONS for more info.'))).toBe('out-of-memory');
    expect(fatalCause(new RangeError('Invalid typed array length: 137532304390'))).toBe('out-of-memory');
    expect(fatalCause(new RangeError('Array buffer allocation failed'))).toBe('out-of-memory');
    expect(fatalCause(new Error('the GPU device was lost (destroyed)'))).toBe('device-lost');
    expect(fatalCause(new RangeError('Maximum call stack size exceeded'))).toBeUndefined();
    expect(fatalCause(new Error('batchSize must be an integer from 2 to 512, not 1'))).toBeUndefined();
    expect(fatalCause(new DOMException('Stopped.', 'AbortError'))).toBeUndefined();
    expect(fatalCause(undefined)).toBeUndefined();
    expect(fatalCause(new ComputeError('out-of-memory', 'This model cannot train on WASM: it needs more memory than the backend holds (out of memory)'))).toBeUndefined();
  });

  it("become one 'worker-stopped' sentence without the engine's text", () => {
    const e = fatalEngineError('out-of-memory', 'wasm', new Error('memory access out of bounds'));
    expect(e.kind).toBe('worker-stopped');
    expect(e.message).toBe('The compute worker stopped: the WASM backend ran out of memory. It restarts on the next run. A smaller model or batch needs less memory.');
    expect(fatalEngineError('device-lost', 'webgpu').message).toBe('The compute worker stopped: the GPU device was lost. It restarts on the next run.');
  });
});
