// `globehop replay` without a lab: a synthetic recording (two hops, the second rolled back) served
// in-process by a ReplayEngine. The screen says REPLAY and the root carries data-replay="true" at
// every moment (first picture, mid-hop, after the hop row, paused, after a seek), the hop rows come
// from the recording, and K pauses and resumes.
import { expect, test, type Page } from '@playwright/test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ReplayEngine } from '../src/core/replay/replay-engine'
import { resourcePath, SHIPPED_RECORDING } from '../src/core/tour/default'
import { writeSyntheticRecording } from '../src/core/replay/testing/recording'
import { serve, type RunningServer } from '../src/server/serve'
import { trackPageErrors } from './first-screen'

test.describe('replay of a recording', () => {
  let dir: string
  let engine: ReplayEngine
  let server: RunningServer

  test.beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'globehop-e2e-replay-'))
    // 30 s recorded: hop 1 frozen from 10 s, its row at 13 s, hop 2's at 24.5 s; at 2x, 6.5 s and 12 s.
    // Paused at first: a slow page load must not eat the start.
    engine = ReplayEngine.open(writeSyntheticRecording(dir), { speed: 2, start: 'paused' })
    server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0, log: () => {} })
  })
  test.afterAll(async () => {
    await server?.close()
    await engine?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function saysReplay(page: Page, moment: string): Promise<void> {
    await expect(page.locator('#root > [data-app-state]'), moment).toHaveAttribute('data-replay', 'true')
    const banner = page.getByTestId('replay-banner')
    await expect(banner, moment).toBeVisible()
    await expect(banner, moment).toContainText(/^REPLAY · recorded 2025-05-17 08:30 UTC · \d+(\.\d+)?× · \d+:\d\d\/0:30/)
  }

  test('says REPLAY at every moment, plays the hops, K pauses and resumes, a seek to hop 2 plays it', async ({ page }) => {
    const errors = trackPageErrors(page)
    await page.goto(server.url)
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible({ timeout: 30_000 })
    await saysReplay(page, 'first picture')
    const rows = page.getByTestId('hop-row')
    await expect(rows).toHaveCount(0)

    await page.keyboard.press('k')
    await expect.poll(() => engine.state().frozen, { timeout: 15_000 }).toBe(true)
    await saysReplay(page, 'mid-hop')

    await expect(rows).toHaveCount(1, { timeout: 10_000 })
    await expect(rows.first()).toHaveAttribute('data-ok', 'true')
    await page.keyboard.press('K')
    await expect(page.getByTestId('replay-banner')).toHaveAttribute('data-paused', 'true')
    expect(engine.state().replay?.paused).toBe(true)
    await saysReplay(page, 'paused after the hop row')
    await expect(rows).toHaveCount(1)

    await engine.handle('replay', { action: 'seek', hop: 2 })
    await saysReplay(page, 'after a seek to hop 2')
    await expect(rows).toHaveCount(1)
    await page.getByTestId('replay-toggle').click()
    await expect(rows).toHaveCount(2, { timeout: 10_000 })
    await expect(rows.nth(1)).toHaveAttribute('data-ok', 'false')
    await saysReplay(page, 'after both hops')
    // A page opened now (the presenter view) is in step at once.
    await page.goto(server.url.replace('/#', '/?view=presenter#'))
    await saysReplay(page, 'a new page, presenter view')
    expect(errors).toEqual([])
  })
})

// What a newcomer sees with no lab: the shipped recording of a real lab tour (resources/recordings).
test.describe('the shipped recording', () => {
  let engine: ReplayEngine
  let server: RunningServer

  test.beforeAll(async () => {
    // 20x: the 2.4-minute tour in about 7 s.
    engine = ReplayEngine.open(resourcePath('recordings', SHIPPED_RECORDING), { speed: 20, start: 'paused' })
    server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0, log: () => {} })
  })
  test.afterAll(async () => {
    await server?.close()
    await engine?.close()
  })

  test('says REPLAY throughout, the globe animates each hop, and all four hop rows arrive', async ({ page }) => {
    const errors = trackPageErrors(page)
    await page.goto(server.url)
    const root = page.locator('#root > [data-app-state]')
    await expect(root).toHaveAttribute('data-replay', 'true', { timeout: 30_000 })
    await expect(page.getByTestId('replay-banner')).toContainText(/^REPLAY · recorded 2026-11-30/)
    const globe = page.getByTestId('globe')
    const positions = new Set<string>()
    const watch = setInterval(() => {
      globe.getAttribute('data-server').then((v) => v && positions.add(v), () => {})
    }, 50)
    try {
      await page.keyboard.press('k')
      const rows = page.getByTestId('hop-row')
      await expect(rows).toHaveCount(4, { timeout: 60_000 })
      for (let i = 0; i < 4; i++) await expect(rows.nth(i)).toHaveAttribute('data-ok', 'true')
      await expect(root).toHaveAttribute('data-replay', 'true')
    } finally {
      clearInterval(watch)
    }
    // The marker was drawn at many places on the way, not only at the five stops.
    expect(positions.size, [...positions].join(' ')).toBeGreaterThan(10)
    expect(errors).toEqual([])
  })
})
