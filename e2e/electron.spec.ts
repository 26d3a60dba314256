import { _electron as electron, expect, test } from '@playwright/test'
import path from 'node:path'
import { findElectronBinary } from '../src/cli/electron-binary'
import { expectFirstScreen } from './first-screen'

const binary = findElectronBinary()

test.describe('electron app', () => {
  test.skip(!binary.ok, binary.ok ? '' : binary.reason)

  test('shows the tour hosts on a live WebGL globe', async () => {
    if (!binary.ok) return
    const root = path.resolve(import.meta.dirname, '..')
    // Chromium's sandbox cannot start for root (CI runs as root): only then, and the app warns about it.
    const noSandbox = process.getuid?.() === 0 ? ['--no-sandbox'] : []
    const app = await electron.launch({
      executablePath: binary.path,
      args: [root, ...noSandbox, ...(process.env.DISPLAY ? [] : ['--ozone-platform=headless']), '--tour', path.join(root, 'e2e/fixtures/loopback.yaml')],
    })
    try {
      const page = await app.firstWindow()
      // Served by the app:// protocol, not file:// (src/main/policy.ts).
      await expect(page).toHaveURL('app://globehop/index.html')
      await expectFirstScreen(page)
    } finally {
      await app.close()
    }
  })
})
