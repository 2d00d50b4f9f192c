/** What the command-line tools share: their error type, flag parsing and spec loading. */
import { readFileSync } from 'node:fs';
import { PRESETS, findPreset } from '../models/index';

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** An error the user can fix: printed with the usage line, exit status 1. */
export class CliError extends Error {}

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--${flag} must be a positive whole number (got "${value}")`);
  return n;
}

/** A preset by name, or a spec from a .json file; unknown names list the known presets. */
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
    text = readFileSync(target, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${target}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(`${target} is not valid JSON: ${(e as Error).message}`);
  }
}
