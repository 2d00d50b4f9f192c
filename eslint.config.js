import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The layering rules of docs/conventions.md, enforced: models and viz are pure, tfjs lives in workers only. */
const PURE_MODELS =
  'src/models is pure TypeScript (no React, d3, tfjs, zustand, workers or DOM): it runs in the browser, workers, Node tests and the CLI.';
const PURE_VIZ =
  'src/viz is pure TypeScript (no React, tfjs, zustand, workers or DOM; of d3 only the pure d3-scale and d3-shape): the UI logic, tested in Node. Drawing stays in src/components.';
const TFJS_IN_WORKERS = 'Only src/workers imports tfjs: build tf models there, from the graph.';

/** The browser globals a pure layer may not touch. */
const DOM_GLOBALS = ['window', 'document', 'navigator', 'self', 'localStorage', 'sessionStorage', 'indexedDB', 'location', 'fetch', 'Worker'];

/** Rules of a pure layer: no UI framework, tfjs, store, workers or DOM; `d3Allowed` names the d3 modules it may use. */
function pureLayer(message, d3Allowed = []) {
  return {
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'd3', 'd3-*', ...d3Allowed.map((name) => `!${name}`), '@tensorflow/*', 'zustand', 'zustand/*', 'comlink'],
              message,
            },
            { group: ['**/components/**', '**/workers/**', '**/store/**'], message },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...DOM_GLOBALS.map((name) => ({ name, message }))],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'playwright-report', 'public/data', '.gpu'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }] },
  },
  {
    files: ['src/components/**/*.{ts,tsx}', 'src/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    ignores: ['src/workers/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*'], message: TFJS_IN_WORKERS }] }],
    },
  },
  { files: ['src/models/**/*.ts'], ...pureLayer(PURE_MODELS) },
  { files: ['src/viz/**/*.ts'], ...pureLayer(PURE_VIZ, ['d3-scale', 'd3-shape']) },
);
