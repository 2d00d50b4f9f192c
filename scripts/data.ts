/** Entry point of `npx tsx scripts/data.ts <archive path or URL> [--kind cifar10|cifar100]`; see src/data/dataCommand.ts. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runData } from '../src/data/dataCommand';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

const { code, stdout, stderr } = await runData(process.argv.slice(2), {
  publicDataDir: join(repoRoot, 'public', 'data'),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = code;
