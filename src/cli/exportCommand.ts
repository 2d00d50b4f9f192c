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
import { analyze, formatInt } from '../models/index';
import { CliError, type CommandOutput, loadSpec, positiveInt } from './common';

const USAGE =
  'usage: npm run export -- <preset | path/to/spec.json> --to pytorch|keras|state-dict [--out file] [--training-script] [--resolution N] [--classes N]';
const TARGETS = ['pytorch', 'keras', 'state-dict'] as const;
type Target = (typeof TARGETS)[number];




export function runExport(argv: string[]): CommandOutput {
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = exportDesign(argv, out, err);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } catch (e) {
    if (!(e instanceof CliError) && !(e instanceof TypeError)) throw e;
    return { code: 1, stdout: out.join(''), stderr: `${err.join('')}error: ${e.message}\n${USAGE}\n` };
  }
}

function exportDesign(argv: string[], out: string[], err: string[]): number {
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
  if (values.help || positionals.length !== 1) {
    (values.help ? out : err).push(`${USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const target = values.to as Target | undefined;
  if (target === undefined || !TARGETS.includes(target)) {
    throw new CliError(`--to must be one of ${TARGETS.join(', ')} (got ${values.to === undefined ? 'nothing' : `"${values.to}"`})`);
  }
  if (values['training-script'] && target !== 'pytorch') throw new CliError('--training-script goes with --to pytorch only');
  const resolution = positiveInt('resolution', values.resolution);
  const classes = positiveInt('classes', values.classes);

  const raw = loadSpec(positionals[0]!);
  const spec =
    typeof raw === 'object' && raw !== null && (resolution || classes)
      ? { ...raw, input: { ...(raw as { input?: object }).input, ...(resolution && { resolution }), ...(classes && { classes }) } }
      : raw;
  const a = analyze(spec);
  if (!a.ok) {
    err.push(`invalid spec (${positionals[0]}):\n`);
    for (const e of a.errors) err.push(`  ${e.field}: ${e.message}\n`);
    return 1;
  }

  const text =
    target === 'pytorch'
      ? toPyTorch(a.spec, { trainingScript: values['training-script'] === true })
      : target === 'keras'
        ? toKeras(a.spec)
        : `${JSON.stringify({ name: a.spec.name, params: a.stats.totals.params, stateDict: stateDictShapes(a.spec) }, null, 2)}\n`;

  if (values.out === undefined) {
    out.push(text);
    return 0;
  }
  try {
    writeFileSync(values.out, text);
  } catch (e) {
    throw new CliError(`cannot write ${values.out}: ${(e as Error).message}`);
  }
  out.push(`wrote ${values.out}: ${a.spec.name} (${target}), ${formatInt(a.stats.totals.params)} params\n`);
  return 0;
}
