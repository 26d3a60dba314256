// The live ping graph: what a player sees while the server travels. RTT at full rate over the
// last minute, a whole-run overview, step bands (frozen steps highlighted), outages with their
// length, lost probes, the current RTT in large type and where the server is now.
// Data lives in ring buffers (ping-store.ts); uPlot draws on a canvas at up to ~30 fps.
import { useEffect, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './ping-graph.css'
import type { AnyEvent, EngineState, GlobehopApi } from '../../../shared/contract'
import { COLOURS, drawBands, drawMarks, drawWindow, fmtSeconds } from './chart-draw'
import { PingStore, type WindowData } from './ping-store'

const WINDOW_MS = 60_000
const FRAME_MS = 33
const MAIN_HEIGHT = 200
const OVERVIEW_HEIGHT = 60

type Summary = {
  rttMs: number | null
  state: string
  target: string
  points: number
  outages: number
  lastOutage: { ms: number; hopId: string | null } | null
}

const STATE_TEXT: Record<string, string> = {
  off: 'not probing',
  probing: 'waiting for the first reply',
  answering: 'answering',
  outage: 'OUTAGE: no replies',
  silent: 'no answer at all (wrong address or port, or a firewall?)',
}

function locationOf(s: EngineState | null): string | null {
  if (!s?.currentHost) return null
  return s.tour?.hosts.find((h) => h.name === s.currentHost)?.label ?? s.currentHost
}

function axes(): uPlot.Axis[] {
  const common = { stroke: COLOURS.axis, grid: { stroke: COLOURS.grid, width: 1 }, ticks: { stroke: COLOURS.grid, width: 1 }, font: '12px system-ui, sans-serif' }
  return [common, { ...common, size: 64, values: (_u: uPlot, splits: number[]) => splits.map((v) => `${v} ms`) }]
}

export function PingGraph({ api }: { api: GlobehopApi }) {
  const [store] = useState(() => new PingStore())
  const [summary, setSummary] = useState<Summary>({ rttMs: null, state: 'off', target: '', points: 0, outages: 0, lastOutage: null })
  const [location, setLocation] = useState<string | null>(null)
  const mainRef = useRef<HTMLDivElement>(null)
  const overRef = useRef<HTMLDivElement>(null)
  const liveRef = useRef<HTMLSpanElement>(null)
  const labels = useRef(new Map<string, string>())
  /** Engine clock minus ours, so the window's right edge is the engine's "now". */
  const offset = useRef<number | null>(null)

  useEffect(() => {
    const onState = (s: EngineState) => {
      setLocation(locationOf(s))
      for (const h of s.tour?.hosts ?? []) labels.current.set(h.name, h.label)
    }
    const summarise = () => {
      let last: Summary['lastOutage'] = null
      for (const o of store.outages.values()) if (o.endAt !== null) last = { ms: o.endAt - o.startAt, hopId: o.hopId }
      setSummary({
        rttMs: store.current?.rttMs ?? null,
        state: store.state,
        target: store.target,
        points: store.points,
        outages: store.outages.size,
        lastOutage: last,
      })
    }
    const off = api.onEvent((e: AnyEvent) => {
      switch (e.name) {
        case 'probe': {
          const now = Date.now()
          for (const s of e.payload.samples) {
            if (s.rttMs === null) continue
            const cand = s.at + s.rttMs - now
            offset.current = offset.current === null || cand > offset.current ? cand : offset.current + (cand - offset.current) * 0.02
          }
          store.addProbe(e.payload)
          summarise()
          break
        }
        case 'outage':
          store.addOutage(e.payload)
          summarise()
          break
        case 'step':
          store.addStep(e.payload)
          break
        case 'hop':
          store.addHop(e.payload)
          break
        case 'state':
          onState(e.payload)
          break
        default:
      }
    })
    let alive = true
    api.getState({}).then(
      (s) => alive && onState(s),
      () => {},
    )
    return () => {
      alive = false
      off()
    }
  }, [api, store])

  useEffect(() => {
    const mainEl = mainRef.current
    const overEl = overRef.current
    if (!mainEl || !overEl) return
    const labelOf = (h: string) => labels.current.get(h) ?? h
    const nowMs = () => Date.now() + (offset.current ?? 0)
    let win: WindowData = { x: [], rtt: [], late: [], lost: [], maxTimelyRtt: 0 }
    let yMax = 50
    const width = () => Math.max(200, mainEl.clientWidth)

    const main = new uPlot(
      {
        width: width(),
        height: MAIN_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true, auto: false }, y: { auto: false, range: () => [0, yMax] } }, // both set every frame
        axes: axes(),
        series: [
          {},
          { label: 'RTT', stroke: COLOURS.rtt, width: 1.5, points: { show: false } },
          { label: 'late reply', stroke: COLOURS.late, paths: () => null, points: { show: true, size: 6, fill: COLOURS.late, stroke: COLOURS.late } },
        ],
        hooks: {
          drawClear: [(u) => drawBands(u, store, nowMs(), labelOf, true)],
          draw: [(u) => drawMarks(u, store, win.lost, nowMs())],
        },
      },
      [[], [], []],
      mainEl,
    )
    const over = new uPlot(
      {
        width: width(),
        height: OVERVIEW_HEIGHT,
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: true, auto: false }, y: { auto: true, range: (_u, _min, max) => [0, Math.max(10, (max ?? 0) * 1.1)] } },
        axes: [{ ...axes()[0]!, size: 24, font: '10px system-ui, sans-serif' }, { show: false }],
        series: [{}, { stroke: COLOURS.max, width: 1, points: { show: false } }, { stroke: COLOURS.rtt, width: 1.5, points: { show: false } }],
        hooks: {
          drawClear: [(u) => drawBands(u, store, nowMs(), labelOf, false)],
          draw: [(u) => drawWindow(u, nowMs() - WINDOW_MS, nowMs())],
        },
      },
      [[], [], []],
      overEl,
    )

    let overVersion = -1
    let lastOverDraw = 0
    let lastDraw = 0
    let raf = 0
    const frame = (t: number) => {
      raf = requestAnimationFrame(frame)
      if (t - lastDraw < FRAME_MS) return
      lastDraw = t
      const now = nowMs()
      win = store.window(now, WINDOW_MS)
      // Scale to the timely RTTs; late replies (seconds) are drawn clamped at the top edge.
      yMax = Math.max(20, Math.ceil((win.maxTimelyRtt * 1.25) / 10) * 10)
      const late = win.late.map((v) => (v === null ? null : Math.min(v, yMax)))
      main.batch(() => {
        main.setData([win.x, win.rtt, late], false)
        main.setScale('x', { min: (now - WINDOW_MS) / 1000, max: now / 1000 })
        main.setScale('y', { min: 0, max: yMax })
      })
      const open = store.openOutage()
      if (liveRef.current) liveRef.current.textContent = open ? `outage ${fmtSeconds(now - open.startAt)}` : ''
      // The overview moves slowly: redraw on new data, at most twice a second.
      if (store.version !== overVersion && t - lastOverDraw > 500) {
        overVersion = store.version
        lastOverDraw = t
        const o = store.overview.series()
        over.batch(() => {
          over.setData([o.x, o.max, o.mean], true)
          if (o.x.length) over.setScale('x', { min: o.x[0]!, max: Math.max(now / 1000, o.x[0]! + 60) })
        })
      }
    }
    raf = requestAnimationFrame(frame)
    const ro = new ResizeObserver(() => {
      main.setSize({ width: width(), height: MAIN_HEIGHT })
      over.setSize({ width: width(), height: OVERVIEW_HEIGHT })
    })
    ro.observe(mainEl)
    return () => {
      cancelAnimationFrame(raf)
      ro.disconnect()
      main.destroy()
      over.destroy()
    }
  }, [store])

  const rttText = summary.rttMs === null ? '—' : summary.rttMs < 10 ? summary.rttMs.toFixed(1) : Math.round(summary.rttMs).toString()
  const where = location ? `server in ${location}` : 'server location unknown'
  const aria =
    `Ping graph. ${summary.rttMs === null ? 'No current round trip' : `Round trip ${rttText} milliseconds`}, ${where}, ` +
    `${STATE_TEXT[summary.state] ?? summary.state}. ${summary.outages} outage${summary.outages === 1 ? '' : 's'}` +
    (summary.lastOutage ? `, last ${fmtSeconds(summary.lastOutage.ms)}.` : '.')

  return (
    <section
      className={`ping-graph ping-state-${summary.state}`}
      data-testid="ping-graph"
      data-points={summary.points}
      data-outages={summary.outages}
      data-state={summary.state}
      role="figure"
      aria-label={aria}
      tabIndex={0}
    >
      <header className="ping-head">
        <div className="ping-now" aria-hidden="true">
          <span className="ping-rtt" data-testid="ping-rtt">{rttText}</span>
          <span className="ping-unit">ms</span>
        </div>
        <div className="ping-where" aria-hidden="true">
          <div className="ping-loc" data-testid="ping-location">{location ?? '—'}</div>
          <div className="ping-target">
            {summary.target || 'no target'} · {STATE_TEXT[summary.state] ?? summary.state}
          </div>
        </div>
        <div className="ping-outage" aria-live="polite">
          <span ref={liveRef} />
          {summary.lastOutage && (
            <span className="ping-last">
              last outage {fmtSeconds(summary.lastOutage.ms)}
              {summary.lastOutage.hopId ? ` (hop ${summary.lastOutage.hopId})` : ''}
            </span>
          )}
        </div>
      </header>
      <div ref={mainRef} className="ping-main" />
      <div ref={overRef} className="ping-overview" aria-hidden="true" />
      <ul className="ping-legend" aria-hidden="true">
        <li style={{ color: COLOURS.rtt }}>RTT</li>
        <li style={{ color: COLOURS.late }}>late reply</li>
        <li style={{ color: COLOURS.lost }}>lost probe</li>
        <li className="ping-key-frozen">frozen</li>
        <li className="ping-key-outage">outage</li>
      </ul>
    </section>
  )
}
