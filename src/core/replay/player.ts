// The replay's timeline: recorded events come due in real time times `speed`, pause and seek, and
// each is folded (the shared run-history fold) before it goes out, so what a page asks for is
// always what it was sent.
//
// Times: the page compares event times with its own clock (the ping graph's window, the outage
// timer), so every recorded time is moved by one amount (shift.ts) that puts the replay's position
// at the page's "now". Each resume, seek and speed change takes a new amount and re-sends the whole
// history moved by it, so what a page holds always agrees with itself and with its clock.
import type { AnyEvent, EngineState, ReplayStatus, RunHistory } from '../../shared/contract'
import { RunHistoryFold } from '../../shared/run-history'
import type { Recording } from '../recording/reader'
import { hopStarts, playable, type Timed } from './playable'
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

/** Longest single wait: a long quiet stretch is crossed in steps (setTimeout overflows past 2^31 ms). */
const MAX_WAIT_MS = 60_000

export class ReplayPlayer {
  readonly durationMs: number
  private readonly events: Timed[]
  /** Index of each hop's first event, in order. */
  private readonly hopStarts: number[]
  private readonly notices: string[]
  private readonly clock: () => number
  private readonly now: () => number
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

  constructor(
    private readonly rec: Recording,
    opts: Omit<ReplayOptions, 'start'>,
    /** Every event a page must get, in order. */
    private readonly emit: (e: AnyEvent) => void,
  ) {
    this.clock = opts.clock ?? (() => performance.now())
    this.now = opts.now ?? Date.now
    this.speed = opts.speed ?? 1
    const p = playable(rec)
    this.events = p.events
    this.notices = p.notices
    this.durationMs = this.events.length ? Math.max(0, this.events[this.events.length - 1]!.t) : 0
    this.hopStarts = hopStarts(this.events)
    this.replayed = new ReplayedState(rec.header, this.notices)
    this.shift = this.shiftFor(0)
    this.playFold(this.stateEvent(), false)
  }

  get file(): string {
    return this.rec.file
  }

  get hopCount(): number {
    return this.hopStarts.length
  }

  /** At the end (paused on the last picture). */
  get ended(): boolean {
    return this.clock0 === null && this.cursor >= this.events.length && this.pos0 >= this.durationMs
  }

  /** To the start of hop `n` (1-based): everything before it played, the hop's first event next. */
  seekHop(n: number): void {
    const i = this.hopStarts[n - 1]
    if (i === undefined) throw new RangeError(`hop ${n}: the recording holds ${this.hopStarts.length} hop(s)`)
    this.seekTo(this.events[i]!.t, i)
  }

  /** To `toMs` from the start: events at that time count as played. */
  seekMs(toMs: number): void {
    this.seekTo(Math.min(toMs, this.durationMs), this.indexAfter(toMs))
  }

  setSpeed(speed: number): void {
    const playing = this.clock0 !== null
    this.pos0 = this.position()
    this.clock0 = playing ? this.clock() : null
    this.playDue(this.pos0)
    this.speed = speed
    // Moved times stay right in the page's clock at the new pace only from a new anchor.
    if (playing) this.reanchor(this.pos0)
    this.emitState()
    if (playing) this.schedule()
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

  stop(): void {
    this.stopTimer()
    this.clock0 = null
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

  play(): void {
    if (this.clock0 !== null) return
    this.reanchor(this.pos0)
    this.clock0 = this.clock()
    this.emitState()
    this.tick()
  }

  pause(): void {
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
  seekTo(pos: number, index: number): void {
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
}
