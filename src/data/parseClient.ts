/**
 * The page's side of the data worker: each load gets a fresh worker (parse.worker.ts) that reads
 * the archive or files off the main thread and sends the arrays back; aborting the signal
 * terminates it at once, whatever it is doing, and its memory goes with it. Where workers do not
 * exist (Node), the same code (parse.ts) runs in place.
 */
import type { CifarDataset } from './cifar';
import { CifarDataError } from './errors';
import { type ParseMessage, type ParseProgress, type ParseRequest, receivedError, requestBuffers, runParse } from './parse';

export type ParseWorkerFactory = () => Worker;

let factory: ParseWorkerFactory | undefined;

/**
 * Where the worker comes from: by default the app's bundled parse.worker.ts. Tests that inject
 * the data layer into a page without the app's bundler (e2e/fixtures/data.ts) give their own.
 */
export function setParseWorkerFactory(next: ParseWorkerFactory | undefined): void {
  factory = next;
}

function startWorker(): Worker | undefined {
  if (factory) return factory();
  if (typeof Worker === 'undefined') return undefined;
  return new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'resnext-lab-data' });
}

/**
 * Parses `request` in a worker. Rejects with a `CifarDataError` for bad data (or a stopped
 * worker, code 'worker-failed') and with the signal's reason when it is aborted. Chunks of a
 * download in `request.archive` are transferred: the caller no longer has them.
 */
export function parseInWorker(request: ParseRequest, options: { onProgress?: ParseProgress; signal?: AbortSignal } = {}): Promise<CifarDataset> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  const worker = startWorker();
  if (!worker) return runParse(request, onProgress, signal);
  return new Promise<CifarDataset>((resolve, reject) => {
    const end = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      end();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<ParseMessage>) => {
      const message = event.data;
      if (message.type === 'progress') onProgress?.(message.done, message.total, message.phase);
      else {
        end();
        if (message.type === 'done') resolve(message.dataset);
        else reject(receivedError(message.error));
      }
    };
    const failed = (why: string) => {
      end();
      reject(new CifarDataError('worker-failed', `Reading the data stopped: the data worker failed (${why}). Nothing was loaded; try again, or reload the page.`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      failed((event.message || 'it did not start or ran out of memory').replace(/^Uncaught (\w*Error: )?/, ''));
    };
    worker.onmessageerror = () => failed('a message could not be read');
    worker.postMessage(request, { transfer: requestBuffers(request) });
  });
}
