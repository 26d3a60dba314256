// The presenter view during a real lab hop, as the audience sees it at 1280x720: the globe fills
// the screen, the RTT is readable from the back, the next-hop key starts the hop, the server
// marker travels between the two hosts and lands on the destination, the stepper advances, and a
// second page opened afterwards shows the same run (hop row, ping history) at once.
import { expect, test, type Page } from '@playwright/test'
import path from 'node:path'
import { labForTests, labResetGame } from '../lab/testing'
import { Engine } from '../src/core/engine'
import { loadTour } from '../src/core/tour/load'
import { serve, type RunningServer } from '../src/server/serve'
import { trackPageErrors } from './first-screen'

const lab = labForTests()

/** Screenshot bytes are not a blank screen: many distinct grey levels. */
async function notBlank(page: Page, file: string): Promise<void> {
  const png = await page.screenshot({ path: file })
  expect(png.length).toBeGreaterThan(20_000)
}

function parseLatLon(v: string | null): [number, number] {
  const m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(v ?? '')
  expect(m, `data-server="${v}"`).not.toBeNull()
  return [Number(m![1]), Number(m![2])]
}

test.describe('presenter view on the lab', () => {
  test.skip(!lab.available, `needs the local lab: ${lab.reason}`)
  test.setTimeout(240_000)

  let engine: Engine
  let server: RunningServer
  let hosts: Map<string, { lat: number; lon: number }>

  test.beforeAll(async () => {
    await labResetGame()
    const tour = await loadTour(lab.tourPath)
    hosts = new Map(tour.hosts.map((h) => [h.name, { lat: h.lat, lon: h.lon }]))
    engine = new Engine({ host: 'browser', version: 'e2e' })
    await engine.loadTour(lab.tourPath)
    server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0 })
  })
  test.afterAll(async () => {
    await server?.close()
    await engine?.close()
    if (lab.available) await labResetGame()
  })

  test('1280x720: big globe and RTT, the next key hops, the marker travels and lands, a second page shows the run', async ({ page, browser }) => {
    const errors = trackPageErrors(page)
    await page.setViewportSize({ width: 1280, height: 720 })
    const [base, hash] = server.url.split('#')
    await page.goto(`${base}?view=presenter#${hash}`)
    const root = page.locator('[data-app-state="ready"]')
    await expect(root).toHaveAttribute('data-view', 'presenter')
    const globe = page.getByTestId('globe')

    // The globe covers at least half of the screen; nothing but the show is on it.
    const box = (await globe.boundingBox())!
    expect((box.width * box.height) / (1280 * 720)).toBeGreaterThanOrEqual(0.5)
    await expect(page.getByLabel('Tour file path')).toHaveCount(0)
    await expect(page.getByTestId('command-log')).toHaveCount(0)
    await expect(page.getByTestId('metrics-table')).toHaveCount(0)

    await page.keyboard.press('c')
    const rtt = page.getByTestId('ping-rtt')
    await expect(rtt).toHaveText(/\d/, { timeout: 20_000 })
    const fontPx = await rtt.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
    expect(fontPx / 720).toBeGreaterThanOrEqual(0.07)

    const stepper = page.getByTestId('stepper')
    await expect(stepper).toBeVisible()
    const before = await stepper.innerText()
    const [sLat, sLon] = parseLatLon(await globe.getAttribute('data-server'))
    expect(Math.abs(sLat - hosts.get('stuttgart')!.lat)).toBeLessThan(0.01)
    expect(Math.abs(sLon - hosts.get('stuttgart')!.lon)).toBeLessThan(0.01)
    await page.waitForTimeout(2000) // replies before the hop: the prober's baseline

    // The clicker's "next" (PageDown) starts the hop to Strasbourg; watch the marker while it runs.
    await page.keyboard.press('PageDown')
    const positions = new Set<string>()
    const watch = setInterval(() => {
      globe.getAttribute('data-server').then((v) => v && positions.add(v), () => {})
    }, 100)
    try {
      await expect(root).toHaveAttribute('data-busy', /hop|tour/, { timeout: 15_000 })
      // A second "next" while the hop runs is ignored without a red error.
      await page.keyboard.press('ArrowRight')
      await expect(page.getByTestId('error')).toHaveCount(0)
      // The shot for the README: the game on its way, mid-transfer.
      await expect(globe).toHaveAttribute('data-phase', /snapshot|frozen/, { timeout: 60_000 })
      await page.waitForTimeout(3000)
      await notBlank(page, 'test-results/presenter-during-hop.png')
      await expect(root).toHaveAttribute('data-busy', 'idle', { timeout: 150_000 })
    } finally {
      clearInterval(watch)
    }
    const a = hosts.get('stuttgart')!
    const b = hosts.get('strasbourg')!
    const between = [...positions].map(parseLatLon).filter(([lat, lon]) => {
      const inLat = lat > Math.min(a.lat, b.lat) - 0.5 && lat < Math.max(a.lat, b.lat) + 0.5
      const inLon = lon > Math.min(a.lon, b.lon) - 0.5 && lon < Math.max(a.lon, b.lon) + 0.5
      const atEnd = (Math.abs(lat - a.lat) < 0.01 && Math.abs(lon - a.lon) < 0.01) || (Math.abs(lat - b.lat) < 0.01 && Math.abs(lon - b.lon) < 0.01)
      return inLat && inLon && !atEnd
    })
    expect(between.length, `positions seen: ${[...positions].join(' ')}`).toBeGreaterThanOrEqual(5)
    await expect.poll(async () => parseLatLon(await globe.getAttribute('data-server')).map((x) => x.toFixed(2)).join(','), { timeout: 10_000 }).toBe(`${b.lat.toFixed(2)},${b.lon.toFixed(2)}`)
    await expect(page.getByTestId('headline')).toContainText(/\d/)
    await expect(stepper).not.toHaveText(before)
    await expect(page.getByTestId('hop-count')).toContainText(/of 4/)
    await notBlank(page, 'test-results/presenter-after-hop.png')

    // A second screen, in the normal view: the run is there at once.
    const second = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    const errors2 = trackPageErrors(second)
    await second.goto(server.url)
    await expect(second.locator('[data-app-state="ready"]')).toHaveAttribute('data-view', 'normal')
    await expect(second.getByTestId('hop-row')).toHaveCount(1, { timeout: 10_000 })
    await expect(second.getByTestId('hop-row')).toHaveAttribute('data-ok', 'true')
    await expect.poll(async () => Number(await second.getByTestId('ping-graph').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(200)
    await notBlank(second, 'test-results/normal-after-hop.png')
    await second.close()
    expect(errors).toEqual([])
    expect(errors2).toEqual([])
  })
})
