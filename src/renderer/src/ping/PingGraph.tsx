// The live ping graph: what a player sees while the server travels. RTT at full rate over the
// last minute, a whole-run overview, step bands (frozen steps highlighted), outages with their
// length, lost probes, the current RTT in large type and where the server is now. Everything comes
// from the engine store, so a reload or a second screen shows the last 10 minutes at once.
// 'strip' is the presenter's: one compact chart beside the RTT in type sized to the screen.
import { useEffect, useMemo, useRef } from 'react'
import 'uplot/dist/uPlot.min.css'
import './ping-graph.css'
import type { EngineState, GlobehopApi, Outage } from '../../../shared/contract'
import { engineStore, selectOutages, selectProbe, selectState } from '../store/engine-store'
import { useEngineStore } from '../store/use-engine-store'
import { formatDuration } from '../../../shared/format'
import { CHART_COLOURS } from './chart-draw'
import { PingChart, type PingGraphVariant } from './ping-chart'

export type { PingGraphVariant } from './ping-chart'

const STATE_TEXT: Record<string, string> = {
  off: 'not probing yet: Connect starts the ping',
  probing: 'waiting for the first reply',
  answering: 'answering',
  outage: 'OUTAGE: no replies',
  silent: 'no answer at all (wrong address or port, or a firewall?)',
}

function locationOf(s: EngineState | null): string | null {
  if (!s?.currentHost) return null
  return s.tour?.hosts.find((h) => h.name === s.currentHost)?.label ?? s.currentHost
}

function lastEnded(outages: Outage[]): { ms: number; hopId: string | null } | null {
  for (let i = outages.length - 1; i >= 0; i--) {
    const o = outages[i]!
    if (o.endAt !== null) return { ms: o.endAt - o.startAt, hopId: o.hopId }
  }
  return null
}

export function PingGraph({ api, variant = 'full', theme = 'dark' }: { api: GlobehopApi; variant?: PingGraphVariant; theme?: 'dark' | 'light' }) {
  const colours = CHART_COLOURS[theme]
  const probe = useEngineStore(api, selectProbe)
  const outages = useEngineStore(api, selectOutages)
  const location = locationOf(useEngineStore(api, selectState))
  const lastOutage = useMemo(() => lastEnded(outages), [outages])
  const mainRef = useRef<HTMLDivElement>(null)
  const overRef = useRef<HTMLDivElement>(null)
  const liveRef = useRef<HTMLSpanElement>(null)

  useEffect(() => {
    const mainEl = mainRef.current
    if (!mainEl) return
    // A theme change draws a new chart in the other palette (it keeps its data: the store holds it).
    const chart = new PingChart(engineStore(api), variant, mainEl, overRef.current, () => liveRef.current, CHART_COLOURS[theme])
    return () => chart.destroy()
  }, [api, variant, theme])

  const rttText = probe.rttMs === null ? '—' : probe.rttMs < 10 ? probe.rttMs.toFixed(1) : Math.round(probe.rttMs).toString()
  const stateText = STATE_TEXT[probe.state] ?? probe.state
  const where = location ? `server in ${location}` : 'server location unknown'
  const aria =
    `Ping graph. ${probe.rttMs === null ? 'No current round trip' : `Round trip ${rttText} milliseconds`}, ${where}, ` +
    `${stateText}. ${outages.length} outage${outages.length === 1 ? '' : 's'}` +
    (lastOutage ? `, last ${formatDuration(lastOutage.ms)}.` : '.')
  const attrs = {
    'data-testid': 'ping-graph',
    'data-variant': variant,
    'data-theme': theme,
    'data-points': probe.samples,
    'data-outages': outages.length,
    'data-state': probe.state,
    role: 'figure',
    'aria-label': aria,
    tabIndex: 0,
  }

  if (variant === 'strip') {
    return (
      <section className={`ping-graph ping-strip ping-state-${probe.state}`} {...attrs}>
        <div className="ping-strip-now" aria-hidden="true">
          <div className="ping-now">
            <span className="ping-rtt" data-testid="ping-rtt">{rttText}</span>
            <span className="ping-unit">ms</span>
          </div>
          <div className="ping-loc" data-testid="ping-location">{location ?? '—'}</div>
          <div className="ping-target">{probe.state === 'answering' ? 'ping to the game server' : stateText}</div>
        </div>
        <div ref={mainRef} className="ping-main" />
      </section>
    )
  }

  return (
    <section className={`ping-graph ping-state-${probe.state}`} {...attrs}>
      <header className="ping-head">
        <div className="ping-now" aria-hidden="true">
          <span className="ping-rtt" data-testid="ping-rtt">{rttText}</span>
          <span className="ping-unit">ms</span>
        </div>
        <div className="ping-where" aria-hidden="true">
          <div className="ping-loc" data-testid="ping-location">{location ?? '—'}</div>
          <div className="ping-target">
            {probe.target || 'no target'} · {stateText}
          </div>
        </div>
        <div className="ping-outage" aria-live="polite">
          <span ref={liveRef} />
          {lastOutage && (
            <span className="ping-last">
              last outage {formatDuration(lastOutage.ms)}
              {lastOutage.hopId ? ` (hop ${lastOutage.hopId})` : ''}
            </span>
          )}
        </div>
      </header>
      <div ref={mainRef} className="ping-main" />
      <div ref={overRef} className="ping-overview" aria-hidden="true" />
      <ul className="ping-legend" aria-hidden="true">
        <li style={{ color: colours.rtt }}>RTT</li>
        <li style={{ color: colours.late }}>late reply</li>
        <li style={{ color: colours.lost }}>lost probe</li>
        <li className="ping-key-frozen">frozen</li>
        <li className="ping-key-outage">outage</li>
      </ul>
    </section>
  )
}
