/**
 * `npx tsx scripts/data.ts <archive path or URL> [--kind cifar10|cifar100]`
 *
 * Puts a CIFAR archive where the app's `hosted` source finds it, `public/data/<archive name>`
 * (served at /data/cifar-10-binary.tar.gz; gitignored), after checking it: the md5 tells the
 * official full archive; any other archive (a part of the set, a repack) is parsed with the app's
 * own reader, and a file the app could not read is never written. `runData` does the work and
 * returns what to print, so tests call it in-process; scripts/data.ts is the entry point. Node only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CliError, type CommandOutput, runCommand } from '../cli/common';
import { CIFAR_LAYOUTS, CifarDataError, type CifarKind, OFFICIAL_ARCHIVES, checkArchiveMd5, describeDataset, isGzip, parseCifarArchive } from './cifar';

export const DATA_USAGE = `usage: npx tsx scripts/data.ts <archive path or URL> [--kind cifar10|cifar100]
  Checks a CIFAR binary archive (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz, or a part of one)
  and puts it in public/data/, where the app loads it from ("hosted" source).
  With no argument: the official CIFAR-10 archive, ${OFFICIAL_ARCHIVES.cifar10.url}`;

export interface DataCommandOptions {
  /** The folder the archive is written to: the repository's public/data. */
  publicDataDir: string;
  /** Paths in messages are shown relative to this. */
  cwd?: string;
  /** Download progress, as it happens (stderr in the terminal). */
  progress?: (line: string) => void;
}

export interface DataCommandResult extends CommandOutput {
  /** The file written (or already there), when the command succeeded. */
  written?: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const md5Hex = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

async function download(url: string, progress?: (line: string) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new CifarDataError('download-failed', `Could not download ${url}: ${(e as Error).message}${(e as Error).cause ? ` (${String((e as Error).cause)})` : ''}.`);
  }
  if (!response.ok || !response.body) throw new CifarDataError('download-failed', `Could not download ${url}: the server answered ${response.status} ${response.statusText}.`);
  const total = Number(response.headers.get('content-length') ?? 0) || 0;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let shown = -1;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    chunks.push(chunk);
    loaded += chunk.length;
    const step = total ? Math.floor((loaded / total) * 20) : Math.floor(loaded / 10e6);
    if (step !== shown) {
      shown = step;
      progress?.(total ? `downloaded ${fmt(loaded)} of ${fmt(total)} bytes (${Math.round((loaded / total) * 100)}%)` : `downloaded ${fmt(loaded)} bytes`);
    }
  }
  return Buffer.concat(chunks);
}

export async function runData(argv: readonly string[], options: DataCommandOptions): Promise<DataCommandResult> {
  const cwd = options.cwd ?? process.cwd();
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel && !rel.startsWith('..') ? rel : path;
  };
  let written: string | undefined;
  // Every failure but a usage error is the archive's or the download's: say that nothing was written.
  const report = (e: unknown) => `${e instanceof Error ? e.message : String(e)}\nNothing was written.`;
  const result = await runCommand({ usage: DATA_USAGE, prefix: 'data', report }, async ({ out }) => {
    const say = (line: string) => out.push(`${line}\n`);
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { kind: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      say(DATA_USAGE);
      return 0;
    }
    if (positionals.length > 1) throw new CliError(`give one archive, not ${positionals.length}`);
    if (values.kind !== undefined && values.kind !== 'cifar10' && values.kind !== 'cifar100')
      throw new CliError(`--kind must be cifar10 or cifar100 (got "${values.kind}")`);
    let kind = values.kind as CifarKind | undefined;
    const target = positionals[0] ?? OFFICIAL_ARCHIVES[kind ?? 'cifar10'].url;

    let bytes: Uint8Array;
    let from: string;
    if (/^https?:\/\//i.test(target)) {
      options.progress?.(`downloading ${target}`);
      bytes = await download(target, options.progress);
      from = `Downloaded ${target}`;
    } else {
      const path = resolve(cwd, target);
      if (!existsSync(path)) throw new CliError(`${target}: no such file`);
      bytes = readFileSync(path);
      from = `Read ${show(path)}`;
    }
    const md5 = md5Hex(bytes);
    say(`${from}: ${fmt(bytes.length)} bytes, md5 ${md5}.`);

    // The official archive is recognised by its md5 alone; every archive is then parsed, so what is
    // hosted is exactly what the app can read, and the counts are reported.
    kind ??= (Object.keys(OFFICIAL_ARCHIVES) as CifarKind[]).find((k) => OFFICIAL_ARCHIVES[k].md5 === md5);
    const dataset = await parseCifarArchive(bytes, kind ? { kind } : {});
    kind = dataset.kind;
    const verdict = checkArchiveMd5(kind, bytes.length, md5);
    say(
      verdict === 'official'
        ? `Verified: the official ${CIFAR_LAYOUTS[kind].archiveName} (md5 ${md5}). ${describeDataset(dataset)}.`
        : `Not the official full archive (its md5 is ${OFFICIAL_ARCHIVES[kind].md5}); parsed and checked instead: ${describeDataset(dataset)}.`,
    );

    let archive = bytes;
    if (!isGzip(bytes)) {
      archive = gzipSync(bytes);
      say(`It was a plain tar; gzipped it to ${fmt(archive.length)} bytes.`);
    }
    const dest = join(options.publicDataDir, CIFAR_LAYOUTS[kind].archiveName);
    if (existsSync(dest) && md5Hex(readFileSync(dest)) === md5Hex(archive)) {
      say(`${show(dest)} already holds this archive; left it as it is.`);
    } else {
      mkdirSync(options.publicDataDir, { recursive: true });
      // Written beside and renamed, so the app never sees half a file.
      const partial = `${dest}.partial`;
      writeFileSync(partial, archive);
      renameSync(partial, dest);
      say(`Wrote ${show(dest)} (${fmt(archive.length)} bytes).`);
    }
    say(`The app loads it from /data/${CIFAR_LAYOUTS[kind].archiveName} (the "hosted" source; public/data/ is gitignored).`);
    written = dest;
    return 0;
  });
  return written === undefined ? result : { ...result, written };
}
