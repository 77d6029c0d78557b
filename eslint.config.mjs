// ESLint flat config: the recommended JavaScript and typescript-eslint rules (not the type-checked
// presets: they would need a full type-aware pass and a large fix-up), no import circles, and
// src/shared never depending on src/modules. Formatting is Prettier's job (npm run lint runs both).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
    // Shared code is what modules build on; a dependency the other way makes a circle of layers.
    // import-x/no-cycle skips type-only imports, so the composition root (services, server,
    // schema, main) is named too: a type import of it from shared/ closes a circle through modules.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/modules', '**/modules/**'],
              message:
                'src/shared must not import from src/modules: move the shared part into src/shared, or wire it up in a composition layer.',
            },
            {
              regex: '^(\\.\\./)+(services|server|schema|main)$',
              message:
                'src/shared must not import the composition root (src/services, server, schema, main): that closes a circle through src/modules.',
            },
          ],
        },
      ],
    },
  },
  {
    // The money engine is the layer below the modules: it serves them and imports none of them
    // (what it needs of one is a port in src/money, wired in src/app/services.ts).
    files: ['src/money/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/modules', '**/modules/**', '**/app', '**/app/**'],
              message:
                'src/money must not import from src/modules or src/app: move what it needs into src/money, or define a port there.',
            },
          ],
        },
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
