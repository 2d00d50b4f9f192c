/**
 * What the data worker (parse.worker.ts) does, as a plain function, and the messages it exchanges
 * with the page (parseClient.ts): parse an archive, or a set of .bin files, given as Files or as
 * a download's chunks. Pure TypeScript, like cifar.ts; it also runs in the page where no worker
 * can be started (and in Node tests).
 */
import { MAX_ARCHIVE_BYTES, megabytes } from './archive';
import { type ArchiveInput, type CifarDataset, type CifarKind, type NamedBytes, type ParsePhase, parseCifarArchive, parseCifarFiles } from './cifar';
import { CifarDataError, type CifarDataErrorCode } from './errors';

export interface ParseRequest {
  /** The dataset asked for. */
  kind: CifarKind;
  /** Stored in `CifarDataset.source`. */
  source: string;
  /** An archive (.tar.gz or .tar): a File, or a download's chunks. */
  archive?: ArchiveInput;
  /** Or the .bin files (and class-name .txt files). */
  files?: readonly File[];
  /** Default MAX_ARCHIVE_BYTES; smaller in tests. */
  maxArchiveBytes?: number;
}

export type ParseProgress = (done: number, total: number, phase: ParsePhase) => void;

/** Worker -> page. */
export type ParseMessage =
  | { type: 'progress'; done: number; total: number; phase: ParsePhase }
  | { type: 'done'; dataset: CifarDataset }
  | { type: 'error'; error: SentError };

export interface SentError {
  name: string;
  message: string;
  code?: CifarDataErrorCode;
}

/** Parses the archive or the files of `request`; throws `CifarDataError` for bad data. */
export async function runParse(request: ParseRequest, onProgress?: ParseProgress, signal?: AbortSignal): Promise<CifarDataset> {
  const limit = request.maxArchiveBytes ?? MAX_ARCHIVE_BYTES;
  const options = { kind: request.kind, source: request.source, maxArchiveBytes: limit, ...(onProgress ? { onProgress } : {}), ...(signal ? { signal } : {}) };
  if (request.archive) return parseCifarArchive(request.archive, options);
  const files = request.files ?? [];
  // The .bin files are read whole: first make sure they fit in a dataset.
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > limit)
    throw new CifarDataError(
      'too-large',
      `The files are ${megabytes(total)} in all, more than a whole CIFAR dataset (at most ${megabytes(limit)}): they are not CIFAR binary files. Nothing was loaded.`,
    );
  const read: NamedBytes[] = [];
  let done = 0;
  onProgress?.(0, total, 'read');
  for (const file of files) {
    signal?.throwIfAborted();
    read.push({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    done += file.size;
    onProgress?.(done, total, 'read');
  }
  return parseCifarFiles(read, options);
}

/** The buffers of a dataset's arrays, to transfer rather than copy. */
export function datasetBuffers(dataset: CifarDataset): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const split of [dataset.train, dataset.test])
    for (const array of [split.images, split.labels, split.coarseLabels])
      if (array && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
  return [...buffers];
}

/** The buffers of a request's download chunks, to transfer (each once): the page gives them up. */
export function requestBuffers(request: ParseRequest): ArrayBuffer[] {
  const chunks = Array.isArray(request.archive) ? request.archive : [];
  const buffers = new Set<ArrayBuffer>();
  for (const chunk of chunks) if (chunk.buffer instanceof ArrayBuffer) buffers.add(chunk.buffer);
  return [...buffers];
}

export function sendableError(e: unknown): SentError {
  const error = e instanceof Error ? e : new Error(String(e));
  const code = (error as { code?: CifarDataErrorCode }).code;
  return { name: error.name, message: error.message, ...(error instanceof CifarDataError && code ? { code } : {}) };
}

/** The page's copy of an error the worker sent: a CifarDataError again, or an AbortError. */
export function receivedError(sent: SentError): Error {
  if (sent.name === 'CifarDataError' && sent.code) return new CifarDataError(sent.code, sent.message);
  if (sent.name === 'AbortError') return new DOMException(sent.message, 'AbortError');
  const error = new Error(sent.message);
  error.name = sent.name;
  return error;
}
