/** Entry point of `npm run arch`; see archCommand.ts. */
import { runArch } from './archCommand';

const { code, stdout, stderr } = runArch(process.argv.slice(2));
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = code;
