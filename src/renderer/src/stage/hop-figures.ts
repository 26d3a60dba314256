// The numbers the audience reads: how long the game is out during the hop under way (from the
// step events, so a reload mid-hop shows the same clock) and the last hop's headline figures.
import type { HopResult, StepEvent } from '../../../shared/contract'
import { formatBytes as fmtBytes, formatDuration as fmtMs } from '../../../shared/format'

export interface OutageWindow {
  /** Engine wall clock (ms since epoch) when the final freeze began. */
  startAt: number
  /** When the game served again (restore done, or the rollback ended); null while it is out. */
  endAt: number | null
}

/**
 * The final freeze starts the outage (the checkpoint step; pre-copy's snapshots pause the game
 * only briefly while it keeps running). It ends when the restore is done on the destination, or
 * when a rollback ended; if the hop is over without either, at its last step event.
 */
export function outageWindow(steps: StepEvent[], hopRunning: boolean): OutageWindow | null {
  const start = steps.find((e) => e.step === 'checkpoint' && e.phase === 'start')
  if (!start) return null
  const after = steps.filter((e) => e.hopId === start.hopId && e.at >= start.at)
  const restored = after.find((e) => e.step === 'restore' && e.phase === 'end')
  const rollbacks = after.filter((e) => e.step === 'rollback' && (e.phase === 'end' || e.phase === 'fail'))
  const rolledBack = rollbacks[rollbacks.length - 1]
  const rollingBack = after.some((e) => e.step === 'rollback' && e.phase === 'start')
  // A failed restore is followed by a rollback: the game is back only when that one ends.
  if (restored && !rollingBack) return { startAt: start.at, endAt: restored.at }
  if (rolledBack && !hopRunning) return { startAt: start.at, endAt: rolledBack.at }
  if (hopRunning) return { startAt: start.at, endAt: null }
  const lastAt = after.length ? after[after.length - 1]!.at : start.at
  return { startAt: start.at, endAt: lastAt }
}

/** Milliseconds shown by the outage timer at `now` (engine clock); never negative. */
export function outageElapsed(w: OutageWindow, now: number): number {
  return Math.max(0, (w.endAt ?? now) - w.startAt)
}

export interface Headline {
  route: string
  ok: boolean
  /** Client-observed downtime, the figure the hop is about. */
  downtime: string
  /** What moved: bytes on the wire and the technique. */
  moved: string
  technique: string
  /** Where the game is after a failed hop. */
  outcome: string | null
}

export function headline(h: HopResult, labelOf: (host: string) => string): Headline {
  const down = h.client?.downtimeMs
  return {
    route: `${labelOf(h.from)} → ${labelOf(h.to)}`,
    ok: h.ok,
    downtime: down == null ? 'not measured' : fmtMs(down),
    moved: h.wireBytes == null ? 'size not measured' : `${fmtBytes(h.wireBytes)} on the wire`,
    technique: h.technique,
    outcome: h.ok ? null : h.containerOn ? `failed; the game stayed on ${labelOf(h.containerOn)}` : 'failed; no host runs the game',
  }
}
