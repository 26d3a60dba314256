// Stage fallback on the lab, as a presenter uses it when the venue's network fails mid-hop: R
// switches the screen to the recording of the same tour (here the one shipped with globehop) from
// the matching hop, labelled REPLAY; the live hop goes on underneath and finishes; R again runs a
// preflight and shows the live run, with the hop that happened meanwhile.
import { expect, test } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { labForTests, labResetGame } from '../lab/testing'
import { Engine } from '../src/core/engine'
import { fallbackCandidates, fallbackDirs } from '../src/core/fallback/candidates'
import { StageEngine } from '../src/core/fallback/stage-engine'
import { SHIPPED_RECORDING } from '../src/core/tour/default'
import { serve, type RunningServer } from '../src/server/serve'
import { trackPageErrors } from './first-screen'

const lab = labForTests()

test.describe('stage fallback on the lab', () => {
  test.skip(!lab.available, `needs the local lab: ${lab.reason}`)
  test.setTimeout(300_000)

  let engine: Engine
  let stage: StageEngine
  let server: RunningServer
  let recordings: string

  test.beforeAll(async () => {
    await labResetGame()
    // No recording of the user's own yet: the shipped lab tour is the one that stands in.
    recordings = mkdtempSync(path.join(os.tmpdir(), 'globehop-e2e-fallback-'))
    engine = new Engine({ host: 'browser', version: 'e2e', record: { dir: recordings } })
    await engine.loadTour(lab.tourPath)
    stage = new StageEngine(engine, { candidates: fallbackCandidates(fallbackDirs({ GLOBEHOP_RECORDINGS_DIR: recordings })) })
    server = await serve({ engine: stage, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0 })
  })
  test.afterAll(async () => {
    await server?.close()
    await stage?.close()
    rmSync(recordings, { recursive: true, force: true })
    if (lab.available) await labResetGame()
  })

  test('R mid-hop shows the recording from the same hop; the live hop finishes underneath; R again goes live after a preflight', async ({ page }) => {
    const errors = trackPageErrors(page)
    await page.setViewportSize({ width: 1280, height: 720 })
    const [base, hash] = server.url.split('#')
    await page.goto(`${base}?view=presenter#${hash}`)
    const root = page.locator('[data-app-state="ready"]')
    const globe = page.getByTestId('globe')
    const banner = page.getByTestId('replay-banner')

    await page.keyboard.press('c')
    await expect(page.getByTestId('ping-rtt')).toHaveText(/\d/, { timeout: 20_000 })
    await expect(root).not.toHaveAttribute('data-replay', 'true')

    // The live hop starts (the clicker's next), then the network "fails": R.
    await page.keyboard.press('PageDown')
    await expect(root).toHaveAttribute('data-busy', /hop|tour/, { timeout: 15_000 })
    await page.keyboard.press('r')
    await expect(root).toHaveAttribute('data-replay', 'true', { timeout: 10_000 })
    await expect(banner).toHaveAttribute('data-fallback', 'true')
    await expect(page.getByTestId('replay-text')).toContainText(/^REPLAY · recorded .*hop 1/)
    await expect(page.getByTestId('replay-text')).toContainText('standing in for the live tour')
    const shown = await stage.handle('getState', {})
    expect(shown.replay?.file.endsWith(SHIPPED_RECORDING)).toBe(true)
    expect(shown.fallback?.detail).toContain('from its hop stuttgart -> strasbourg')
    // The live engine goes on: the hop is still running underneath.
    expect(engine.state().hopRunning).toBe(true)
    // The recording plays its hop: the marker leaves Stuttgart on the screen.
    await expect(globe).toHaveAttribute('data-phase', /snapshot|frozen|transfer|restore|outage/, { timeout: 60_000 })

    // The live hop ends underneath (finished, not abandoned).
    await expect.poll(() => engine.state().busy, { timeout: 180_000, intervals: [1000] }).toBe('idle')
    expect(engine.state().currentHost).toBe('strasbourg')
    await expect(root).toHaveAttribute('data-replay', 'true')
    // While the recording shows, next starts nothing live (the engine refuses, or the replayed
    // hop still runs and the press waits, as the stepper says).
    await page.keyboard.press('PageDown')
    await page.waitForTimeout(1500)
    expect(engine.state().busy).toBe('idle')
    const error = page.getByTestId('error')
    if (await error.count()) await expect(error).toContainText('press R to go back to live first')

    // Back to live: a preflight first (it passes: the lab answers), then the live run as it is now.
    await page.keyboard.press('r')
    await expect(root).not.toHaveAttribute('data-replay', 'true', { timeout: 60_000 })
    await expect(banner).toHaveCount(0)
    const live = await stage.handle('getState', {})
    expect(live.fallback?.active).toBe(false)
    expect(live.currentHost).toBe('strasbourg')
    // The page shows the live hop that ran meanwhile, and where the game really is.
    const strasbourg = live.tour!.hosts.find((h) => h.name === 'strasbourg')!
    const near = (v: string | null) => {
      const [lat, lon] = (v ?? '').split(',').map(Number)
      return Math.abs(lat! - strasbourg.lat) < 0.01 && Math.abs(lon! - strasbourg.lon) < 0.01
    }
    await expect.poll(async () => near(await globe.getAttribute('data-server')), { timeout: 10_000 }).toBe(true)
    await expect(page.getByTestId('hop-count')).toContainText(/of 4/)
    await expect(page.getByTestId('headline')).toContainText(/\d/)
    expect(errors).toEqual([])
  })
})
