// What a UI host serves during a live tour: the live engine, or, when the venue's network fails, the
// most recent good recording of the same tour from the matching hop (labelled REPLAY by the page,
// as every replay is). The live engine keeps running underneath: its hop finishes or rolls back as
// always, its events are folded into its own history and shown again on the way back. Going back
// to live runs a preflight first and stays on the recording when it fails, so the audience never
// sees a broken live screen. Cancel always reaches the live engine: it is the one that acts.
import path from 'node:path'
import { CommandError, commandArgs } from '../engine'
import type { EngineLike } from '../engine-like'
import { EventHub, type EventListener } from '../event-hub'
import { commands, type AnyEvent, type CommandName, type CommandResult, type EngineState, type PreflightReport } from '../../shared/contract'
import { payloadsOf, readRecording, type Recording } from '../recording/reader'
import { ReplayEngine, type ReplayOptions } from '../replay/replay-engine'
import { matchingHop, type MatchingHop } from './matching-hop'

/** What the stage engine needs of the live engine (Engine is one). */
export interface LiveEngine extends EngineLike {
  state(): EngineState
  /** The recording the live run is writing now, if any: never a fallback candidate. */
  recordingFile?(): string | null
}

export interface StageEngineOptions {
  /** Recordings that might hold this tour, newest first (the user's good ones, then the shipped one). */
  candidates: (tourName: string) => string[]
  /** Options of each replay (tests pin its clocks). */
  replay?: Omit<ReplayOptions, 'start'>
}

type Fallback = NonNullable<EngineState['fallback']>

/** Commands a recording cannot answer for the live run: refused while the recording is shown. */
const LIVE_ONLY: ReadonlySet<CommandName> = new Set(['loadTour', 'connect', 'preflight', 'hop', 'tour', 'next'])

export class StageEngine implements EngineLike {
  private readonly hub = new EventHub('stage')
  private shown: { engine: ReplayEngine; off: () => void; detail: string } | null = null
  private readonly offLive: () => void
  /** Candidates already read and found unreadable or of another tour. */
  private readonly mismatched = new Set<string>()
  private goingLive: Promise<EngineState> | null = null

  constructor(
    private readonly live: LiveEngine,
    private readonly opts: StageEngineOptions,
  ) {
    this.offLive = live.onEvent((e) => {
      if (!this.shown) this.hub.publish(this.decorate(e))
    })
  }

  onEvent(listener: EventListener): () => void {
    return this.hub.onEvent(listener)
  }

  /** True while a recording is shown instead of the live run. */
  get showingRecording(): boolean {
    return this.shown !== null
  }

  async handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>> {
    if (name === 'fallback') {
      const { to } = commandArgs(name, rawArgs) as { to: 'replay' | 'live' }
      const state = to === 'replay' ? this.toRecording() : await this.toLive()
      return commands.fallback.result.parse(state) as CommandResult<K>
    }
    if (name === 'cancel') return this.live.handle(name, rawArgs)
    const shown = this.shown
    // The recordings folder is the live engine's (it protects the file it writes); the one on
    // screen is protected here.
    if (name === 'recordings' || name === 'deleteRecording') {
      if (shown && name === 'deleteRecording' && (commandArgs(name, rawArgs) as { name: string }).name === path.basename(shown.engine.file)) {
        throw new CommandError('in-use', `${path.basename(shown.engine.file)} is on screen now: go back to live (R) before deleting it`)
      }
      return this.live.handle(name, rawArgs)
    }
    if (!shown) return this.withFallback(name, await this.live.handle(name, rawArgs))
    if (LIVE_ONLY.has(name)) {
      throw new CommandError('showing-recording', `${name}: the screen shows a recording (stage fallback): press R to go back to live first`)
    }
    return this.withFallback(name, await shown.engine.handle(name, rawArgs))
  }

  /** Shows a recording the user opened (Electron's menu or a dropped file), from its start. */
  async showRecording(file: string): Promise<void> {
    const rec = readRecording(file)
    this.show(rec, null, `opened ${file}`)
  }

  async close(): Promise<void> {
    this.hide()
    this.offLive()
    this.hub.clear()
    await this.live.close()
  }

  private toRecording(): EngineState {
    if (this.shown) return this.state()
    const live = this.live.state()
    if (!live.tour) throw new CommandError('no-fallback', 'no tour loaded: there is no live run to stand in for')
    const picked = this.pick(live)
    if (!picked) {
      throw new CommandError('no-fallback', `no good recording of "${live.tour.name}" to show: a run of this tour that finished at least one hop is recorded and can stand in`)
    }
    const { rec, match } = picked
    this.show(rec, match.hop, `stage fallback: ${rec.file} ${match.why}`)
    return this.state()
  }

  /** Shows `rec` from the start of its hop `hop` (1-based), or from its very start (null). */
  private show(rec: Recording, hop: number | null, detail: string): void {
    this.hide()
    const engine = new ReplayEngine(rec, { ...this.opts.replay, start: 'paused' })
    // A recording without that many hops plays from its start.
    if (hop !== null) engine.handle('replay', { action: 'seek', hop }).catch(() => {})
    const off = engine.onEvent((e) => {
      if (this.shown?.engine === engine) this.hub.publish(this.decorate(e))
    })
    this.shown = { engine, off, detail }
    // The page replaces what it holds with the recording's run so far, then it plays.
    this.hub.publish(this.decorate({ name: 'history', payload: engine.history() }))
    void engine.handle('replay', { action: 'resume' })
  }

  private async toLive(): Promise<EngineState> {
    if (!this.shown) return this.state()
    // Two presses while the preflight runs: one preflight.
    this.goingLive ??= this.preflightThenLive().finally(() => (this.goingLive = null))
    return this.goingLive
  }

  private async preflightThenLive(): Promise<EngineState> {
    const live = this.live.state()
    // A live hop under way shows as it is: no preflight can run beside it.
    if (live.tour && live.busy === 'idle') {
      let report: PreflightReport
      try {
        report = await this.live.handle('preflight', {})
      } catch (err) {
        throw new CommandError('fallback-live', `staying on the recording: the live preflight failed: ${(err as Error).message}`)
      }
      if (!report.ok) throw new CommandError('fallback-live', `staying on the recording: the live preflight failed (${failures(report)})`)
    }
    this.hide()
    const history = await this.live.handle('getHistory', {})
    this.hub.publish(this.decorate({ name: 'history', payload: history }))
    return this.state()
  }

  private hide(): void {
    const s = this.shown
    if (!s) return
    this.shown = null
    s.off()
    void s.engine.close()
  }

  private state(): EngineState {
    const s = this.shown ? this.shown.engine.state() : this.live.state()
    return { ...s, fallback: this.fallbackStatus() }
  }

  private fallbackStatus(): Fallback {
    if (this.shown) return { recording: this.shown.engine.file, active: true, detail: this.shown.detail }
    const live = this.live.state()
    const rec = live.tour ? this.pickFile(live) : null
    return { recording: rec, active: false }
  }

  /** State results and state events carry where the fallback stands. */
  private withFallback<K extends CommandName>(name: K, result: CommandResult<K>): CommandResult<K> {
    if (commands[name].result !== commands.getState.result) {
      if (name !== 'getHistory') return result
      const h = result as CommandResult<'getHistory'>
      return { ...h, state: h.state && { ...h.state, fallback: this.fallbackStatus() } } as CommandResult<K>
    }
    return { ...(result as EngineState), fallback: this.fallbackStatus() } as CommandResult<K>
  }

  private decorate(e: AnyEvent): AnyEvent {
    if (e.name === 'state') return { name: 'state', payload: { ...e.payload, fallback: this.fallbackStatus() } }
    if (e.name === 'history' && e.payload.state) return { name: 'history', payload: { ...e.payload, state: { ...e.payload.state, fallback: this.fallbackStatus() } } }
    return e
  }

  /**
   * The newest candidate of the same tour (same name, same hosts) that holds the hop under way;
   * else the newest of the same tour (a run recorded hop by hop holds one hop per file). Never the
   * one being written.
   */
  private pick(live: EngineState): { rec: Recording; match: MatchingHop } | null {
    let first: { rec: Recording; match: MatchingHop } | null = null
    for (const file of this.candidateFiles(live)) {
      let rec: Recording
      try {
        rec = readRecording(file)
      } catch {
        this.mismatched.add(file)
        continue
      }
      if (!sameTour(rec, live)) {
        this.mismatched.add(file)
        continue
      }
      const match = matchingHop(live, payloadsOf(rec, 'hop'))
      if (match.exact) return { rec, match }
      first ??= { rec, match }
    }
    return first
  }

  /** The file pick() would choose, without reading whole files on every state (the key's hint). */
  private pickFile(live: EngineState): string | null {
    return this.candidateFiles(live)[0] ?? null
  }

  private candidateFiles(live: EngineState): string[] {
    const writing = this.live.recordingFile?.() ?? null
    return this.opts.candidates(live.tour!.name).filter((f) => f !== writing && !this.mismatched.has(f))
  }
}

function sameTour(rec: Recording, live: EngineState): boolean {
  const t = live.tour!
  const names = (hosts: { name: string }[]) => hosts.map((h) => h.name).sort().join(' ')
  return rec.header.tour.name === t.name && names(rec.header.tour.hosts) === names(t.hosts)
}

function failures(report: PreflightReport): string {
  // Details often start with their host's name already: said once.
  const failed = report.hosts.flatMap((h) => h.checks.filter((c) => c.status === 'fail').map((c) => `${h.host}: ${c.id}: ${c.detail.replace(`${h.host}: `, '')}`))
  return failed.slice(0, 3).join('; ') || 'no mode is available for the next hop'
}
