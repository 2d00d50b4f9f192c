/**
 * Reading a .tar.gz or .tar as a stream, with a cap from the CIFAR format: the input is fed to
 * DecompressionStream in small chunks, the output is counted as it comes and handed to the
 * streaming tar reader (tar.ts), and reading stops with a `too-large` CifarDataError as soon as
 * the output passes the most a CIFAR archive can hold. Only the files the caller keeps are held (as
 * the decompressed chunks themselves, not copied), never the archive, so a real archive costs
 * about its files and a gzip bomb no more than the cap.
 * Pure TypeScript, like cifar.ts (which parses the files this returns).
 */
import { CifarDataError } from './errors';
import { CIFAR_KINDS, CIFAR_LAYOUTS, type CifarKind, recordBytes } from './format';
import { TAR_BLOCK, TarFormatError, TarReader, tarChecksumMatches } from './tar';

// ---------------------------------------------------------------------------------------------
// How large a CIFAR archive can be

/** Training files of the official binary archives: data_batch_1.bin ... data_batch_5.bin; train.bin. */
const OFFICIAL_TRAIN_FILES: Readonly<Record<CifarKind, number>> = { cifar10: 5, cifar100: 1 };

/** Bytes of the records in the official archive of `kind`: 184,380,000 (CIFAR-10) and 184,440,000 (CIFAR-100). */
export function officialRecordBytes(kind: CifarKind): number {
  const layout = CIFAR_LAYOUTS[kind];
  return (OFFICIAL_TRAIN_FILES[kind] * layout.maxTrainRecordsPerFile + layout.maxTestRecords) * recordBytes(kind);
}

/**
 * Room for all but the records: tar headers and padding (under 1,024 bytes a file), the class-name
 * lists and readme.html. The official archives use about 10 KB of it.
 */
export const ARCHIVE_OVERHEAD_BYTES = 1 << 20;

/**
 * The most a CIFAR archive expands to (its tar): the larger dataset's records plus the overhead,
 * 185,488,576 bytes. Decompression stops as soon as the output passes it.
 */
export const MAX_ARCHIVE_BYTES = Math.max(...CIFAR_KINDS.map(officialRecordBytes)) + ARCHIVE_OVERHEAD_BYTES;

const fmt = (n: number) => n.toLocaleString('en-US');
export const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const OFFICIAL_SIZE = `the official ones expand to ${megabytes(Math.max(...CIFAR_KINDS.map(officialRecordBytes)))}`;

function tooLarge(limit: number, detail = ''): CifarDataError {
  return new CifarDataError(
    'too-large',
    `The archive expands to more than ${megabytes(limit)}${detail}, more than any CIFAR archive (${OFFICIAL_SIZE}): it is not a CIFAR archive, or a decompression bomb. Reading stopped there; nothing was loaded.`,
  );
}

// ---------------------------------------------------------------------------------------------
// The input

/**
 * An archive as parseCifarArchive takes it: its bytes; a Blob or File (read as a stream, never
 * whole); or a download's chunks, which are taken out of the array as they are read, so each can
 * be freed once decompressed.
 */
export type ArchiveInput = Uint8Array | Blob | Uint8Array[];

/**
 * Input handed to the decompressor at a time. Small because DecompressionStream expands a whole
 * input chunk before its output is read: 64 KiB of deflate expands to at most ~66 MB.
 */
const INPUT_CHUNK = 1 << 16;
/** Input progress is reported at most once per this many bytes (and at the end). */
const PROGRESS_STEP = 1 << 20;

function inputSize(input: ArchiveInput): number {
  if (input instanceof Uint8Array) return input.length;
  if (Array.isArray(input)) return input.reduce((n, c) => n + c.length, 0);
  return input.size;
}

/** The first `n` bytes (fewer when the input is shorter). */
async function inputHead(input: ArchiveInput, n: number): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input.subarray(0, n);
  if (!Array.isArray(input)) return new Uint8Array(await input.slice(0, n).arrayBuffer());
  const head = new Uint8Array(Math.min(n, inputSize(input)));
  let at = 0;
  for (const chunk of input) {
    if (at >= head.length) break;
    const piece = chunk.subarray(0, head.length - at);
    head.set(piece, at);
    at += piece.length;
  }
  return head;
}

/** The input as a pull stream of chunks of at most INPUT_CHUNK bytes; `state.failed` is set when reading the input itself fails. */
function inputStream(input: ArchiveInput, onRead: (done: number) => void, state: { failed: boolean }): ReadableStream<Uint8Array<ArrayBuffer>> {
  let next: () => Promise<Uint8Array<ArrayBuffer> | undefined>;
  let cancel: ((reason: unknown) => Promise<void>) | undefined;
  if (input instanceof Uint8Array) {
    let at = 0;
    // Copies: the caller keeps its bytes, which may be a view of a larger or shared buffer.
    next = async () => {
      if (at >= input.length) return undefined;
      const piece = input.slice(at, at + INPUT_CHUNK);
      at += piece.length;
      return piece;
    };
  } else if (Array.isArray(input)) {
    next = async () => {
      const chunk = input.shift();
      return chunk && (chunk.buffer instanceof ArrayBuffer ? (chunk as Uint8Array<ArrayBuffer>) : chunk.slice());
    };
  } else {
    const reader = input.stream().getReader();
    next = async () => {
      const { done, value } = await reader.read();
      return done ? undefined : value;
    };
    cancel = (reason) => reader.cancel(reason);
  }
  let current: Uint8Array<ArrayBuffer> | undefined;
  let at = 0;
  let done = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      async pull(controller) {
        while (!current || at >= current.length) {
          try {
            current = await next();
          } catch (e) {
            state.failed = true;
            throw e;
          }
          at = 0;
          if (!current) {
            controller.close();
            return;
          }
        }
        const piece = current.subarray(at, at + INPUT_CHUNK);
        at += piece.length;
        done += piece.length;
        controller.enqueue(piece);
        onRead(done);
      },
      cancel: (reason) => cancel?.(reason),
    },
    { highWaterMark: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// Archives

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(bytes: Uint8Array): boolean {
  return isGzipHead(bytes, bytes.length);
}

function isGzipHead(head: Uint8Array, size: number): boolean {
  return size >= 18 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * A tar starts with a header block whose checksum field (bytes 148-155, octal) is the sum of the
 * block's bytes with that field counted as spaces (POSIX ustar). Checked rather than the "ustar"
 * magic so old v7 tars pass too. An archive with no entries starts with a zero block.
 */
function tarStart(bytes: Uint8Array): 'entries' | 'empty' | 'no' {
  if (bytes.length < TAR_BLOCK) return bytes.length > 0 && bytes.every((b) => b === 0) ? 'empty' : 'no';
  const header = bytes.subarray(0, TAR_BLOCK);
  if (header.every((b) => b === 0)) return 'empty';
  return tarChecksumMatches(header) ? 'entries' : 'no';
}

/** What a non-archive looks like, for the error message, from its first bytes. */
function describeNonArchive(head: Uint8Array): string {
  if (head.length === 0) return 'it is empty (0 bytes)';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'it is a zip file';
  const text = String.fromCharCode(...head.subarray(0, 64)).trimStart().toLowerCase();
  if (text.startsWith('<')) return 'it is an HTML page (an error or login page served instead of the file?)';
  return `its first bytes are ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

export interface ArchiveFile {
  /** The path in the archive, without a leading "./". */
  path: string;
  size: number;
  /** The file's bytes as the chunks they were decompressed in (views, not copies); empty for the files that were not kept. */
  chunks: Uint8Array[];
}

export interface ReadArchiveOptions {
  /** Which files to hold (the others are listed with their path only). */
  keep(path: string): boolean;
  /** For the messages: the archive expected. */
  archiveName: string;
  /** Default MAX_ARCHIVE_BYTES. */
  maxBytes?: number;
  /** Input consumed: 'decompress' for a .tar.gz, 'read' for a .tar. */
  onProgress?: (done: number, total: number, phase: 'read' | 'decompress') => void;
  signal?: AbortSignal;
}

const damaged = (e: TarFormatError) => new CifarDataError('not-an-archive', `The tar archive is damaged or cut short (${e.message}).`, { cause: e });

/**
 * The files of a .tar.gz or .tar (told apart by their first bytes), streamed: a `too-large` error
 * as soon as the archive passes `maxBytes`; `not-an-archive` for anything else, or a damaged or
 * cut-short one. As when the whole archive was decompressed first, a damaged gzip is reported
 * before a damaged tar inside it.
 */
export async function readArchive(input: ArchiveInput, options: ReadArchiveOptions): Promise<ArchiveFile[]> {
  const { signal, onProgress } = options;
  const limit = options.maxBytes ?? MAX_ARCHIVE_BYTES;
  signal?.throwIfAborted();
  const size = inputSize(input);
  const head = await inputHead(input, TAR_BLOCK);
  const gzip = isGzipHead(head, size);
  if (!gzip) {
    if (tarStart(head) === 'no')
      throw new CifarDataError(
        'not-an-archive',
        `This is neither a .tar.gz nor a .tar archive: ${describeNonArchive(head)}. Expected ${options.archiveName} (or the .bin files from it).`,
      );
    if (size > limit)
      throw new CifarDataError(
        'too-large',
        `The tar archive is ${megabytes(size)}, more than any CIFAR archive expands to (at most ${megabytes(limit)}; ${OFFICIAL_SIZE}): it is not a CIFAR archive. Nothing was loaded.`,
      );
  }

  let tar: TarReader | undefined = new TarReader({
    keep: options.keep,
    onEntry(path, entrySize, end) {
      if (gzip && end > limit) throw tooLarge(limit, ` (its ${path}, of ${megabytes(entrySize)}, would end at ${megabytes(end)})`);
      if (!gzip && end > size) throw new TarFormatError(`it ends inside ${path}, after ${fmt(Math.max(0, size - (end - entrySize)))} of ${fmt(entrySize)} bytes`);
    },
  });
  /** A tar problem inside a gzip: reported once the gzip stream has ended cleanly (a damaged gzip comes first). */
  let deferred: ((total: number) => CifarDataError) | undefined;
  // The first block of a .tar.gz's output, to tell a tar from something else compressed.
  const start = new Uint8Array(TAR_BLOCK);
  let startFilled = 0;
  let started = !gzip;
  const notTar = (total: number) =>
    new CifarDataError('not-an-archive', `The file is gzip-compressed, but what it holds (${fmt(total)} bytes) is not a tar archive. Expected ${options.archiveName}.`);
  const push = (chunk: Uint8Array) => {
    if (!tar) return;
    try {
      tar.push(chunk);
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw e;
      if (!gzip) throw damaged(e);
      deferred = () => damaged(e);
      tar = undefined;
    }
  };

  const phase = gzip ? 'decompress' : 'read';
  let reported = 0;
  onProgress?.(0, size, phase);
  const report = (done: number) => {
    if (done === size || done - reported >= PROGRESS_STEP) {
      reported = done;
      onProgress?.(done, size, phase);
    }
  };
  const source = { failed: false };
  const input$ = inputStream(input, report, source);
  const reader = (gzip ? input$.pipeThrough(new DecompressionStream('gzip')) : input$).getReader();
  let total = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (!gzip || source.failed) throw e;
        throw new CifarDataError(
          'not-an-archive',
          `The archive is not a valid gzip file (${(e as Error).message}). It may be damaged or only partly downloaded.`,
          { cause: e },
        );
      }
      if (result.done) break;
      let chunk = result.value;
      total += chunk.length;
      if (total > limit) throw tooLarge(limit);
      if (deferred || !tar) continue;
      if (!started) {
        const n = Math.min(TAR_BLOCK - startFilled, chunk.length);
        start.set(chunk.subarray(0, n), startFilled);
        startFilled += n;
        chunk = chunk.subarray(n);
        if (startFilled < TAR_BLOCK) continue;
        started = true;
        if (tarStart(start) === 'no') {
          deferred = notTar;
          tar = undefined;
          continue;
        }
        push(start);
      }
      if (chunk.length > 0) push(chunk);
    }
  } catch (e) {
    reader.cancel(e).catch(() => undefined);
    throw e;
  }
  if (!started) {
    // Under one block of output: a tar only if it is zeros (an empty archive).
    if (tarStart(start.subarray(0, startFilled)) === 'no') throw notTar(total);
    push(start.subarray(0, startFilled));
  }
  if (deferred) throw deferred(total);
  try {
    tar!.finish();
  } catch (e) {
    throw e instanceof TarFormatError ? damaged(e) : e;
  }
  return tar!.entries.map((entry) => ({ path: entry.path, size: entry.size, chunks: entry.chunks ?? [] }));
}
