// Software WebGL (SwiftShader, as Chromium uses on these machines) pays for every pixel on the
// CPU: the globe then draws with fewer pixels, no MSAA and fewer triangles.

export type Detail = 'low' | 'high'

/** From the unmasked renderer string. */
export function detailFor(renderer: string): Detail {
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer) ? 'low' : 'high'
}

/** Asks a throwaway canvas, so the globe's own context is created with the right options. */
export function detectDetail(): Detail {
  try {
    const c = document.createElement('canvas')
    const gl = (c.getContext('webgl2') ?? c.getContext('webgl')) as WebGLRenderingContext | null
    if (!gl) return 'low'
    const ext = gl.getExtension('WEBGL_debug_renderer_info')
    const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER))
    gl.getExtension('WEBGL_lose_context')?.loseContext()
    return detailFor(renderer)
  } catch {
    return 'low'
  }
}

/**
 * Software rendering: ratio 1, and at most ~1 MP of drawing buffer (measured with SwiftShader on
 * 2 cores: a clear-only 1920x1080 canvas runs 14 fps, 1280x720 41). Hardware: up to 2x for crisp lines.
 */
export const LOW_DETAIL_MAX_PIXELS = 1280 * 820

export function pixelRatioFor(detail: Detail, dpr: number, cssW: number, cssH: number): number {
  if (detail === 'high') return Math.min(dpr || 1, 2)
  const area = Math.max(1, cssW * cssH)
  return Math.min(1, Math.sqrt(LOW_DETAIL_MAX_PIXELS / area))
}
