// The Recordings panel and the Export buttons without a lab: a replay of a synthetic recording
// served from a temporary recordings folder (a second recording beside it). The panel lists both
// with their size on disk; CSV export downloads the hop rows; "PNG of this view" downloads a real
// picture of the screen, globe included; Delete asks first, then removes the other recording from
// the list and the disk, and refuses the one on screen. While the replay is paused the ping
// graph's window holds still, and moves again on resume.
import { expect, test, type Page } from '@playwright/test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { HOP_COLUMNS } from '../src/core/recording/export'
import { ReplayEngine } from '../src/core/replay/replay-engine'
import { writeSyntheticRecording } from '../src/core/replay/testing/recording'
import { serve, type RunningServer } from '../src/server/serve'
import { formatBytes } from '../src/shared/format'
import { trackPageErrors } from './first-screen'
import { pngVariance } from './png-variance'

let dir: string
let shown: string
let other: string
let engine: ReplayEngine
let server: RunningServer

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'globehop-e2e-recordings-'))
  shown = writeSyntheticRecording(dir)
  other = writeSyntheticRecording(dir) // same start: "-2", listed first
  engine = ReplayEngine.open(shown, { speed: 2, start: 'paused', recordingsDir: dir })
  server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0, log: () => {} })
})
test.afterAll(async () => {
  await server?.close()
  await engine?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** The .jsonl and the .cast files named after it. */
function bytesOnDisk(file: string): number {
  const base = path.basename(file, '.jsonl')
  return readdirSync(dir)
    .filter((n) => n === `${base}.jsonl` || (n.startsWith(`${base}.`) && n.endsWith('.cast')))
    .reduce((s, n) => s + statSync(path.join(dir, n)).size, 0)
}

async function openApp(page: Page): Promise<void> {
  await page.goto(server.url)
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible({ timeout: 30_000 })
}

test('the panel lists the recordings with their size; CSV and PNG exports download real files', async ({ page }) => {
  const errors = trackPageErrors(page)
  await openApp(page)
  const rows = page.getByTestId('recording-row')
  await expect(rows).toHaveCount(2)
  await expect(rows.nth(0)).toHaveAttribute('data-name', path.basename(other))
  const row = page.locator(`[data-testid="recording-row"][data-name="${path.basename(shown)}"]`)
  await expect(row).toHaveAttribute('data-bytes', String(bytesOnDisk(shown)))
  await expect(row.getByTestId('recording-size')).toHaveText(formatBytes(bytesOnDisk(shown)))
  await expect(row).toContainText('1/2 ok')
  await expect(page.getByTestId('recordings-total')).toContainText(`2 recordings, ${formatBytes(bytesOnDisk(shown) + bytesOnDisk(other))} on disk`)

  const csvDownload = page.waitForEvent('download')
  await page.getByTestId('export-csv').click()
  const csv = await csvDownload
  expect(csv.suggestedFilename()).toBe(`${path.basename(shown, '.jsonl')}.csv`)
  const text = readFileSync(await csv.path(), 'utf8')
  expect(text.split('\r\n')[0]).toBe(HOP_COLUMNS.map((c) => c.key).join(','))
  expect(text.trim().split('\r\n')).toHaveLength(3)
  await expect(page.getByTestId('recordings-note')).toHaveText(`Saved ${csv.suggestedFilename()}`)

  // Let the globe draw, then take the PNG of the view.
  await page.waitForTimeout(1000)
  const globeBox = await page.getByTestId('globe').evaluate((el) => {
    const r = el.getBoundingClientRect()
    return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height }
  })
  const cssWidth = await page.evaluate(() => document.body.getBoundingClientRect().width)
  const t0 = Date.now()
  const pngDownload = page.waitForEvent('download')
  await page.getByTestId('export-png').click()
  const png = await pngDownload
  const tookMs = Date.now() - t0
  expect(png.suggestedFilename()).toMatch(/^globehop-view-\d{8}-\d{6}\.png$/)
  const bytes = readFileSync(await png.path())
  await png.saveAs('test-results/recordings-view.png')
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  const v = await pngVariance(page, bytes, { rect: globeBox, cssWidth })
  console.log(`[recordings] PNG ${v.width}x${v.height}, ${bytes.length} bytes, in ${tookMs} ms; variance all ${v.all.toFixed(0)}, globe ${v.region!.toFixed(0)}`)
  expect(bytes.length).toBeGreaterThan(30_000)
  expect(v.width).toBeGreaterThanOrEqual(Math.floor(cssWidth))
  expect(v.all, 'the PNG is one flat colour').toBeGreaterThan(20)
  // The WebGL globe made it into the picture (a blank drawing buffer would leave a flat rectangle).
  expect(v.region, 'the globe is blank in the PNG').toBeGreaterThan(20)
  expect(errors).toEqual([])
})

test('Delete asks first, removes the other recording from the list and the disk, and refuses the one on screen', async ({ page }) => {
  await openApp(page)
  const rows = page.getByTestId('recording-row')
  await expect(rows).toHaveCount(2)
  const otherRow = page.locator(`[data-testid="recording-row"][data-name="${path.basename(other)}"]`)
  await otherRow.getByTestId('recording-delete').click()
  // Keep: nothing happens.
  await otherRow.getByTestId('recording-delete-cancel').click()
  await expect(rows).toHaveCount(2)
  expect(existsSync(other)).toBe(true)
  // By keyboard: the confirm button takes the focus; Enter deletes.
  await otherRow.getByTestId('recording-delete').focus()
  await page.keyboard.press('Enter')
  await expect(otherRow.getByTestId('recording-delete-confirm')).toBeFocused()
  await page.keyboard.press('Enter')
  await expect(rows).toHaveCount(1)
  expect(existsSync(other)).toBe(false)
  expect(readdirSync(dir).filter((n) => n.startsWith(path.basename(other, '.jsonl')))).toEqual([])

  const shownRow = page.locator(`[data-testid="recording-row"][data-name="${path.basename(shown)}"]`)
  await shownRow.getByTestId('recording-delete').click()
  await shownRow.getByTestId('recording-delete-confirm').click()
  await expect(page.getByRole('alert').filter({ hasText: 'is in use right now' })).toBeVisible()
  await expect(rows).toHaveCount(1)
  expect(existsSync(shown)).toBe(true)
})

test('a paused replay holds the ping graph still; resume moves it again', async ({ page }) => {
  await openApp(page)
  const chart = page.locator('[data-testid="ping-graph"][data-variant="full"] .ping-main')
  const right = async () => Number(await chart.getAttribute('data-window-right'))
  await engine.handle('replay', { action: 'seek', toMs: 2000 })
  await engine.handle('replay', { action: 'resume' })
  await expect(page.getByTestId('ping-graph')).toHaveAttribute('data-state', 'answering', { timeout: 10_000 })
  // Playing: the window slides with the clock.
  const a = await right()
  await page.waitForTimeout(1000)
  expect(await right()).toBeGreaterThan(a + 500)

  await engine.handle('replay', { action: 'pause' })
  await expect(page.getByTestId('replay-banner')).toHaveAttribute('data-paused', 'true')
  await page.waitForTimeout(300)
  const held = await right()
  const before = await chart.screenshot()
  await page.waitForTimeout(2000)
  expect(await right()).toBe(held)
  expect((await chart.screenshot()).equals(before), 'the ping graph moved while paused').toBe(true)

  await engine.handle('replay', { action: 'resume' })
  await expect(page.getByTestId('replay-banner')).toHaveAttribute('data-paused', 'false')
  const b = await right()
  await page.waitForTimeout(1000)
  expect(await right()).toBeGreaterThan(b + 500)
  await engine.handle('replay', { action: 'pause' })
})
