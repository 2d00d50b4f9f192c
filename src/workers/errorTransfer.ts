/**
 * Comlink sends an Error thrown in the worker as `{ message, name, stack }` and rebuilds it on the page
 * with `Object.assign(new Error(message), serialized)`. `sendErrorKinds` (called once in the worker)
 * adds the error's kind (errors.ts) to what is sent, so the page reads it with `errorKind`.
 */
import * as Comlink from 'comlink';
import { errorKind } from './errors';

type Serialized = { isError: boolean; value: Record<string, unknown> };
type ThrowHandler = Comlink.TransferHandler<{ value: unknown }, Serialized>;

let installed = false;

export function sendErrorKinds(): void {
  if (installed) return;
  installed = true;
  const stock = Comlink.transferHandlers.get('throw') as unknown as ThrowHandler;
  const withKinds: ThrowHandler = {
    ...stock,
    serialize(thrown) {
      const [serialized, transfers] = stock.serialize(thrown);
      if (serialized.isError) serialized.value.kind = errorKind(thrown.value);
      return [serialized, transfers];
    },
  };
  Comlink.transferHandlers.set('throw', withKinds as unknown as Comlink.TransferHandler<unknown, unknown>);
}
