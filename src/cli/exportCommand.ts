/**
 * `npm run export -- <preset | spec.json> --to pytorch|keras|state-dict [--out file] [--training-script]
 *                    [--resolution N] [--classes N]`
 *
 * Writes a design as one Python file: a PyTorch `nn.Module` (optionally with a CIFAR training
 * script) or a Keras 3 model; `state-dict` prints the parameter names and PyTorch shapes the
 * export has (JSON), for checking it against PyTorch. `runExport` does the work and returns what
 * to print, so tests call it in-process; `export.ts` is the entry point.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stateDictShapes, toKeras, toPyTorch } from '../export/index';
import { formatInt } from '../models/index';
import { CliError, type CommandIo, type CommandOutput, analyzeTarget, helpOrArity, positiveInt, runCommand } from './common';

const USAGE =
  'usage: npm run export -- <preset | path/to/spec.json> --to pytorch|keras|state-dict [--out file] [--training-script] [--resolution N] [--classes N]';
const TARGETS = ['pytorch', 'keras', 'state-dict'] as const;
type Target = (typeof TARGETS)[number];

export function runExport(argv: string[]): CommandOutput {
  return runCommand({ usage: USAGE }, (io) => exportDesign(argv, io));
}

function exportDesign(argv: string[], io: CommandIo): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      out: { type: 'string' },
      'training-script': { type: 'boolean' },
      resolution: { type: 'string' },
      classes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const early = helpOrArity(USAGE, values.help, positionals, io);
  if (early !== undefined) return early;
  const target = values.to as Target | undefined;
  if (target === undefined || !TARGETS.includes(target)) {
    throw new CliError(`--to must be one of ${TARGETS.join(', ')} (got ${values.to === undefined ? 'nothing' : `"${values.to}"`})`);
  }
  if (values['training-script'] && target !== 'pytorch') throw new CliError('--training-script goes with --to pytorch only');
  const resolution = positiveInt('resolution', values.resolution);
  const classes = positiveInt('classes', values.classes);
  const a = analyzeTarget(positionals[0]!, { resolution, classes });

  const text =
    target === 'pytorch'
      ? toPyTorch(a.spec, { trainingScript: values['training-script'] === true })
      : target === 'keras'
        ? toKeras(a.spec)
        : `${JSON.stringify({ name: a.spec.name, params: a.stats.totals.params, stateDict: stateDictShapes(a.spec) }, null, 2)}\n`;

  if (values.out === undefined) {
    io.out.push(text);
    return 0;
  }
  try {
    writeFileSync(values.out, text);
  } catch (e) {
    throw new CliError(`cannot write ${values.out}: ${(e as Error).message}`);
  }
  io.out.push(`wrote ${values.out}: ${a.spec.name} (${target}), ${formatInt(a.stats.totals.params)} params\n`);
  return 0;
}
