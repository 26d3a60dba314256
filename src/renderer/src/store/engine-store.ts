// Everything the screen shows of the engine, in one place: every event is folded into one run
// history (src/shared/run-history.ts, the engine keeps the same one), a `history` event replaces it
// whole, and at start the engine is asked for the run so far. One store per api, however many
// panels read it, so every panel and every page agree.
import type { AnyEvent, EngineState, GlobehopApi, HopResult, LogLine, Outage, PreflightReport, ProbeState, ServerStatus, StepEvent } from '../../../shared/contract'
import { RunHistoryFold } from '../../../shared/run-history'

export class EngineStore {
  readonly history = new RunHistoryFold()
  /** Why the run so far could not be fetched; null once a history arrived. */
  historyError: string | null = null
  private readonly listeners = new Set<() => void>()
  private readonly folded = new Set<(e: AnyEvent) => void>()

  constructor(api: GlobehopApi) {
    api.onEvent((e) => this.take(e))
    api.getHistory({}).then(
      (payload) => this.take({ name: 'history', payload }),
      (err: Error) => {
        this.historyError = err.message
        this.notify()
      },
    )
  }

  /** For useSyncExternalStore: called after every change. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Each event once it is folded (a `history` event: everything was replaced), for views that keep their own buffers. */
  onFolded(listener: (e: AnyEvent) => void): () => void {
    this.folded.add(listener)
    return () => this.folded.delete(listener)
  }

  private take(e: AnyEvent): void {
    if (!this.history.apply(e)) return
    if (e.name === 'history') this.historyError = null
    for (const l of this.folded) l(e)
    this.notify()
  }

  private notify(): void {
    for (const l of this.listeners) l()
  }
}

const stores = new WeakMap<GlobehopApi, EngineStore>()

/** The one store of this api (made on first use). */
export function engineStore(api: GlobehopApi): EngineStore {
  let s = stores.get(api)
  if (!s) {
    s = new EngineStore(api)
    stores.set(api, s)
  }
  return s
}

// Selectors: each returns the same value (or shallow-equal object) while what it reads is unchanged.
export const selectState = (s: EngineStore): EngineState | null => s.history.state
export const selectPreflight = (s: EngineStore): PreflightReport | null => s.history.preflight
export const selectSteps = (s: EngineStore): StepEvent[] => s.history.steps()
export const selectHops = (s: EngineStore): HopResult[] => s.history.hops()
/** The kept log lines and the absolute number of the first (a stable key per line). */
export const selectLog = (s: EngineStore): { lines: LogLine[]; start: number } => ({ lines: s.history.log(), start: s.history.logStart })
export const selectProbe = (s: EngineStore): { rttMs: number | null; state: ProbeState; target: string; samples: number } => {
  const p = s.history.probe
  return { rttMs: p.latest?.rttMs ?? null, state: p.state, target: p.target, samples: s.history.sampleCount }
}
export const selectOutages = (s: EngineStore): Outage[] => s.history.outages()
export const selectServerStatus = (s: EngineStore): ServerStatus | null => s.history.serverStatus
export const selectHistoryError = (s: EngineStore): string | null => s.historyError
