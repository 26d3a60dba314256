// The normal view: the operator's screen. Header with the commands (one primary at a time), the
// tour stepper, then hosts / steps / commands beside the globe and the ping graph, the hop table,
// the recordings on disk and the export buttons.
import { useState } from 'react'
import type { EngineState } from '../../../shared/contract'
import { MIGRATION_MODES, type Mode } from '../../../shared/tour'
import { Globe } from '../globe/Globe'
import { CommandLog } from '../panels/CommandLog'
import { HostList } from '../panels/HostList'
import { MetricsTable } from '../panels/MetricsTable'
import { PreflightTable } from '../panels/PreflightTable'
import { Recordings } from '../panels/recordings/Recordings'
import { StepList } from '../panels/StepList'
import { TourProblems } from './TourProblems'
import { PingGraph } from '../ping/PingGraph'
import { TourStepper } from '../stage/TourStepper'
import { nextHostOf, type Shell } from './shell'

export function NormalView({ shell }: { shell: Shell }) {
  const { view, labelOf } = shell
  const state = view.state
  const tour = state?.tour ?? null
  const busy = state?.busy ?? 'idle'
  const next = nextHostOf(shell)
  const connected = tour?.hosts.some((h) => h.conn === 'connected') ?? false
  const canNext = shell.press.kind === 'hop' || shell.press.kind === 'next'
  return (
    <>
      <header className="bar">
        <h1>
          globehop <span className="tour-name">{tour?.name ?? 'no tour'}</span>
        </h1>
        <div className="actions">
          {/* One primary button: Connect until a host answers, then the next hop. */}
          <button className={connected ? '' : 'primary'} disabled={!tour} onClick={shell.connect}>
            Connect
          </button>
          <button disabled={!tour || busy !== 'idle'} onClick={shell.preflight}>
            Preflight
          </button>
          <button className={connected && canNext ? 'primary' : ''} disabled={!tour || !canNext} onClick={shell.next}>
            {next ? `Hop to ${labelOf(next)}` : 'Tour done'}
          </button>
          <button disabled={!tour || busy !== 'idle' || next == null} onClick={shell.runTour}>
            Run tour
          </button>
          <button disabled={!shell.cancellable} onClick={shell.cancel}>
            Cancel
          </button>
          <button onClick={shell.toggleView} title="Presenter view (V)">
            Present
          </button>
          <button aria-label="Keyboard help" onClick={shell.toggleHelp}>
            ?
          </button>
        </div>
      </header>
      <TourRow shell={shell} />
      <Notices shell={shell} />
      <TourStepper state={state} hops={view.hops} labelOf={labelOf} pending={shell.pending} hint={shell.hint} />
      <main className="layout">
        <div className="left">
          {state && <HostList state={state} />}
          <StepList steps={view.steps} />
          <CommandLog api={shell.api} />
        </div>
        <div className="globe-cell">
          <Globe tour={tour} currentHost={state?.currentHost ?? null} steps={view.steps} hopRunning={state?.hopRunning ?? false} nextHost={next} theme={shell.theme} variant="normal" />
        </div>
        <div className="ping">
          <PingGraph api={shell.api} theme={shell.theme} />
        </div>
        <div className="bottom">
          <MetricsTable hops={view.hops} labelOf={labelOf} />
          {view.preflight && <PreflightTable report={view.preflight} />}
          <Recordings api={shell.api} />
        </div>
      </main>
    </>
  )
}

/** The tour file (Enter loads it and gives the keys back), the mode, where the game is. */
function TourRow({ shell }: { shell: Shell }) {
  const [tourFile, setTourFile] = useState('')
  const state = shell.view.state
  const tour = state?.tour ?? null
  return (
    <form
      className="tour-file"
      onSubmit={(e) => {
        e.preventDefault()
        // Focus never stays trapped in the field: the clicker's keys work again at once.
        ;(document.activeElement as HTMLElement | null)?.blur()
        if (tourFile.trim()) shell.loadTour(tourFile.trim())
      }}
    >
      <label>
        Tour file <input value={tourFile} placeholder={tour?.file ?? 'path/to/tour.yaml'} onChange={(e) => setTourFile(e.target.value)} aria-label="Tour file path" />
      </label>
      <button type="submit" disabled={(state?.busy ?? 'idle') !== 'idle'}>
        Load
      </button>
      <label>
        Mode{' '}
        <select
          value={shell.mode}
          onChange={(e) => {
            shell.setMode(e.target.value as Mode | '')
            // A focused select eats the arrow keys (a clicker's next would change the mode).
            e.target.blur()
          }}
          aria-label="Migration mode"
        >
          <option value="">tour default ({tour?.mode ?? 'auto'})</option>
          {MIGRATION_MODES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      {tour && (
        <span className="where" data-testid="where">
          {state?.currentHost ? `game on ${shell.labelOf(state.currentHost)}` : 'game: not found yet'} · {tour.floatingIp}:{tour.gamePort}
        </span>
      )}
    </form>
  )
}

function unreachable(s: EngineState | null): number {
  return s?.tour?.hosts.filter((h) => h.conn === 'error').length ?? 0
}

function Notices({ shell }: { shell: Shell }) {
  const s = shell.view.state
  const tour = s?.tour
  const down = unreachable(s)
  return (
    <>
      {s?.notices.map((n) => (
        <p key={n} className="notice" role="status">
          {n}
        </p>
      ))}
      {tour?.hosts.every((h) => h.conn === 'idle') && (
        <p className="notice hint" role="status" data-testid="connect-hint">
          Press <strong>Connect</strong> (C) to reach the tour's {tour.hosts.length} hosts. Nothing is sent to them before that.
        </p>
      )}
      {down > 0 && (
        <p className="notice" role="status" data-testid="hosts-down">
          {down} of {tour!.hosts.length} hosts could not be reached: the reason is on each host's row.
        </p>
      )}
      {s?.frozen && (
        <p className="notice frozen" role="status" data-testid="frozen">
          The container is frozen and on its way: the hop finishes or rolls back on its own; it cannot be cancelled now.
        </p>
      )}
      {shell.armedAt !== null && shell.cancellable && (
        <p className="notice" role="status" data-testid="cancel-armed">
          Press Esc again within 2 s to cancel{s?.frozen ? ' (a frozen hop still finishes or rolls back first)' : ''}.
        </p>
      )}
      {shell.outcome && (
        <p className="notice" role="status" data-testid="cancel-outcome">
          {shell.outcome}
        </p>
      )}
      {shell.view.error && (
        <pre className="error-banner" role="alert" data-testid="error">
          {shell.view.error}
        </pre>
      )}
      {s && s.tourProblems.length > 0 && <TourProblems problems={s.tourProblems} loadedFile={tour?.file ?? null} />}
    </>
  )
}
