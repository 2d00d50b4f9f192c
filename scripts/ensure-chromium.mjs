#!/usr/bin/env node
/**
 * Makes sure the Chromium the e2e tests use is installed. Playwright's own browser download does
 * not work on our machines, so the tests use Debian's package: installed here with apt-get when
 * missing and running as root; otherwise this says how to install it (or to set CHROMIUM_PATH).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function version() {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

if (existsSync(path) && version()) {
  console.log(`e2e browser: ${version()} (${path})`);
  process.exit(0);
}

if (process.env.CHROMIUM_PATH) {
  console.error(`CHROMIUM_PATH=${path} is not a working Chromium. Point it at a Chromium binary, or unset it to use Debian's /usr/bin/chromium.`);
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (!isRoot || !hasApt) {
  console.error(
    [
      'The end-to-end tests need Chromium at /usr/bin/chromium and it is not installed.',
      hasApt ? 'Install it with:  sudo apt-get install -y chromium' : 'Install Chromium with your package manager,',
      'or set CHROMIUM_PATH to an installed Chromium/Chrome binary, then run the tests again.',
    ].join('\n'),
  );
  process.exit(1);
}

const apt = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
console.log('Installing Debian\'s chromium for the e2e tests (apt-get) ...');
if (!apt(['install', '-y', '--no-install-recommends', 'chromium'])) {
  // A fresh image may have no package lists yet.
  if (!apt(['update']) || !apt(['install', '-y', '--no-install-recommends', 'chromium'])) {
    console.error('apt-get could not install chromium; install it by hand or set CHROMIUM_PATH.');
    process.exit(1);
  }
}
if (!version()) {
  console.error(`chromium was installed but ${path} does not run.`);
  process.exit(1);
}
console.log(`e2e browser: ${version()} (${path})`);
