import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import golden from '../../scripts/golden/torch-counts.json';
import { PRESETS, formatInt } from '../models';
import { runArch } from './archCommand';

const GOLDEN = golden as Record<string, { params: number; macs: number }>;

/** RFC 4180 fields of one line (quoted fields may hold commas and doubled quotes). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  const re = /(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g;
  for (const m of line.matchAll(re)) fields.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ''));
  return fields;
}

describe('npm run arch, every preset in every format', () => {
  it.each(PRESETS.map((p) => p.name))('%s', (name) => {
    const g = GOLDEN[name]!;
    const json = runArch([name, '--format', 'json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ name, params: g.params, macs: g.macs });
    expect(typeof parsed.activations).toBe('number');
    expect(Array.isArray(parsed.layers) && parsed.layers.length).toBeGreaterThan(5);

    const csv = runArch([name, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('name,level,type,output,kernel,stride,groups,params,macs,activations');
    // Stage rows add up to the total.
    const stageParams = lines.slice(1).map(csvFields).filter((c) => c[1] === 'stage').reduce((n, c) => n + Number(c[7]), 0);
    expect(stageParams).toBe(g.params);
    for (const line of lines) expect(csvFields(line)).toHaveLength(10);

    const md = runArch([name, '--format', 'md']);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`Total params:       ${formatInt(g.params)}`);
    expect(md.stdout).toMatch(/^## /);

    const table = runArch([name]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`Total MACs:         ${formatInt(g.macs)}`);
  });
});

describe('npm run arch options and errors', () => {
  it('--classes, --resolution and --batch change the counts', () => {
    const base = JSON.parse(runArch(['resnet50', '--format', 'json']).stdout);
    const c100 = JSON.parse(runArch(['resnet50', '--format', 'json', '--classes', '100']).stdout);
    expect(base.params - c100.params).toBe(900 * 2049);
    const r448 = JSON.parse(runArch(['resnet50', '--format', 'json', '--resolution', '448']).stdout);
    expect(r448.resolution).toBe(448);
    expect(r448.macs).toBeGreaterThan(3.9 * base.macs);
    const b8 = JSON.parse(runArch(['resnet50', '--format', 'json', '--batch', '8']).stdout);
    expect(b8.trainingMemory.activationBytes).toBe(8 * base.trainingMemory.activationBytes);
  });

  it('an unknown preset lists the known ones and fails', () => {
    const r = runArch(['resnet51']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown preset "resnet51"');
    for (const p of PRESETS) expect(r.stderr).toContain(p.name);
  });

  it('a bad spec file prints the validation errors and fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arch-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ family: 'resnet', cardinality: 0, stages: [{ blocks: 2, planes: 64, stride: 3 }] }));
    const r = runArch([file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cardinality: must be at least 1 (got 0)');
    expect(runArch([join(dir, 'missing.json')]).stderr).toContain('cannot read');
    writeFileSync(file, '{ not json');
    expect(runArch([file]).stderr).toContain('is not valid JSON');
  });

  it('a good spec file works', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arch-'));
    const file = join(dir, 'mini.json');
    writeFileSync(file, JSON.stringify({ family: 'resnet', name: 'mini', cardinality: 4, bottleneckWidth: 8, stages: [{ blocks: 2, planes: 64, stride: 1 }] }));
    const r = runArch([file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).name).toBe('mini');
  });

  it('bad flags are refused with the usage line', () => {
    expect(runArch(['resnet50', '--format', 'xml']).stderr).toContain('--format must be one of');
    expect(runArch(['resnet50', '--batch', '0']).stderr).toContain('--batch must be a positive whole number');
    expect(runArch(['resnet50', '--bogus']).code).toBe(1);
    expect(runArch([]).code).toBe(1);
  });

  it('`npm run --silent arch -- resnet50 --format json` prints 25557032 as .params', () => {
    const stdout = execFileSync('npm', ['run', '--silent', 'arch', '--', 'resnet50', '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(JSON.parse(stdout).params).toBe(25_557_032);
  }, 60_000);
});
