// The presenter view: the globe is the show. Over it, in type that scales with the screen, only
// what the back row needs: the RTT and where the server is (the ping strip), the outage clock
// during a hop, "hop 2 of 4", the last hop's figures and the tour stepper. No field, log or table.
import { Globe } from '../globe/Globe'
import { PingGraph } from '../ping/PingGraph'
import { Headline } from '../stage/Headline'
import { OutageTimer } from '../stage/OutageTimer'
import { TourStepper } from '../stage/TourStepper'
import { hopCount } from '../stage/tour-progress'
import { nextHostOf, type Shell } from './shell'

export function PresenterView({ shell }: { shell: Shell }) {
  const { view, labelOf } = shell
  const state = view.state
  const count = hopCount(state)
  const running = state?.hopRunning ?? false
  const next = nextHostOf(shell)
  const last = view.hops.length ? view.hops[view.hops.length - 1]! : null
  const from = state?.currentHost
  return (
    <main className="presenter">
      <div className="stage-globe">
        <Globe tour={state?.tour ?? null} currentHost={state?.currentHost ?? null} steps={view.steps} hopRunning={running} nextHost={next} theme={shell.theme} variant="presenter" />
      </div>
      <div className="stage-top">
        <section className="stage-now" aria-label="Hop">
          {count && (
            <div className="hop-count" data-testid="hop-count">
              {count.done ? `${count.of} of ${count.of} hops done` : `hop ${count.n} of ${count.of}`}
            </div>
          )}
          {running && from && next && (
            <div className="stage-route" data-testid="stage-route">
              {labelOf(from)} → {labelOf(next)}
            </div>
          )}
          <OutageTimer steps={view.steps} hopRunning={running} />
        </section>
        {!running && <Headline hop={last} labelOf={labelOf} />}
      </div>
      <div className="stage-bottom">
        <TourStepper state={state} hops={view.hops} labelOf={labelOf} pending={shell.pending} hint={shell.hint} />
        <StageNotices shell={shell} />
        <PingGraph api={shell.api} variant="strip" theme={shell.theme} />
      </div>
    </main>
  )
}

/** On stage only what the presenter must act on: a frozen hop, an armed cancel, a refused command. */
function StageNotices({ shell }: { shell: Shell }) {
  const s = shell.view.state
  const armed = shell.armedAt !== null && shell.cancellable
  const text = armed ? 'Esc again within 2 s cancels' : shell.view.error ?? shell.outcome ?? (s?.tourProblems.length ? 'the tour file has problems: press V for the details' : null)
  if (!text) return null
  return (
    <p className="stage-notice" role="status" data-testid={armed ? 'cancel-armed' : shell.view.error ? 'error' : 'stage-notice'}>
      {text}
    </p>
  )
}
