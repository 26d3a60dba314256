// A real hop on the lab, watched through the browser host: the ping graph gets points at 20 Hz,
// shows the hop's outage, and the hop's figures land in the metrics table. The hop is recorded,
// and the same table built from a replay of that recording reads exactly as the live one.
import { expect, test } from '@playwright/test'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { labForTests, labResetGame } from '../lab/testing'
import { Engine } from '../src/core/engine'
import { ReplayEngine } from '../src/core/replay/replay-engine'
import { serve, type RunningServer } from '../src/server/serve'
import { trackPageErrors } from './first-screen'

const lab = labForTests()

test.describe('live hop on the lab', () => {
  test.skip(!lab.available, `needs the local lab: ${lab.reason}`)
  test.setTimeout(180_000)

  let engine: Engine
  let server: RunningServer
  let recordings: string

  test.beforeAll(async () => {
    await labResetGame()
    recordings = mkdtempSync(path.join(os.tmpdir(), 'globehop-e2e-hop-'))
    engine = new Engine({ host: 'browser', version: 'e2e', record: { dir: recordings } })
    await engine.loadTour(lab.tourPath)
    server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0 })
  })
  test.afterAll(async () => {
    await server?.close()
    await engine?.close()
    if (recordings) rmSync(recordings, { recursive: true, force: true })
    if (lab.available) await labResetGame()
  })

  test('the graph streams, shows the outage of a stop-and-copy hop, and the hop row appears', async ({ page }) => {
    const errors = trackPageErrors(page)
    await page.goto(server.url)
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    const graph = page.getByTestId('ping-graph')
    // Nothing is probed before the user connects.
    await page.waitForTimeout(1000)
    await expect(graph).toHaveAttribute('data-points', '0')
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    // 20 Hz: a few seconds give dozens of points.
    await expect.poll(async () => Number(await graph.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(40)
    await expect(graph).toHaveAttribute('data-state', 'answering')

    await page.getByLabel('Migration mode').selectOption('stop-and-copy')
    await page.getByRole('button', { name: /^Hop to Strasbourg/ }).click()
    // A clicker's stray Esc never cancels: one press only arms (and a frozen hop says it cannot stop).
    await expect(page.getByTestId('frozen')).toBeVisible({ timeout: 60_000 })
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('cancel-armed')).toBeVisible()
    const row = page.getByTestId('hop-row')
    await expect(row).toHaveCount(1, { timeout: 120_000 })
    // On failure, the words the page shows under the row say why.
    await expect(row, (await page.getByTestId('hop-failure').allTextContents()).join('\n')).toHaveAttribute('data-ok', 'true')
    await expect.poll(async () => Number(await graph.getAttribute('data-outages')), { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    await expect(page.getByTestId('host').filter({ hasText: 'Strasbourg' })).toContainText('game here')
    // The commands that really ran are on screen.
    await expect(page.getByTestId('command-log')).toContainText(/runc .*checkpoint/)
    await expect(page.getByTestId('command-log')).toContainText(/runc .*restore/)

    const variance = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="ping-graph"] canvas')
      if (!canvas) return -1
      const ctx = canvas.getContext('2d')!
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
      let sum = 0
      let sum2 = 0
      for (let i = 0; i < data.length; i += 4) {
        const l = (data[i]! + data[i + 1]! + data[i + 2]!) / 3
        sum += l
        sum2 += l * l
      }
      const n = data.length / 4
      return sum2 / n - (sum / n) ** 2
    })
    expect(variance).toBeGreaterThan(1)
    await page.screenshot({ path: 'test-results/globehop-hop.png' })
    expect(errors).toEqual([])

    // The recording of this hop, replayed (fast) in a page of its own: the same metrics table.
    const liveTable = await page.getByTestId('metrics-table').innerText()
    const [file] = readdirSync(recordings).filter((f) => f.endsWith('.jsonl'))
    expect(file, `recordings: ${readdirSync(recordings).join(' ')}`).toBeDefined()
    const replay = ReplayEngine.open(path.join(recordings, file!), { speed: 20, start: 'first-page' })
    const replayServer = await serve({ engine: replay, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0 })
    try {
      await page.goto(replayServer.url)
      await expect(page.locator('[data-replay="true"]')).toBeVisible()
      await expect(page.getByTestId('hop-row')).toHaveCount(1, { timeout: 60_000 })
      await expect.poll(() => page.getByTestId('metrics-table').innerText(), { timeout: 10_000 }).toBe(liveTable)
    } finally {
      await replayServer.close()
      await replay.close()
    }
  })
})
