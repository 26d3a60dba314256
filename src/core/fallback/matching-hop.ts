// Where a stage fallback starts in a recording: the recorded hop that matches the live tour's hop
// under way (or next), so the audience sees the hop the presenter was about to show.
import type { EngineState, HopResult } from '../../shared/contract'

export interface MatchingHop {
  /** 1-based hop of the recording to start from. */
  hop: number
  /** How it was matched, in words (shown to the presenter). */
  why: string
  /** The recording holds the very hop (same from and to). */
  exact?: true
}

/**
 * `recorded` are the recording's hop results in the order the hops began. Match, in order: the same
 * hop (from and to), a hop to the same destination, the same position in the tour; else hop 1.
 */
export function matchingHop(live: Pick<EngineState, 'tour' | 'currentHost' | 'nextHopIndex'>, recorded: Pick<HopResult, 'from' | 'to'>[]): MatchingHop {
  if (recorded.length === 0) return { hop: 1, why: 'from the start' }
  const to = live.tour && live.nextHopIndex !== null ? live.tour.hops[live.nextHopIndex] : undefined
  if (to === undefined) return { hop: 1, why: 'from the start (the live tour is over)' }
  const from = live.currentHost ?? (live.nextHopIndex ? live.tour!.hops[live.nextHopIndex - 1] : undefined)
  const same = recorded.findIndex((h) => h.from === from && h.to === to)
  if (same >= 0) return { hop: same + 1, why: `from its hop ${from} -> ${to}`, exact: true }
  const dest = recorded.findIndex((h) => h.to === to)
  if (dest >= 0) return { hop: dest + 1, why: `from its hop to ${to}` }
  // nextHopIndex counts the tour's start host as hops[0]: the first hop is index 1.
  const byIndex = live.nextHopIndex!
  if (byIndex >= 1 && byIndex <= recorded.length) return { hop: byIndex, why: `from its hop ${byIndex} (no recorded hop goes to ${to})` }
  return { hop: 1, why: `from the start (no recorded hop goes to ${to})` }
}
