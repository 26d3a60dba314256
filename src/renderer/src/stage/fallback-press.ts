// What R does now: show the recording of this tour, go back to live, or only say why not.
import type { EngineState } from '../../../shared/contract'

export type FallbackPress = { to: 'replay' | 'live'; hint: string } | { hint: string }

export function fallbackPress(state: EngineState | null): FallbackPress {
  const f = state?.fallback
  // A plain `globehop replay` or an engine without a live run: nothing to switch between.
  if (!f) return { hint: state?.replay ? 'R does nothing: this is a replay, there is no live run behind it' : 'R does nothing here: no live tour' }
  if (f.active) return { to: 'live', hint: 'back to live: preflight first (the recording stays until it passes)' }
  if (!f.recording) return { hint: 'R: no recording of this tour yet (every hop is recorded: run one first)' }
  return { to: 'replay', hint: 'showing the recording of this tour (REPLAY)' }
}
