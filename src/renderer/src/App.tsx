import { useCallback, useEffect, useState } from 'react'
import type { GlobehopApi } from '../../shared/contract'
import { MIGRATION_MODES, type Mode } from '../../shared/tour'
import { Globe } from './globe/Globe'
import { CommandLog } from './panels/CommandLog'
import { HostList } from './panels/HostList'
import { MetricsTable } from './panels/MetricsTable'
import { PreflightTable } from './panels/PreflightTable'
import { StepList } from './panels/StepList'
import { PingGraph } from './ping/PingGraph'
import { CONFIRM_WINDOW_MS, onEscape } from './keys/cancel-confirm'
import { useEngine } from './useEngine'

const HELP: [string, string][] = [
  ['→ / Space / PageDown', 'next hop'],
  ['P', 'preflight'],
  ['C', 'connect to every host'],
  ['Esc Esc', 'cancel: press twice within 2 s (safe before the freeze; a frozen hop always finishes or rolls back)'],
  ['?', 'this help'],
]

export function App({ api }: { api: GlobehopApi }) {
  const [view, setError] = useEngine(api)
  const [mode, setMode] = useState<Mode | ''>('')
  const [help, setHelp] = useState(false)
  const [tourFile, setTourFile] = useState('')
  const state = view.state
  const tour = state?.tour ?? null
  const busy = state?.busy ?? 'idle'
  const [armedAt, setArmedAt] = useState<number | null>(null)
  const [outcome, setOutcome] = useState<string | null>(null)

  const run = useCallback(
    (what: () => Promise<unknown>) => {
      setError(null)
      setOutcome(null)
      what().catch((err: Error) => setError(err.message))
    },
    [setError],
  )
  const cancel = useCallback(() => {
    setArmedAt(null)
    setError(null)
    api
      .cancel({})
      .then((r) => setOutcome(r.cancelled ? `Cancelled: ${r.detail}` : r.detail))
      .catch((err: Error) => setError(err.message))
  }, [api, setError])
  // The armed prompt goes away by itself when the window passes.
  useEffect(() => {
    if (armedAt === null) return
    const t = setTimeout(() => setArmedAt(null), CONFIRM_WINDOW_MS)
    return () => clearTimeout(t)
  }, [armedAt])
  const modeArg = mode || undefined
  const hop = useCallback(() => {
    if (busy === 'tour') run(() => api.next({}))
    else run(() => api.hop({ mode: modeArg }))
  }, [api, busy, modeArg, run])

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.metaKey || e.ctrlKey || e.altKey) return
      if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') {
        e.preventDefault()
        hop()
      } else if (e.key === 'p' || e.key === 'P') run(() => api.preflight({ mode: modeArg }))
      else if (e.key === 'c' || e.key === 'C') run(() => api.connect({}))
      else if (e.key === 'Escape') {
        const a = onEscape({ now: Date.now(), armedAt, helpOpen: help, busy: busy !== 'idle' })
        if (a === 'close-help') setHelp(false)
        else if (a === 'arm') setArmedAt(Date.now())
        else if (a === 'cancel') cancel()
      }
      else if (e.key === '?') setHelp((h) => !h)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [api, hop, modeArg, run, armedAt, help, busy, cancel])

  const labelOf = (name: string) => tour?.hosts.find((h) => h.name === name)?.label ?? name
  const nextTarget = tour && state?.nextHopIndex != null ? (tour.hops[state.nextHopIndex] ?? null) : null

  return (
    <div className="app" data-app-state={state ? 'ready' : 'loading'} data-busy={busy}>
      <header className="bar">
        <h1>
          globehop <span className="tour-name">{tour?.name ?? 'no tour'}</span>
        </h1>
        {tour && (
          <span className="where" data-testid="where">
            {state?.currentHost ? `game on ${labelOf(state.currentHost)}` : ''} · {tour.floatingIp}:{tour.gamePort}
          </span>
        )}
        <div className="actions">
          <label>
            Mode{' '}
            <select value={mode} onChange={(e) => setMode(e.target.value as Mode | '')} aria-label="Migration mode">
              <option value="">tour default ({tour?.mode ?? 'auto'})</option>
              {MIGRATION_MODES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <button disabled={!tour} onClick={() => run(() => api.connect({}))}>
            Connect
          </button>
          <button disabled={!tour || busy !== 'idle'} onClick={() => run(() => api.preflight({ mode: modeArg }))}>
            Preflight
          </button>
          <button disabled={!tour || (busy !== 'idle' && busy !== 'tour') || nextTarget == null} onClick={hop}>
            {nextTarget ? `Hop to ${labelOf(nextTarget)}` : 'Tour done'}
          </button>
          <button disabled={!tour || busy !== 'idle' || nextTarget == null} onClick={() => run(() => api.tour({ auto: true, mode: modeArg }))}>
            Run tour
          </button>
          <button disabled={busy === 'idle'} onClick={cancel}>
            Cancel
          </button>
          <button aria-label="Keyboard help" onClick={() => setHelp((h) => !h)}>
            ?
          </button>
        </div>
      </header>

      <form
        className="tour-file"
        onSubmit={(e) => {
          e.preventDefault()
          if (tourFile.trim()) run(() => api.loadTour({ path: tourFile.trim() }))
        }}
      >
        <label>
          Tour file{' '}
          <input value={tourFile} placeholder={tour?.file ?? 'path/to/tour.yaml'} onChange={(e) => setTourFile(e.target.value)} aria-label="Tour file path" />
        </label>
        <button type="submit" disabled={busy !== 'idle'}>
          Load
        </button>
      </form>

      {state?.notices.map((n) => (
        <p key={n} className="notice" role="status">
          {n}
        </p>
      ))}
      {tour?.hosts.every((h) => h.conn === 'idle') && <p className="notice" role="status" data-testid="connect-hint">Nothing is sent to the tour's hosts until you press Connect (C).</p>}
      {state?.frozen && (
        <p className="notice frozen" role="status" data-testid="frozen">
          The container is frozen and on its way: the hop finishes or rolls back on its own; it cannot be cancelled now.
        </p>
      )}
      {armedAt !== null && busy !== 'idle' && (
        <p className="notice" role="status" data-testid="cancel-armed">
          Press Esc again within 2 s to cancel{state?.frozen ? ' (a frozen hop still finishes or rolls back first)' : ''}.
        </p>
      )}
      {outcome && (
        <p className="notice" role="status" data-testid="cancel-outcome">
          {outcome}
        </p>
      )}
      {view.error && (
        <pre className="error" role="alert" data-testid="error">
          {view.error}
        </pre>
      )}
      {state && state.tourProblems.length > 0 && (
        <section className="panel problems" role="alert" data-testid="tour-problems">
          <h2>The tour file has problems</h2>
          <ul>
            {state.tourProblems.map((p, i) => (
              <li key={i}>
                <code>
                  {p.file}
                  {p.line > 0 ? `:${p.line}:${p.column}` : ''}
                </code>{' '}
                {p.field && <strong>{p.field}</strong>} {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}

      <main className="layout">
        <div className="left">
          {state && <HostList state={state} />}
          <StepList steps={view.steps} />
          <CommandLog api={api} />
        </div>
        <Globe tour={tour} currentHost={state?.currentHost ?? null} steps={view.steps} hopRunning={state?.hopRunning ?? false} nextHost={nextTarget} theme="dark" variant="normal" />
        <div className="bottom">
          <PingGraph api={api} />
          {view.preflight && <PreflightTable report={view.preflight} />}
          <MetricsTable hops={view.hops} labelOf={labelOf} />
        </div>
      </main>

      {help && (
        <div className="help" role="dialog" aria-label="Keyboard shortcuts" onClick={() => setHelp(false)}>
          <dl>
            {HELP.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
      )}
    </div>
  )
}
