// What the screen shows of the engine: the state snapshot plus the run's preflight, steps and
// hops, all read from the one engine store (so a reload or a second page shows the same at once).
import { useState } from 'react'
import type { EngineState, GlobehopApi, HopResult, PreflightReport, StepEvent } from '../../shared/contract'
import { selectHistoryError, selectHops, selectPreflight, selectState, selectSteps } from './store/engine-store'
import { useEngineStore } from './store/use-engine-store'

export interface EngineView {
  state: EngineState | null
  preflight: PreflightReport | null
  /** Step events of the hop in progress (or the last one). */
  steps: StepEvent[]
  hops: HopResult[]
  /** Last command error, shown until the next command. */
  error: string | null
}

export function useEngine(api: GlobehopApi): [EngineView, (e: string | null) => void] {
  const state = useEngineStore(api, selectState)
  const preflight = useEngineStore(api, selectPreflight)
  const steps = useEngineStore(api, selectSteps)
  const hops = useEngineStore(api, selectHops)
  const historyError = useEngineStore(api, selectHistoryError)
  // Until a command sets or clears it, the error is the store's (the engine could not be asked).
  const [error, setError] = useState<string | null | undefined>(undefined)
  return [{ state, preflight, steps, hops, error: error === undefined ? historyError : error }, setError]
}
