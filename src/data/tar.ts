/**
 * A streaming tar reader (POSIX ustar, with GNU and pax long names), fed an archive chunk by chunk
 * as it is decompressed. It keeps the bytes of the entries its caller asks for and only the path
 * of the others, and hands each entry's declared size to the caller before anything is allocated
 * for it. The kept files are views of the chunks pushed, not copies: each byte is held once. Pure
 * TypeScript, like cifar.ts.
 *
 * Why not nanotar's parseTar: it reads a tar from one buffer, so the whole decompressed archive
 * (~185 MB for CIFAR) would sit in memory beside the files taken from it, and it trusts each
 * header's size. Here the archive is never held: a CIFAR load keeps only the .bin and .txt files,
 * and a header that claims more than a CIFAR archive can hold is refused before its data arrives.
 *
 * The format: 512-byte blocks; each entry is a header block (name, octal size, type, checksum)
 * followed by its data padded to whole blocks; a zero block ends the archive.
 */

export const TAR_BLOCK = 512;

/** A regular file of the archive (directories, links and metadata entries are not listed). */
export interface TarEntry {
  /** The path in the archive, normalised: "/" separators, no leading "./" or "/", no ".." parts. */
  path: string;
  size: number;
  /**
   * The file's bytes, for the entries `keep` chose (absent for the others): views of the chunks
   * that were pushed, in order, `size` bytes in all.
   */
  chunks?: Uint8Array[];
}

/** A damaged or cut-short archive; the message says where, e.g. "it ends inside a/b.bin, after 10 of 20 bytes". */
export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarFormatError';
  }
}

export interface TarReaderOptions {
  /** Whether to keep the bytes of the entry at `path`. */
  keep(path: string): boolean;
  /**
   * Called with each regular file's path and size before its data, and `end`, the archive offset
   * at which its data ends: throw to refuse it (nothing is allocated for it before).
   */
  onEntry?(path: string, size: number, end: number): void;
}

/** Bytes of a GNU long name or pax header this reader accepts (real ones are a few hundred). */
const MAX_META_BYTES = 1 << 20;

const fmt = (n: number) => n.toLocaleString('en-US');

/** The checksum of a header block: the sum of its bytes with the checksum field (148-155) counted as spaces. */
export function tarChecksumMatches(block: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const field = String.fromCharCode(...block.subarray(148, 156)).replace(/[\0 ]+/g, ' ').trim();
  return /^[0-7]+$/.test(field) && parseInt(field, 8) === sum;
}

function readString(block: Uint8Array, at: number, length: number): string {
  const field = block.subarray(at, at + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end));
}

/** An octal size field, or GNU's base-256 form (high bit set) for sizes over 8 GB. NaN when neither. */
function readSize(block: Uint8Array): number {
  const field = block.subarray(124, 136);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = String.fromCharCode(...field).replace(/[\0 ]+/g, ' ').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

/** "a\\b/./c/../d" -> "a/b/d"; a trailing "/" (a directory) is kept. */
export function normalizeTarPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').replace(/^[a-zA-Z]:\//, '').split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/') + (path.endsWith('/') && parts.length > 0 ? '/' : '');
}

/** pax records: "<length> <key>=<value>\n" each. */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/s.exec(line);
    if (match) records.set(match[1]!, match[2]!);
  }
  return records;
}

type Meta = { type: 'long-name' | 'pax'; bytes: Uint8Array };

export class TarReader {
  /** The regular files read so far, in archive order. */
  readonly entries: TarEntry[] = [];
  private state: 'header' | 'data' | 'padding' | 'end' = 'header';
  private readonly header = new Uint8Array(TAR_BLOCK);
  private headerFilled = 0;
  /** Bytes of the archive consumed. */
  private offset = 0;
  /** The entry whose data is being read: a kept file's views go to `chunks`, a metadata entry's bytes to `meta`. */
  private current: { path: string; size: number; remaining: number; chunks?: Uint8Array[]; meta?: Meta } | undefined;
  private padding = 0;
  /** From a GNU long-name or pax header, for the next entry. */
  private next: { path?: string; size?: number } = {};

  constructor(private readonly options: TarReaderOptions) {}

  /** True once the end-of-archive block has been read; later bytes are ignored. */
  get ended(): boolean {
    return this.state === 'end';
  }

  /**
   * Reads `chunk`; throws a TarFormatError for a damaged header, or what `onEntry` throws. Kept
   * files hold views of `chunk`: the caller must not change it afterwards.
   */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      const left = chunk.length - at;
      switch (this.state) {
        case 'end':
          this.offset += left;
          return;
        case 'header': {
          const n = Math.min(TAR_BLOCK - this.headerFilled, left);
          this.header.set(chunk.subarray(at, at + n), this.headerFilled);
          this.headerFilled += n;
          at += n;
          this.offset += n;
          if (this.headerFilled === TAR_BLOCK) {
            this.headerFilled = 0;
            this.readHeader();
          }
          break;
        }
        case 'data': {
          const entry = this.current!;
          const n = Math.min(entry.remaining, left);
          if (entry.meta) entry.meta.bytes.set(chunk.subarray(at, at + n), entry.size - entry.remaining);
          else entry.chunks?.push(chunk.subarray(at, at + n));
          entry.remaining -= n;
          at += n;
          this.offset += n;
          if (entry.remaining === 0) this.endData();
          break;
        }
        case 'padding': {
          const n = Math.min(this.padding, left);
          this.padding -= n;
          at += n;
          this.offset += n;
          if (this.padding === 0) this.state = 'header';
          break;
        }
      }
    }
  }

  /** At the end of the input: throws a TarFormatError when it stopped inside an entry or a header. */
  finish(): void {
    if (this.state === 'data') {
      const { path, size, remaining, meta } = this.current!;
      throw new TarFormatError(`it ends inside ${meta ? 'a long-name header' : path}, after ${fmt(size - remaining)} of ${fmt(size)} bytes`);
    }
    if (this.state === 'header' && this.headerFilled > 0 && this.header.subarray(0, this.headerFilled).some((b) => b !== 0))
      throw new TarFormatError(`it ends inside a header, ${fmt(this.headerFilled)} bytes into it`);
  }

  private readHeader(): void {
    const block = this.header;
    const at = this.offset - TAR_BLOCK;
    if (block.every((b) => b === 0)) {
      this.state = 'end';
      return;
    }
    if (!tarChecksumMatches(block)) throw new TarFormatError(`the block at byte ${fmt(at)} is not a valid tar header (its checksum does not match)`);
    const name = readString(block, 0, 100);
    // An empty name ends the archive, as in nanotar and GNU tar's lenient reading.
    if (name === '' && this.next.path === undefined) {
      this.state = 'end';
      return;
    }
    const type = String.fromCharCode(block[156]!);
    const prefix = readString(block, 257, 6) === 'ustar' ? readString(block, 345, 155) : '';
    const path = this.next.path ?? (prefix ? `${prefix}/${name}` : name);
    let size = readSize(block);
    if (!Number.isFinite(size)) throw new TarFormatError(`the header of ${path} (at byte ${fmt(at)}) has no valid size`);
    const isMeta = type === 'L' || type === 'x';
    if (!isMeta && this.next.size !== undefined) size = this.next.size;
    if (isMeta || type === 'g') {
      if (size > MAX_META_BYTES) throw new TarFormatError(`the extended header at byte ${fmt(at)} claims ${fmt(size)} bytes`);
      this.startData(path, size, isMeta ? { type: type === 'L' ? 'long-name' : 'pax', bytes: new Uint8Array(size) } : undefined);
      return;
    }
    this.next = {};
    const normalized = normalizeTarPath(path);
    const isFile = (type === '0' || type === '\0' || type === '7') && normalized !== '' && !normalized.endsWith('/');
    let chunks: Uint8Array[] | undefined;
    if (isFile) {
      this.options.onEntry?.(normalized, size, this.offset + size);
      const entry: TarEntry = { path: normalized, size };
      if (this.options.keep(normalized)) entry.chunks = chunks = [];
      this.entries.push(entry);
    }
    // Directories, links and devices: their data (normally none) is skipped.
    this.startData(normalized, size, undefined, chunks);
  }

  private startData(path: string, size: number, meta?: Meta, chunks?: Uint8Array[]): void {
    this.current = { path, size, remaining: size, ...(meta ? { meta } : {}), ...(chunks ? { chunks } : {}) };
    if (size === 0) this.endData();
    else this.state = 'data';
  }

  private endData(): void {
    const { size, meta } = this.current!;
    this.current = undefined;
    if (meta?.type === 'long-name') this.next = { path: readString(meta.bytes, 0, meta.bytes.length) };
    else if (meta?.type === 'pax') {
      const records = paxRecords(meta.bytes);
      const path = records.get('path');
      const paxSize = records.get('size');
      this.next = {
        ...(path !== undefined ? { path } : {}),
        ...(paxSize !== undefined && /^\d+$/.test(paxSize) ? { size: Number(paxSize) } : {}),
      };
    }
    this.padding = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    this.state = this.padding > 0 ? 'padding' : 'header';
  }
}
