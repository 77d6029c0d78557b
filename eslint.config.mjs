// ESLint flat config: the recommended JavaScript and typescript-eslint rules (not the type-checked
// presets: they would need a full type-aware pass and a large fix-up), no import circles, and
// src/shared never depending on src/modules. Formatting is Prettier's job (npm run lint runs both).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The domain modules of src/modules and the ones each may import: an order, so no circle.
const moduleOrder = {
  assets: [],
  lots: [],
  ledger: ['assets'],
  wallet: ['assets', 'ledger'],
  holds: ['assets', 'ledger', 'wallet'],
  reversals: ['ledger', 'lots', 'wallet'],
  transfers: ['assets', 'ledger', 'wallet'],
  subscriptions: ['assets', 'ledger', 'wallet'],
  events: ['holds', 'ledger', 'wallet'],
  webhooks: ['events'],
  node: ['assets', 'events', 'holds', 'ledger', 'wallet', 'webhooks'],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'generated/**',
      'coverage/**',
      'bench/results/**',
      'src/client/generated/**',
      'test-artifacts/**',
      '.data/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: './tsconfig.test.json' }),
      ],
    },
    rules: {
      // A circle of imports, type-only ones included: they tie layers together as much as values do.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // An underscore marks a parameter that must be there for its position.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // The layers, each importing only those below it (docs/architecture.md):
    //   entry (main, cli, seed) -> app -> transport | modules -> money -> shared -> dev
    // and, inside src/modules, an explicit order of the domain modules, so that no two folders
    // import each other (a circle of folders ties them as much as a circle of files does).
    // import-x/no-cycle above catches circles of files; this catches circles of layers and folders,
    // type-only imports included.
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/include': ['src/**/*.ts'],
      'boundaries/ignore': ['src/client/generated/**'],
      'import/resolver': { typescript: { project: './tsconfig.test.json' } },
      'boundaries/elements': [
        { type: 'entry', pattern: ['src/main.ts', 'src/cli/*', 'src/seed/*'], mode: 'full' },
        { type: 'app', pattern: 'src/app/*', mode: 'full' },
        { type: 'transport', pattern: 'src/transport/**/*', mode: 'full' },
        { type: 'live', pattern: 'src/live/*', mode: 'full' },
        { type: 'client', pattern: 'src/client/**/*', mode: 'full' },
        { type: 'module-base', pattern: 'src/modules/*.ts', mode: 'full' },
        { type: 'module', pattern: 'src/modules/*', capture: ['name'] },
        { type: 'money', pattern: 'src/money/*', mode: 'full' },
        { type: 'shared', pattern: 'src/shared/**/*', mode: 'full' },
        { type: 'dev', pattern: 'src/dev/**/*', mode: 'full' },
      ],
    },
    rules: {
      'boundaries/element-types': [
        'error',
        {
          default: 'disallow',
          message:
            '${file.type} must not import ${dependency.type}: see the layers in docs/architecture.md',
          rules: [
            {
              from: ['entry'],
              allow: ['entry', 'app', 'module', 'module-base', 'money', 'shared', 'dev'],
            },
            {
              from: ['app'],
              allow: [
                'app',
                'transport',
                'live',
                'module',
                'module-base',
                'money',
                'shared',
                'dev',
              ],
            },
            { from: ['transport'], allow: ['transport', 'shared'] },
            { from: ['live'], allow: ['live', 'shared'] },
            { from: ['client'], allow: ['client'] },
            { from: ['module-base'], allow: ['module-base', 'shared'] },
            { from: ['module'], allow: ['module-base', 'money', 'shared'] },
            { from: ['money'], allow: ['money', 'shared'] },
            { from: ['shared'], allow: ['shared', 'dev'] },
            { from: ['dev'], allow: ['dev'] },
            // The domain modules, each allowed the ones below it (and itself): adding an edge
            // here is a design decision, and an edge the other way is refused.
            ...Object.entries(moduleOrder).map(([name, below]) => ({
              from: [['module', { name }]],
              allow: [name, ...below].map((other) => ['module', { name: other }]),
            })),
          ],
        },
      ],
    },
  },
  {
    // Every function fits on a screen (TIGER_STYLE): blank and comment lines count, as they do
    // when a reader scrolls. Generated code is left out.
    files: ['src/**/*.ts'],
    ignores: ['src/client/generated/**'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 70, skipBlankLines: false, skipComments: false, IIFEs: true },
      ],
    },
  },
  {
    // Tests and benchmarks read loosely-typed JSON answers from the wire.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, graphqlWs: 'readonly' },
    },
  },
);
