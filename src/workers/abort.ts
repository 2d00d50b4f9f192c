/**
 * Stopping long work in the worker: jobs check their AbortSignal between steps, and yield to the event
 * loop so that the page's stop (a message) can arrive.
 */

/** Throws an AbortError (a DOMException, as fetch does) when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, message = 'Stopped.'): void {
  if (signal?.aborted) throw new DOMException(message, 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return (e as Error | undefined)?.name === 'AbortError';
}

/** Lets other work (an abort, a message from the page) run between steps. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
