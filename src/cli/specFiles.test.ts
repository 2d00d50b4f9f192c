/**
 * The strict spec reader through the command line: the bad spec files of issue 14 exit 1 with one
 * line per error naming the field, through `npm run arch` and `npm run export`, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runArch } from './archCommand';
import { runExport } from './exportCommand';

const dir = mkdtempSync(join(tmpdir(), 'spec-files-'));
const stages = [{ blocks: 3, planes: 64, stride: 1 }];

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const BAD: [string, string, string[]][] = [
  ['typo.json', JSON.stringify({ family: 'resnet', name: 'typo', cardinalty: 32, bottleneckWidth: 4, stages }), ['cardinalty: unknown field; did you mean "cardinality"?']],
  [
    'input.json',
    JSON.stringify({ family: 'resnet', name: 'cifar', input: 'cifar10', stages }),
    ['input: must be an object, not a dataset name: for CIFAR-10 write {"resolution": 32, "channels": 3, "classes": 10}'],
  ],
  [
    'stem.json',
    JSON.stringify({ family: 'resnet', name: 'stem', stem: 5, stages }),
    ['stem: must be an object such as {"width": 64, "kernel": 7, "stride": 2, "maxPool": true} (got 5)'],
  ],
  [
    'deep.json',
    `{"family": "resnet", "stages": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    ['stages: lists and objects are nested more than 8 deep (line 1, column 39); a spec needs 3 (spec, stages, stage)'],
  ],
  ['brackets.json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, ['(spec): lists and objects are nested more than 8 deep (line 1, column 9); a spec needs 3 (spec, stages, stage)']],
];

describe('bad spec files give one line per error and exit 1', () => {
  it.each(BAD)('%s', (name, text, lines) => {
    const path = file(name, text);
    const expected = `invalid spec (${path}):\n${lines.map((l) => `  ${l}\n`).join('')}`;
    for (const r of [runArch([path]), runExport([path, '--to', 'pytorch']), runExport([path, '--to', 'keras'])]) {
      expect(r).toEqual({ code: 1, stdout: '', stderr: expected });
    }
  });

  it('every error is its own line, each naming its field', () => {
    const path = file(
      'many.json',
      JSON.stringify({ family: 'resnet', name: 'many', Cardinality: 8, stemChannels: 32, input: { resolution: 32, clases: 10 }, stages: [{ blocks: 3, planes: 64, strde: 1 }] }),
    );
    expect(runArch([path]).stderr.split('\n').slice(1, -1)).toEqual([
      '  Cardinality: unknown field; did you mean "cardinality"?',
      '  stemChannels: is a field of EfficientNet specs; this spec\'s family is "resnet"',
      '  input.clases: unknown field; did you mean "classes"?',
      '  stages[0].strde: unknown field; did you mean "stride"?',
    ]);
  });

  it('--resolution and --classes do not turn a wrong input into an object', () => {
    const path = file('input2.json', JSON.stringify({ family: 'resnet', name: 'cifar', input: 'cifar10', stages }));
    expect(runArch([path, '--resolution', '32', '--classes', '10']).stderr).toContain('  input: must be an object, not a dataset name');
  });

  it('a file too big to be a spec is refused before it is read', () => {
    const path = file('big.json', ' '.repeat(4_000_001));
    expect(runArch([path]).stderr).toBe(`invalid spec (${path}):\n  (spec): the file is 4,000,001 bytes; a spec is at most 1,000,000 characters\n`);
  });

  it('through npm run: exit status 1 and no stack trace', () => {
    const deep = file('deep-npm.json', `{"family": "resnet", "cardinality": ${'{"a": '.repeat(20_000)}1${'}'.repeat(20_000)}}`);
    for (const args of [['arch', '--', deep], ['export', '--', deep, '--to', 'pytorch']]) {
      const r = spawnSync('npm', ['run', '--silent', ...args], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`invalid spec (${deep}):\n  cardinality: lists and objects are nested more than 8 deep (line 1, column 79); a spec needs 3 (spec, stages, stage)\n`);
    }
  }, 60_000);
});
