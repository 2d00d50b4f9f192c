/**
 * `npm run equiv -- --C 32 --d 4 --width 256 --size 8 --batch 2 --seed 1 [--stride 1|2]
 *   [--block bottleneck|basic] [--network <preset>] [--form-pairs a-b,a-c,b-c] [--timing N] [--dump file.json]`
 *
 * Runs the forms (a)/(b)/(c) equivalence check in Node on the tfjs CPU backend and prints JSON.
 * `--dump` also writes the input, the form-(c) weights and the three outputs for checking elsewhere.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { switchBackend } from '../workers/engine/backend';
import * as tf from '../workers/equivalence/check';
import { CliError, type CommandOutput, runCommand } from './common';

const USAGE =
  'usage: npm run equiv -- [--C 32] [--d 4] [--width 256] [--size 8] [--batch 2] [--seed 1] [--stride 1|2] [--block bottleneck|basic] [--network <preset>] [--form-pairs a-b,a-c,b-c] [--timing N] [--dump file.json]';

function int(flag: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${flag} must be a whole number >= ${min} (got "${raw}")`);
  return n;
}

/** Usage errors print the usage line; any other error (tfjs failing, say) is reported without it. */
export function runEquiv(argv: string[]): Promise<CommandOutput> {
  return runCommand({ usage: USAGE, report: (e) => (e instanceof Error ? e.message : undefined) }, async ({ out, err }) => {
    const { values } = parseArgs({
      args: argv,
      options: {
        C: { type: 'string' },
        d: { type: 'string' },
        width: { type: 'string' },
        size: { type: 'string' },
        batch: { type: 'string' },
        seed: { type: 'string' },
        stride: { type: 'string' },
        block: { type: 'string' },
        network: { type: 'string' },
        'form-pairs': { type: 'string' },
        timing: { type: 'string' },
        dump: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out.push(`${USAGE}\n`);
      return 0;
    }
    const pairs = values['form-pairs']?.split(',').map((p) => p.trim());
    const validPairs = new Set(['a-b', 'a-c', 'b-c', 'b-a', 'c-a', 'c-b']);
    if (pairs && (pairs.length === 0 || pairs.some((p) => !validPairs.has(p)))) throw new CliError(`--form-pairs takes pairs like a-b,a-c,b-c (got "${values['form-pairs']}")`);
    const block = values.block ?? 'bottleneck';
    if (block !== 'bottleneck' && block !== 'basic') throw new CliError(`--block must be bottleneck or basic (got "${block}")`);
    const stride = int('stride', values.stride, 1);
    if (stride !== 1 && stride !== 2) throw new CliError(`--stride must be 1 or 2 (got ${stride})`);
    const batch = int('batch', values.batch, 2);
    const seed = int('seed', values.seed, 1, 0);
    const timingRuns = int('timing', values.timing, 0, 0);

    await switchBackend('cpu');
    const request: tf.CheckRequest = values.network
      ? { ...tf.networkCheckRequest(values.network, batch, seed), pairs: pairs as tf.FormPair[] | undefined, timingRuns }
      : {
          kind: 'block',
          block,
          cardinality: int('C', values.C, 32),
          bottleneckWidth: int('d', values.d, 4),
          width: int('width', values.width, 256),
          size: int('size', values.size, 8),
          stride,
          batch,
          seed,
          pairs: pairs as tf.FormPair[] | undefined,
          timingRuns,
        };
    const result = await tf.runEquivalenceCheck(request);
    if (values.dump) {
      if (request.kind !== 'block') throw new CliError('--dump is for block checks (leave out --network)');
      writeFileSync(values.dump, JSON.stringify(await tf.dumpBlockCheck(request)));
    }
    out.push(`${JSON.stringify(result, null, 2)}\n`);
    if (values.dump) err.push(`wrote ${values.dump}\n`);
    return 0;
  });
}
