import { _electron as electron, test } from '@playwright/test'
import path from 'node:path'
import { findElectronBinary } from '../src/cli/electron-binary'
import { expectFirstScreen } from './first-screen'

const binary = findElectronBinary()

test.describe('electron app', () => {
  test.skip(!binary.ok, binary.ok ? '' : binary.reason)

  test('shows the tour hosts on a live WebGL globe', async () => {
    if (!binary.ok) return
    const root = path.resolve(import.meta.dirname, '..')
    const app = await electron.launch({
      executablePath: binary.path,
      args: [root, '--no-sandbox', ...(process.env.DISPLAY ? [] : ['--ozone-platform=headless']), '--tour', path.join(root, 'e2e/fixtures/loopback.yaml')],
    })
    try {
      const page = await app.firstWindow()
      await expectFirstScreen(page)
    } finally {
      await app.close()
    }
  })
})
