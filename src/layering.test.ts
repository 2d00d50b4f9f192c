/**
 * The layering of docs/conventions.md is enforced by ESLint (run by `npm test`); these tests show the
 * rules bite: src/models and src/viz stay pure, and only src/workers may import tfjs.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layering rules', () => {
  it.each([
    "import React from 'react';",
    "import * as d3 from 'd3';",
    "import * as tf from '@tensorflow/tfjs';",
    "import { create } from 'zustand';",
    "import { App } from '../components/App';",
  ])('src/models refuses %s', async (code) => {
    expect(await ruleIds(`${code}\nexport const x = 1;\n`, 'src/models/bad.ts')).toContain('no-restricted-imports');
  });

  it.each(['document.title', 'window.innerWidth', 'navigator.gpu', 'localStorage.length'])('src/models refuses the DOM global in %s', async (expr) => {
    expect(await ruleIds(`export const x = ${expr};\n`, 'src/models/bad.ts')).toContain('no-restricted-globals');
  });

  it('tfjs is allowed in src/workers and refused in src/components', async () => {
    const code = "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n";
    expect(await ruleIds(code, 'src/workers/ok.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIds(code, 'src/components/bad.tsx')).toContain('no-restricted-imports');
  });

  it('plain TypeScript in src/models passes', async () => {
    expect(await ruleIds('export const twice = (x: number): number => 2 * x;\n', 'src/models/ok.ts')).toEqual([]);
  });

  it.each([
    "import React from 'react';",
    "import * as d3 from 'd3';",
    "import { select } from 'd3-selection';",
    "import { axisLeft } from 'd3-axis';",
    "import * as tf from '@tensorflow/tfjs';",
    "import { create } from 'zustand';",
    "import { Chart } from '../components/charts/Chart';",
    "import { useExplorer } from '../store/explorer';",
  ])('src/viz refuses %s', async (code) => {
    expect(await ruleIds(`${code}\nexport const x = 1;\n`, 'src/viz/bad.ts')).toContain('no-restricted-imports');
  });

  it.each(['document.title', 'window.innerWidth', 'navigator.gpu', 'localStorage.length'])('src/viz refuses the DOM global in %s', async (expr) => {
    expect(await ruleIds(`export const x = ${expr};\n`, 'src/viz/bad.ts')).toContain('no-restricted-globals');
  });

  it('plain TypeScript, the models and the pure d3 modules pass in src/viz', async () => {
    const code = [
      "import { scaleLinear } from 'd3-scale';",
      "import { symbolCircle } from 'd3-shape';",
      "import { formatShort } from '../models/format';",
      'export const twice = (x: number): number => 2 * x;',
      'export const parts = [scaleLinear, symbolCircle, formatShort];',
      '',
    ].join('\n');
    expect(await ruleIds(code, 'src/viz/ok.ts')).toEqual([]);
  });
});
