// The tour as stops (done / current / next), each finished hop's downtime, and what the next
// key press does: the presenter reads it instead of remembering.
import type { EngineState, HopResult } from '../../../shared/contract'
import { formatDuration as fmtMs } from '../../../shared/format'
import { nextPress, nextPressText, tourStops } from './tour-progress'

export interface TourStepperProps {
  state: EngineState | null
  hops: HopResult[]
  labelOf: (host: string) => string
  /** A next press was sent and the engine has not shown the hop yet. */
  pending: boolean
  /** A passing word for the presenter (e.g. why ← did nothing). */
  hint: string | null
}

export function TourStepper({ state, hops, labelOf, pending, hint }: TourStepperProps) {
  const stops = tourStops(state, hops)
  if (stops.length === 0) return null
  const press = nextPress(state, pending)
  const notConnected = state?.tour?.hosts.every((h) => h.conn === 'idle') ?? false
  return (
    <nav className="stepper" data-testid="stepper" aria-label="Tour">
      <ol>
        {stops.map((s) => (
          <li key={s.index} data-status={s.status} data-travelling={s.travelling || undefined} className={`stop ${s.status}${s.travelling ? ' travelling' : ''}`}>
            <span className="stop-mark" aria-hidden="true">
              {s.status === 'done' ? '✓' : s.status === 'current' ? '●' : s.travelling ? '➜' : '○'}
            </span>
            <span className="stop-name">{labelOf(s.host)}</span>
            {s.downtimeMs != null && <span className="stop-down">{fmtMs(s.downtimeMs)}</span>}
            {s.failed && <span className="stop-failed">last try failed</span>}
            <span className="visually-hidden">{s.status === 'current' ? ' (game here)' : s.travelling ? ' (on the way)' : s.status === 'done' ? ' (done)' : ''}</span>
          </li>
        ))}
      </ol>
      <p className="stepper-next" data-testid="next-press" data-kind={press.kind} aria-live="polite">
        {hint ?? (notConnected && (press.kind === 'hop' || press.kind === 'next') ? `C connects first · ${nextPressText(press, labelOf)}` : nextPressText(press, labelOf))}
      </p>
    </nav>
  )
}
