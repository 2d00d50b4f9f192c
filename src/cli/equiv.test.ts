import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEquiv } from './equivCommand';

describe('npm run equiv', () => {
  it('prints JSON with per-pair diffs within 1e-5 on the CPU backend', async () => {
    const r = await runEquiv(['--C', '8', '--d', '4', '--width', '32', '--size', '4', '--batch', '2', '--seed', '1']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.backend).toBe('cpu');
    expect(json.pairs.map((p: { pair: string }) => p.pair)).toEqual(['a-b', 'a-c', 'b-c']);
    expect(json.worst.maxAbs).toBeLessThanOrEqual(1e-5);
    expect(json.forms.map((f: { params: number }) => f.params)).toEqual([json.forms[0].params, json.forms[0].params, json.forms[0].params]);
  }, 60_000);

  it('--dump writes the input, form-(c) weights in tfjs layouts, BN epsilon and the three NHWC outputs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'equiv-')), 'dump.json');
    const r = await runEquiv(['--C', '4', '--d', '2', '--width', '8', '--size', '3', '--batch', '1', '--form-pairs', 'a-c', '--dump', file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pairs).toHaveLength(1);
    const dump = JSON.parse(readFileSync(file, 'utf8'));
    expect(dump.bnEpsilon).toBe(1e-5);
    expect(dump.input.shape).toEqual([1, 3, 3, 8]);
    expect(dump.input.values).toHaveLength(72);
    // The grouped 3x3 in the compact layout [kh, kw, in/groups, out].
    expect(dump.weights['layer1.0.conv2.weight'].shape).toEqual([3, 3, 2, 8]);
    expect(Object.keys(dump.weights)).toContain('layer1.0.bn2.running_var');
    expect(Object.keys(dump.outputs)).toEqual(['a', 'b', 'c']);
    const [a, c] = [dump.outputs.a.values as number[], dump.outputs.c.values as number[]];
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i]!)))).toBeLessThanOrEqual(1e-5);
  }, 60_000);

  it('the Fig. 4 block and a whole network', async () => {
    const basic = await runEquiv(['--block', 'basic', '--C', '4', '--d', '4', '--width', '8', '--size', '4']);
    expect(JSON.parse(basic.stdout).worst.maxAbs).toBeLessThanOrEqual(1e-5);
  }, 60_000);

  it('bad arguments are refused with the usage line', async () => {
    expect((await runEquiv(['--C', '0'])).stderr).toContain('--C must be a whole number >= 1');
    expect((await runEquiv(['--form-pairs', 'a-z'])).stderr).toContain('--form-pairs takes pairs like');
    expect((await runEquiv(['--stride', '3'])).stderr).toContain('--stride must be 1 or 2');
    expect((await runEquiv(['--network', 'efficientnet_b0'])).stderr).toContain('not a ResNet-family preset');
    expect((await runEquiv(['--bogus'])).code).toBe(1);
  });
});
