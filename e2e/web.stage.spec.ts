// Stage mode without a lab (the loopback tour: nothing answers, nothing is sent before Connect):
// the presenter view's sizes at two projector resolutions, the clicker-safe keys, a calm first
// screen, and the normal view at small screens. Screenshots of both views are kept and checked.
import { expect, test, type Page } from '@playwright/test'
import path from 'node:path'
import { Engine } from '../src/core/engine'
import { serve, type RunningServer } from '../src/server/serve'
import { E2E_TOKEN } from '../playwright.config'
import { trackPageErrors } from './first-screen'
import { pngVariance } from './png-variance'

const TOKEN = `#token=${E2E_TOKEN}`

async function open(page: Page, query: string, size: { width: number; height: number }) {
  await page.setViewportSize(size)
  await page.goto(`/${query}${TOKEN}`)
  const root = page.locator('[data-app-state="ready"]')
  await expect(root).toBeVisible({ timeout: 30_000 })
  return root
}

/** A screenshot kept as an artifact, and proof it is not one flat colour. */
async function keepScreenshot(page: Page, file: string): Promise<void> {
  const png = await page.screenshot({ path: `test-results/${file}` })
  const { all: variance } = await pngVariance(page, png)
  expect(variance, `${file} is blank`).toBeGreaterThan(20)
}

/** Visible elements drawn in red (text, background or border): an alarm before anything happened. */
function redElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const red = (c: string) => {
      const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(c)
      if (!m) return false
      const [r, g, b, a] = [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])]
      return a > 0.2 && r >= 170 && g < 120 && b < 120
    }
    const found: string[] = []
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      // The ping graph's legend names the chart's colours (a key, not a state): not an alarm.
      if (el.closest('.ping-legend')) continue
      const box = el.getBoundingClientRect()
      if (box.width === 0 || box.height === 0) continue
      const s = getComputedStyle(el)
      if (s.visibility === 'hidden' || s.opacity === '0') continue
      const hasText = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '')
      const borders = s.borderTopWidth !== '0px' || s.borderLeftWidth !== '0px'
      if ((hasText && red(s.color)) || red(s.backgroundColor) || (borders && red(s.borderTopColor))) {
        found.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent?.slice(0, 40)}"`)
      }
    }
    return found
  })
}

for (const size of [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
]) {
  test(`presenter view at ${size.width}x${size.height}: the globe fills the screen, the numbers read from the back`, async ({ page }) => {
    const errors = trackPageErrors(page)
    const root = await open(page, '?view=presenter', size)
    await expect(root).toHaveAttribute('data-view', 'presenter')
    const vh = size.height

    const globe = page.getByTestId('globe')
    const box = (await globe.boundingBox())!
    expect((box.width * box.height) / (size.width * size.height)).toBeGreaterThanOrEqual(0.5)

    const rtt = page.getByTestId('ping-rtt')
    await expect(rtt).toBeVisible()
    expect(await rtt.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(0.07 * vh)
    await expect(page.getByTestId('ping-location')).toBeVisible()
    await expect(page.getByTestId('hop-count')).toHaveText('hop 1 of 4')
    const stepper = page.getByTestId('stepper')
    await expect(stepper).toContainText('Stuttgart')
    await expect(stepper).toContainText('Singapore')
    await expect(page.getByTestId('next-press')).toContainText('hop to Strasbourg')

    // The show only: no field, log or table.
    await expect(page.getByLabel('Tour file path')).toHaveCount(0)
    await expect(page.getByTestId('command-log')).toHaveCount(0)
    await expect(page.getByTestId('metrics-table')).toHaveCount(0)
    await expect(page.getByTestId('preflight-table')).toHaveCount(0)

    // Every word of the stage overlay is at least 2.5 % of the screen height.
    const small = await page.evaluate((minPx) => {
      const out: string[] = []
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('.stage-top *, .stepper *, .stage-notice'))) {
        const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== '')
        if (!own || el.getBoundingClientRect().width === 0 || el.closest('.visually-hidden')) continue
        const px = parseFloat(getComputedStyle(el).fontSize)
        if (px < minPx) out.push(`${el.className} "${el.textContent}" ${px}px`)
      }
      return out
    }, 0.025 * vh - 0.01)
    expect(small).toEqual([])

    expect(await redElements(page)).toEqual([])
    await keepScreenshot(page, `stage-presenter-${size.width}x${size.height}.png`)
    expect(errors).toEqual([])
  })
}

test('V switches the view both ways and the address keeps it; T and ?theme=light switch the theme', async ({ page }) => {
  const root = await open(page, '', { width: 1280, height: 720 })
  await expect(root).toHaveAttribute('data-view', 'normal')
  await page.keyboard.press('v')
  await expect(root).toHaveAttribute('data-view', 'presenter')
  expect(new URL(page.url()).searchParams.get('view')).toBe('presenter')
  await page.keyboard.press('V')
  await expect(root).toHaveAttribute('data-view', 'normal')
  expect(new URL(page.url()).searchParams.get('view')).toBeNull()

  await expect(root).toHaveAttribute('data-theme', 'dark')
  await page.keyboard.press('t')
  await expect(root).toHaveAttribute('data-theme', 'light')
  const light = await open(page, '?theme=light&view=presenter', { width: 1280, height: 720 })
  await expect(light).toHaveAttribute('data-theme', 'light')
  expect(await light.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)')
  // The ping strip follows the theme too (a dark panel on a light page would wash out).
  const strip = page.getByTestId('ping-graph')
  await expect(strip).toHaveAttribute('data-theme', 'light')
  expect(await strip.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 255, 255)')
  await keepScreenshot(page, 'stage-presenter-light-1280x720.png')
})

test('B and . black the screen out; behind it "next" does nothing; ? opens the keys and Esc closes them', async ({ page }) => {
  const errors = trackPageErrors(page)
  const root = await open(page, '?view=presenter', { width: 1280, height: 720 })
  await page.keyboard.press('b')
  const black = page.getByTestId('blackout')
  await expect(black).toBeVisible()
  const cover = await black.evaluate((el) => {
    const r = el.getBoundingClientRect()
    return { w: r.width, h: r.height, bg: getComputedStyle(el).backgroundColor }
  })
  expect(cover).toEqual({ w: 1280, h: 720, bg: 'rgb(0, 0, 0)' })
  // A clicker's next, Esc and other keys leave the screen black and start nothing.
  for (const key of ['ArrowRight', 'PageDown', 'Escape', 'v']) await page.keyboard.press(key)
  await expect(black).toBeVisible()
  await expect(root).toHaveAttribute('data-busy', 'idle')
  await expect(root).toHaveAttribute('data-view', 'presenter')
  await page.keyboard.press('.')
  await expect(black).toHaveCount(0)
  await page.keyboard.press('.')
  await expect(black).toBeVisible()
  await page.keyboard.press('B')
  await expect(black).toHaveCount(0)

  await page.keyboard.press('?')
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(help).toBeVisible()
  await expect(help).toContainText('PageDown')
  await page.keyboard.press('Escape')
  await expect(help).toHaveCount(0)

  // ← and PageUp are harmless: a word for the presenter, nothing red, nothing started.
  await page.keyboard.press('PageUp')
  await expect(page.getByTestId('next-press')).toContainText('cannot be taken back')
  await expect(root).toHaveAttribute('data-busy', 'idle')
  expect(await redElements(page)).toEqual([])
  expect(errors).toEqual([])
})

test('before Connect the normal view is calm: one primary Connect, what to press, nothing red', async ({ page }) => {
  const errors = trackPageErrors(page)
  await open(page, '', { width: 1280, height: 720 })
  await expect(page.getByTestId('connect-hint')).toContainText('Connect')
  const connect = page.getByRole('button', { name: 'Connect', exact: true })
  await expect(connect).toHaveClass(/primary/)
  await expect(page.locator('button.primary')).toHaveCount(1)
  await expect(page.getByTestId('stepper')).toContainText('C connects first')
  await expect(page.getByTestId('host').first()).toContainText('not connected')
  expect(await redElements(page)).toEqual([])
  // The hop table is on the first screen at 1280x720.
  const table = (await page.getByTestId('metrics-table').boundingBox())!
  expect(table.y + Math.min(table.height, 60)).toBeLessThanOrEqual(720)
  await keepScreenshot(page, 'stage-normal-1280x720.png')
  expect(errors).toEqual([])
})

test('1024x768: the header fits and Cancel is on screen', async ({ page }) => {
  await open(page, '', { width: 1024, height: 768 })
  const cancel = page.getByRole('button', { name: 'Cancel' })
  const b = (await cancel.boundingBox())!
  expect(b.x).toBeGreaterThanOrEqual(0)
  expect(b.x + b.width).toBeLessThanOrEqual(1024)
  expect(b.y + b.height).toBeLessThanOrEqual(768)
  const overflow = await page.locator('header.bar').evaluate((el) => el.scrollWidth - el.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024)
  await keepScreenshot(page, 'stage-normal-1024x768.png')
})

test('focus is never trapped: Enter in the tour field loads and gives the keys back, Esc leaves the field', async ({ page }) => {
  await open(page, '', { width: 1280, height: 720 })
  const input = page.getByLabel('Tour file path')
  await input.fill('e2e/fixtures/loopback.yaml')
  await input.press('Enter')
  await expect(input).not.toBeFocused()
  await page.keyboard.press('?')
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
  await page.keyboard.press('Escape')
  // Typing in the field is typing, not commands; Esc hands the keys back.
  await input.click()
  await page.keyboard.type('v?b')
  await expect(page.locator('[data-app-state="ready"]')).toHaveAttribute('data-view', 'normal')
  await expect(page.getByTestId('blackout')).toHaveCount(0)
  await page.keyboard.press('Escape')
  await expect(input).not.toBeFocused()
  await page.keyboard.press('v')
  await expect(page.locator('[data-app-state="ready"]')).toHaveAttribute('data-view', 'presenter')
})

test('a broken tour file: its problems once, the first with its place', async ({ page }) => {
  await open(page, '', { width: 1280, height: 720 })
  const input = page.getByLabel('Tour file path')
  await input.fill('e2e/fixtures/bad-tour.yaml')
  await input.press('Enter')
  const problems = page.getByTestId('tour-problems')
  await expect(problems).toHaveCount(1)
  await expect(problems).toContainText('bad-tour.yaml:5:')
  // Not twice (banner and panel).
  await expect(page.getByTestId('error')).toHaveCount(0)
  await input.fill('e2e/fixtures/loopback.yaml')
  await input.press('Enter')
  await expect(problems).toHaveCount(0)
})

test.describe('a host that cannot be reached', () => {
  // Its own engine: a Connect here must not leave the shared server's hosts in error for other tests.
  let engine: Engine
  let server: RunningServer
  test.beforeAll(async () => {
    engine = new Engine({ host: 'browser', version: 'e2e', probe: false })
    await engine.loadTour(path.resolve(import.meta.dirname, 'fixtures/loopback.yaml'))
    server = await serve({ engine, rendererDir: path.resolve(import.meta.dirname, '../out/renderer'), port: 0, log: () => {} })
  })
  test.afterAll(async () => {
    await server?.close()
    await engine?.close()
  })

  test('says why on its row, once, and "unreachable" beside its globe marker', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.goto(server.url)
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible({ timeout: 30_000 })
    await page.keyboard.press('c')
    const row = page.getByTestId('host').filter({ hasText: 'Stuttgart' })
    await expect(row).toContainText(/refused|cannot connect/, { timeout: 15_000 })
    expect((await row.innerText()).match(/stuttgart:/gi) ?? []).toHaveLength(0)
    await expect(page.locator('.globe-name[data-host="stuttgart"]')).toHaveText('Stuttgart · unreachable')
  })
})
