import { defineConfig } from '@playwright/test'

// The renderer runs in Debian's Chromium through the browser host (`globehop serve`): no browser
// download. The electron project runs the same checks in the real app where Electron's binary exists.
// Below Linux's default ephemeral range (32768-60999), which `--port 0` servers and outgoing
// connections draw from: at 47810 a CI run's browser host once found its port taken right after
// the lab tests.
export const E2E_PORT = Number(process.env.GLOBEHOP_E2E_PORT ?? 27810)
export const E2E_TOKEN = 'e2e-token-not-secret'

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-swiftshader']

export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
  outputDir: 'test-results',
  globalSetup: './e2e/lab-setup.ts',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure', viewport: { width: 1440, height: 900 } },
  projects: [
    {
      name: 'web',
      testMatch: /web\..*\.spec\.ts/,
      use: {
        browserName: 'chromium',
        baseURL: `http://127.0.0.1:${E2E_PORT}`,
        launchOptions: { executablePath: process.env.GLOBEHOP_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts/ },
  ],
  webServer: {
    command: `node bin/globehop.mjs serve --port ${E2E_PORT} --tour e2e/fixtures/loopback.yaml`,
    // The page itself needs no token (it holds no secret); the WebSocket does.
    url: `http://127.0.0.1:${E2E_PORT}/`,
    env: { GLOBEHOP_TOKEN: E2E_TOKEN },
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
  },
})
