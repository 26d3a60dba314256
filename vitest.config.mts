import { defineConfig } from 'vitest/config'

// Two projects: `unit` (pure logic, fast, any machine) and `lab` (real sshd/runc/CRIU/keepalived
// hosts in network namespaces; root on Linux only, skipped with the reason elsewhere).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'lab/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.lab.test.ts', 'node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
          include: ['src/**/*.lab.test.ts', 'lab/**/*.lab.test.ts', 'test/**/*.lab.test.ts'],
          environment: 'node',
          globalSetup: ['lab/vitest.global-setup.ts'],
          // One lab, one game server: lab tests run one file at a time.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
})
