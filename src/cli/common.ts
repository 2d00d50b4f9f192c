/**
 * What the command-line tools share: the wrapper that turns a command's errors into its output,
 * flag parsing and spec loading. Node only.
 */
import { readFileSync, statSync } from 'node:fs';
import { INPUT_LIMITS, PRESETS, type SpecError, type ValidAnalysis, analyze, findPreset, formatSpecErrors, parseSpecJson } from '../models/index';

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** An error the user can fix: printed with the usage line, exit status 1. */
export class CliError extends Error {}

/** A failure whose message is the whole report (e.g. a list of spec errors): printed as it is, exit status 1. */
export class CommandFailure extends Error {}

/** What a command writes as it runs: text for stdout and for stderr, in order. */
export interface CommandIo {
  out: string[];
  err: string[];
}

export interface CommandSpec {
  usage: string;
  /** Starts the error line: `error` unless given. */
  prefix?: string;
  /**
   * Any other error the command reports rather than throws: the text to print after the prefix, or
   * undefined to let it through. By default every other error goes through, keeping its stack.
   */
  report?: (e: unknown) => string | undefined;
}

/** parseArgs' own errors (an unknown flag, a flag without its value) are usage errors too. */
const isUsageError = (e: unknown): e is Error =>
  e instanceof CliError || (e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));

/**
 * Runs a command's body and returns what to print, so tests call commands in-process. A usage
 * error prints `<prefix>: <message>` and the usage line; a `CommandFailure` its message; both, and
 * any error `report` takes, exit 1 after what the body wrote so far.
 */
export function runCommand(spec: CommandSpec, body: (io: CommandIo) => number): CommandOutput;
export function runCommand(spec: CommandSpec, body: (io: CommandIo) => Promise<number>): Promise<CommandOutput>;
export function runCommand(spec: CommandSpec, body: (io: CommandIo) => number | Promise<number>): CommandOutput | Promise<CommandOutput> {
  const io: CommandIo = { out: [], err: [] };
  const output = (code: number, tail = ''): CommandOutput => ({ code, stdout: io.out.join(''), stderr: io.err.join('') + tail });
  const fail = (e: unknown): CommandOutput => {
    if (e instanceof CommandFailure) return output(1, `${e.message}\n`);
    const prefix = spec.prefix ?? 'error';
    if (isUsageError(e)) return output(1, `${prefix}: ${e.message}\n${spec.usage}\n`);
    const message = spec.report?.(e);
    if (message === undefined) throw e;
    return output(1, `${prefix}: ${message}\n`);
  };
  try {
    const code = body(io);
    return typeof code === 'number' ? output(code) : code.then(output, fail);
  } catch (e) {
    return fail(e);
  }
}

/**
 * `--help` prints the usage line and exits 0; anything but exactly one positional argument prints
 * it on stderr and exits 1. Returns the exit status, or undefined to go on.
 */
export function helpOrArity(usage: string, help: boolean | undefined, positionals: readonly string[], io: CommandIo): number | undefined {
  if (!help && positionals.length === 1) return undefined;
  (help ? io.out : io.err).push(`${usage}\n`);
  return help ? 0 : 1;
}

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${flag} must be a positive whole number (got "${value}")`);
  return n;
}

/** Every spec error as its own line under the file or preset it is in (exit status 1). */
function invalidSpec(target: string, errors: readonly SpecError[]): CommandFailure {
  return new CommandFailure(`invalid spec (${target}):\n${formatSpecErrors(errors, { separator: '\n', indent: '  ' })}`);
}

/**
 * A preset by name, or a spec from a .json file; unknown names list the known presets. The file's
 * size is checked before it is read and its nesting before it is parsed (`parseSpecJson`), so a
 * hostile file gives one line, never a stack trace.
 */
export function loadSpec(target: string): unknown {
  const preset = findPreset(target);
  if (preset) return preset.spec;
  if (!target.endsWith('.json')) {
    const byGroup = new Map<string, string[]>();
    for (const p of PRESETS) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p.name]);
    const list = [...byGroup].map(([g, names]) => `  ${g}: ${names.join(', ')}`).join('\n');
    throw new CliError(`unknown preset "${target}". Known presets:\n${list}\nor give a path to a spec .json file.`);
  }
  let text: string;
  try {
    // UTF-8 takes at most 4 bytes a character: a file this big cannot be within the character limit.
    const bytes = statSync(target).size;
    if (bytes > 4 * INPUT_LIMITS.chars) {
      throw invalidSpec(target, [{ field: '(spec)', message: `the file is ${bytes.toLocaleString('en-US')} bytes; a spec is at most ${INPUT_LIMITS.chars.toLocaleString('en-US')} characters` }]);
    }
    text = readFileSync(target, 'utf8');
  } catch (e) {
    if (e instanceof CommandFailure) throw e;
    throw new CliError(`cannot read ${target}: ${(e as Error).message}`);
  }
  const parsed = parseSpecJson(text);
  if (!parsed.ok) throw invalidSpec(target, parsed.errors);
  return parsed.value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The preset or spec file `target` names (`loadSpec`), with the `--resolution` and `--classes` flags
 * applied to its input, analysed. An invalid spec is a `CommandFailure` listing every error, one a line.
 */
export function analyzeTarget(target: string, input: { resolution?: number; classes?: number }): ValidAnalysis {
  const raw = loadSpec(target);
  const { resolution, classes } = input;
  // The flags go into an input object only; any other input is left for the validator to name.
  const spec =
    isObject(raw) && (raw.input === undefined || isObject(raw.input)) && (resolution || classes)
      ? { ...raw, input: { ...raw.input, ...(resolution && { resolution }), ...(classes && { classes }) } }
      : raw;
  const a = analyze(spec);
  if (!a.ok) throw invalidSpec(target, a.errors);
  return a;
}
