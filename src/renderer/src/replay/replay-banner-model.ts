// What the REPLAY banner says and does, as pure functions: the one place in the renderer that
// knows a replay from a live run (everything else draws both the same way).
import type { EngineState, ReplayStatus } from '../../../shared/contract'
import { recordedAtText, replayClockText, speedText } from '../../../shared/replay-text'

/** The speeds the banner's slower/faster buttons step through. */
export const BANNER_SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const

/** The app's root element carries data-replay="true" while a recording is replayed. */
export function replayRootAttrs(state: EngineState | null): { 'data-replay'?: 'true' } {
  return state?.replay ? { 'data-replay': 'true' } : {}
}

/** Where the replay is now: the engine's position when the state came, moved on by the time since. */
export function livePosition(r: ReplayStatus, receivedAt: number, now: number): number {
  if (r.paused) return r.positionMs
  return Math.min(r.durationMs, r.positionMs + Math.max(0, now - receivedAt) * r.speed)
}

export function bannerText(r: ReplayStatus, positionMs: number): string {
  const parts = ['REPLAY', `recorded ${recordedAtText(r.recordedAt)}`, speedText(r.speed), `${replayClockText(positionMs)}/${replayClockText(r.durationMs)}`]
  if (r.hop !== undefined) parts.push(`hop ${r.hop}`)
  if (r.paused) parts.push(positionMs >= r.durationMs ? 'ended' : 'paused')
  return parts.join(' · ')
}

/** The next speed up (+1) or down (-1) from the list; null at either end. */
export function stepSpeed(speed: number, dir: 1 | -1): number | null {
  const list: readonly number[] = BANNER_SPEEDS
  const next = dir > 0 ? list.find((s) => s > speed + 1e-9) : [...list].reverse().find((s) => s < speed - 1e-9)
  return next ?? null
}

/** K (as on video players) toggles pause; not while typing, not with a modifier, once per press. */
export function isPauseKey(k: { key: string; repeat?: boolean; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean; typing?: boolean }): boolean {
  return (k.key === 'k' || k.key === 'K') && !k.repeat && !k.ctrlKey && !k.metaKey && !k.altKey && !k.typing
}
