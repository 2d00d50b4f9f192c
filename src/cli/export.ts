/** Entry point of `npm run export`; see exportCommand.ts. */
import { runExport } from './exportCommand';

const { code, stdout, stderr } = runExport(process.argv.slice(2));
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = code;
