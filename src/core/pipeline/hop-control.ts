// What the pipeline is doing right now and how to stop it: the one place that knows "busy" and
// "frozen". The session claims it for a preflight, a hop or a tour; a hop marks the freeze and
// the moment the destination serves (or the rollback ended). Stop requests are honoured at once
// before the freeze and only at the hop's end after it: a frozen container is never abandoned.
export type Activity = 'idle' | 'preflight' | 'hop' | 'tour'

export interface StopOutcome {
  /** The running work was stopped now (nothing frozen). */
  cancelled: boolean
  /** A frozen hop keeps going and the work stops at its end. */
  deferred: boolean
  detail: string
}

export class HopControl {
  private activity: Activity = 'idle'
  private abort = new AbortController()
  private frozenNow = false
  private hopNow = false
  private stopAsked = false
  private idleWaiters: (() => void)[] = []
  private readonly listeners = new Set<() => void>()

  get busy(): Activity {
    return this.activity
  }

  /** From the final freeze until the destination serves or the rollback ended. */
  get frozen(): boolean {
    return this.frozenNow
  }

  /** A hop is under way (a step-mode tour between hops is busy but not hopping). */
  get hopping(): boolean {
    return this.hopNow
  }

  /** Aborted by a stop before the freeze; pending connects and waits listen to it. */
  get signal(): AbortSignal {
    return this.abort.signal
  }

  /** A stop was asked: no new hop starts, a step-mode tour ends. */
  get stopRequested(): boolean {
    return this.stopAsked
  }

  claim(what: Exclude<Activity, 'idle'>): void {
    if (this.activity !== 'idle') throw new Error(`busy with a ${this.activity}: one at a time`)
    this.activity = what
    this.stopAsked = false
    this.abort = new AbortController()
    this.changed()
  }

  release(): void {
    this.activity = 'idle'
    this.frozenNow = false
    this.hopNow = false
    this.changed()
    const w = this.idleWaiters
    this.idleWaiters = []
    for (const f of w) f()
  }

  /** A hop starts or ends (inside a hop or a tour claim). */
  setHopping(on: boolean): void {
    if (this.hopNow === on) return
    this.hopNow = on
    this.changed()
  }

  /** The final freeze begins: stops wait for the hop's end from here on. */
  freeze(): void {
    this.frozenNow = true
    this.changed()
  }

  /** The destination serves, or the rollback finished: the hop can be left again. */
  thaw(): void {
    this.frozenNow = false
    this.changed()
  }

  /** Stop what runs: now before the freeze, at the hop's end after it. */
  stop(): StopOutcome {
    if (this.activity === 'idle') return { cancelled: false, deferred: false, detail: 'nothing to cancel' }
    this.stopAsked = true
    if (this.frozenNow) {
      return { cancelled: false, deferred: true, detail: 'the container is frozen and on its way: stopping now could lose the server; the hop finishes or rolls back, then nothing more runs' }
    }
    this.abort.abort()
    this.changed()
    const detail =
      this.activity === 'tour' ? 'tour stopped before the next freeze; the container stays where it is' : this.activity === 'hop' ? 'hop stopped before the freeze; the container stays on the source' : `${this.activity} stopped`
    return { cancelled: true, deferred: false, detail }
  }

  /** Resolves when nothing runs. */
  idle(): Promise<void> {
    if (this.activity === 'idle') return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  onChange(f: () => void): () => void {
    this.listeners.add(f)
    return () => this.listeners.delete(f)
  }

  private changed(): void {
    for (const f of this.listeners) f()
  }
}
