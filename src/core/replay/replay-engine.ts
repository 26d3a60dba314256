// Plays a recording through the contract, so every UI host shows a recorded run with the same code
// as a live one. Events come due on a timeline (real time by default; speed, pause, seek); what a
// page asks for (getState, getHistory) is the shared fold of the events played so far, so a page
// opened mid-replay is in step. Nothing reaches any host: commands that would act are refused.
//
// Times: the page compares event times with its own clock (the ping graph's window, the outage
// timer), so every recorded time is moved by one amount (shift.ts) that puts the replay's position
// at the page's "now". Each resume, seek and speed change takes a new amount and re-sends the whole
// history moved by it, so what a page holds always agrees with itself and with its clock.
import type { z } from 'zod'
import { commands, events as eventSchemas, type AnyEvent, type CommandName, type CommandResult, type EngineState, type EventName, type ReplayStatus, type RunHistory } from '../../shared/contract'
import { recordedAtText } from '../../shared/replay-text'
import { RunHistoryFold } from '../../shared/run-history'
import { CommandError } from '../engine'
import type { EngineLike } from '../engine-like'
import { readRecording, type Recording } from '../recording/reader'
import { ReplayedState } from './replayed-state'
import { shiftEvent, shiftHistory } from './shift'

export interface ReplayOptions {
  /** 1 = real time (default). */
  speed?: number
  /** 'now' (default); 'first-page': when a page first asks for the run, so it sees it from the start; 'paused'. */
  start?: 'now' | 'first-page' | 'paused'
  /** Monotonic ms: the timeline (tests pin it). */
  clock?: () => number
  /** Epoch ms: the page's clock that moved times meet (tests pin it). */
  now?: () => number
}

interface Timed {
  t: number
  event: AnyEvent
}

type Listener = (event: AnyEvent) => void

/** Longest single wait: a long quiet stretch is crossed in steps, so no timer outlives a speed change by much. */
const MAX_WAIT_MS = 60_000
const ACTING: ReadonlySet<CommandName> = new Set(['loadTour', 'connect', 'preflight', 'hop', 'tour', 'next'])
const isEventName = (name: string): name is EventName => Object.prototype.hasOwnProperty.call(eventSchemas, name)

export class ReplayEngine implements EngineLike {
  readonly durationMs: number
  private readonly events: Timed[]
  /** Index of each hop's first event, in order. */
  private readonly hopStarts: number[]
  private readonly notices: string[]
  private readonly clock: () => number
  private readonly now: () => number
  private readonly listeners = new Set<Listener>()
  private fold = new RunHistoryFold()
  private replayed: ReplayedState
  /** Events before this index have been played. */
  private cursor = 0
  /** Added to every recorded epoch time. */
  private shift = 0
  private speed: number
  /** Position = pos0 while paused; pos0 + (clock() - clock0) * speed while playing. */
  private pos0 = 0
  private clock0: number | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private waitingForPage: boolean

  static open(file: string, opts: ReplayOptions = {}): ReplayEngine {
    return new ReplayEngine(readRecording(file), opts)
  }

  constructor(
    private readonly rec: Recording,
    opts: ReplayOptions = {},
  ) {
    this.clock = opts.clock ?? (() => performance.now())
    this.now = opts.now ?? Date.now
    this.speed = opts.speed ?? 1
    // A newer globehop's event kinds mean nothing to this renderer: left out, and said so.
    this.events = rec.events.filter((e) => isEventName(e.event.name)).map((e) => ({ t: e.t, event: e.event as AnyEvent }))
    const unknown = rec.events.length - this.events.length
    this.notices = [
      ...(rec.warning ? [rec.warning] : []),
      ...(rec.skipped.length ? [`${rec.skipped.length} recorded event(s) broke the contract and are left out (first: ${rec.skipped[0]})`] : []),
      ...(unknown ? [`${unknown} recorded event(s) of a kind this globehop does not know are left out`] : []),
    ]
    this.durationMs = this.events.length ? Math.max(0, this.events[this.events.length - 1]!.t) : 0
    this.hopStarts = hopStarts(this.events)
    this.replayed = new ReplayedState(rec.header, this.notices)
    this.shift = this.shiftFor(0)
    this.waitingForPage = opts.start === 'first-page'
    this.playFold(this.stateEvent(), false)
    if ((opts.start ?? 'now') === 'now') this.play()
  }

  get file(): string {
    return this.rec.file
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async handle<K extends CommandName>(name: K, rawArgs: unknown): Promise<CommandResult<K>> {
    const spec = commands[name]
    const parsed = spec.args.safeParse(rawArgs ?? {})
    if (!parsed.success) throw new CommandError('bad-args', `${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ')}`)
    return spec.result.parse(this.run(name, parsed.data as Record<string, unknown>)) as CommandResult<K>
  }

  private run(name: CommandName, args: Record<string, unknown>): unknown {
    if (ACTING.has(name)) {
      throw new CommandError('replay', `this is a replay of ${this.rec.file} recorded ${recordedAtText(this.rec.header.startedAt)}: nothing runs on any host`)
    }
    switch (name) {
      case 'getState':
        return this.state()
      case 'getHistory':
        if (this.waitingForPage) {
          this.waitingForPage = false
          this.play()
        }
        return this.history()
      case 'cancel':
        return { cancelled: false, detail: 'nothing runs: this is a replay' }
      case 'replay':
        this.control(args as ReplayArgs)
        return this.state()
    }
    throw new CommandError('unknown-command', `unknown command "${name}"`)
  }

  private control(a: ReplayArgs): void {
    this.waitingForPage = false
    switch (a.action) {
      case 'pause':
        return this.pause()
      case 'resume':
        // At the end, resume plays it again from the start.
        if (this.position() >= this.durationMs && this.cursor >= this.events.length) this.seekTo(0, 0)
        return this.play()
      case 'seek':
        if (a.hop !== undefined) {
          const i = this.hopStarts[a.hop - 1]
          if (i === undefined) throw new CommandError('bad-args', `replay: hop ${a.hop}: the recording holds ${this.hopStarts.length} hop(s)`)
          return this.seekTo(this.events[i]!.t, i)
        }
        return this.seekTo(Math.min(a.toMs ?? 0, this.durationMs), this.indexAfter(a.toMs ?? 0))
      case 'speed': {
        const playing = this.clock0 !== null
        this.pos0 = this.position()
        this.clock0 = playing ? this.clock() : null
        this.playDue(this.pos0)
        this.speed = a.speed!
        // Moves stay right in the page's clock at the new pace only from a new anchor.
        if (playing) this.reanchor(this.pos0)
        this.emitState()
        if (playing) this.schedule()
        return
      }
    }
  }

  state(): EngineState {
    return { ...this.replayed.state(), replay: this.status() }
  }

  history(): RunHistory {
    return { ...this.fold.snapshot(), state: this.state() }
  }

  /** Where the replay is now, ms from the recording's start. */
  position(): number {
    if (this.clock0 === null) return this.pos0
    return Math.min(this.durationMs, this.pos0 + (this.clock() - this.clock0) * this.speed)
  }

  async close(): Promise<void> {
    this.stopTimer()
    this.clock0 = null
    this.listeners.clear()
  }

  private status(): ReplayStatus {
    const hop = this.hopNumber()
    return {
      file: this.rec.file,
      recordedAt: this.rec.header.startedAt,
      speed: this.speed,
      paused: this.clock0 === null,
      positionMs: this.position(),
      durationMs: this.durationMs,
      ...(hop > 0 ? { hop } : {}),
    }
  }

  private hopNumber(): number {
    let n = 0
    while (n < this.hopStarts.length && this.hopStarts[n]! < this.cursor) n++
    return n
  }

  private play(): void {
    if (this.clock0 !== null) return
    this.reanchor(this.pos0)
    this.clock0 = this.clock()
    this.emitState()
    this.tick()
  }

  private pause(): void {
    if (this.clock0 === null) return
    this.pos0 = this.position()
    this.clock0 = null
    this.stopTimer()
    // A busy machine's timer may be late: what is due by the paused position is played now, so
    // the screen shows everything up to it.
    this.playDue(this.pos0)
    this.emitState()
  }

  private playDue(pos: number): void {
    while (this.cursor < this.events.length && this.events[this.cursor]!.t <= pos) this.playOne(this.events[this.cursor++]!, true)
  }

  /** Plays the fold silently up to event `index` at position `pos`, then sends every page the whole history. */
  private seekTo(pos: number, index: number): void {
    const playing = this.clock0 !== null
    this.stopTimer()
    if (index < this.cursor) {
      this.fold = new RunHistoryFold()
      this.replayed = new ReplayedState(this.rec.header, this.notices)
      this.cursor = 0
    }
    this.pos0 = pos
    this.clock0 = playing ? this.clock() : null
    this.moveTimes(this.shiftFor(pos))
    while (this.cursor < index) this.playOne(this.events[this.cursor++]!, false)
    this.emit({ name: 'history', payload: this.history() })
    if (playing) this.schedule()
  }

  /** Puts the current position at the page's now: the history held so far moves with it. */
  private reanchor(pos: number): void {
    const to = this.shiftFor(pos)
    if (Math.abs(to - this.shift) < 1) return
    this.moveTimes(to)
    this.emit({ name: 'history', payload: this.history() })
  }

  private moveTimes(to: number): void {
    if (this.cursor > 0) this.fold.reset(shiftHistory(this.fold.snapshot(), to - this.shift))
    this.shift = to
  }

  private shiftFor(pos: number): number {
    return this.now() - (this.rec.header.startedAt + pos)
  }

  private tick = (): void => {
    this.timer = null
    if (this.clock0 === null) return
    const pos = this.position()
    const hop = this.hopNumber()
    this.playDue(pos)
    if (this.cursor >= this.events.length && pos >= this.durationMs) {
      // The end: it stays on the last picture, paused, as a video does.
      this.pos0 = this.durationMs
      this.clock0 = null
      this.emitState()
      return
    }
    if (this.hopNumber() !== hop) this.emitState()
    this.schedule()
  }

  private schedule(): void {
    this.stopTimer()
    const next = this.events[this.cursor]
    const wait = next ? (next.t - this.position()) / this.speed : (this.durationMs - this.position()) / this.speed
    this.timer = setTimeout(this.tick, Math.max(0, Math.min(MAX_WAIT_MS, wait)))
    this.timer.unref?.()
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Folds one recorded event (and the state it changes) and sends it when `send`. */
  private playOne(e: Timed, send: boolean): void {
    const changed = this.replayed.apply(e.event)
    let out = shiftEvent(e.event, this.shift)
    // Recorded states and histories carry this engine's state: the replay status and the tour.
    if (out.name === 'state') out = this.stateEvent()
    else if (out.name === 'history') out = { name: 'history', payload: { ...out.payload, state: this.state() } }
    this.playFold(out, send)
    if (changed && out.name !== 'state' && out.name !== 'history') this.playFold(this.stateEvent(), send)
  }

  private playFold(e: AnyEvent, send: boolean): void {
    this.fold.apply(e)
    if (send) this.emit(e)
  }

  private stateEvent(): AnyEvent {
    return { name: 'state', payload: this.state() }
  }

  private emitState(): void {
    this.playFold(this.stateEvent(), true)
  }

  /** The first event after `toMs` (events at toMs count as played). */
  private indexAfter(toMs: number): number {
    let i = 0
    while (i < this.events.length && this.events[i]!.t <= toMs) i++
    return i
  }

  private emit(e: AnyEvent): void {
    for (const l of this.listeners) {
      // One broken listener (a page's client) must not stop the replay for the others.
      try {
        l(e)
      } catch (err) {
        console.error(`replay: a "${e.name}" event listener failed: ${(err as Error).message}`)
      }
    }
  }
}

type ReplayArgs = z.infer<(typeof commands)['replay']['args']>

/** Each hop's first event (a step or its result), in the order hops began. */
function hopStarts(events: Timed[]): number[] {
  const seen = new Set<string>()
  const starts: number[] = []
  events.forEach((e, i) => {
    const id = e.event.name === 'step' || e.event.name === 'hop' ? e.event.payload.hopId : null
    if (id === null || seen.has(id)) return
    seen.add(id)
    starts.push(i)
  })
  return starts
}
