// Checks shared by the web and electron projects: the first screen shows the tour and a live globe.
import { expect, type Page } from '@playwright/test'

/** Uncaught errors in the page: a React crash leaves a blank screen that no locator notices. */
export function trackPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  return errors
}

export const TOUR_LABELS = ['Stuttgart', 'Strasbourg', 'Montreal', 'Singapore']

export async function expectFirstScreen(page: Page): Promise<void> {
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible({ timeout: 30_000 })
  const hosts = page.getByTestId('host')
  await expect(hosts).toHaveCount(TOUR_LABELS.length)
  for (const label of TOUR_LABELS) await expect(hosts.filter({ hasText: label })).toHaveCount(1)
  await expect(page.getByTestId('metrics-table')).toBeVisible()
  await expect(page.getByTestId('ping-graph')).toBeVisible()

  // Let a few frames render, then read the context the globe really uses.
  await page.waitForTimeout(1000)
  const gl = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="globe-canvas"]')
    if (!canvas) return { error: 'no globe canvas' }
    const ctx = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null
    if (!ctx) return { error: 'no WebGL context on the globe canvas' }
    const info = ctx.getExtension('WEBGL_debug_renderer_info')
    const renderer = String(ctx.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : ctx.RENDERER))
    const w = ctx.drawingBufferWidth
    const h = ctx.drawingBufferHeight
    const px = new Uint8Array(w * h * 4)
    ctx.readPixels(0, 0, w, h, ctx.RGBA, ctx.UNSIGNED_BYTE, px)
    let sum = 0
    let sum2 = 0
    const n = w * h
    for (let i = 0; i < px.length; i += 4) {
      const l = 0.2126 * px[i]! + 0.7152 * px[i + 1]! + 0.0722 * px[i + 2]!
      sum += l
      sum2 += l * l
    }
    const mean = sum / n
    return { renderer, lost: ctx.isContextLost(), w, h, variance: sum2 / n - mean * mean }
  })
  expect(gl.error).toBeUndefined()
  expect(gl.lost).toBe(false)
  expect(gl.renderer).toBeTruthy()
  expect(gl.w).toBeGreaterThan(100)
  // A blank (single-colour) canvas has variance 0; the globe with coastlines is far above 1.
  expect(gl.variance).toBeGreaterThan(1)
  console.log(`WebGL renderer: ${gl.renderer}; canvas ${gl.w}x${gl.h}, pixel variance ${gl.variance?.toFixed(1)}`)
}
