/**
 * The data layer's one error type, with a code per kind of bad input. Its own module so that the
 * archive reader (archive.ts) and the reader of the files (cifar.ts, which re-exports it) share it.
 */

export type CifarDataErrorCode =
  /** A file's size is not a whole number of records. */
  | 'truncated'
  /** A file is empty or holds more records than the official one. */
  | 'wrong-size'
  | 'label-out-of-range'
  /** Neither a gzip nor a tar file, or a damaged one. */
  | 'not-an-archive'
  /**
   * An archive that expands to more than any CIFAR archive can (a decompression bomb, or not
   * CIFAR), or files larger than a whole dataset: refused before they are held in memory.
   */
  | 'too-large'
  /** An archive or file set of another dataset, or another version (Python, MATLAB) of it. */
  | 'wrong-dataset'
  | 'unknown-file'
  | 'empty-train-set'
  | 'empty-test-set'
  | 'bad-class-names'
  // Raised by sources.ts and parseClient.ts (the browser side):
  | 'not-hosted'
  | 'download-failed'
  | 'checksum-mismatch'
  | 'storage-quota'
  | 'storage-failed'
  /** The worker reading the data stopped (it ran out of memory, or its script did not load). */
  | 'worker-failed';

/** A bad input, in words a person can act on. `code` is for the UI and tests. */
export class CifarDataError extends Error {
  readonly code: CifarDataErrorCode;
  constructor(code: CifarDataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CifarDataError';
    this.code = code;
  }
}
