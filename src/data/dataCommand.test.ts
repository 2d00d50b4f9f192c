/** `npx tsx scripts/data.ts`, in-process, on the shared real subset; URLs served from 127.0.0.1. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCifarArchive } from './cifar';
import { runData } from './dataCommand';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARCHIVE_PATH = resolve(repoRoot, '..', 'shared', 'data', 'cifar10-subset', 'cifar-10-binary.tar.gz');
const ARCHIVE = readFileSync(ARCHIVE_PATH);

/** A new public/data path (not created: the command creates it); its parent exists. */
const freshDir = () => join(mkdtempSync(join(tmpdir(), 'cifar-data-')), 'data');

describe('scripts/data.ts', () => {
  let server: Server;
  let base: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/cifar-10-binary.tar.gz') {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': ARCHIVE.length });
        res.end(ARCHIVE);
      } else {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('checks a local archive (not the official one: parsed, counts reported) and copies it to public/data', async () => {
    const dir = freshDir();
    const result = await runData([ARCHIVE_PATH], { publicDataDir: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('15,812,776 bytes, md5 e50f6dcfb728c19fad27ee17ce586a13');
    expect(result.stdout).toContain('Not the official full archive');
    expect(result.stdout).toContain('CIFAR-10: 4,660 training + 932 test images, 10 classes');
    expect(result.written).toBe(join(dir, 'cifar-10-binary.tar.gz'));
    expect(readFileSync(result.written!).equals(ARCHIVE)).toBe(true);
    expect(existsSync(`${result.written!}.partial`)).toBe(false);

    const again = await runData([ARCHIVE_PATH, '--kind', 'cifar10'], { publicDataDir: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already holds this archive');
  });

  it('gzips a plain tar so the app finds it under the .tar.gz name', async () => {
    const dir = freshDir();
    const tarPath = join(dirname(dir), 'subset.tar');
    writeFileSync(tarPath, gunzipSync(ARCHIVE));
    const result = await runData([tarPath], { publicDataDir: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('It was a plain tar; gzipped it');
    const written = await parseCifarArchive(readFileSync(result.written!));
    expect([written.train.count, written.test.count]).toEqual([4660, 932]);
  });

  it('downloads a URL, with progress', async () => {
    const dir = freshDir();
    const lines: string[] = [];
    const result = await runData([`${base}/cifar-10-binary.tar.gz`], { publicDataDir: dir, progress: (l) => lines.push(l) });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`Downloaded ${base}/cifar-10-binary.tar.gz: 15,812,776 bytes`);
    expect(lines.at(-1)).toBe('downloaded 15,812,776 of 15,812,776 bytes (100%)');
    expect(readFileSync(result.written!).equals(ARCHIVE)).toBe(true);
  });

  it('writes nothing for a bad archive, a wrong kind, a failed download or bad arguments', async () => {
    const dir = freshDir();
    const cutPath = join(dirname(dir), 'cut.tar.gz');
    writeFileSync(cutPath, ARCHIVE.subarray(0, 1_000_000));
    const cut = await runData([cutPath], { publicDataDir: dir });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/not a valid gzip file.*\n.*Nothing was written/);

    const wrongKind = await runData([ARCHIVE_PATH, '--kind', 'cifar100'], { publicDataDir: dir });
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('This is the CIFAR-10 archive');

    const before = requests;
    const missing = await runData([`${base}/nothing.tar.gz`], { publicDataDir: dir });
    expect(requests).toBe(before + 1);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the server answered 404');

    const badKind = await runData([ARCHIVE_PATH, '--kind', 'cifar1000'], { publicDataDir: dir });
    expect(badKind.code).toBe(1);
    expect(badKind.stderr).toContain('--kind must be cifar10 or cifar100');
    expect((await runData(['no/such/file.tar.gz'], { publicDataDir: dir })).stderr).toContain('no such file');

    expect(existsSync(dir)).toBe(false);
  });
});
