// The engine state a replay shows. A recording made by the app holds the engine's own `state`
// events and those are shown as recorded; one made by the CLI has none, so where the container is,
// whether a hop runs and whether the game is frozen are told from the step and hop events, by the
// same rules the live pipeline follows, and the tour comes from the recording's header.
import type { AnyEvent, EngineState, TourView } from '../../shared/contract'
import { ModeSchema } from '../../shared/tour'
import type { RecordingHeader } from '../recording/format'

export class ReplayedState {
  private recorded: EngineState | null = null
  /** Index into tour.hops of where the container is (the pipeline's `position`). */
  private position = 0
  private current: string | null
  private hopRunning = false
  private frozen = false
  private readonly tour: TourView

  constructor(
    private readonly header: RecordingHeader,
    private readonly notices: string[],
  ) {
    const t = header.tour
    const mode = ModeSchema.safeParse(t.mode)
    this.tour = {
      file: t.file,
      name: t.name,
      // The header keeps no addresses: the replay reaches no host, so none is shown.
      hosts: t.hosts.map((h) => ({ ...h, address: '', conn: 'connected' })),
      hops: t.hops,
      containerId: '',
      floatingIp: t.floatingIp,
      gamePort: t.gamePort,
      mode: mode.success ? mode.data : 'auto',
      probeHz: 0,
    }
    this.current = t.hops[0] ?? null
  }

  /** Folds one event; true when the state it gives changed. */
  apply(e: AnyEvent): boolean {
    switch (e.name) {
      case 'state':
        this.recorded = e.payload
        return true
      case 'history':
        if (e.payload.state) this.recorded = e.payload.state
        return e.payload.state !== null
      case 'step': {
        const before = `${this.hopRunning}${this.frozen}`
        const { step, phase } = e.payload
        if (phase === 'start' || phase === 'progress') this.hopRunning = true
        // The final freeze starts at the checkpoint; the game is back once the restore (or the rollback) ended.
        if (step === 'checkpoint' && phase === 'start') this.frozen = true
        if ((step === 'restore' && phase === 'end') || (step === 'rollback' && (phase === 'end' || phase === 'fail'))) this.frozen = false
        return this.recorded === null && before !== `${this.hopRunning}${this.frozen}`
      }
      case 'hop': {
        const h = e.payload
        this.hopRunning = false
        this.frozen = false
        if (h.ok && this.tour.hops[this.position + 1] === h.to) this.position++
        this.current = h.containerOn ?? this.current
        return this.recorded === null
      }
      default:
        return false
    }
  }

  /** Without the replay status (the engine adds it). */
  state(): EngineState {
    // What the replay itself has to say (a cut last line, events left out) comes after the recorded notices.
    if (this.recorded) return this.notices.length ? { ...this.recorded, notices: [...this.recorded.notices, ...this.notices] } : this.recorded
    const next = this.position + 1
    return {
      version: this.header.globehop,
      host: 'browser',
      tour: this.tour,
      tourProblems: [],
      currentHost: this.current,
      nextHopIndex: next < this.tour.hops.length ? next : null,
      busy: this.hopRunning ? 'hop' : 'idle',
      hopRunning: this.hopRunning,
      frozen: this.frozen,
      notices: this.notices,
    }
  }
}
