// Where the tour stands, as the presenter needs it: what the next key press does, "hop 2 of 4",
// and each stop as done / current / next with the downtime of the hop that reached it.
// Pure: computed from the engine state and the finished hops, so the stepper and the keys agree.
import type { EngineState, HopResult } from '../../../shared/contract'

export type NextPress =
  | { kind: 'no-tour' }
  /** Start the hop to `to` (api.hop). */
  | { kind: 'hop'; to: string }
  /** A step-mode tour waits for the presenter (api.next). */
  | { kind: 'next'; to: string }
  | { kind: 'running' }
  | { kind: 'preflight' }
  | { kind: 'done' }

/** What Right / Space / PageDown does now. `pending`: a next press was sent and not yet seen. */
export function nextPress(s: EngineState | null, pending = false): NextPress {
  const tour = s?.tour
  if (!s || !tour) return { kind: 'no-tour' }
  if (pending || s.hopRunning || s.busy === 'hop') return { kind: 'running' }
  if (s.busy === 'preflight') return { kind: 'preflight' }
  const to = s.nextHopIndex != null ? tour.hops[s.nextHopIndex] : undefined
  if (to === undefined) return { kind: 'done' }
  return s.busy === 'tour' ? { kind: 'next', to } : { kind: 'hop', to }
}

export function nextPressText(p: NextPress, labelOf: (host: string) => string): string {
  switch (p.kind) {
    case 'no-tour':
      return 'no tour loaded'
    case 'hop':
    case 'next':
      return `→ hop to ${labelOf(p.to)}`
    case 'running':
      return 'a hop is running'
    case 'preflight':
      return 'preflight is running'
    case 'done':
      return 'tour done'
  }
}

export type StopStatus = 'done' | 'current' | 'next' | 'later'

export interface Stop {
  index: number
  host: string
  status: StopStatus
  /** The hop to this stop is under way. */
  travelling: boolean
  /** Client-observed downtime of the hop that reached this stop (ms), when it was measured. */
  downtimeMs: number | null
  /** The last try to reach this stop failed, in words. */
  failed: string | null
}

/** The index of the stop the game is at: nextHopIndex - 1, or the last stop once the tour is done. */
function position(s: EngineState): number {
  const hops = s.tour?.hops ?? []
  if (s.nextHopIndex != null) return s.nextHopIndex - 1
  const last = hops.length - 1
  if (s.currentHost === hops[last]) return last
  // The game is somewhere the tour does not expect (adopted by preflight): no stop is current.
  return -1
}

export function tourStops(s: EngineState | null, hops: HopResult[]): Stop[] {
  const tourHops = s?.tour?.hops ?? []
  if (!s || tourHops.length === 0) return []
  const pos = position(s)
  // The hop that reached stop i is the latest ok hop from stop i-1 to stop i, walking back from
  // the newest result (Strasbourg is visited twice, from different places).
  const arrival = new Map<number, HopResult>()
  let j = hops.length - 1
  for (let i = pos; i >= 1; i--) {
    while (j >= 0 && !(hops[j]!.ok && hops[j]!.from === tourHops[i - 1] && hops[j]!.to === tourHops[i])) j--
    if (j < 0) break
    arrival.set(i, hops[j]!)
    j--
  }
  const last = hops[hops.length - 1]
  const running = s.hopRunning || s.busy === 'hop'
  return tourHops.map((host, index) => {
    const status: StopStatus = pos < 0 ? 'later' : index < pos ? 'done' : index === pos ? 'current' : index === pos + 1 ? 'next' : 'later'
    const failedTry = status === 'next' && last && !last.ok && last.to === host && !running
    return {
      index,
      host,
      status,
      travelling: status === 'next' && running,
      downtimeMs: arrival.get(index)?.client?.downtimeMs ?? null,
      failed: failedTry ? (last.error ?? 'the hop failed') : null,
    }
  })
}

/** "hop 2 of 4": the hop under way or next; null without a tour of at least two stops. */
export function hopCount(s: EngineState | null): { n: number; of: number; done: boolean } | null {
  const stops = s?.tour?.hops.length ?? 0
  if (!s || stops < 2) return null
  const of = stops - 1
  if (s.nextHopIndex == null) return { n: of, of, done: true }
  return { n: s.nextHopIndex, of, done: false }
}
