// Canvas overlays drawn into uPlot's plot area: step bands (frozen steps highlighted), hop
// spans, outages with their duration, lost-probe ticks, and the overview's window marker.
import type uPlot from 'uplot'
import { formatDuration } from '../../../shared/format'
import type { PingStore } from './ping-store'

const DARK = {
  axis: '#8a99b3',
  grid: '#1e2a40',
  rtt: '#6ee7ff',
  max: 'rgba(110, 231, 255, 0.35)',
  late: '#ffb020',
  lost: '#ff5d5d',
  outage: 'rgba(255, 93, 93, 0.30)',
  frozen: 'rgba(255, 176, 32, 0.30)',
  step: ['rgba(110, 231, 255, 0.07)', 'rgba(110, 231, 255, 0.13)'],
  hop: 'rgba(61, 220, 132, 0.9)',
  text: '#e6edf7',
  window: 'rgba(230, 237, 247, 0.12)',
}
export type ChartColours = typeof DARK

/** One palette per projector theme; the light one keeps the same meanings in darker inks. */
export const CHART_COLOURS: Record<'dark' | 'light', ChartColours> = {
  dark: DARK,
  light: {
    axis: '#475569',
    grid: '#d5dce6',
    rtt: '#0369a1',
    max: 'rgba(3, 105, 161, 0.35)',
    late: '#b45309',
    lost: '#b91c1c',
    outage: 'rgba(185, 28, 28, 0.22)',
    frozen: 'rgba(180, 83, 9, 0.25)',
    step: ['rgba(3, 105, 161, 0.06)', 'rgba(3, 105, 161, 0.12)'],
    hop: 'rgba(21, 128, 61, 0.9)',
    text: '#0b1220',
    window: 'rgba(11, 18, 32, 0.10)',
  },
}

function xPos(u: uPlot, ms: number): number {
  return u.valToPos(ms / 1000, 'x', true)
}

/** Clamped horizontal span in canvas pixels, or null when off screen. */
function span(u: uPlot, fromMs: number, toMs: number): [number, number] | null {
  const { left, width } = u.bbox
  const a = Math.max(left, xPos(u, fromMs))
  const b = Math.min(left + width, xPos(u, toMs))
  return b > a ? [a, b] : null
}


/** Bands behind the series. `nowMs` closes what is still open. */
export function drawBands(u: uPlot, c: ChartColours, store: PingStore, nowMs: number, labelOf: (host: string) => string, detailed: boolean): void {
  const ctx = u.ctx
  const { top, height } = u.bbox
  const px = devicePixelRatio || 1
  ctx.save()
  store.steps.forEach((b, i) => {
    const s = span(u, b.start, b.end ?? nowMs)
    if (!s) return
    ctx.fillStyle = b.frozen ? c.frozen : c.step[i % 2]!
    ctx.fillRect(s[0], top, Math.max(px, s[1] - s[0]), height)
    if (detailed && s[1] - s[0] > 40 * px) {
      ctx.fillStyle = b.frozen ? c.late : c.axis
      ctx.font = `${10 * px}px system-ui, sans-serif`
      ctx.textBaseline = 'bottom'
      ctx.fillText(b.step + (b.frozen ? ' (frozen)' : ''), s[0] + 3 * px, top + height - 3 * px)
    }
  })
  for (const o of store.outages.values()) {
    const s = span(u, o.startAt, o.endAt ?? nowMs)
    if (!s) continue
    ctx.fillStyle = c.outage
    ctx.fillRect(s[0], top, Math.max(2 * px, s[1] - s[0]), height)
  }
  // Hop starts: a line and the destination's name.
  for (const h of store.hops) {
    const x = xPos(u, h.start)
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue
    ctx.fillStyle = c.hop
    ctx.fillRect(x, top, px, height)
    if (detailed) {
      ctx.font = `${11 * px}px system-ui, sans-serif`
      ctx.textBaseline = 'top'
      ctx.fillText(`→ ${labelOf(h.to)}`, x + 3 * px, top + 2 * px)
    }
  }
  ctx.restore()
}

/** On top of the series: lost-probe ticks and outage durations. */
export function drawMarks(u: uPlot, c: ChartColours, store: PingStore, lost: readonly number[], nowMs: number): void {
  const ctx = u.ctx
  const { top, height } = u.bbox
  const px = devicePixelRatio || 1
  ctx.save()
  ctx.fillStyle = c.lost
  for (const at of lost) {
    const x = xPos(u, at)
    ctx.fillRect(x - px, top + height - 8 * px, 2 * px, 8 * px)
  }
  ctx.font = `bold ${13 * px}px system-ui, sans-serif`
  ctx.textBaseline = 'top'
  // Newest first: when outages sit close together (pre-copy snapshots, then the final freeze) the
  // latest keeps its label and an older one that would overlap it is left unlabelled.
  let freeFrom = Infinity
  for (const o of [...store.outages.values()].reverse()) {
    const s = span(u, o.startAt, o.endAt ?? nowMs)
    if (!s) continue
    const text = `${o.endAt === null ? 'outage ' : ''}${formatDuration((o.endAt ?? nowMs) - o.startAt)}`
    const x = s[0] + 3 * px
    const w = ctx.measureText(text).width
    if (x + w + 4 * px > freeFrom) continue
    freeFrom = x
    ctx.fillStyle = c.text
    ctx.fillText(text, x, top + 16 * px)
  }
  ctx.restore()
}

/** The overview's marker for what the main chart shows. */
export function drawWindow(u: uPlot, c: ChartColours, fromMs: number, toMs: number): void {
  const s = span(u, fromMs, toMs)
  if (!s) return
  const ctx = u.ctx
  ctx.save()
  ctx.fillStyle = c.window
  ctx.fillRect(s[0], u.bbox.top, s[1] - s[0], u.bbox.height)
  ctx.restore()
}
