/**
 * The official binary CIFAR-10 and CIFAR-100 files (https://www.cs.toronto.edu/~kriz/cifar.html,
 * "Binary version"), read into typed arrays. Pure TypeScript: no DOM, no Node; it runs the same in
 * the page, a worker, Node tests and `scripts/data.ts` (src/data/tsconfig.json checks it without
 * the DOM library).
 *
 * The record layout, class names and per-dataset statistics are in format.ts (re-exported here);
 * archives are read as a stream, with a cap from the format, by archive.ts and tar.ts.
 *
 * Over 400 lines: one reader whose checks (file names, sizes, labels, class names) all run before
 * it returns, so they stay together.
 *
 * Every check runs before anything is returned, so a bad file gives a `CifarDataError` and no
 * half-built dataset.
 */
import { type ArchiveFile, type ArchiveInput, readArchive } from './archive';
import { CifarDataError } from './errors';
import { CIFAR100_COARSE_CLASS_NAMES, CIFAR_CHANNELS, CIFAR_IMAGE_BYTES, CIFAR_LAYOUTS, CIFAR_PLANE, type ChannelStats, type CifarKind, type CifarLayout, classNamesOf } from './format';

export * from './format';
export * from './errors';
export { ARCHIVE_OVERHEAD_BYTES, type ArchiveInput, MAX_ARCHIVE_BYTES, isGzip, megabytes, officialRecordBytes } from './archive';

export interface CifarSplit {
  /** count x CIFAR_IMAGE_BYTES bytes: each image's R, G and B planes (32x32, row-major), as in the files. */
  images: Uint8Array;
  /** CIFAR-10: the class (0-9); CIFAR-100: the fine label (0-99). */
  labels: Uint8Array;
  /** CIFAR-100 only: the superclass (0-19). */
  coarseLabels?: Uint8Array;
  count: number;
}

export interface CifarDataset {
  kind: CifarKind;
  /** CIFAR-10's 10 classes, or CIFAR-100's 100 fine classes, indexed by label. */
  classNames: string[];
  /** CIFAR-100 only: the 20 superclasses, indexed by coarse label. */
  coarseClassNames?: string[];
  train: CifarSplit;
  test: CifarSplit;
  /** Where the data came from, in words (a file name, a URL, "IndexedDB cache"). */
  source: string;
}

/** The official downloads (cifar.html). The size is known for CIFAR-10's only. */
export const OFFICIAL_ARCHIVES: Readonly<Record<CifarKind, { url: string; md5: string; bytes?: number }>> = {
  cifar10: { url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', bytes: 170_052_171 },
  cifar100: { url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' },
};

/**
 * 'official' when `md5` is the official archive's; 'other' for any other archive (a part of the
 * set, a repack), which parsing then checks. Throws `checksum-mismatch` when the file has the
 * official size but not its md5 (a damaged download), or `expectedMd5` is given and differs.
 */
export function checkArchiveMd5(kind: CifarKind, size: number, md5: string, expectedMd5?: string): 'official' | 'other' {
  const official = OFFICIAL_ARCHIVES[kind];
  const actual = md5.toLowerCase();
  if (expectedMd5 !== undefined && actual !== expectedMd5.toLowerCase())
    throw new CifarDataError('checksum-mismatch', `The file's md5 is ${actual}, not the expected ${expectedMd5.toLowerCase()}: it is damaged or a different file.`);
  if (actual === official.md5) return 'official';
  if (size === official.bytes)
    throw new CifarDataError(
      'checksum-mismatch',
      `The file has the size of the official ${CIFAR_LAYOUTS[kind].archiveName} (${fmt(size)} bytes) but its md5 is ${actual}, not ${official.md5}: the download is damaged. Try again.`,
    );
  return 'other';
}

/** Folders of the other CIFAR downloads, so a wrong archive can be named. */
const OTHER_VERSIONS: Readonly<Record<string, string>> = {
  'cifar-10-batches-py': 'the Python (pickle) version of CIFAR-10',
  'cifar-10-batches-mat': 'the MATLAB version of CIFAR-10',
  'cifar-100-python': 'the Python (pickle) version of CIFAR-100',
  'cifar-100-matlab': 'the MATLAB version of CIFAR-100',
};

/** `read`: a .tar's bytes read; `decompress`: a .tar.gz's bytes decompressed (both count input bytes); `parse`: 0/1 then 1/1. */
export type ParsePhase = 'read' | 'decompress' | 'parse';

export interface ParseOptions {
  /** The dataset asked for; a file set or archive of the other one is an error. */
  kind?: CifarKind;
  /** Stored in `CifarDataset.source`. */
  source?: string;
  onProgress?: (done: number, total: number, phase: ParsePhase) => void;
  /** Stops decompression between chunks. */
  signal?: AbortSignal;
  /** The most an archive may expand to; default MAX_ARCHIVE_BYTES (the format's limit). Smaller in tests. */
  maxArchiveBytes?: number;
}

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/**
 * A file as the reader holds it: its bytes as the chunks they came in (from an archive:
 * decompressed, not copied), or one chunk. The reader empties `chunks` once it has copied them.
 */
interface FileData {
  name: string;
  size: number;
  chunks: Uint8Array[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// Archives (read as a stream with a cap by archive.ts)

function parentFolder(path: string): string {
  const parts = path.split('/');
  return parts.length >= 2 ? parts[parts.length - 2]! : '';
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function listSome(names: readonly string[], max = 6): string {
  if (names.length === 0) return 'nothing';
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${fmt(names.length - max)} more` : shown;
}

/** Which kind's folder an archive holds, or a `wrong-dataset` error saying what it holds instead. */
function pickArchiveKind(files: ArchiveFile[], wanted: CifarKind | undefined): CifarKind {
  const folders = new Set(files.map((f) => parentFolder(f.path)));
  const present = (Object.keys(CIFAR_LAYOUTS) as CifarKind[]).filter((k) => folders.has(CIFAR_LAYOUTS[k].folder));
  if (wanted && present.includes(wanted)) return wanted;
  if (!wanted && present.length === 1) return present[0]!;
  if (!wanted && present.length > 1)
    throw new CifarDataError('wrong-dataset', 'The archive holds both CIFAR-10 and CIFAR-100 folders; say which one to load.');
  const expected = wanted
    ? `${CIFAR_LAYOUTS[wanted].folder}/ folder (${CIFAR_LAYOUTS[wanted].title}, ${CIFAR_LAYOUTS[wanted].archiveName})`
    : `${CIFAR_LAYOUTS.cifar10.folder}/ or ${CIFAR_LAYOUTS.cifar100.folder}/ folder (${CIFAR_LAYOUTS.cifar10.archiveName} or ${CIFAR_LAYOUTS.cifar100.archiveName})`;
  const other = present[0];
  if (wanted && other) {
    const o = CIFAR_LAYOUTS[other];
    throw new CifarDataError(
      'wrong-dataset',
      `This is the ${o.title} archive (it has a ${o.folder}/ folder), but ${CIFAR_LAYOUTS[wanted].title} was asked for. Choose ${o.title}, or give ${CIFAR_LAYOUTS[wanted].archiveName}.`,
    );
  }
  for (const [folder, what] of Object.entries(OTHER_VERSIONS)) {
    if (folders.has(folder))
      throw new CifarDataError(
        'wrong-dataset',
        `This archive is ${what} (${folder}/); the app reads the binary version: ${wanted ? CIFAR_LAYOUTS[wanted].archiveName : 'cifar-10-binary.tar.gz or cifar-100-binary.tar.gz'}.`,
      );
  }
  if (files.length === 0) throw new CifarDataError('wrong-dataset', `The tar archive is empty: it has no files, and a ${expected} was expected.`);
  throw new CifarDataError('wrong-dataset', `The archive has no ${expected}; it holds ${listSome(files.map((f) => f.path))}.`);
}

/** The folders of the binary archives: their CIFAR files are the ones an archive read keeps. */
const ARCHIVE_FOLDERS = new Set(Object.values(CIFAR_LAYOUTS).map((layout) => layout.folder));

/**
 * A `.tar.gz` or `.tar` (told apart by their first bytes) of the official binary layout: the whole
 * archive as downloaded, or a part with fewer batches or records. Given as bytes, a Blob or File
 * (streamed), or a download's chunks (taken out of the array as they are read). Decompression
 * stops with a `too-large` error once the archive passes `MAX_ARCHIVE_BYTES` (archive.ts); only
 * the CIFAR files are kept from it.
 */
export async function parseCifarArchive(input: ArchiveInput, options: ParseOptions = {}): Promise<CifarDataset> {
  const files = await readArchive(input, {
    keep: (path) => ARCHIVE_FOLDERS.has(parentFolder(path)) && kindOfFile(baseName(path)) !== undefined,
    archiveName: CIFAR_LAYOUTS[options.kind ?? 'cifar10'].archiveName,
    ...(options.maxArchiveBytes !== undefined ? { maxBytes: options.maxArchiveBytes } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const kind = pickArchiveKind(files, options.kind);
  const folder = CIFAR_LAYOUTS[kind].folder;
  const inFolder = files.filter((f) => parentFolder(f.path) === folder).map((f) => ({ name: baseName(f.path), size: f.size, chunks: f.chunks }));
  return assemble(kind, classify(inFolder, kind, { ignoreUnknown: true }), { ...options, source: options.source ?? `${folder}/ of an archive` });
}

// ---------------------------------------------------------------------------------------------
// The .bin files

interface Classified {
  train: FileData[];
  test?: FileData;
  classNames?: FileData;
  coarseClassNames?: FileData;
}

const CIFAR10_TRAIN = /^data_batch_(\d+)\.bin$/;

function kindOfFile(name: string): CifarKind | undefined {
  if (CIFAR10_TRAIN.test(name) || name === 'test_batch.bin' || name === 'batches.meta.txt') return 'cifar10';
  if (name === 'train.bin' || name === 'test.bin' || name === 'fine_label_names.txt' || name === 'coarse_label_names.txt') return 'cifar100';
  return undefined;
}

function classify(files: readonly FileData[], kind: CifarKind, { ignoreUnknown }: { ignoreUnknown: boolean }): Classified {
  const out: Classified = { train: [] };
  const seen = new Set<string>();
  for (const file of files) {
    const name = file.name;
    if (kindOfFile(name) !== kind) {
      if (ignoreUnknown || !name.endsWith('.bin')) continue;
      throw new CifarDataError('unknown-file', `${name} is not a ${CIFAR_LAYOUTS[kind].title} binary file; expected ${expectedFiles(kind)}.`);
    }
    if (seen.has(name)) throw new CifarDataError('unknown-file', `${name} was given twice.`);
    seen.add(name);
    if (name === 'test_batch.bin' || name === 'test.bin') out.test = file;
    else if (name === 'batches.meta.txt' || name === 'fine_label_names.txt') out.classNames = file;
    else if (name === 'coarse_label_names.txt') out.coarseClassNames = file;
    else out.train.push(file);
  }
  const batchNumber = (f: FileData) => Number(CIFAR10_TRAIN.exec(f.name)?.[1] ?? 0);
  out.train.sort((a, b) => batchNumber(a) - batchNumber(b));
  return out;
}

function expectedFiles(kind: CifarKind): string {
  return kind === 'cifar10'
    ? 'data_batch_1.bin ... data_batch_5.bin and test_batch.bin (and optionally batches.meta.txt)'
    : 'train.bin and test.bin (and optionally fine_label_names.txt, coarse_label_names.txt)';
}

/**
 * The .bin files a person dropped or picked (the folder of the archive, in part or whole), and
 * optionally the class-name .txt files. Other files (readme.html) are ignored; the kind is told by
 * the names unless `options.kind` says it.
 */
export function parseCifarFiles(files: readonly NamedBytes[], options: ParseOptions = {}): CifarDataset {
  const named: FileData[] = files.map((f) => ({ name: baseName(f.name), size: f.bytes.length, chunks: [f.bytes] }));
  const archives = named.filter((f) => /\.(tar\.gz|tgz|tar|gz|zip)$/i.test(f.name));
  if (archives.length > 0)
    throw new CifarDataError(
      'unknown-file',
      `${archives[0]!.name} is an archive: give the archive on its own, or the .bin files from it, not both.`,
    );
  const kinds = new Set(named.map((f) => kindOfFile(f.name)).filter((k): k is CifarKind => k !== undefined));
  const names = listSome(named.map((f) => f.name));
  if (kinds.size === 0)
    throw new CifarDataError(
      'unknown-file',
      `None of the files (${names}) is a CIFAR binary file. Expected ${expectedFiles('cifar10')} for CIFAR-10, or ${expectedFiles('cifar100')} for CIFAR-100.`,
    );
  if (kinds.size > 1) throw new CifarDataError('wrong-dataset', `The files (${names}) mix CIFAR-10 and CIFAR-100 files; give one dataset's files.`);
  const found = [...kinds][0]!;
  if (options.kind && options.kind !== found)
    throw new CifarDataError(
      'wrong-dataset',
      `These are ${CIFAR_LAYOUTS[found].title} files (${names}), but ${CIFAR_LAYOUTS[options.kind].title} was asked for. Choose ${CIFAR_LAYOUTS[found].title}, or give ${expectedFiles(options.kind)}.`,
    );
  return assemble(found, classify(named, found, { ignoreUnknown: false }), options);
}

interface FileRecords {
  file: FileData;
  count: number;
}

/**
 * Calls `visit(index, bytes, at)` for each whole record of `file`, the record being
 * `bytes[at .. at + record)`: inside one of the file's chunks, or copied into a scratch buffer
 * when it spans two.
 */
function forEachRecord(file: FileData, record: number, visit: (index: number, bytes: Uint8Array, at: number) => void): void {
  const scratch = new Uint8Array(record);
  let filled = 0;
  let index = 0;
  for (const chunk of file.chunks) {
    let at = 0;
    if (filled > 0) {
      at = Math.min(record - filled, chunk.length);
      scratch.set(chunk.subarray(0, at), filled);
      filled += at;
      if (filled < record) continue;
      visit(index++, scratch, 0);
      filled = 0;
    }
    for (; at + record <= chunk.length; at += record) visit(index++, chunk, at);
    if (at < chunk.length) {
      scratch.set(chunk.subarray(at), 0);
      filled = chunk.length - at;
    }
  }
}

/** Checks one file's size and labels; throws what is wrong with it. */
function checkRecords(file: FileData, layout: CifarLayout, split: 'train' | 'test'): FileRecords {
  const size = file.size;
  const record = layout.labelBytes + CIFAR_IMAGE_BYTES;
  const maxRecords = split === 'train' ? layout.maxTrainRecordsPerFile : layout.maxTestRecords;
  if (size === 0)
    throw split === 'test'
      ? new CifarDataError('empty-test-set', `There is no test set: ${file.name} is empty (0 bytes).`)
      : new CifarDataError('wrong-size', `${file.name} is empty (0 bytes).`);
  const leftOver = size % record;
  if (leftOver !== 0) {
    const otherRecord = (layout.labelBytes === 1 ? 2 : 1) + CIFAR_IMAGE_BYTES;
    const hint =
      size % otherRecord === 0
        ? ` Its size fits ${otherRecord}-byte records: is it a ${layout.labelBytes === 1 ? 'CIFAR-100' : 'CIFAR-10'} file?`
        : ' It is probably cut short (an interrupted download or copy).';
    throw new CifarDataError(
      'truncated',
      `${file.name} is ${fmt(size)} bytes: ${fmt(Math.floor(size / record))} whole ${record}-byte records and ${fmt(leftOver)} bytes left over.${hint}`,
    );
  }
  const count = size / record;
  if (count > maxRecords)
    throw new CifarDataError(
      'wrong-size',
      `${file.name} holds ${fmt(count)} records, but the official ${layout.title} file has ${fmt(maxRecords)}: this is not a ${layout.title} file.`,
    );
  const fineAt = layout.labelBytes - 1;
  forEachRecord(file, record, (i, bytes, at) => {
    const offset = i * record;
    const fine = bytes[at + fineAt]!;
    if (fine >= layout.classes)
      throw new CifarDataError(
        'label-out-of-range',
        `${file.name}: record ${fmt(i)} (counting from 0, at byte ${fmt(offset + fineAt)}) has label ${fine}, but ${layout.title} labels are 0-${layout.classes - 1}.`,
      );
    if (layout.coarseClasses !== undefined) {
      const coarse = bytes[at]!;
      if (coarse >= layout.coarseClasses)
        throw new CifarDataError(
          'label-out-of-range',
          `${file.name}: record ${fmt(i)} (counting from 0, at byte ${fmt(offset)}) has coarse label ${coarse}, but ${layout.title} coarse labels are 0-${layout.coarseClasses - 1}.`,
        );
    }
  });
  return { file, count };
}

function buildSplit(parts: readonly FileRecords[], layout: CifarLayout): CifarSplit {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const record = layout.labelBytes + CIFAR_IMAGE_BYTES;
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(count);
  const coarseLabels = layout.coarseClasses !== undefined ? new Uint8Array(count) : undefined;
  let n = 0;
  for (const { file } of parts) {
    forEachRecord(file, record, (_i, bytes, at) => {
      if (coarseLabels) coarseLabels[n] = bytes[at]!;
      labels[n] = bytes[at + layout.labelBytes - 1]!;
      images.set(bytes.subarray(at + layout.labelBytes, at + record), n * CIFAR_IMAGE_BYTES);
      n++;
    });
    // Copied: the file's chunks (an archive's decompressed bytes) can go while the next is copied.
    file.chunks.length = 0;
  }
  return coarseLabels ? { images, labels, coarseLabels, count } : { images, labels, count };
}

function readClassNames(file: FileData | undefined, expected: number, fallback: readonly string[]): string[] {
  if (!file) return [...fallback];
  const decoder = new TextDecoder();
  const text = file.chunks.map((chunk, i) => decoder.decode(chunk, { stream: i < file.chunks.length - 1 })).join('');
  const names = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== expected)
    throw new CifarDataError('bad-class-names', `${file.name} lists ${fmt(names.length)} class names, but there should be ${expected}.`);
  return names;
}

function assemble(kind: CifarKind, files: Classified, options: ParseOptions): CifarDataset {
  const layout = CIFAR_LAYOUTS[kind];
  const trainName = kind === 'cifar10' ? 'data_batch_1.bin ... data_batch_5.bin' : 'train.bin';
  const testName = kind === 'cifar10' ? 'test_batch.bin' : 'test.bin';
  if (files.train.length === 0)
    throw new CifarDataError('empty-train-set', `There is no training set: ${trainName} ${kind === 'cifar10' ? 'are' : 'is'} missing.`);
  if (!files.test) throw new CifarDataError('empty-test-set', `There is no test set: ${testName} is missing.`);
  options.onProgress?.(0, 1, 'parse');
  const trainParts = files.train.map((f) => checkRecords(f, layout, 'train'));
  const testParts = [checkRecords(files.test, layout, 'test')];
  const classNames = readClassNames(files.classNames, layout.classes, classNamesOf(kind));
  const coarseClassNames =
    kind === 'cifar100' ? readClassNames(files.coarseClassNames, layout.coarseClasses ?? 0, CIFAR100_COARSE_CLASS_NAMES) : undefined;
  const source = options.source ?? [...files.train, files.test].map((f) => f.name).join(', ');
  // The smaller split first: its file is let go before the training images are allocated.
  const test = buildSplit(testParts, layout);
  const dataset: CifarDataset = { kind, classNames, train: buildSplit(trainParts, layout), test, source };
  if (coarseClassNames) dataset.coarseClassNames = coarseClassNames;
  options.onProgress?.(1, 1, 'parse');
  return dataset;
}

/** "CIFAR-10: 46,600 training + 932 test images, 10 classes". */
export function describeDataset(dataset: Pick<CifarDataset, 'kind' | 'classNames' | 'train' | 'test'>): string {
  return `${CIFAR_LAYOUTS[dataset.kind].title}: ${fmt(dataset.train.count)} training + ${fmt(dataset.test.count)} test images, ${dataset.classNames.length} classes`;
}

// ---------------------------------------------------------------------------------------------
// For training

export interface NHWCOptions {
  /** Subtract the mean and divide by the std per channel (e.g. `CIFAR_NORMALIZATION.cifar10`); otherwise scale to [0, 1]. */
  normalize?: ChannelStats;
  /** Written into when given (length >= n x CIFAR_IMAGE_BYTES), e.g. to reuse one batch buffer. */
  out?: Float32Array;
}

function checkIndex(split: CifarSplit, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= split.count) throw new RangeError(`image index ${index} is outside 0..${split.count - 1}`);
  return index;
}

/**
 * The images at `indices` (default: all, in order) as float32 NHWC, [n, 32, 32, 3], from the
 * files' CHW planes.
 */
export function toNHWCFloat(split: CifarSplit, indices?: ArrayLike<number>, options: NHWCOptions = {}): Float32Array {
  const n = indices ? indices.length : split.count;
  const out = options.out ?? new Float32Array(n * CIFAR_IMAGE_BYTES);
  if (out.length < n * CIFAR_IMAGE_BYTES) throw new RangeError(`out holds ${out.length} floats; ${n} images need ${n * CIFAR_IMAGE_BYTES}`);
  // x -> x * scale[c] + shift[c]
  const scale = [0, 1, 2].map((c) => (options.normalize ? 1 / options.normalize.std[c]! : 1 / 255));
  const shift = [0, 1, 2].map((c) => (options.normalize ? -options.normalize.mean[c]! / options.normalize.std[c]! : 0));
  const plane = CIFAR_PLANE;
  for (let i = 0; i < n; i++) {
    const src = (indices ? checkIndex(split, indices[i]!) : i) * CIFAR_IMAGE_BYTES;
    const dst = i * CIFAR_IMAGE_BYTES;
    for (let c = 0; c < CIFAR_CHANNELS; c++) {
      const s = scale[c]!;
      const b = shift[c]!;
      const from = src + c * plane;
      for (let p = 0; p < plane; p++) out[dst + p * CIFAR_CHANNELS + c] = split.images[from + p]! * s + b;
    }
  }
  return out;
}

/** The labels at `indices` (default: all) as int32, as tf.oneHot wants them. */
export function labelsAt(split: CifarSplit, indices?: ArrayLike<number>, which: 'fine' | 'coarse' = 'fine'): Int32Array {
  const source = which === 'coarse' ? split.coarseLabels : split.labels;
  if (!source) throw new Error('this split has no coarse labels (CIFAR-10)');
  if (!indices) return Int32Array.from(source);
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = source[checkIndex(split, indices[i]!)]!;
  return out;
}
