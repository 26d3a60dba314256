// The ping graph's canvases: uPlot charts fed from the engine store's events into ring buffers
// (ping-store.ts), drawn on demand. While the prober runs, at most SLIDE_HZ frames a second slide
// the window (new samples ride along); otherwise a frame is drawn only when something changed, and
// an idle graph draws nothing at all.
import uPlot from 'uplot'
import type { AnyEvent } from '../../../shared/contract'
import type { RunHistoryFold } from '../../../shared/run-history'
import type { EngineStore } from '../store/engine-store'
import { formatDuration } from '../../../shared/format'
import { drawBands, drawMarks, drawWindow, type ChartColours } from './chart-draw'
import { PingStore, type WindowData } from './ping-store'
import { windowRight } from './window-right'

export type PingGraphVariant = 'full' | 'strip'

export const WINDOW_MS = 60_000
const SLIDE_HZ = 10
const OVERVIEW_EVERY_MS = 500
const MAIN_HEIGHT = 200
const OVERVIEW_HEIGHT = 60

/** The graph's buffers refilled from a whole history (at start, and when a `history` event replaces it). */
export function pingStoreOf(h: RunHistoryFold): PingStore {
  const p = new PingStore()
  const probe = h.probe
  p.addProbe({ samples: h.samples(), state: probe.state, target: probe.target })
  for (const o of h.outages()) p.addOutage(o)
  for (const s of h.steps()) p.addStep(s)
  for (const x of h.hops()) p.addHop(x)
  return p
}

function axes(variant: PingGraphVariant, c: ChartColours): uPlot.Axis[] {
  const common = { stroke: c.axis, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 }, font: '12px system-ui, sans-serif' }
  const y = { ...common, size: 64, values: (_u: uPlot, splits: number[]) => splits.map((v) => `${v} ms`) }
  // The strip: no time axis, a thin RTT scale; the big number beside it says the rest.
  if (variant === 'strip') return [{ show: false }, { ...y, size: 52, ticks: { show: false }, font: '11px system-ui, sans-serif' }]
  return [common, y]
}

export class PingChart {
  /** Frames drawn so far. */
  draws = 0
  private data: PingStore
  /** Engine clock minus ours, so the window's right edge is the engine's "now". */
  private offset: number | null = null
  /** The window's right edge while a replay is paused (window-right.ts). */
  private held: number | null = null
  private win: WindowData = { x: [], rtt: [], late: [], lost: [], maxTimelyRtt: 0 }
  private yMax = 50
  private readonly main: uPlot
  private readonly over: uPlot | null = null
  private raf = 0
  private slide: ReturnType<typeof setInterval> | null = null
  private overTimer: ReturnType<typeof setTimeout> | null = null
  private overVersion = -1
  private lastOverDraw = -Infinity
  private readonly off: () => void
  private readonly resize: ResizeObserver

  constructor(
    private readonly store: EngineStore,
    private readonly variant: PingGraphVariant,
    private readonly mainEl: HTMLElement,
    overEl: HTMLElement | null,
    private readonly liveEl: () => HTMLElement | null,
    colours: ChartColours,
  ) {
    this.data = pingStoreOf(store.history)
    const labelOf = (h: string) => store.history.state?.tour?.hosts.find((x) => x.name === h)?.label ?? h
    const detailed = variant === 'full'
    this.main = new uPlot(
      {
        ...this.size(),
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true, auto: false }, y: { auto: false, range: () => [0, this.yMax] } }, // both set every frame
        axes: axes(variant, colours),
        series: [
          {},
          { label: 'RTT', stroke: colours.rtt, width: 1.5, points: { show: false } },
          { label: 'late reply', stroke: colours.late, paths: () => null, points: { show: true, size: 6, fill: colours.late, stroke: colours.late } },
        ],
        hooks: {
          drawClear: [(u) => drawBands(u, colours, this.data, this.right(), labelOf, detailed)],
          // Before Connect nothing was lost: no red ticks for probes a stopped prober never sent.
          draw: [(u) => drawMarks(u, colours, this.data, this.probing() ? this.win.lost : [], this.right())],
        },
      },
      [[], [], []],
      mainEl,
    )
    if (overEl && variant === 'full') {
      this.over = new uPlot(
        {
          width: this.size().width,
          height: OVERVIEW_HEIGHT,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: true, auto: false }, y: { auto: true, range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.1)] } },
          axes: [{ ...axes('full', colours)[0]!, size: 24, font: '10px system-ui, sans-serif' }, { show: false }],
          series: [{}, { stroke: colours.max, width: 1, points: { show: false } }, { stroke: colours.rtt, width: 1.5, points: { show: false } }],
          hooks: {
            drawClear: [(u) => drawBands(u, colours, this.data, this.right(), labelOf, false)],
            draw: [(u) => drawWindow(u, colours, this.right() - WINDOW_MS, this.right())],
          },
        },
        [[], [], []],
        overEl,
      )
    }
    this.off = store.onFolded((e) => this.take(e))
    this.resize = new ResizeObserver(() => {
      this.main.setSize(this.size())
      this.over?.setSize({ width: this.size().width, height: OVERVIEW_HEIGHT })
      this.request()
    })
    this.resize.observe(mainEl)
    this.changed()
    this.request()
  }

  destroy(): void {
    this.off()
    this.resize.disconnect()
    cancelAnimationFrame(this.raf)
    if (this.slide) clearInterval(this.slide)
    if (this.overTimer) clearTimeout(this.overTimer)
    this.main.destroy()
    this.over?.destroy()
  }

  private size(): { width: number; height: number } {
    const width = Math.max(200, this.mainEl.clientWidth)
    // The strip takes the height its CSS gives it.
    return { width, height: this.variant === 'strip' ? Math.max(40, this.mainEl.clientHeight) : MAIN_HEIGHT }
  }

  private probing(): boolean {
    return this.store.history.probe.state !== 'off'
  }

  /** A replay stands still (its state says so): nothing slides. */
  private paused(): boolean {
    return this.store.history.state?.replay?.paused ?? false
  }

  /** The window's right edge: the engine's now while probing, else the newest sample; held while a replay is paused. */
  private right(): number {
    const r = windowRight({ engineNow: Date.now() + (this.offset ?? 0), probing: this.probing(), newestAt: this.data.newestAt(), paused: this.paused(), held: this.held })
    this.held = r.held
    return r.right
  }

  private take(e: AnyEvent): void {
    switch (e.name) {
      case 'probe': {
        const now = Date.now()
        for (const s of e.payload.samples) {
          if (s.rttMs === null) continue
          const cand = s.at + s.rttMs - now
          this.offset = this.offset === null || cand > this.offset ? cand : this.offset + (cand - this.offset) * 0.02
        }
        this.data.addProbe(e.payload)
        break
      }
      case 'outage':
        this.data.addOutage(e.payload)
        break
      case 'step':
        this.data.addStep(e.payload)
        break
      case 'hop':
        this.data.addHop(e.payload)
        break
      case 'history':
        this.data = pingStoreOf(this.store.history)
        this.overVersion = -1
        // A whole new history may sit elsewhere on the engine's clock (another tour, a replay moved
        // to a new position): the next samples say where its "now" is.
        this.offset = null
        // A seek while paused puts the new position at the engine's now: take the edge again.
        this.held = null
        break
      case 'state':
        break // host labels: drawn from the store's state at the next frame
      default:
        return
    }
    this.changed()
  }

  /** While probing (and not paused) the slide timer picks changes up; otherwise one frame now. */
  private changed(): void {
    const probing = this.probing() && !this.paused()
    if (probing && !this.slide) this.slide = setInterval(() => this.request(), 1000 / SLIDE_HZ)
    if (!probing && this.slide) {
      clearInterval(this.slide)
      this.slide = null
    }
    if (!this.slide) this.request()
  }

  private request(): void {
    if (this.raf) return
    this.raf = requestAnimationFrame((t) => {
      this.raf = 0
      this.draw(t)
    })
  }

  private draw(t: number): void {
    this.draws++
    const right = this.right()
    // Where the drawn window ends (ms): what a test reads to tell a sliding graph from a still one.
    this.mainEl.dataset.windowRight = String(Math.round(right))
    this.win = this.data.window(right, WINDOW_MS)
    // Scale to the timely RTTs; late replies (seconds) are drawn clamped at the top edge.
    const yMax = Math.max(20, Math.ceil((this.win.maxTimelyRtt * 1.25) / 10) * 10)
    this.yMax = yMax
    const late = this.win.late.map((v) => (v === null ? null : Math.min(v, yMax)))
    this.main.batch(() => {
      this.main.setData([this.win.x, this.win.rtt, late], false)
      this.main.setScale('x', { min: (right - WINDOW_MS) / 1000, max: right / 1000 })
      this.main.setScale('y', { min: 0, max: yMax })
    })
    const open = this.probing() ? this.data.openOutage() : null
    const live = this.liveEl()
    if (live) live.textContent = open ? `outage ${formatDuration(right - open.startAt)}` : ''
    this.drawOverview(t, right)
  }

  /** The overview moves slowly: on new data, at most twice a second (a late change is drawn when its turn comes). */
  private drawOverview(t: number, right: number): void {
    const over = this.over
    if (!over || this.data.version === this.overVersion) return
    if (t - this.lastOverDraw < OVERVIEW_EVERY_MS) {
      // Not the main chart: while probing it slides on its own clock.
      this.overTimer ??= setTimeout(
        () => {
          this.overTimer = null
          this.drawOverview(performance.now(), this.right())
        },
        OVERVIEW_EVERY_MS - (t - this.lastOverDraw),
      )
      return
    }
    this.overVersion = this.data.version
    this.lastOverDraw = t
    const o = this.data.overview.series()
    over.batch(() => {
      over.setData([o.x, o.max, o.mean], true)
      if (o.x.length) over.setScale('x', { min: o.x[0]!, max: Math.max(right / 1000, o.x[0]! + 60) })
    })
  }
}
