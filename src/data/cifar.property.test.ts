/**
 * Property test of the CIFAR file reader (fast-check, 1,000 generated file sets): any bytes under
 * any names give a dataset or a coded `CifarDataError`, never another exception. The inputs are
 * kept small (at most 3 records a file) so the run takes about a second.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CIFAR_IMAGE_BYTES, CifarDataError, type CifarDataErrorCode, type CifarKind, type NamedBytes, parseCifarFiles } from './cifar';

/** 1,000 in CI; PROPERTY_RUNS=20000 for a longer search. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const TIMEOUT_MS = Math.max(10_000, RUNS * 5);

/** The codes a file reader may give (the rest are the download and storage side's). */
const READER_CODES: readonly CifarDataErrorCode[] = [
  'truncated',
  'wrong-size',
  'label-out-of-range',
  'not-an-archive',
  'wrong-dataset',
  'unknown-file',
  'empty-train-set',
  'empty-test-set',
  'bad-class-names',
];

const FILES: Record<CifarKind, { bins: string[]; texts: Record<string, number> }> = {
  cifar10: {
    bins: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'],
    texts: { 'batches.meta.txt': 10 },
  },
  cifar100: { bins: ['train.bin', 'test.bin'], texts: { 'fine_label_names.txt': 100, 'coarse_label_names.txt': 20 } },
};

/** A label byte: mostly in range for the kind, sometimes any byte. */
const label = (classes: number) => fc.oneof({ arbitrary: fc.integer({ min: 0, max: classes - 1 }), weight: 12 }, { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 1 });

/** 0-3 records of the kind's layout (pixels one repeated byte), sometimes a few bytes cut or added. */
function records(kind: CifarKind): fc.Arbitrary<Uint8Array> {
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const record = fc.tuple(label(20), label(kind === 'cifar10' ? 10 : 100), fc.integer({ min: 0, max: 255 }));
  return fc
    .tuple(fc.oneof({ arbitrary: fc.array(record, { minLength: 1, maxLength: 3 }), weight: 8 }, fc.constant([])), fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, fc.integer({ min: -3, max: 3 })))
    .map(([recs, change]) => {
      const size = labelBytes + CIFAR_IMAGE_BYTES;
      const bytes = new Uint8Array(Math.max(0, recs.length * size + change));
      recs.forEach(([coarse, fine, pixel], i) => {
        const at = i * size;
        if (labelBytes === 2) bytes[at] = coarse;
        bytes[at + labelBytes - 1] = fine;
        bytes.fill(pixel, at + labelBytes, Math.min(bytes.length, at + size));
      });
      return bytes;
    });
}

/** A class-names file: the right number of lines or not, names or junk. */
const classNames = (expected: number) =>
  fc
    .tuple(fc.oneof({ arbitrary: fc.constant(expected), weight: 4 }, fc.integer({ min: 0, max: expected + 2 })), fc.boolean(), fc.string({ maxLength: 8 }))
    .map(([n, crlf, extra]) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => `class_${i}${i === 0 ? extra : ''}`).join(crlf ? '\r\n' : '\n')));

/** Some of one kind's files (mostly a training and a test file), each well-formed or nearly so. */
const plausibleSet = fc.constantFrom<CifarKind>('cifar10', 'cifar100').chain((kind) => {
  const { bins, texts } = FILES[kind];
  const test = bins.at(-1)!;
  const train = bins.slice(0, -1);
  const often = fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, fc.constant(false));
  return fc
    .tuple(fc.subarray(train, { minLength: 1 }), often, fc.subarray(Object.keys(texts)), fc.boolean())
    .map(([trainNames, withTest, textNames, noTrain]) => [...(noTrain && !withTest ? [] : trainNames), ...(withTest ? [test] : []), ...textNames])
    .filter((names) => names.length > 0)
    .chain((names) =>
      fc.tuple(...names.map((name) => (name in texts ? classNames(texts[name]!) : records(kind)).map((bytes): NamedBytes => ({ name, bytes })))),
    );
});

const anyName = fc.oneof(
  fc.constantFrom(...FILES.cifar10.bins, ...FILES.cifar100.bins, 'batches.meta.txt', 'fine_label_names.txt', 'readme.html', 'data_batch_7.bin', 'x.bin', 'c.tar.gz', 'cifar-10-batches-bin/test_batch.bin', 'a\\b\\train.bin'),
  fc.string({ maxLength: 16 }),
);
const anyFile = fc.record({ name: anyName, bytes: fc.oneof(fc.uint8Array({ maxLength: 64 }), records('cifar10'), records('cifar100')) });

/** Well-formed sets, sets with stray or repeated files, and arbitrary files. */
const fileSet = fc.oneof(
  { arbitrary: plausibleSet, weight: 3 },
  { arbitrary: fc.tuple(plausibleSet, fc.array(anyFile, { minLength: 1, maxLength: 2 })).map(([set, extra]) => [...set, ...extra]), weight: 1 },
  { arbitrary: plausibleSet.map((set) => [...set, set[0]!]), weight: 1 },
  { arbitrary: fc.array(anyFile, { maxLength: 6 }), weight: 2 },
);

describe('CIFAR file reader properties', () => {
  it(`any files give a dataset or a coded CifarDataError (${RUNS} file sets)`, () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fileSet, fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, fc.constantFrom<CifarKind>('cifar10', 'cifar100')), (files, kind) => {
        let outcome: string;
        try {
          const d = parseCifarFiles(files, kind ? { kind } : {});
          outcome = 'dataset';
          expect(d.train.count).toBeGreaterThan(0);
          expect(d.test.count).toBeGreaterThan(0);
          for (const split of [d.train, d.test]) {
            expect(split.images.length).toBe(split.count * CIFAR_IMAGE_BYTES);
            expect(split.labels.every((l) => l < d.classNames.length)).toBe(true);
          }
          expect(d.classNames).toHaveLength(d.kind === 'cifar10' ? 10 : 100);
        } catch (e) {
          if (!(e instanceof CifarDataError)) throw e;
          outcome = e.code;
          expect(READER_CODES).toContain(e.code);
          expect(e.message).not.toMatch(/NaN|undefined|\[object/);
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    console.info(`CIFAR reader outcomes: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    // The generators reach whole datasets, not only errors.
    expect(outcomes.get('dataset') ?? 0).toBeGreaterThan(RUNS / 20);
  }, TIMEOUT_MS);
});
