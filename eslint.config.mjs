// Lint doubles as the layering rule: code may only import what can run where it runs.
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import boundaries from 'eslint-plugin-boundaries'

// Where code may run, as an allow-list per layer (docs/architecture.md): a file may import its own
// layer and the layers listed here, nothing else of ours. Tests and test doubles (testing/ folders)
// are checked too, with the test harnesses added.
const LAYERS = [
  { type: 'lab', pattern: 'lab/**' },
  { type: 'shared', pattern: 'src/shared/**' },
  { type: 'core', pattern: 'src/core/**' },
  { type: 'server', pattern: 'src/server/**' },
  { type: 'main', pattern: 'src/main/**' },
  { type: 'preload', pattern: 'src/preload/**' },
  { type: 'renderer', pattern: 'src/renderer/**' },
  { type: 'cli', pattern: 'src/cli/**' },
  { type: 'test', pattern: 'test/**' },
  { type: 'bench', pattern: 'bench/**' },
  { type: 'e2e', pattern: 'e2e/**' },
]
/** What each layer may import besides itself. */
const ALLOWED = {
  shared: [],
  core: ['shared'],
  server: ['core', 'shared'],
  main: ['core', 'shared'],
  preload: ['shared'],
  renderer: ['shared'],
  cli: ['core', 'shared', 'server', 'preload', 'lab'],
  lab: ['core', 'shared'],
}
const TESTS = ['src/**/*.test.ts', 'src/**/*.test.tsx', 'src/**/testing/**', 'lab/**/*.test.ts', 'lab/testing.ts']
const layerPolicies = (extra) =>
  Object.entries(ALLOWED).map(([from, to]) => ({
    from: { element: { type: from } },
    allow: { to: { element: { types: { anyOf: [from, ...to, ...extra] } } } },
  }))
const layerRule = (extra) => ({
  'boundaries/dependencies': [
    'error',
    {
      default: 'disallow',
      message: '{{from.type}} may import only its own layer and what eslint.config.mjs ALLOWED lists for it (docs/architecture.md), not {{to.type}}',
      policies: layerPolicies(extra),
    },
  ],
})

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
    files: ['src/**', 'lab/**'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS.map((l) => ({ ...l, partialMatch: false })),
      'boundaries/dependency-nodes': ['import', 'dynamic-import', 'export'],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'] } },
    },
    rules: layerRule([]),
  },
  // Tests may also use the test harnesses: the lab, test/ helpers and the CLI's formatting of what they saw.
  { files: TESTS, plugins: { boundaries }, rules: layerRule(['lab', 'test', 'cli']) },
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
