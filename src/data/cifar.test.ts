/**
 * The CIFAR reader on real data: the shared subset (../shared/data/cifar10-subset, the official
 * binary layout with 932 real images per file, and the same packed as cifar-10-binary.tar.gz).
 * CIFAR-100 has no real sample here, so its layout is checked on small synthetic files.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import { md5 } from 'js-md5';
import { createTar } from 'nanotar';
import { describe, expect, it } from 'vitest';
import {
  CIFAR100_CLASS_NAMES,
  CIFAR100_COARSE_CLASS_NAMES,
  CIFAR10_CLASS_NAMES,
  CIFAR_IMAGE_BYTES,
  CIFAR_NORMALIZATION,
  CifarDataError,
  type CifarDataErrorCode,
  type CifarDataset,
  type NamedBytes,
  OFFICIAL_ARCHIVES,
  checkArchiveMd5,
  labelsAt,
  parseCifarArchive,
  parseCifarFiles,
  toNHWCFloat,
} from './cifar';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SUBSET = resolve(repoRoot, '..', 'shared', 'data', 'cifar10-subset');
const BIN_DIR = resolve(SUBSET, 'cifar-10-batches-bin');
const ARCHIVE = readFileSync(resolve(SUBSET, 'cifar-10-binary.tar.gz'));
const PER_FILE = 932;
const RECORD10 = 1 + CIFAR_IMAGE_BYTES;
const RECORD100 = 2 + CIFAR_IMAGE_BYTES;

function subsetFiles(): NamedBytes[] {
  return readdirSync(BIN_DIR)
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(resolve(BIN_DIR, name))) }));
}

function replace(files: NamedBytes[], name: string, bytes: Uint8Array): NamedBytes[] {
  return files.map((f) => (f.name === name ? { name, bytes } : f));
}

function tarOf(files: readonly NamedBytes[], folder: string): Uint8Array {
  return createTar(files.map((f) => ({ name: `${folder}/${f.name}`, data: f.bytes })));
}

const gzip = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes, { level: 1 }));

/** Bytes equality without Vitest's element-by-element diff of 14 MB arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function failure(work: () => unknown): Promise<CifarDataError> {
  try {
    await work();
  } catch (e) {
    expect(e).toBeInstanceOf(CifarDataError);
    return e as CifarDataError;
  }
  throw new Error('expected a CifarDataError, but the input was accepted');
}

async function expectError(work: () => unknown, code: CifarDataErrorCode, ...phrases: (string | RegExp)[]): Promise<string> {
  const error = await failure(work);
  expect(error.code, error.message).toBe(code);
  for (const phrase of phrases) expect(error.message).toMatch(phrase);
  return error.message;
}

/** Synthetic CIFAR-100 records: coarse label i % 20, fine label i % 100, pixels from i. */
function cifar100Records(count: number, first = 0): Uint8Array {
  const bytes = new Uint8Array(count * RECORD100);
  for (let i = 0; i < count; i++) {
    const n = first + i;
    bytes[i * RECORD100] = n % 20;
    bytes[i * RECORD100 + 1] = n % 100;
    for (let p = 0; p < CIFAR_IMAGE_BYTES; p++) bytes[i * RECORD100 + 2 + p] = (n * 7 + p) & 255;
  }
  return bytes;
}

describe('the CIFAR-10 binary archive (real subset)', () => {
  let fromArchive: CifarDataset;

  it('gives 5 x 932 training and 932 test images, the class names of batches.meta.txt, labels in 0..9', async () => {
    const phases = new Set<string>();
    fromArchive = await parseCifarArchive(ARCHIVE, { onProgress: (_done, _total, phase) => phases.add(phase) });
    expect(fromArchive.kind).toBe('cifar10');
    expect(fromArchive.train.count).toBe(5 * PER_FILE);
    expect(fromArchive.test.count).toBe(PER_FILE);
    expect(fromArchive.train.images).toHaveLength(5 * PER_FILE * CIFAR_IMAGE_BYTES);
    expect(fromArchive.train.labels).toHaveLength(5 * PER_FILE);
    expect(fromArchive.test.images).toHaveLength(PER_FILE * CIFAR_IMAGE_BYTES);
    expect(fromArchive.train.coarseLabels).toBeUndefined();
    const meta = readFileSync(resolve(BIN_DIR, 'batches.meta.txt'), 'utf8').split('\n').filter(Boolean);
    expect(fromArchive.classNames).toEqual(meta);
    expect(fromArchive.classNames).toEqual(CIFAR10_CLASS_NAMES);
    for (const split of [fromArchive.train, fromArchive.test]) {
      expect(Math.max(...split.labels)).toBeLessThanOrEqual(9);
      expect(new Set(split.labels).size).toBe(10);
    }
    expect(phases).toEqual(new Set(['decompress', 'parse']));
  });

  it('keeps the files order and CHW bytes: batch 1 first, test_batch as the test set', () => {
    const files = subsetFiles();
    const batch = (name: string) => files.find((f) => f.name === name)!.bytes;
    const b1 = batch('data_batch_1.bin');
    const b5 = batch('data_batch_5.bin');
    const test = batch('test_batch.bin');
    expect(fromArchive.train.labels[0]).toBe(b1[0]);
    expect(sameBytes(fromArchive.train.images.subarray(0, CIFAR_IMAGE_BYTES), b1.subarray(1, RECORD10))).toBe(true);
    const last = 5 * PER_FILE - 1;
    expect(fromArchive.train.labels[last]).toBe(b5[(PER_FILE - 1) * RECORD10]);
    expect(sameBytes(fromArchive.train.images.subarray(last * CIFAR_IMAGE_BYTES), b5.subarray((PER_FILE - 1) * RECORD10 + 1))).toBe(true);
    expect(fromArchive.test.labels[7]).toBe(test[7 * RECORD10]);
  });

  it('the .bin files give the same arrays as the archive', () => {
    const fromFiles = parseCifarFiles(subsetFiles());
    expect(fromFiles.kind).toBe('cifar10');
    expect(fromFiles.classNames).toEqual(fromArchive.classNames);
    for (const split of ['train', 'test'] as const) {
      expect(fromFiles[split].count).toBe(fromArchive[split].count);
      expect(sameBytes(fromFiles[split].images, fromArchive[split].images)).toBe(true);
      expect(sameBytes(fromFiles[split].labels, fromArchive[split].labels)).toBe(true);
    }
  });

  it('reads the same archive uncompressed (.tar), and with the files in any order', async () => {
    const plain = await parseCifarArchive(new Uint8Array(gunzipSync(ARCHIVE)));
    expect(sameBytes(plain.train.images, fromArchive.train.images)).toBe(true);
    const shuffled = parseCifarFiles([...subsetFiles()].reverse());
    expect(sameBytes(shuffled.train.labels, fromArchive.train.labels)).toBe(true);
  });

  it('loads partial sets: fewer batches, fewer records, no batches.meta.txt', async () => {
    const files = subsetFiles();
    const b3 = files.find((f) => f.name === 'data_batch_3.bin')!.bytes;
    const test = files.find((f) => f.name === 'test_batch.bin')!.bytes;
    const partial = parseCifarFiles([
      { name: 'data_batch_3.bin', bytes: b3.subarray(0, 100 * RECORD10) },
      { name: 'test_batch.bin', bytes: test.subarray(0, 10 * RECORD10) },
    ]);
    expect([partial.train.count, partial.test.count]).toEqual([100, 10]);
    expect(partial.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(sameBytes(partial.train.images.subarray(0, CIFAR_IMAGE_BYTES), b3.subarray(1, RECORD10))).toBe(true);
    // The same inside an archive, gzipped, with the official readme.html beside it.
    const archive = gzip(
      tarOf(
        [
          { name: 'data_batch_3.bin', bytes: b3.subarray(0, 100 * RECORD10) },
          { name: 'test_batch.bin', bytes: test.subarray(0, 10 * RECORD10) },
          { name: 'readme.html', bytes: new TextEncoder().encode('<html></html>') },
        ],
        'cifar-10-batches-bin',
      ),
    );
    const fromArchive2 = await parseCifarArchive(archive, { kind: 'cifar10', source: 'test' });
    expect([fromArchive2.train.count, fromArchive2.test.count, fromArchive2.source]).toEqual([100, 10, 'test']);
  });

  it('the subset matches the normalisation constants (mean within 1.5, std within 1 on the 0-255 scale)', () => {
    const { train } = fromArchive;
    const plane = 1024;
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < train.count; i++)
        for (let p = 0; p < plane; p++) {
          const v = train.images[i * CIFAR_IMAGE_BYTES + c * plane + p]!;
          sum += v;
          squares += v * v;
        }
      const n = train.count * plane;
      const mean = sum / n;
      expect(Math.abs(mean - CIFAR_NORMALIZATION.cifar10.mean[c]!)).toBeLessThan(1.5);
      expect(Math.abs(Math.sqrt(squares / n - mean * mean) - CIFAR_NORMALIZATION.cifar10.std[c]!)).toBeLessThan(1);
    }
  });

  it('toNHWCFloat moves each CHW plane to the channel axis, scaled to [0, 1] or normalised', () => {
    const { test } = fromArchive;
    const indices = [5, 0, 931];
    const x = toNHWCFloat(test, indices);
    expect(x).toHaveLength(3 * CIFAR_IMAGE_BYTES);
    const stats = CIFAR_NORMALIZATION.cifar10;
    const z = toNHWCFloat(test, indices, { normalize: stats });
    let worst = 0;
    indices.forEach((image, i) => {
      for (const [y, xx, c] of [[0, 0, 0], [31, 31, 2], [7, 19, 1], [16, 3, 2]] as const) {
        const chw = test.images[image * CIFAR_IMAGE_BYTES + c * 1024 + y * 32 + xx]!;
        const at = i * CIFAR_IMAGE_BYTES + (y * 32 + xx) * 3 + c;
        expect(x[at]).toBe(Math.fround(chw * (1 / 255)));
        worst = Math.max(worst, Math.abs(z[at]! - (chw - stats.mean[c]!) / stats.std[c]!));
      }
    });
    // float32 rounding of values of order 2.
    expect(worst).toBeLessThan(1e-6);
    expect(toNHWCFloat(test)).toHaveLength(test.count * CIFAR_IMAGE_BYTES);
    const out = new Float32Array(2 * CIFAR_IMAGE_BYTES);
    expect(toNHWCFloat(test, [931, 5], { out })).toBe(out);
    expect(Array.from(out.subarray(CIFAR_IMAGE_BYTES, CIFAR_IMAGE_BYTES + 6))).toEqual(Array.from(x.subarray(0, 6)));
    expect(() => toNHWCFloat(test, [932])).toThrow(RangeError);
    expect(Array.from(labelsAt(test, [5, 0]))).toEqual([test.labels[5], test.labels[0]]);
    expect(() => labelsAt(test, undefined, 'coarse')).toThrow(/coarse/);
  });
});

describe('bad CIFAR-10 input gives a clear CifarDataError', () => {
  it('a file cut short by 100 bytes: which file and how many bytes are left over', async () => {
    const files = subsetFiles();
    const b2 = files.find((f) => f.name === 'data_batch_2.bin')!.bytes;
    const cut = replace(files, 'data_batch_2.bin', b2.subarray(0, b2.length - 100));
    // 932 x 3073 - 100 = 931 x 3073 + 2973
    const phrases = ['data_batch_2.bin', '931 whole 3073-byte records and 2,973 bytes left over', /cut short/];
    await expectError(() => parseCifarFiles(cut), 'truncated', ...phrases);
    await expectError(() => parseCifarArchive(gzip(tarOf(cut, 'cifar-10-batches-bin'))), 'truncated', ...phrases);
  });

  it('a label flipped to 200: which file and which record', async () => {
    const files = subsetFiles();
    const test = files.find((f) => f.name === 'test_batch.bin')!.bytes.slice();
    test[17 * RECORD10] = 200;
    const bad = replace(files, 'test_batch.bin', test);
    const phrases = ['test_batch.bin', 'record 17', 'label 200', '0-9'];
    await expectError(() => parseCifarFiles(bad), 'label-out-of-range', ...phrases);
    await expectError(() => parseCifarArchive(gzip(tarOf(bad, 'cifar-10-batches-bin'))), 'label-out-of-range', ...phrases);
  });

  it('random bytes are neither gzip nor tar', async () => {
    const random = new Uint8Array(100_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
    await expectError(() => parseCifarArchive(random), 'not-an-archive', /neither a \.tar\.gz nor a \.tar/, 'cifar-10-binary.tar.gz');
    await expectError(() => parseCifarArchive(new Uint8Array(0)), 'not-an-archive', /empty/);
    await expectError(() => parseCifarArchive(new TextEncoder().encode('<!doctype html><html>')), 'not-an-archive', /HTML page/);
  });

  it('a gzip of data that is not a tar', async () => {
    await expectError(() => parseCifarArchive(gzip(new TextEncoder().encode('hello '.repeat(1000)))), 'not-an-archive', /gzip-compressed, but .* not a tar archive/);
  });

  it('a damaged or cut-short gzip', async () => {
    await expectError(() => parseCifarArchive(ARCHIVE.subarray(0, ARCHIVE.length / 2)), 'not-an-archive', /not a valid gzip file/, /partly downloaded/);
  });

  it('a tar cut short inside a file', async () => {
    await expectError(() => parseCifarArchive(new Uint8Array(gunzipSync(ARCHIVE)).subarray(0, 5_000_000)), 'not-an-archive', /tar archive is damaged or cut short/);
  });

  it('an empty tar, gzipped or not', async () => {
    await expectError(() => parseCifarArchive(new Uint8Array(10240)), 'wrong-dataset', /tar archive is empty/, 'cifar-10-batches-bin/');
    // What `tar -czf x.tar.gz -T /dev/null` writes: a gzipped block of zeros.
    await expectError(() => parseCifarArchive(gzip(new Uint8Array(10240))), 'wrong-dataset', /tar archive is empty/);
  });

  it('a wrong archive says what it found', async () => {
    const cifar100 = gzip(tarOf([{ name: 'train.bin', bytes: cifar100Records(3) }, { name: 'test.bin', bytes: cifar100Records(2) }], 'cifar-100-binary'));
    await expectError(() => parseCifarArchive(cifar100, { kind: 'cifar10' }), 'wrong-dataset', /This is the CIFAR-100 archive/, 'cifar-100-binary/', 'CIFAR-10 was asked for');
    const python = gzip(tarOf([{ name: 'data_batch_1', bytes: new Uint8Array(10) }], 'cifar-10-batches-py'));
    await expectError(() => parseCifarArchive(python), 'wrong-dataset', /Python \(pickle\) version/, 'cifar-10-batches-py/');
    const other = gzip(tarOf([{ name: 'notes.txt', bytes: new Uint8Array(3) }], 'photos'));
    await expectError(() => parseCifarArchive(other, { kind: 'cifar10' }), 'wrong-dataset', /has no cifar-10-batches-bin\/ folder/, 'photos/notes.txt');
  });

  it('an empty or missing test set, a missing training set', async () => {
    const files = subsetFiles();
    await expectError(() => parseCifarFiles(replace(files, 'test_batch.bin', new Uint8Array(0))), 'empty-test-set', 'test_batch.bin is empty');
    await expectError(() => parseCifarFiles(files.filter((f) => f.name !== 'test_batch.bin')), 'empty-test-set', 'test_batch.bin is missing');
    await expectError(
      () => parseCifarArchive(gzip(tarOf(files.filter((f) => f.name !== 'test_batch.bin'), 'cifar-10-batches-bin'))),
      'empty-test-set',
    );
    await expectError(() => parseCifarFiles(files.filter((f) => f.name === 'test_batch.bin')), 'empty-train-set', 'data_batch_1.bin');
  });

  it('wrong sizes, wrong names, wrong class lists', async () => {
    const files = subsetFiles();
    await expectError(() => parseCifarFiles(replace(files, 'data_batch_4.bin', new Uint8Array(10_001 * RECORD10))), 'wrong-size', 'data_batch_4.bin holds 10,001 records');
    await expectError(() => parseCifarFiles(replace(files, 'data_batch_1.bin', new Uint8Array(0))), 'wrong-size', 'data_batch_1.bin is empty');
    // CIFAR-100 records (3074 bytes) under a CIFAR-10 name.
    await expectError(() => parseCifarFiles(replace(files, 'data_batch_1.bin', cifar100Records(5))), 'truncated', /CIFAR-100 file\?/);
    await expectError(() => parseCifarFiles([...files, { name: 'data_batch_1 (1).bin', bytes: new Uint8Array(RECORD10) }]), 'unknown-file', 'data_batch_1 (1).bin');
    await expectError(() => parseCifarFiles([{ name: 'cat.png', bytes: new Uint8Array(4) }]), 'unknown-file', /None of the files \(cat.png\)/);
    await expectError(() => parseCifarFiles([...files, { name: 'cifar-10-binary.tar.gz', bytes: ARCHIVE }]), 'unknown-file', /not both/);
    await expectError(() => parseCifarFiles([...files, { name: 'train.bin', bytes: cifar100Records(1) }]), 'wrong-dataset', /mix CIFAR-10 and CIFAR-100/);
    await expectError(() => parseCifarFiles(files, { kind: 'cifar100' }), 'wrong-dataset', /These are CIFAR-10 files/, 'CIFAR-100 was asked for');
    const meta = new TextEncoder().encode('cat\ndog\n');
    await expectError(() => parseCifarFiles(replace(files, 'batches.meta.txt', meta)), 'bad-class-names', 'batches.meta.txt lists 2 class names');
  });

  it('a failed parse leaves its input as it was', async () => {
    const files = subsetFiles();
    const test = files.find((f) => f.name === 'test_batch.bin')!.bytes.slice();
    test[0] = 10;
    const before = createHash('md5').update(test).digest('hex');
    await failure(() => parseCifarFiles(replace(files, 'test_batch.bin', test)));
    expect(createHash('md5').update(test).digest('hex')).toBe(before);
  });
});

describe('CIFAR-100 binary layout (synthetic records)', () => {
  it('reads coarse and fine labels, class names from the .txt files or the built-in lists', async () => {
    const fine = new TextEncoder().encode(`${CIFAR100_CLASS_NAMES.join('\n')}\n`);
    const archive = gzip(
      tarOf(
        [
          { name: 'train.bin', bytes: cifar100Records(250) },
          { name: 'test.bin', bytes: cifar100Records(40, 1000) },
          { name: 'fine_label_names.txt', bytes: fine },
          { name: 'coarse_label_names.txt', bytes: new TextEncoder().encode(CIFAR100_COARSE_CLASS_NAMES.join('\n')) },
        ],
        'cifar-100-binary',
      ),
    );
    const ds = await parseCifarArchive(archive);
    expect(ds.kind).toBe('cifar100');
    expect([ds.train.count, ds.test.count]).toEqual([250, 40]);
    expect(ds.classNames).toEqual(CIFAR100_CLASS_NAMES);
    expect(ds.coarseClassNames).toEqual(CIFAR100_COARSE_CLASS_NAMES);
    expect(Array.from(ds.train.labels.subarray(98, 102))).toEqual([98, 99, 0, 1]);
    expect(Array.from(ds.train.coarseLabels!.subarray(18, 22))).toEqual([18, 19, 0, 1]);
    expect(ds.test.labels[0]).toBe(1000 % 100);
    expect(ds.train.images[5 * CIFAR_IMAGE_BYTES + 10]).toBe((5 * 7 + 10) & 255);
    expect(Array.from(labelsAt(ds.train, [21], 'coarse'))).toEqual([1]);

    const files = parseCifarFiles([
      { name: 'train.bin', bytes: cifar100Records(250) },
      { name: 'test.bin', bytes: cifar100Records(40, 1000) },
    ]);
    expect(sameBytes(files.train.images, ds.train.images)).toBe(true);
    expect(files.classNames).toHaveLength(100);
    expect(new Set(files.classNames).size).toBe(100);
    expect(new Set(files.coarseClassNames).size).toBe(20);
  });

  it('a CIFAR-10 archive when CIFAR-100 was asked for, and bad coarse labels', async () => {
    await expectError(() => parseCifarArchive(ARCHIVE, { kind: 'cifar100' }), 'wrong-dataset', /This is the CIFAR-10 archive/, 'cifar-10-batches-bin/');
    const train = cifar100Records(30);
    train[12 * RECORD100] = 20;
    await expectError(
      () => parseCifarFiles([{ name: 'train.bin', bytes: train }, { name: 'test.bin', bytes: cifar100Records(2) }]),
      'label-out-of-range',
      'train.bin: record 12',
      'coarse label 20',
    );
    const test = cifar100Records(3);
    test[2 * RECORD100 + 1] = 100;
    await expectError(() => parseCifarFiles([{ name: 'train.bin', bytes: train.subarray(0, 10 * RECORD100) }, { name: 'test.bin', bytes: test }]), 'label-out-of-range', 'test.bin: record 2', 'label 100', '0-99');
  });
});

describe('md5 check of downloads', () => {
  it('js-md5 fed in chunks (as a download arrives) agrees with Node crypto on the subset archive', () => {
    const hasher = md5.create();
    for (let at = 0; at < ARCHIVE.length; at += 65_536) hasher.update(ARCHIVE.subarray(at, at + 65_536));
    expect(hasher.hex()).toBe(createHash('md5').update(ARCHIVE).digest('hex'));
  });

  it('recognises the official archive, rejects a damaged full-size one, passes others to the parser', async () => {
    expect(checkArchiveMd5('cifar10', 170_052_171, OFFICIAL_ARCHIVES.cifar10.md5)).toBe('official');
    expect(checkArchiveMd5('cifar100', 1, OFFICIAL_ARCHIVES.cifar100.md5.toUpperCase())).toBe('official');
    expect(checkArchiveMd5('cifar10', ARCHIVE.length, 'e50f6dcfb728c19fad27ee17ce586a13')).toBe('other');
    await expectError(() => checkArchiveMd5('cifar10', 170_052_171, '0'.repeat(32)), 'checksum-mismatch', /damaged/, '170,052,171');
    await expectError(() => checkArchiveMd5('cifar10', 5, 'ab'.repeat(16), 'cd'.repeat(16)), 'checksum-mismatch', 'not the expected');
  });
});
