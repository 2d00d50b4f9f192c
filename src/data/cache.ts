/**
 * The parsed CIFAR arrays kept in IndexedDB (through idb-keyval), so a dataset is downloaded and
 * parsed once and works offline afterwards. The typed arrays are stored as they are (structured
 * clone), not the archive: a later load is a read, with no gunzip or parse.
 *
 * Each array is its own key, so `cachedDatasetInfo` reads a few hundred bytes of metadata, not
 * 180 MB. A dataset is written in one transaction, so a failed write leaves the previous copy as it was.
 *
 * Chromium (seen in 156) refuses one IndexedDB value over 127 MiB ("The serialized keys and/or value are too large", max 133,169,152 bytes): the put ends its transaction
 * and the next put throws TransactionInactiveError. CIFAR-10's training images are 154 MB, so an
 * array larger than CHUNK_BYTES is stored in chunks (docs/storage.md#one-value-at-most-127-mib): chunk 0 under the array's own key (a copy saved
 * before chunking reads as one chunk), chunk i under `key#i`, their count in the metadata.
 */
import { clear, createStore, delMany, get, getMany, promisifyRequest, type UseStore } from 'idb-keyval';
import { CIFAR_IMAGE_BYTES, CIFAR_LAYOUTS, CifarDataError, type CifarDataset, type CifarKind, type CifarSplit } from './cifar';

export const CACHE_DB_NAME = 'resnext-lab-data';
export const CACHE_STORE_NAME = 'cifar';
/** Bumped when the stored layout changes; an older copy then counts as absent. */
const FORMAT_VERSION = 1;

export interface CachedDatasetInfo {
  kind: CifarKind;
  classNames: string[];
  coarseClassNames?: string[];
  /** Where the cached copy came from originally. */
  source: string;
  /** ISO 8601. */
  savedAt: string;
  trainCount: number;
  testCount: number;
  /** Bytes of the stored arrays. */
  bytes: number;
}

interface StoredMeta extends CachedDatasetInfo {
  version: number;
  /** Chunks of each array stored in more than one, by `split.name`; absent: one. */
  chunks?: Partial<Record<string, number>>;
}

/** The largest value written to IndexedDB: well under Chromium's limit of 127 MiB. */
export const CHUNK_BYTES = 64 * 2 ** 20;

/** [start, end) of each chunk of an array of `length` bytes, at most `chunk` each (one, maybe empty, when it fits). */
export function chunkRanges(length: number, chunk = CHUNK_BYTES): Array<[number, number]> {
  if (!(chunk > 0)) throw new Error(`chunk size must be positive, got ${chunk}`);
  const out: Array<[number, number]> = [];
  for (let start = 0; start < length || out.length === 0; start += chunk) out.push([start, Math.min(start + chunk, length)]);
  return out;
}

const SPLITS = ['train', 'test'] as const;
const ARRAYS = ['images', 'labels', 'coarseLabels'] as const;
type ArrayName = (typeof ARRAYS)[number];

let store: UseStore | undefined;
/** Opened on first use, so importing this module (e.g. in Node) touches no IndexedDB. */
function cacheStore(): UseStore {
  if (typeof indexedDB === 'undefined') throw new CifarDataError('storage-failed', 'This browser has no IndexedDB, so datasets cannot be kept offline.');
  store ??= createStore(CACHE_DB_NAME, CACHE_STORE_NAME);
  return store;
}

const metaKey = (kind: CifarKind) => `${kind}/meta`;
const arrayKey = (kind: CifarKind, split: 'train' | 'test', name: ArrayName) => `${kind}/${split}.${name}`;
const chunkKey = (key: string, i: number) => (i === 0 ? key : `${key}#${i}`);
const chunksOf = (meta: StoredMeta | undefined, split: 'train' | 'test', name: ArrayName) => meta?.chunks?.[`${split}.${name}`] ?? 1;
/** Every key the arrays of `kind` take, as `meta` stored them. */
const allArrayKeys = (kind: CifarKind, meta?: StoredMeta) =>
  SPLITS.flatMap((split) => ARRAYS.flatMap((name) => Array.from({ length: chunksOf(meta, split, name) }, (_, i) => chunkKey(arrayKey(kind, split, name), i))));

/** The bytes `saveToCache` would store. */
export function datasetBytes(dataset: CifarDataset): number {
  return SPLITS.reduce((n, s) => n + dataset[s].images.byteLength + dataset[s].labels.byteLength + (dataset[s].coarseLabels?.byteLength ?? 0), 0);
}

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en-US')} MB`;

/** A failed write, in words a person can act on. */
export function describeStorageError(error: unknown, kind: CifarKind, bytes: number): CifarDataError {
  if (error instanceof CifarDataError) return error;
  const name = (error as { name?: string } | null)?.name;
  const title = CIFAR_LAYOUTS[kind].title;
  if (name === 'QuotaExceededError')
    return new CifarDataError(
      'storage-quota',
      `The browser would not keep ${title} for offline use: this site's storage is full (QuotaExceededError; the data needs about ${megabytes(bytes)}). ` +
        'The data is loaded and can be used now, but it will have to be loaded again next time. To keep it: free some disk space, ' +
        "leave private or incognito browsing (it allows sites little storage), or remove other sites' data in the browser's settings.",
      { cause: error },
    );
  return new CifarDataError(
    'storage-failed',
    `The browser could not keep ${title} for offline use (${name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}). The data is loaded and can be used now.`,
    { cause: error },
  );
}

/** Stores a parsed dataset, replacing the kind's previous copy; throws a `CifarDataError` explaining a failure. */
export async function saveToCache(dataset: CifarDataset): Promise<CachedDatasetInfo> {
  const bytes = datasetBytes(dataset);
  const info: CachedDatasetInfo = {
    kind: dataset.kind,
    classNames: dataset.classNames,
    ...(dataset.coarseClassNames ? { coarseClassNames: dataset.coarseClassNames } : {}),
    source: dataset.source,
    savedAt: new Date().toISOString(),
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
    bytes,
  };
  try {
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
    // Asks the browser not to evict the data under storage pressure; it may say no, which is fine.
    await storage?.persist?.().catch(() => false);
    // Fails early rather than after a long write; the write's own QuotaExceededError is the backstop.
    const estimate = await storage?.estimate?.().catch(() => undefined);
    const previous = await storedMeta(dataset.kind);
    const replaced = previous?.bytes ?? 0;
    if (estimate?.quota !== undefined && estimate.usage !== undefined) {
      const free = estimate.quota - estimate.usage + replaced;
      if (free < bytes) throw new DOMException(`needs ${bytes} bytes; ${free} are free`, 'QuotaExceededError');
    }
    const entries: [IDBValidKey, unknown][] = [];
    const chunks: Record<string, number> = {};
    for (const split of SPLITS)
      for (const name of ARRAYS) {
        const array = dataset[split][name];
        if (!array) continue;
        const ranges = chunkRanges(array.length);
        if (ranges.length > 1) chunks[`${split}.${name}`] = ranges.length;
        // A chunk is a copy (slice): a view (subarray) would be stored with its whole buffer.
        ranges.forEach(([a, b], i) => entries.push([chunkKey(arrayKey(dataset.kind, split, name), i), ranges.length === 1 ? array : array.slice(a, b)]));
      }
    const meta: StoredMeta = { ...info, version: FORMAT_VERSION, ...(Object.keys(chunks).length ? { chunks } : {}) };
    entries.push([metaKey(dataset.kind), meta]);
    // The previous copy's keys this one does not overwrite (more chunks then), deleted in the same transaction.
    const written = new Set(entries.map(([k]) => k));
    const stale = allArrayKeys(dataset.kind, previous).filter((k) => !written.has(k));
    await cacheStore()('readwrite', (store) => {
      for (const [key, value] of entries) store.put(value, key);
      for (const key of stale) store.delete(key);
      return promisifyRequest(store.transaction);
    });
  } catch (e) {
    throw describeStorageError(e, dataset.kind, bytes);
  }
  return info;
}

/** The stored metadata of `kind` in the current format, or undefined. */
async function storedMeta(kind: CifarKind): Promise<StoredMeta | undefined> {
  const meta = await get<StoredMeta>(metaKey(kind), cacheStore());
  return meta && meta.version === FORMAT_VERSION ? meta : undefined;
}

/** What is cached for `kind`, without reading the arrays; null when nothing is. */
export async function cachedDatasetInfo(kind: CifarKind): Promise<CachedDatasetInfo | null> {
  const meta = await storedMeta(kind);
  if (!meta) return null;
  const { version: _version, chunks: _chunks, ...info } = meta;
  return info;
}

/** One array from its chunks (as read, in order); null when one is missing or not bytes. */
function joinChunks(parts: unknown[]): Uint8Array | null {
  if (!parts.every((p) => p instanceof Uint8Array)) return null;
  const arrays = parts as Uint8Array[];
  if (arrays.length === 1) return arrays[0]!;
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** The cached dataset of `kind`, or null when there is none or it is incomplete. */
export async function readFromCache(kind: CifarKind): Promise<CifarDataset | null> {
  const meta = await storedMeta(kind);
  if (!meta) return null;
  const { version: _version, chunks: _chunks, ...info } = meta;
  const names = SPLITS.flatMap((split) => ARRAYS.map((name) => ({ split, name, chunks: chunksOf(meta, split, name) })));
  const values = await getMany<unknown>(
    names.flatMap(({ split, name, chunks }) => Array.from({ length: chunks }, (_, i) => chunkKey(arrayKey(kind, split, name), i))),
    cacheStore(),
  );
  let at = 0;
  const arrays = names.map(({ chunks }) => {
    const parts = values.slice(at, (at += chunks));
    // coarseLabels is absent for CIFAR-10: one undefined chunk.
    return parts.length === 1 && parts[0] === undefined ? undefined : (joinChunks(parts) ?? undefined);
  });
  const split = (which: 'train' | 'test', count: number): CifarSplit | null => {
    const pick = (name: ArrayName) => arrays[names.findIndex((n) => n.split === which && n.name === name)];
    const images = pick('images');
    const labels = pick('labels');
    const coarseLabels = pick('coarseLabels');
    if (!(images instanceof Uint8Array) || images.length !== count * CIFAR_IMAGE_BYTES) return null;
    if (!(labels instanceof Uint8Array) || labels.length !== count) return null;
    if (kind === 'cifar100' && !(coarseLabels instanceof Uint8Array && coarseLabels.length === count)) return null;
    return kind === 'cifar100' && coarseLabels ? { images, labels, coarseLabels, count } : { images, labels, count };
  };
  const train = split('train', info.trainCount);
  const test = split('test', info.testCount);
  if (!train || !test) {
    // A copy from an interrupted or older write: drop it so the next load stores a whole one.
    await clearCachedData(kind);
    return null;
  }
  return {
    kind,
    classNames: info.classNames,
    ...(info.coarseClassNames ? { coarseClassNames: info.coarseClassNames } : {}),
    train,
    test,
    source: info.source,
  };
}

/** Deletes the cached copy of `kind`, or of every dataset. */
export async function clearCachedData(kind?: CifarKind): Promise<void> {
  const db = cacheStore();
  if (kind) {
    await delMany([metaKey(kind), ...allArrayKeys(kind, await storedMeta(kind))], db);
    return;
  }
  await clear(db);
}
