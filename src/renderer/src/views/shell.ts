// What the app shell hands to a view: the engine view, the presenter's state and the commands.
import type { GlobehopApi } from '../../../shared/contract'
import type { Mode } from '../../../shared/tour'
import type { NextPress } from '../stage/tour-progress'
import type { StageTheme } from '../stage/url-options'
import type { EngineView } from '../useEngine'

export interface Shell {
  api: GlobehopApi
  view: EngineView
  labelOf: (host: string) => string
  /** What Right / Space / PageDown does now. */
  press: NextPress
  pending: boolean
  hint: string | null
  /** When one Esc armed the cancel, or null. */
  armedAt: number | null
  outcome: string | null
  theme: StageTheme
  mode: Mode | ''
  setMode: (m: Mode | '') => void
  connect: () => void
  preflight: () => void
  next: () => void
  runTour: () => void
  cancel: () => void
  /** Something runs that Cancel stops: a preflight, a hop, a tour, or a pending Connect. */
  cancellable: boolean
  loadTour: (path: string) => void
  toggleView: () => void
  toggleHelp: () => void
}

/** The host the next hop goes to (or is going to), for the globe and the buttons. */
export function nextHostOf(shell: Shell): string | null {
  const s = shell.view.state
  if (!s?.tour || s.nextHopIndex == null) return null
  return s.tour.hops[s.nextHopIndex] ?? null
}
