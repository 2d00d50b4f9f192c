/** The IndexedDB cache's Node-testable parts; its reads and writes run in Chromium (e2e/data.spec.ts). */
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, cachedDatasetInfo, chunkRanges, datasetBytes, describeStorageError } from './cache';
import { CifarDataError, type CifarDataset } from './cifar';

describe('the dataset cache', () => {
  it('stores an array over CHUNK_BYTES in chunks under 128 MiB that cover it exactly, in order', () => {
    expect(CHUNK_BYTES).toBeLessThan(133_169_152);
    expect(chunkRanges(0, 10)).toEqual([[0, 0]]);
    expect(chunkRanges(10, 10)).toEqual([[0, 10]]);
    expect(chunkRanges(25, 10)).toEqual([[0, 10], [10, 20], [20, 25]]);
    // CIFAR-10's training images: 153.6 MB, three chunks.
    const ranges = chunkRanges(50_000 * 3072);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]![0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(50_000 * 3072);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    for (const [a, b] of ranges) expect(b - a).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(() => chunkRanges(5, 0)).toThrow(/positive/);
  });

  it('explains a full quota in plain words, with what to do', () => {
    const error = describeStorageError(new DOMException('quota', 'QuotaExceededError'), 'cifar10', 184_320_000 + 60_000);
    expect(error).toBeInstanceOf(CifarDataError);
    expect(error.code).toBe('storage-quota');
    expect(error.message).toContain("this site's storage is full (QuotaExceededError; the data needs about 184 MB)");
    expect(error.message).toContain('The data is loaded and can be used now');
    expect(error.message).toMatch(/free some disk space, leave private or incognito browsing/);
    const other = describeStorageError(new DOMException('disk broke', 'UnknownError'), 'cifar100', 1);
    expect(other.code).toBe('storage-failed');
    expect(other.message).toContain('could not keep CIFAR-100 for offline use (UnknownError: disk broke)');
  });

  it('counts the stored bytes: images, labels and coarse labels', () => {
    const split = (count: number, coarse: boolean) => ({
      images: new Uint8Array(count * 3072),
      labels: new Uint8Array(count),
      ...(coarse ? { coarseLabels: new Uint8Array(count) } : {}),
      count,
    });
    const ds: CifarDataset = { kind: 'cifar100', classNames: [], train: split(5, true), test: split(2, true), source: '' };
    expect(datasetBytes(ds)).toBe(7 * 3074);
  });

  it('says so where there is no IndexedDB (here: Node)', async () => {
    await expect(cachedDatasetInfo('cifar10')).rejects.toMatchObject({ code: 'storage-failed', message: expect.stringMatching(/no IndexedDB/) });
  });
});
