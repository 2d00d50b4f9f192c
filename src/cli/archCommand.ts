/**
 * `npm run arch -- <preset | spec.json> [--resolution N] [--classes N] [--batch N] [--depth N]
 *                  [--format table|json|csv|md]`
 *
 * A torchinfo-like summary of any preset or spec file, from the same core as the app.
 * `runArch` does the work and returns what to print, so tests call it in-process; `arch.ts` is the
 * entry point.
 */
import { parseArgs } from 'node:util';
import {
  COUNTING_CONVENTION,
  type LayerRow,
  formatBytes,
  formatInt,
  formatShort,
  rowsToCsv,
  rowsToMarkdown,
  trainingMemory,
} from '../models/index';
import { CliError, type CommandIo, type CommandOutput, analyzeTarget, helpOrArity, positiveInt, runCommand } from './common';

const USAGE = `usage: npm run arch -- <preset | path/to/spec.json> [--resolution N] [--classes N] [--batch N] [--depth N] [--format table|json|csv|md]`;
const FORMATS = ['table', 'json', 'csv', 'md'] as const;
type Format = (typeof FORMATS)[number];

function textTable(rows: LayerRow[]): string {
  const header = ['Layer', 'Type', 'Output shape', 'Groups', 'Params', 'MACs'];
  const body = rows.map((r) => [
    `${'  '.repeat(r.depth)}${r.level === 'op' ? r.name.split('.').pop() : r.name}`,
    r.level === 'op' ? r.type : r.label,
    r.outputShape,
    r.groups && r.groups > 1 ? String(r.groups) : '',
    r.params ? formatInt(r.params) : '--',
    r.macs ? formatInt(r.macs) : '--',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = '='.repeat(widths.reduce((a, w) => a + w + 2, -2));
  return [rule, line(header), rule, ...body.map(line), rule].join('\n');
}

export function runArch(argv: string[]): CommandOutput {
  return runCommand({ usage: USAGE }, (io) => arch(argv, io));
}

function arch(argv: string[], io: CommandIo): number {
  const print = (s: string) => io.out.push(`${s}\n`);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      resolution: { type: 'string' },
      classes: { type: 'string' },
      batch: { type: 'string' },
      depth: { type: 'string' },
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const early = helpOrArity(USAGE, values.help, positionals, io);
  if (early !== undefined) return early;
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')} (got "${values.format}")`);
  const resolution = positiveInt('resolution', values.resolution);
  const classes = positiveInt('classes', values.classes);
  const batch = positiveInt('batch', values.batch) ?? 1;
  const depth = positiveInt('depth', values.depth);

  const a = analyzeTarget(positionals[0]!, { resolution, classes });
  const { totals } = a.stats;
  const rows = depth === undefined ? a.stats.rows : a.stats.rows.filter((r) => r.depth < depth);
  const memory = trainingMemory(a.stats, { batch });

  if (format === 'json') {
    const json = {
      name: a.spec.name,
      family: a.spec.family,
      resolution: a.spec.input.resolution,
      classes: a.spec.input.classes,
      params: totals.params,
      macs: totals.macs,
      flops: totals.flops,
      activations: totals.activations,
      activationBytes: totals.activationBytes,
      trainingMemory: memory,
      convention: COUNTING_CONVENTION,
      stages: a.stats.stages.map(({ name, label, outputShape, params, macs, activations }) => ({ name, label, outputShape, params, macs, activations })),
      layers: rows.map(({ output: _output, ...r }) => r),
      spec: a.spec,
    };
    print(JSON.stringify(json, null, 2));
  } else if (format === 'csv') {
    io.out.push(rowsToCsv(rows));
  } else {
    const summary = [
      `${a.spec.name}: ${a.spec.input.resolution}x${a.spec.input.resolution} input, ${a.spec.input.classes} classes`,
      `Total params:       ${formatInt(totals.params)} (${formatShort(totals.params)})`,
      `Total MACs:         ${formatInt(totals.macs)} (${formatShort(totals.macs)}); FLOPs = 2 x MACs = ${formatInt(totals.flops)}`,
      `Activations/image:  ${formatInt(totals.activations)} values (${formatBytes(totals.activationBytes)} float32)`,
      `Training memory:    ${formatBytes(memory.totalBytes)} at batch ${batch} (activations ${formatBytes(memory.activationBytes)}, weights + grads + SGD momentum ${formatBytes(memory.weightBytes + memory.gradientBytes + memory.optimizerBytes)})`,
      `Convention: params = ${COUNTING_CONVENTION.params}; MACs = ${COUNTING_CONVENTION.macs}.`,
    ];
    if (format === 'md') {
      print(`## ${a.spec.name}\n\n${rowsToMarkdown(rows)}\n${summary.map((s) => `- ${s}`).join('\n')}`);
    } else {
      print(`${textTable(rows)}\n${summary.join('\n')}`);
    }
  }
  return 0;
}
