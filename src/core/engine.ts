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
  type HostConnState,
  type TourView,
} from '../shared/contract'
import { formatProblem, type Tour, type TourProblem } from '../shared/tour'
import type { Emit } from './events'
import { PipelineSession } from './pipeline/session'
import { Prober } from './probe/prober'
import { connectRemote } from './ssh/session'
import type { Remote } from './ssh/types'
import { loadTour, TourError } from './tour/load'

export interface EngineOptions {
  host: EngineState['host']
  version: string
  /** Limitations of this machine to show the user (e.g. "Electron binary not installed"). */
  notices?: string[]
  /** Start probing the game as soon as a tour is loaded (default true). */
  probe?: boolean
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

type Listener = (event: AnyEvent) => void

export class Engine {
  private readonly listeners = new Set<Listener>()
  private tour: Tour | null = null
  private problems: TourProblem[] = []
  private readonly conn = new Map<string, { state: HostConnState; detail?: string }>()
  private readonly remotes = new Map<string, Promise<Remote>>()
  private pipeline: PipelineSession | null = null
  private prober: Prober | null = null
  private busy: EngineState['busy'] = 'idle'

  constructor(private readonly opts: EngineOptions) {}

  /** Every event goes through here: validated so a bad payload fails loudly in tests, not in the UI. */
  readonly emit: Emit = <K extends EventName>(name: K, payload: EventPayload<K>) => {
    const checked = events[name].safeParse(payload)
    if (!checked.success) {
      console.error(`engine: dropped invalid "${name}" event: ${checked.error.message}`)
      return
    }
    const event = { name, payload: checked.data } as AnyEvent
    for (const l of this.listeners) l(event)
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Validates args, runs the command, validates the result. */
  async handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>> {
    const spec = commands[name]
    const parsed = spec.args.safeParse(rawArgs ?? {})
    if (!parsed.success) throw new CommandError('bad-args', `${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`)
    const result = await this.run(name, parsed.data as never)
    return spec.result.parse(result) as CommandResult<K>
  }

  private async run(name: CommandName, args: Record<string, unknown>): Promise<unknown> {
    switch (name) {
      case 'getState':
        return this.state()
      case 'loadTour':
        await this.loadTour(args.path as string)
        return this.state()
      case 'connect':
        await this.connectAll()
        return this.state()
      case 'preflight':
        return this.withBusy('preflight', () => this.session().preflight(args.mode as never))
      case 'hop':
        return this.withBusy('hop', () => this.session().hop({ to: args.to as string | undefined, mode: args.mode as never }))
      case 'tour':
        return this.withBusy('tour', () => this.session().runTour({ auto: args.auto as boolean, mode: args.mode as never }))
      case 'next':
        return { accepted: this.pipeline?.next() ?? false }
      case 'cancel':
        return this.pipeline?.cancel() ?? { cancelled: false, detail: 'nothing is running' }
    }
  }

  async loadTour(path: string): Promise<void> {
    await this.closeTour()
    try {
      this.tour = await loadTour(path)
      this.problems = []
    } catch (err) {
      this.tour = null
      this.problems = err instanceof TourError ? err.problems : [{ file: path, line: 0, column: 0, field: '', message: (err as Error).message }]
      this.emitState()
      throw new CommandError('bad-tour', this.problems.map(formatProblem).join('\n'))
    }
    const tour = this.tour
    for (const h of tour.hosts) this.conn.set(h.name, { state: 'idle' })
    this.pipeline = new PipelineSession({
      tour,
      remote: (name) => this.remote(name),
      emit: this.emit,
      client: {
        hopStarted: (id) => this.prober?.setHop(id),
        hopEnded: () => this.prober?.setHop(null),
        clientView: (id) => this.prober?.clientView(id),
      },
    })
    if (this.opts.probe !== false) {
      this.prober = new Prober({ address: tour.floatingIp.address, port: tour.container.gamePort, hz: tour.options.probeHz, emit: this.emit })
      this.prober.start()
    }
    this.emitState()
  }

  private remote(name: string): Promise<Remote> {
    const tour = this.requireTour()
    let r = this.remotes.get(name)
    if (!r) {
      const host = tour.hosts.find((h) => h.name === name)
      if (!host) return Promise.reject(new CommandError('unknown-host', `unknown host "${name}" in ${tour.file}`))
      r = connectRemote(host, { emit: this.emit, onState: (state, detail) => this.setConn(name, state, detail) })
      // A failed connect is not cached: the next command tries again.
      r.catch(() => this.remotes.delete(name))
      this.remotes.set(name, r)
    }
    return r
  }

  private async connectAll(): Promise<void> {
    const tour = this.requireTour()
    const results = await Promise.allSettled(tour.hosts.map((h) => this.remote(h.name)))
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${tour.hosts[i]!.name}: ${(r.reason as Error).message}`] : []))
    if (failed.length > 0) throw new CommandError('connect-failed', `could not connect to ${failed.length} of ${tour.hosts.length} hosts:\n${failed.join('\n')}`)
  }

  private setConn(name: string, state: HostConnState, detail?: string): void {
    this.conn.set(name, { state, detail })
    this.emitState()
  }

  private session(): PipelineSession {
    if (!this.pipeline) throw new CommandError('no-tour', 'no tour loaded: load a tour file first')
    return this.pipeline
  }

  private requireTour(): Tour {
    if (!this.tour) throw new CommandError('no-tour', 'no tour loaded: load a tour file first')
    return this.tour
  }

  private async withBusy<T>(what: EngineState['busy'], fn: () => Promise<T>): Promise<T> {
    if (this.busy !== 'idle') throw new CommandError('busy', `cannot start ${what}: ${this.busy} is running (one hop at a time)`)
    this.busy = what
    this.emitState()
    try {
      return await fn()
    } finally {
      this.busy = 'idle'
      this.emitState()
    }
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
      currentHost: this.pipeline?.currentHost ?? t?.hops[0] ?? null,
      nextHopIndex: this.pipeline ? this.pipeline.nextHopIndex : null,
      busy: this.busy,
      notices: this.opts.notices ?? [],
    }
  }

  private emitState(): void {
    this.emit('state', this.state())
  }

  private async closeTour(): Promise<void> {
    await this.prober?.stop()
    this.prober = null
    this.pipeline = null
    const remotes = [...this.remotes.values()]
    this.remotes.clear()
    this.conn.clear()
    await Promise.allSettled(remotes.map(async (r) => (await r).close()))
  }

  async close(): Promise<void> {
    this.pipeline?.cancel()
    await this.closeTour()
    this.listeners.clear()
  }
}
