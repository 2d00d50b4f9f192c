import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The layering rules of style.md, enforced: models are pure, tfjs lives in workers only. */
const PURE_MODELS =
  'src/models is pure TypeScript (no React, d3, tfjs, zustand, workers or DOM): it runs in the browser, workers, Node tests and the CLI.';
const TFJS_IN_WORKERS = 'Only src/workers imports tfjs: build tf models there, from the graph.';

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'playwright-report', 'public/data'] },
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
  {
    files: ['src/models/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['react', 'react/*', 'react-dom', 'react-dom/*', 'd3', 'd3-*', '@tensorflow/*', 'zustand', 'zustand/*', 'comlink'],
              message: PURE_MODELS,
            },
            { group: ['**/components/**', '**/workers/**', '**/store/**'], message: PURE_MODELS },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['window', 'document', 'navigator', 'self', 'localStorage', 'sessionStorage', 'indexedDB', 'location', 'fetch', 'Worker'].map(
          (name) => ({ name, message: PURE_MODELS }),
        ),
      ],
    },
  },
);
