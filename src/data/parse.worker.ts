/**
 * The data worker: decompresses, untars and parses one CIFAR archive or set of .bin files off the
 * page's main thread (parse.ts does the work), then sends the arrays back (transferred, not
 * copied). One worker per load, started by parseClient.ts, which terminates it to cancel.
 */
import { type ParseMessage, type ParseRequest, datasetBuffers, runParse, sendableError } from './parse';

interface Scope {
  postMessage(message: ParseMessage, options?: { transfer?: Transferable[] }): void;
  onmessage: ((event: MessageEvent<ParseRequest>) => void) | null;
}
const scope = self as unknown as Scope;

scope.onmessage = (event) => {
  const request = event.data;
  scope.onmessage = null;
  runParse(request, (done, total, phase) => scope.postMessage({ type: 'progress', done, total, phase }))
    .then((dataset) => scope.postMessage({ type: 'done', dataset }, { transfer: datasetBuffers(dataset) }))
    .catch((e: unknown) => scope.postMessage({ type: 'error', error: sendableError(e) }));
};
