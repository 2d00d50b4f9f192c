/** Entry point of `npm run equiv`; see equivCommand.ts. */
import { runEquiv } from './equivCommand';

const { code, stdout, stderr } = await runEquiv(process.argv.slice(2));
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = code;
