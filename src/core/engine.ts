// The engine behind every UI host: holds the tour, the SSH sessions, the prober and the pipeline,
// answers contract commands and emits contract events. Plain Node: Electron's main process and the
// browser host both wrap one Engine.
import {
  commands,
  events,
  type AnyEvent,
  type CommandName,
  type CommandResult,
  type EngineState,
  type EventName,
  type EventPayload,
  type ExportFile,
  type HostConnState,
  type TourView,
} from '../shared/contract'
import { RunHistoryFold } from '../shared/run-history'
import { startRecording, type RecordingHandle } from './recording/attach'
import { deleteRecording, listRecordings } from './recording/catalog'
import { exportRunRecording, type ExportKind } from './recording/export-file'
import { recordingsDir } from './recording/paths'
import { formatProblem, type Tour, type TourProblem } from '../shared/tour'
import { EventHub, type EventListener } from './event-hub'
import type { Emit } from './events'
import type { PipelineSession } from './pipeline/session'
import type { GuardTarget } from './interrupt-guard'
import { startTourRuntime, type TourRuntime } from './tour-runtime'
import { loadTour, TourError } from './tour/load'

export interface EngineOptions {
  host: EngineState['host']
  version: string
  /** Limitations of this machine to show the user (e.g. "Electron binary not installed"). */
  notices?: string[]
  /** Probe the game at the floating IP once the user connects (default true). */
  probe?: boolean
  /** Record every hop and tour run (src/core/recording); `dir` overrides where. Default: off. */
  record?: { dir?: string }
}

/** A command failed in a way the user should read as is. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}


/** A command's arguments checked against the contract (every engine, live or replayed, starts here). */
export function commandArgs(name: CommandName, rawArgs: unknown): Record<string, unknown> {
  const parsed = commands[name].args.safeParse(rawArgs ?? {})
  if (!parsed.success) throw new CommandError('bad-args', `${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`)
  return parsed.data as Record<string, unknown>
}

export class Engine {
  private readonly hub = new EventHub('engine')
  private tour: Tour | null = null
  private problems: TourProblem[] = []
  private readonly conn = new Map<string, { state: HostConnState; detail?: string }>()
  private runtime: TourRuntime | null = null
  /** A Connect in progress: Cancel ends its wait (and the pending attempts) at once. */
  private connecting: AbortController | null = null
  /** Every event since the tour was loaded (bounded): what getHistory answers a page that just opened. */
  private readonly history = new RunHistoryFold()
  /** Tour loads run one after another: each replaces what the one before it loaded. */
  private loading: Promise<void> = Promise.resolve()
  /** The recording being written now (never deleted from under the writer), and this engine's latest one (what exportRun reads). */
  private recordingNow: string | null = null
  private lastRecording: string | null = null

  constructor(private readonly opts: EngineOptions) {}

  /** Every event goes through here: validated so a bad payload fails loudly in tests, not in the UI. */
  readonly emit: Emit = <K extends EventName>(name: K, payload: EventPayload<K>) => {
    const checked = events[name].safeParse(payload)
    if (!checked.success) {
      console.error(`engine: dropped invalid "${name}" event: ${checked.error.message}`)
      return
    }
    const event = { name, payload: checked.data } as AnyEvent
    this.history.apply(event)
    this.hub.publish(event)
  }

  onEvent(listener: EventListener): () => void {
    return this.hub.onEvent(listener)
  }

  /** Validates args, runs the command, validates the result. */
  async handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>> {
    const result = await this.run(name, commandArgs(name, rawArgs) as never)
    return commands[name].result.parse(result) as CommandResult<K>
  }

  private async run(name: CommandName, args: Record<string, unknown>): Promise<unknown> {
    switch (name) {
      case 'getState':
        return this.state()
      case 'getHistory':
        return this.history.snapshot()
      case 'loadTour':
        await this.loadTour(args.path as string)
        return this.state()
      case 'connect':
        await this.connectAll()
        return this.state()
      case 'preflight':
        return this.exclusive('preflight', (s) => s.preflight(args.mode as never))
      case 'hop':
        return this.exclusive('hop', (s) => s.hop(args as Parameters<PipelineSession['hop']>[0]))
      case 'tour':
        return this.exclusive('tour', (s) => s.runTour(args as Parameters<PipelineSession['runTour']>[0]))
      case 'next':
        return { accepted: this.runtime?.pipeline.next() ?? false }
      case 'cancel':
        return this.cancel()
      case 'replay':
        throw new CommandError('not-replay', 'this is a live engine, not a replay: pause, seek and speed work only on a recording (`globehop replay FILE`)')
      case 'fallback':
        // The app's host wraps the engine in a StageEngine that answers this (src/core/fallback).
        throw new CommandError('no-fallback', 'stage fallback is the app\'s (globehop serve/open): this engine runs without one')
      case 'recordings':
        return listRecordings(this.recordingsDir, this.recordingNow)
      case 'deleteRecording':
        deleteRecording(this.recordingsDir, args.name as string, this.recordingNow)
        return listRecordings(this.recordingsDir, this.recordingNow)
      case 'exportRun':
        return this.exportRun(args.kind as ExportKind)
    }
  }

  private get recordingsDir(): string {
    return this.opts.record?.dir ?? recordingsDir()
  }

  /** The figures of this run's recording (the one under way, else the last one). */
  private exportRun(kind: ExportKind): ExportFile {
    if (!this.opts.record) throw new CommandError('not-recording', 'this engine does not record its runs, so there is nothing to export (`globehop export FILE` reads a recording)')
    return exportRunRecording(this.lastRecording, this.lastRecording !== null && this.lastRecording === this.recordingNow, kind)
  }

  /**
   * Loads and checks the file first: a tour with problems leaves the working tour, its connections
   * and its history as they are (the problems show in state.tourProblems). A good one replaces it.
   */
  async loadTour(path: string): Promise<void> {
    const run = this.loading.then(() => this.replaceTour(path))
    this.loading = run.catch(() => {})
    return run
  }

  private async replaceTour(path: string): Promise<void> {
    this.refuseWhileBusy()
    let tour: Tour
    try {
      tour = await loadTour(path)
    } catch (err) {
      this.problems = err instanceof TourError ? err.problems : [{ file: path, line: 0, column: 0, field: '', message: (err as Error).message }]
      this.emitState()
      throw new CommandError('bad-tour', this.problems.map(formatProblem).join('\n'))
    }
    // A hop may have started while the file was read.
    this.refuseWhileBusy()
    await this.closeTour()
    this.tour = tour
    this.problems = []
    // A new tour starts a new history: every page drops the old one's tables.
    this.history.reset()
    for (const h of this.tour.hosts) this.conn.set(h.name, { state: 'idle' })
    this.runtime = startTourRuntime(this.tour, {
      emit: this.emit,
      sshEmit: this.emit,
      proberEmit: this.emit,
      probe: this.opts.probe,
      // Nothing leaves the machine before the user acts: probing starts on connect, preflight or hop.
      probeNow: false,
      onConn: (name, state, detail) => this.setConn(name, state, detail),
    })
    // Busy and frozen live in the pipeline's control; the UI hears every change.
    this.runtime.pipeline.control.onChange(() => this.emitState())
    this.emitState()
    this.emit('history', this.history.snapshot())
  }

  private refuseWhileBusy(): void {
    const busy = this.busy
    if (busy !== 'idle') throw new CommandError('busy', `cannot load another tour while ${busy} is running`)
  }

  /** The recording being written now (a hop or tour run under way), else null. */
  recordingFile(): string | null {
    return this.recordingNow
  }

  /** What a process guard stops on a signal (the loaded tour's pipeline). */
  guardTarget(): GuardTarget | null {
    return this.runtime?.pipeline ?? null
  }

  private get busy(): EngineState['busy'] {
    return this.runtime?.pipeline.control.busy ?? 'idle'
  }

  /** A hop a killed process left unfinished is repaired on connect, before anything else runs. */
  private async recoverIfNeeded(rt: TourRuntime): Promise<void> {
    const open = rt.openHop()
    if (!open) return
    const say = (line: string) => this.emit('log', { host: 'recover', stream: 'stdout', line, at: Date.now() })
    say(`an earlier hop ${open.from} -> ${open.to} did not finish (journal ${rt.journalFile}): recovering`)
    const r = await rt.recover(say)
    say(r.ok ? `recovered: the game runs on ${r.containerOn}` : 'not fully recovered: see the lines above')
    if (!r.ok) throw new CommandError('recover-failed', `an unfinished hop was found and could not be fully repaired; see the command log, or run \`globehop recover ${rt.tour.file}\``)
  }

  private async connectAll(): Promise<void> {
    const rt = this.runtime
    if (!rt) throw new CommandError('no-tour', 'no tour loaded: load a tour file first')
    rt.startProbing()
    const stop = new AbortController()
    this.connecting = stop
    try {
      await new Promise<unknown>((resolve, reject) => {
        stop.signal.addEventListener('abort', () => reject(new CommandError('cancelled', 'connect cancelled')), { once: true })
        rt.pool.connectAll().then(resolve, (err: Error) => reject(new CommandError('connect-failed', err.message)))
      })
    } finally {
      if (this.connecting === stop) this.connecting = null
    }
    await this.recoverIfNeeded(rt)
  }

  /** Cancel stops a hop, a tour or a preflight (pipeline rules), or else ends a pending Connect at once. */
  private cancel(): CommandResult<'cancel'> {
    const rt = this.runtime
    if (rt && rt.pipeline.control.busy !== 'idle') return rt.pipeline.cancel()
    const c = this.connecting
    if (rt && c) {
      this.connecting = null
      const hosts = rt.pool.cancelPending()
      c.abort()
      return { cancelled: true, detail: hosts.length ? `connect cancelled; ${hosts.join(', ')} ${hosts.length > 1 ? 'were' : 'was'} still connecting` : 'connect cancelled' }
    }
    return { cancelled: false, detail: 'nothing is running' }
  }

  private setConn(name: string, state: HostConnState, detail?: string): void {
    // The detail belongs to this host already: SSH errors start with its name, keep it once.
    if (detail?.startsWith(`${name}: `)) detail = detail.slice(name.length + 2)
    this.conn.set(name, { state, detail })
    this.emitState()
  }

  private session(): PipelineSession {
    if (!this.runtime) throw new CommandError('no-tour', 'no tour loaded: load a tour file first')
    // Preflight, hop and tour reach the hosts too (the user acted): probe, so hops carry the client's gap.
    this.runtime.startProbing()
    return this.runtime.pipeline
  }

  private async exclusive<T>(what: EngineState['busy'], fn: (s: PipelineSession) => Promise<T>): Promise<T> {
    const busy = this.busy
    if (busy !== 'idle') throw new CommandError('busy', `cannot start ${what}: ${busy} is running (one hop at a time)`)
    const session = this.session()
    const rec = what === 'hop' || what === 'tour' ? this.startRecording() : null
    if (rec) this.recordingNow = this.lastRecording = rec.file
    try {
      return await fn(session)
    } finally {
      rec?.close()
      if (rec && this.recordingNow === rec.file) this.recordingNow = null
      if (rec?.problem) this.say(`the recording ${rec.file} is incomplete: ${rec.problem}`)
    }
  }

  /** A hop or tour run is recorded when the host asked for it; a recording that cannot start never stops the run. */
  private startRecording(): RecordingHandle | null {
    const t = this.state().tour
    if (!this.opts.record || !t) return null
    try {
      const rec = startRecording(this, t, { globehop: this.opts.version, preflight: this.history.preflight ?? undefined, dir: this.opts.record.dir })
      this.say(`recording: ${rec.file}`)
      return rec
    } catch (err) {
      this.say(`not recording this run: ${(err as Error).message}`)
      return null
    }
  }

  private say(line: string): void {
    this.emit('log', { host: 'globehop', stream: 'stdout', line, at: Date.now() })
  }

  state(): EngineState {
    const t = this.tour
    const tour: TourView | null = t && {
      file: t.file,
      name: t.name,
      hosts: t.hosts.map((h) => ({
        name: h.name,
        label: h.label,
        lat: h.lat,
        lon: h.lon,
        address: h.address,
        conn: this.conn.get(h.name)?.state ?? 'idle',
        connDetail: this.conn.get(h.name)?.detail,
      })),
      hops: t.hops,
      containerId: t.container.id,
      floatingIp: t.floatingIp.address,
      gamePort: t.container.gamePort,
      mode: t.options.mode,
      probeHz: t.options.probeHz,
    }
    return {
      version: this.opts.version,
      host: this.opts.host,
      tour,
      tourProblems: this.problems,
      currentHost: this.runtime?.pipeline.currentHost ?? t?.hops[0] ?? null,
      nextHopIndex: this.runtime ? this.runtime.pipeline.nextHopIndex : null,
      busy: this.busy,
      hopRunning: this.runtime?.pipeline.control.hopping ?? false,
      frozen: this.runtime?.pipeline.control.frozen ?? false,
      notices: this.opts.notices ?? [],
      replay: null,
    }
  }

  private emitState(): void {
    this.emit('state', this.state())
  }

  private async closeTour(): Promise<void> {
    const rt = this.runtime
    this.runtime = null
    this.conn.clear()
    await rt?.close()
  }

  async close(): Promise<void> {
    await this.closeTour()
    this.hub.clear()
  }
}
