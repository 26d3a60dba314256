// Proof that a PNG (a screenshot, an exported picture) is not one flat colour: the luminance
// variance of the whole image and of a region, decoded in the page (no image library in Node).
import type { Page } from '@playwright/test'

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** `region` is in CSS px of a document `cssWidth` wide (the image may be at a device pixel ratio). */
export async function pngVariance(page: Page, png: Buffer, region?: { rect: Rect; cssWidth: number }): Promise<{ width: number; height: number; all: number; region: number | null }> {
  return page.evaluate(
    async ({ b64, region }) => {
      const img = new Image()
      img.src = `data:image/png;base64,${b64}`
      await img.decode()
      const c = document.createElement('canvas')
      c.width = img.width
      c.height = img.height
      const ctx = c.getContext('2d')!
      ctx.drawImage(img, 0, 0)
      const variance = (x: number, y: number, w: number, h: number) => {
        const { data } = ctx.getImageData(x, y, w, h)
        let sum = 0
        let sum2 = 0
        for (let i = 0; i < data.length; i += 4) {
          const l = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!
          sum += l
          sum2 += l * l
        }
        const n = data.length / 4
        return sum2 / n - (sum / n) ** 2
      }
      const k = region ? img.width / region.cssWidth : 1
      const r = region?.rect
      return {
        width: img.width,
        height: img.height,
        all: variance(0, 0, img.width, img.height),
        region: r ? variance(Math.round(r.x * k), Math.round(r.y * k), Math.round(r.width * k), Math.round(r.height * k)) : null,
      }
    },
    { b64: png.toString('base64'), region },
  )
}
