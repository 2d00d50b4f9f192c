/**
 * `npm run bench:gpu:pack [-- <dir>] [--with-node]`: `npm run bench:gpu -- --dawn` as one folder
 * (default `.gpu/`, ignored by git) for a GPU machine that has the repo but not its node_modules:
 *
 * - `gpu.mjs`: bench/gpu/gpu.bench.ts bundled with tfjs and the app's code (esbuild; the Chromium
 *   mode's Vite and Playwright stay out, so `--dawn` is the mode it runs);
 * - `node_modules/webgpu/`: Dawn for Node, its Linux x86-64 build only (npm install --no-save webgpu@0.6.2 first);
 * - `node.tar.xz` with `--with-node`: this Node.js binary, for a machine without one;
 * - `run.sh`: from the repo root, `sh <dir>/run.sh [--profile]` (unpacks Node if there is none, then
 *   runs gpu.mjs --dawn; the BENCH_* variables of gpu.bench.ts apply; the PyTorch side reads
 *   bench/gpu/torch_cuda.py from the repo).
 * Dawn needs a Vulkan loader (libvulkan.so.1) and the GPU's Vulkan driver on that machine.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const dir = path.resolve(args.find((a) => !a.startsWith('--')) ?? '.gpu');
const withNode = args.includes('--with-node');
const dawnSrc = 'node_modules/webgpu';
if (!existsSync(path.join(dawnSrc, 'dist/linux-x64/dawn.node'))) {
  console.error('Dawn for Node is not installed: npm install --no-save webgpu@0.6.2');
  process.exit(1);
}
mkdirSync(path.join(dir, 'node_modules/webgpu/dist/linux-x64'), { recursive: true });

await build({
  entryPoints: ['bench/gpu/gpu.bench.ts'],
  outfile: path.join(dir, 'gpu.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['webgpu', 'vite', '@playwright/test'],
  // tfjs' CommonJS modules call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
for (const f of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) copyFileSync(path.join(dawnSrc, f), path.join(dir, 'node_modules/webgpu', f));

if (withNode) {
  const r = spawnSync('sh', ['-c', `tar -C "$(dirname "${process.execPath}")" -cf - "$(basename "${process.execPath}")" | xz -T2 -6 > "${path.join(dir, 'node.tar.xz')}"`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

writeFileSync(
  path.join(dir, 'run.sh'),
  `#!/bin/sh
# The packed \`npm run bench:gpu -- --dawn\` (bench/gpu/pack.ts); run from the repo root.
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null 2>&1; then
  [ -f "$here/node.tar.xz" ] || { echo "no node on PATH and none packed (pack with --with-node)" >&2; exit 1; }
  mkdir -p /tmp/packed-node && tar -C /tmp/packed-node -xJf "$here/node.tar.xz" && PATH=/tmp/packed-node:$PATH
fi
exec node "$here/gpu.mjs" --dawn "$@"
`,
);
chmodSync(path.join(dir, 'run.sh'), 0o755);
console.error(`packed into ${dir}`);
