/**
 * `name@variant` presets of the training bench (BENCH_PRESETS): a preset on another input. One home for
 * what each variant means, read by the bench's worker (the spec it trains) and by the PyTorch peer (the
 * export flags that give the same net).
 */
import { type ArchSpec, CIFAR10_INPUT, type InputSpec, findPreset } from '../../src/models';

/** `@cifar`: CIFAR-10's input (32 px, 3 channels, 10 classes), e.g. an ImageNet net at 32 px. */
const VARIANTS: Readonly<Record<string, InputSpec>> = { cifar: CIFAR10_INPUT };

/** The preset's name and, for `name@variant`, the input that replaces the preset's. */
export function parsePresetName(name: string): { base: string; input?: InputSpec } {
  const [base, variant, ...rest] = name.split('@');
  if (variant === undefined) return { base: base! };
  const input = VARIANTS[variant];
  if (!input || rest.length > 0) throw new Error(`unknown preset variant in ${name} (known: ${Object.keys(VARIANTS).map((v) => `@${v}`).join(', ')})`);
  return { base: base!, input };
}

/** The spec of a preset by name, or of a variant of one. */
export function presetSpec(name: string): ArchSpec {
  const { base, input } = parsePresetName(name);
  const spec = findPreset(base)?.spec;
  if (!spec) throw new Error(`unknown preset ${base}`);
  return input ? { ...spec, input } : spec;
}

/** `npm run export` arguments that write the PyTorch module of `name` (a preset, or a variant of one) to `out`. */
export function pytorchExportArgs(name: string, out: string): string[] {
  const { base, input } = parsePresetName(name);
  const flags = input ? ['--resolution', String(input.resolution), '--classes', String(input.classes)] : [];
  return [base, '--to', 'pytorch', '--out', out, ...flags];
}
