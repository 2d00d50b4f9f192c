import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { sendErrorKinds } from './errorTransfer';
import { ComputeError, errorKind, withKind } from './errors';

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
