/**
 * `npm run bench:bundle`: the app's initial JavaScript, gzipped — what a first visit downloads
 * before the page works (index.html's entry script and its modulepreloads). Target: <= 300 KB,
 * and no tfjs in it (tfjs loads with the worker, later). Builds first.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const TARGET_KB = 300;
execSync('npx vite build --logLevel error', { stdio: 'inherit' });
const html = readFileSync('dist/index.html', 'utf8');
const scripts = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+\.js)"/g)].map((m) => m[1]!);
let raw = 0;
let gzip = 0;
let tfjs = false;
for (const src of scripts) {
  const code = readFileSync(join('dist', src));
  raw += code.length;
  gzip += gzipSync(code, { level: 9 }).length;
  tfjs ||= code.includes('@tensorflow') || code.includes('tfjs-core');
}
console.log(
  JSON.stringify({ initialScripts: scripts, rawKB: +(raw / 1024).toFixed(1), gzipKB: +(gzip / 1024).toFixed(1), targetKB: TARGET_KB, withinTarget: gzip / 1024 <= TARGET_KB, tfjsInInitialBundle: tfjs }, null, 2),
);
