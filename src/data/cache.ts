/**
 * The parsed CIFAR arrays kept in IndexedDB (through idb-keyval), so a dataset is downloaded and
 * parsed once and works offline afterwards. The typed arrays are stored as they are (structured
 * clone), not the archive: a later load is a read, with no gunzip or parse.
 *
 * Each array is its own key, so `cachedDatasetInfo` reads a few hundred bytes of metadata, not
 * 180 MB. A dataset is written in one transaction (idb-keyval's setMany), so a failed write
 * leaves the previous copy as it was.
 */
import { clear, createStore, delMany, get, getMany, setMany, type UseStore } from 'idb-keyval';
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
const allArrayKeys = (kind: CifarKind) => SPLITS.flatMap((split) => ARRAYS.map((name) => arrayKey(kind, split, name)));

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
    const replaced = (await cachedDatasetInfo(dataset.kind))?.bytes ?? 0;
    if (estimate?.quota !== undefined && estimate.usage !== undefined) {
      const free = estimate.quota - estimate.usage + replaced;
      if (free < bytes) throw new DOMException(`needs ${bytes} bytes; ${free} are free`, 'QuotaExceededError');
    }
    const entries: [IDBValidKey, unknown][] = [[metaKey(dataset.kind), { ...info, version: FORMAT_VERSION } satisfies StoredMeta]];
    for (const split of SPLITS)
      for (const name of ARRAYS) {
        const array = dataset[split][name];
        if (array) entries.push([arrayKey(dataset.kind, split, name), array]);
      }
    // Same keys as the previous copy (CIFAR-10 never has coarse labels): one put per key replaces it.
    await setMany(entries, cacheStore());
  } catch (e) {
    throw describeStorageError(e, dataset.kind, bytes);
  }
  return info;
}

/** What is cached for `kind`, without reading the arrays; null when nothing is. */
export async function cachedDatasetInfo(kind: CifarKind): Promise<CachedDatasetInfo | null> {
  const meta = await get<StoredMeta>(metaKey(kind), cacheStore());
  if (!meta || meta.version !== FORMAT_VERSION) return null;
  const { version: _version, ...info } = meta;
  return info;
}

/** The cached dataset of `kind`, or null when there is none or it is incomplete. */
export async function readFromCache(kind: CifarKind): Promise<CifarDataset | null> {
  const info = await cachedDatasetInfo(kind);
  if (!info) return null;
  const names = SPLITS.flatMap((split) => ARRAYS.map((name) => ({ split, name })));
  const values = await getMany<Uint8Array>(
    names.map(({ split, name }) => arrayKey(kind, split, name)),
    cacheStore(),
  );
  const split = (which: 'train' | 'test', count: number): CifarSplit | null => {
    const pick = (name: ArrayName) => values[names.findIndex((n) => n.split === which && n.name === name)];
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
    await delMany([metaKey(kind), ...allArrayKeys(kind)], db);
    return;
  }
  await clear(db);
}
