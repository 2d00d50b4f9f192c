/**
 * Bounded archives: the cap derived from the format, gzip and tar bombs refused with `too-large`
 * as soon as the output passes it (built here by streaming zlib, so they never exist expanded),
 * the memory that costs, the streaming tar reader against nanotar, and the worker's request
 * handling (parse.ts) run in place. The real subset is ../shared/data/cifar10-subset.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { parseTar } from 'nanotar';
import { describe, expect, it } from 'vitest';
import { CIFAR_IMAGE_BYTES, CifarDataError, MAX_ARCHIVE_BYTES, officialRecordBytes, parseCifarArchive } from './cifar';
import { runParse } from './parse';
import { TarFormatError, TarReader, normalizeTarPath } from './tar';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SUBSET = resolve(repoRoot, '..', 'shared', 'data', 'cifar10-subset');
const ARCHIVE = new Uint8Array(readFileSync(resolve(SUBSET, 'cifar-10-binary.tar.gz')));
const TAR = new Uint8Array(gunzipSync(ARCHIVE));
const MiB = 1 << 20;
const FOLDER = 'cifar-10-batches-bin';

/** A ustar header block for a file of `size` bytes (the size need not be followed by data). */
function tarHeader(name: string, size: number, { type = '0', prefix = '' } = {}): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number) => block.set(new TextEncoder().encode(text), at);
  put(name, 0);
  put('0000644\0', 100);
  put('0001750\0', 108);
  put('0001750\0', 116);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124);
  put('00000000000\0', 136);
  put(type, 156);
  put('ustar\0', 257);
  put('00', 263);
  put(prefix, 345);
  block.fill(0x20, 148, 156);
  put(`${block.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** An entry: its header, its data, zero padding to a whole block. */
function tarEntry(name: string, data: Uint8Array, options: { type?: string; prefix?: string } = {}): Uint8Array[] {
  return [tarHeader(name, data.length, options), data, new Uint8Array((512 - (data.length % 512)) % 512)];
}

/**
 * gzip of `parts`, streamed through zlib: a number stands for that many zero bytes, written 1 MiB
 * at a time, so a 2 GiB bomb never exists expanded. Z_RLE: zeros compress ~1000:1, fast.
 */
async function gzipStream(parts: readonly (Uint8Array | number)[]): Promise<Uint8Array> {
  const gz = createGzip({ level: 9, strategy: constants.Z_RLE });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise((done) => gz.on('end', done));
  const write = async (chunk: Uint8Array) => {
    if (!gz.write(chunk)) await new Promise((done) => gz.once('drain', done));
  };
  const zeros = new Uint8Array(MiB);
  for (const part of parts) {
    if (typeof part !== 'number') await write(part);
    else for (let left = part; left > 0; left -= MiB) await write(left >= MiB ? zeros : zeros.subarray(0, left));
  }
  gz.end();
  await ended;
  return new Uint8Array(Buffer.concat(out));
}

/** The growth of ArrayBuffer memory and RSS over the process's before `work`, sampled every 2 ms. */
async function peakMemory(work: () => Promise<unknown>): Promise<{ outcome: unknown; arrayBuffers: number; rss: number; ms: number }> {
  const base = process.memoryUsage();
  let arrayBuffers = 0;
  let rss = 0;
  const sample = () => {
    const now = process.memoryUsage();
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers - base.arrayBuffers);
    rss = Math.max(rss, now.rss - base.rss);
  };
  const timer = setInterval(sample, 2);
  const t0 = performance.now();
  let outcome: unknown;
  try {
    outcome = await work();
  } catch (e) {
    outcome = e;
  } finally {
    clearInterval(timer);
    sample();
  }
  return { outcome, arrayBuffers, rss, ms: performance.now() - t0 };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 10e6 ? 2 : 0)} MB`;

function tooLarge(outcome: unknown): CifarDataError {
  expect(outcome).toBeInstanceOf(CifarDataError);
  const error = outcome as CifarDataError;
  expect(error.code, error.message).toBe('too-large');
  return error;
}

describe('the cap on archives, from the format', () => {
  it('is the larger official dataset (records x record bytes x files) plus 1 MiB for headers and the meta files', () => {
    expect(officialRecordBytes('cifar10')).toBe((5 * 10_000 + 10_000) * 3073);
    expect(officialRecordBytes('cifar100')).toBe((50_000 + 10_000) * 3074);
    expect(MAX_ARCHIVE_BYTES).toBe(184_440_000 + MiB);
    // The subset, and a full-size archive's tar overhead, are well inside it.
    expect(TAR.length).toBeLessThan(MAX_ARCHIVE_BYTES);
  });

  it('a gzip bomb (256 MiB of zeros in 0.3 MB) stops at the cap with "expands to more than", holding almost nothing', async () => {
    const bomb = await gzipStream([256 * MiB]);
    expect(bomb.length).toBeLessThan(400_000);
    const { outcome, arrayBuffers, rss, ms } = await peakMemory(() => parseCifarArchive(bomb));
    const error = tooLarge(outcome);
    expect(error.message).toMatch(/^The archive expands to more than 185\.5 MB, more than any CIFAR archive \(the official ones expand to 184\.4 MB\)/);
    expect(error.message).toContain('decompression bomb');
    console.log(`gzip bomb ${mb(bomb.length)} -> refused in ${ms.toFixed(0)} ms; peak growth: ${mb(arrayBuffers)} of ArrayBuffers, ${mb(rss)} RSS`);
    // Decompressed output is counted and dropped (the tar ended at its first, zero, block).
    expect(arrayBuffers).toBeLessThan(officialRecordBytes('cifar10') / 2);
  });

  it('a tar bomb: a header claiming 900 MB is refused before anything is allocated for it', async () => {
    const bomb = await gzipStream([tarHeader(`${FOLDER}/data_batch_1.bin`, 900_000_000), 4 * MiB]);
    const { outcome, arrayBuffers } = await peakMemory(() => parseCifarArchive(bomb));
    expect(tooLarge(outcome).message).toMatch(/expands to more than 185\.5 MB \(its cifar-10-batches-bin\/data_batch_1\.bin, of 900\.0 MB, would end at 900\.0 MB\)/);
    expect(arrayBuffers).toBeLessThan(50e6);
  });

  it('a tar bomb of honest files (7 full-size batches of zeros, 215 MB) stops at the cap; memory stays under the cap', async () => {
    const batch = 10_000 * (1 + CIFAR_IMAGE_BYTES);
    const parts = [1, 2, 3, 4, 5, 6, 7].flatMap((n) => [tarHeader(`${FOLDER}/data_batch_${n}.bin`, batch), batch, (512 - (batch % 512)) % 512]);
    const bomb = await gzipStream(parts);
    const { outcome, arrayBuffers, ms } = await peakMemory(() => parseCifarArchive(bomb));
    expect(tooLarge(outcome).message).toMatch(/its cifar-10-batches-bin\/data_batch_7\.bin, of 30\.7 MB, would end at 215\.1 MB/);
    console.log(`tar bomb ${mb(bomb.length)} (7 x 30.7 MB files) -> refused in ${ms.toFixed(0)} ms; peak ArrayBuffer growth ${mb(arrayBuffers)}`);
    // Six kept files (184 MB) at most, plus chunks in flight: bounded by the cap, not the bomb.
    expect(arrayBuffers).toBeLessThan(MAX_ARCHIVE_BYTES * 1.5);
  });

  it('a smaller cap can be given: the real subset is then refused, as .tar.gz and as .tar', async () => {
    const gz = await parseCifarArchive(ARCHIVE, { maxArchiveBytes: 10e6 }).catch((e: unknown) => e);
    expect(tooLarge(gz).message).toMatch(/^The archive expands to more than 10\.0 MB \(its cifar-10-batches-bin\/data_batch_4\.bin, of 2\.9 MB, would end at 11\.5 MB\)/);
    const tar = await parseCifarArchive(TAR, { maxArchiveBytes: 10e6 }).catch((e: unknown) => e);
    expect(tooLarge(tar).message).toMatch(/^The tar archive is 17\.\d MB, more than any CIFAR archive expands to \(at most 10\.0 MB;/);
    // Just above the subset's size it loads.
    expect((await parseCifarArchive(ARCHIVE, { maxArchiveBytes: TAR.length })).train.count).toBe(5 * 932);
  });

  it('stops when its signal is aborted during decompression', async () => {
    const bomb = await gzipStream([256 * MiB]);
    const controller = new AbortController();
    const outcome = await parseCifarArchive(bomb, { signal: controller.signal, onProgress: (done) => done > 0 && controller.abort() }).catch((e: unknown) => e);
    expect((outcome as Error).name).toBe('AbortError');
  });
});

describe('archives as a stream', () => {
  it('a Blob and a list of chunks give the same dataset as the bytes; the chunks are taken as they are read', async () => {
    const fromBytes = await parseCifarArchive(ARCHIVE);
    const fromBlob = await parseCifarArchive(new Blob([ARCHIVE]));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < ARCHIVE.length; at += 100_000) chunks.push(ARCHIVE.slice(at, at + 100_000));
    const fromChunks = await parseCifarArchive(chunks);
    expect(chunks).toHaveLength(0);
    for (const other of [fromBlob, fromChunks]) {
      expect(other.train.count).toBe(fromBytes.train.count);
      expect(Buffer.compare(other.train.images, fromBytes.train.images)).toBe(0);
      expect(Buffer.compare(other.test.labels, fromBytes.test.labels)).toBe(0);
    }
    const plain = await parseCifarArchive(new Blob([TAR]), { onProgress: (_d, _t, phase) => expect(phase === 'read' || phase === 'parse').toBe(true) });
    expect(Buffer.compare(plain.test.images, fromBytes.test.images)).toBe(0);
  });

  it('the streaming tar reader agrees with nanotar on the subset, fed in chunks of any size', () => {
    const expected = parseTar(TAR.slice().buffer).filter((item) => item.type === 'file');
    let seed = 7;
    const reader = new TarReader({ keep: () => true });
    for (let at = 0; at < TAR.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 70_000);
      reader.push(TAR.subarray(at, at + n));
      at += n;
    }
    reader.finish();
    expect(reader.ended).toBe(true);
    expect(reader.entries.map((e) => [e.path, e.size])).toEqual(expected.map((item) => [item.name, item.size]));
    reader.entries.forEach((entry, i) => expect(Buffer.compare(Buffer.concat(entry.chunks!), expected[i]!.data!)).toBe(0));
  });

  it('reads ustar prefixes, GNU long names and pax paths byte by byte; keeps only what it is asked to', () => {
    const long = `${'x'.repeat(120)}/${FOLDER}/data_batch_1.bin`;
    const record = ` path=${FOLDER}/test_batch.bin\n`;
    const pax = new TextEncoder().encode(`${record.length + 2}${record}`);
    const archive = new Uint8Array(
      Buffer.concat([
        ...tarEntry('batches.meta.txt', new TextEncoder().encode('a\nb\n'), { prefix: `deep/${FOLDER}` }),
        ...tarEntry('././@LongLink', new TextEncoder().encode(`${long}\0`), { type: 'L' }),
        ...tarEntry('ignored-short-name', new Uint8Array([1, 2, 3])),
        ...tarEntry('PaxHeaders/x', pax, { type: 'x' }),
        ...tarEntry('short', new Uint8Array(600).fill(9)),
        ...tarEntry(`${FOLDER}/`, new Uint8Array(0), { type: '5' }),
        ...tarEntry('./a/../readme.html', new Uint8Array(5)),
        new Uint8Array(1024),
      ]),
    );
    const reader = new TarReader({ keep: (path) => !path.endsWith('.html') });
    for (const byte of archive) reader.push(new Uint8Array([byte]));
    reader.finish();
    const kept = (chunks?: Uint8Array[]) => chunks && Buffer.concat(chunks).length;
    expect(reader.entries.map((e) => [e.path, e.size, kept(e.chunks)])).toEqual([
      [`deep/${FOLDER}/batches.meta.txt`, 4, 4],
      [long, 3, 3],
      [`${FOLDER}/test_batch.bin`, 600, 600],
      ['readme.html', 5, undefined],
    ]);
    expect(normalizeTarPath('C:\\x\\.\\y/../z')).toBe('x/z');
  });

  it('a damaged header or a cut-short entry is a TarFormatError that says where', () => {
    const good = Buffer.concat(tarEntry('a.bin', new Uint8Array(1000)));
    const cut = new TarReader({ keep: () => true });
    cut.push(good.subarray(0, 900));
    expect(() => cut.finish()).toThrow(/it ends inside a\.bin, after 388 of 1,000 bytes/);
    const bad = new Uint8Array(Buffer.concat([good, good]));
    bad[1536 + 10]! ^= 1;
    expect(() => new TarReader({ keep: () => true }).push(bad)).toThrow(TarFormatError);
    expect(() => new TarReader({ keep: () => true }).push(bad)).toThrow(/the block at byte 1,536 is not a valid tar header/);
  });

  it('a damaged second header inside a gzip is "damaged", whatever chunk it arrives in', async () => {
    const tar = TAR.slice(0, 20_000);
    tar[1024 + 10]! ^= 1;
    const outcome = await parseCifarArchive(await gzipStream([tar])).catch((e: unknown) => e as CifarDataError);
    expect(outcome).toMatchObject({ code: 'not-an-archive', message: expect.stringMatching(/^The tar archive is damaged or cut short \(the block at byte 1,024 is not a valid tar header/) });
  });

  it('mutated archives (headers re-checksummed, so the reader goes deep) give a dataset or a coded error, never another exception', async () => {
    const files = [
      { name: `${FOLDER}/data_batch_1.bin`, data: new Uint8Array(3 * 3073) },
      { name: `${FOLDER}/test_batch.bin`, data: new Uint8Array(2 * 3073) },
    ];
    const base = new Uint8Array(Buffer.concat(files.flatMap((f) => tarEntry(f.name, f.data)).concat([new Uint8Array(1024)])));
    const headers = [0, 512 + 9728];
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const tar = base.slice();
      for (let k = 0; k < 1 + random() * 6; k++) tar[random() < 0.6 ? 100 + Math.floor(random() * 60) : Math.floor(random() * tar.length)] = Math.floor(random() * 256);
      for (const h of headers) {
        tar.fill(0x20, h + 148, h + 156);
        const sum = tar.subarray(h, h + 512).reduce((a, b) => a + b, 0);
        tar.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), h + 148);
      }
      const input = random() < 0.5 ? new Uint8Array(gzipSync(tar)) : tar.subarray(0, 1 + Math.floor(random() * tar.length));
      const outcome = await parseCifarArchive(input).then(
        () => 'dataset',
        (e: unknown) => (e instanceof CifarDataError ? e.code : `${(e as Error).name}: ${(e as Error).message}`),
      );
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect([...outcomes.keys()].filter((k) => !/^(dataset|not-an-archive|too-large|truncated|wrong-size|wrong-dataset|empty-(train|test)-set|label-out-of-range)$/.test(k))).toEqual([]);
    expect(outcomes.get('dataset')).toBeGreaterThan(0);
  });

  it('a tar cut inside a file fails the same gzipped (after the whole gzip is checked)', async () => {
    const cut = TAR.subarray(0, 5_000_000);
    const failure = (work: Promise<unknown>) => work.then(() => new CifarDataError('truncated', 'accepted'), (e: unknown) => e as CifarDataError);
    const plain = await failure(parseCifarArchive(cut));
    const zipped = await failure(parseCifarArchive(await gzipStream([cut])));
    expect(plain.code).toBe('not-an-archive');
    expect(plain.message).toMatch(/^The tar archive is damaged or cut short \(it ends inside cifar-10-batches-bin\/data_batch_\d\.bin, after [\d,]+ of 2,864,036 bytes\)\.$/);
    expect(zipped.message).toBe(plain.message);
  });
});

describe('the data worker request (parse.ts), run in place', () => {
  const binFiles = () =>
    ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'].map(
      (name) => new File([readFileSync(resolve(SUBSET, FOLDER, name))], name),
    );

  it('parses an archive File and .bin Files, with progress', async () => {
    const phases: string[] = [];
    const fromFile = await runParse({ kind: 'cifar10', source: 'file: x', archive: new File([ARCHIVE], 'cifar-10-binary.tar.gz') }, (_d, _t, phase) => phases.push(phase));
    expect([fromFile.train.count, fromFile.test.count, fromFile.source]).toEqual([5 * 932, 932, 'file: x']);
    expect(new Set(phases)).toEqual(new Set(['decompress', 'parse']));
    const fromBins = await runParse({ kind: 'cifar10', source: 'files', files: binFiles() });
    expect(Buffer.compare(fromBins.train.images, fromFile.train.images)).toBe(0);
  });

  it('refuses .bin files larger than a whole dataset before reading them', async () => {
    const outcome = await runParse({ kind: 'cifar10', source: 'files', files: binFiles(), maxArchiveBytes: 10e6 }).catch((e: unknown) => e);
    expect(tooLarge(outcome).message).toMatch(/^The files are 17\.2 MB in all, more than a whole CIFAR dataset \(at most 10\.0 MB\)/);
  });
});
