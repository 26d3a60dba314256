// The live outage clock of the hop under way: from the final freeze (step events) until the game
// is restored (what the engine knows; the players' own gap comes from the prober, in the headline). It ticks only while the game is out, so an idle screen redraws nothing.
import { useEffect, useState } from 'react'
import type { StepEvent } from '../../../shared/contract'
import { formatDuration as fmtMs } from '../../../shared/format'
import { outageElapsed, outageWindow } from './hop-figures'

export function OutageTimer({ steps, hopRunning }: { steps: StepEvent[]; hopRunning: boolean }) {
  const w = outageWindow(steps, hopRunning)
  const live = w !== null && w.endAt === null
  // The engine stamps events with its wall clock; the browser host and Electron run on the same
  // machine as the engine, so the page's clock is the engine's.
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!live) return
    const t = setInterval(() => setNow(Date.now()), 100)
    return () => clearInterval(t)
  }, [live])
  // Once the hop is over the headline shows what the players measured (the prober's gap): a second,
  // different number for the same outage would only confuse the hall.
  if (!hopRunning) return null
  return (
    <div className={`outage-timer${live ? ' live' : ''}`} data-testid="outage-timer" data-running={live} aria-live="off">
      <span className="figure-label">{live ? 'game frozen for' : w ? 'game was frozen for' : 'copying while the game runs'}</span>
      {w && <span className="figure-value">{fmtMs(outageElapsed(w, now))}</span>}
    </div>
  )
}
