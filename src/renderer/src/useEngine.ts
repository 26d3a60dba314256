// Keeps what the screen shows in step with the engine: the state snapshot plus the events that
// build up per-hop figures.
import { useEffect, useState } from 'react'
import type { EngineState, GlobehopApi, HopResult, PreflightReport, StepEvent } from '../../shared/contract'

export interface EngineView {
  state: EngineState | null
  preflight: PreflightReport | null
  /** Step events of the hop in progress (or the last one). */
  steps: StepEvent[]
  hops: HopResult[]
  /** Last command error, shown until the next command. */
  error: string | null
}

const MAX_STEPS = 500

export function useEngine(api: GlobehopApi): [EngineView, (e: string | null) => void] {
  const [view, setView] = useState<EngineView>({ state: null, preflight: null, steps: [], hops: [], error: null })

  useEffect(() => {
    const off = api.onEvent((e) => {
      setView((v) => {
        switch (e.name) {
          case 'state':
            return { ...v, state: e.payload }
          case 'preflight':
            return { ...v, preflight: e.payload }
          case 'step': {
            const sameHop = v.steps.length === 0 || v.steps[0]!.hopId === e.payload.hopId
            return { ...v, steps: sameHop ? [...v.steps, e.payload].slice(-MAX_STEPS) : [e.payload] }
          }
          case 'hop':
            return { ...v, hops: [...v.hops, e.payload] }
          default:
            return v
        }
      })
    })
    api.getState({}).then(
      (state) => setView((v) => ({ ...v, state })),
      (err: Error) => setView((v) => ({ ...v, error: err.message })),
    )
    return off
  }, [api])

  return [view, (error) => setView((v) => ({ ...v, error }))]
}
