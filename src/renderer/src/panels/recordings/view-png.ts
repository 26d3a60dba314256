// "PNG of this view": the page as it is drawn now, composed in the renderer: the DOM (text,
// tables) through modern-screenshot's SVG foreignObject, the canvases (the three.js globe keeps its
// drawing buffer: globe-scene.ts sets preserveDrawingBuffer; uPlot's 2D canvases) copied in place.
// Elements marked data-png="skip" (the Recordings panel's own controls) are left out.
import { domToBlob } from 'modern-screenshot'

export async function viewPng(root: HTMLElement = document.body): Promise<Blob> {
  const blob = await domToBlob(root, {
    type: 'image/png',
    scale: Math.min(2, window.devicePixelRatio || 1),
    backgroundColor: getComputedStyle(document.body).backgroundColor || '#05070d',
    // System fonts only: nothing to fetch, and nothing leaves the page.
    font: false,
    filter: (n) => !(n instanceof HTMLElement && n.dataset.png === 'skip'),
    timeout: 10_000,
  })
  if (!blob || blob.size === 0) throw new Error('the view could not be drawn into a PNG')
  return blob
}
