// Lint doubles as the layering rule: code may only import what can run where it runs.
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'

const noElectron = {
  paths: [{ name: 'electron', message: 'Only src/main and src/preload may import electron: this code must run in plain Node/browser.' }],
  patterns: [{ group: ['electron/*', '@electron/*'], message: 'Only src/main and src/preload may import electron.' }],
}

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.lab-state/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**', 'src/shared/**', 'src/server/**', 'src/cli/**', 'lab/**'],
    rules: { 'no-restricted-imports': ['error', noElectron] },
  },
  {
    files: ['src/renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: noElectron.paths,
          patterns: [
            ...noElectron.patterns,
            { group: ['node:*', '**/core/**', '**/main/**', '**/server/**', '**/preload/**'], message: 'The renderer talks to the engine only through the api object (src/shared/contract.ts).' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: noElectron.paths, patterns: [...noElectron.patterns, { group: ['node:*', '**/core/**'], message: 'src/shared is the contract: zod and types only, no Node.' }] },
      ],
    },
  },
)
