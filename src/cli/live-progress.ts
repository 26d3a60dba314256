// What a long step is doing while it runs, on stderr: on a terminal one status line rewritten in
// place (bytes moved, rate and time left for a transfer; which snapshot; how long the restore has
// been going), else a plain line every few seconds for a step that runs long, so a log shows the
// 12 s of a stop-and-copy transfer instead of silence. The step lines and figures on stdout stay
// as they were: the status line is cleared before each of them and drawn again after.
import type { StepEvent } from '../shared/contract'
import { formatBytes, formatDuration, formatRate } from '../shared/format'

export interface ProgressSink {
  /** True: one line rewritten in place (a terminal). False: plain lines. */
  tty: boolean
  /** Raw text (tty) or one whole line without its newline (plain). */
  write: (s: string) => void
  /** The terminal's width, to keep the status line on one row. */
  columns?: () => number | undefined
}

/** A step that has started and not ended, with what it said last. */
export interface RunningStep {
  key: string
  step: string
  iteration?: number
  host?: string
  frozen: boolean
  startedAt: number
  bytesDone?: number
  bytesTotal?: number
  detail?: string
  /** Recent (time, bytes) samples for the rate: the last few seconds only. */
  samples: Array<[number, number]>
}

const RATE_WINDOW_MS = 3000

/** Bytes per second over the last few seconds (or since the start when that is all there is). */
export function rateOf(s: RunningStep, now: number): number | undefined {
  if (s.bytesDone === undefined) return undefined
  const first = s.samples[0]
  const last = s.samples.at(-1)
  if (first && last && last[0] - first[0] >= 200) return ((last[1] - first[1]) * 1000) / (last[0] - first[0])
  const ran = now - s.startedAt
  return ran >= 200 ? (s.bytesDone * 1000) / ran : undefined
}

/** One running step as text: "transfer on b 3.20 s frozen  45.1 MiB of 87.7 MiB (51%), 14.1 MiB/s, 3.10 s left". */
export function progressText(s: RunningStep, now: number): string {
  const name = `${s.step}${s.iteration ? ` ${s.iteration}` : ''}${s.host ? ` on ${s.host}` : ''}`
  const head = `${name} ${formatDuration(now - s.startedAt)}${s.frozen ? ' frozen' : ''}`
  if (s.bytesDone === undefined) return s.detail ? `${head}  ${s.detail}` : head
  const rate = rateOf(s, now)
  const parts = [s.bytesTotal ? `${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)} (${Math.min(100, Math.floor((100 * s.bytesDone) / s.bytesTotal))}%)` : formatBytes(s.bytesDone)]
  if (rate !== undefined) parts.push(formatRate(rate))
  if (rate && s.bytesTotal && s.bytesTotal > s.bytesDone) parts.push(`${formatDuration(((s.bytesTotal - s.bytesDone) * 1000) / rate)} left`)
  return `${head}  ${parts.join(', ')}`
}

const keyOf = (e: StepEvent) => `${e.hopId}/${e.step}/${e.iteration ?? ''}`

export class LiveProgress {
  private readonly running = new Map<string, RunningStep>()
  /** Plain mode: when each step last printed (or started). */
  private readonly lastPlain = new Map<string, number>()
  private shown = false
  private lastDraw = 0
  private timer: ReturnType<typeof setInterval> | null = null

  constructor(
    private readonly sink: ProgressSink,
    private readonly opts: { now?: () => number; plainEveryMs?: number; ttyEveryMs?: number; timer?: boolean } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now()
  }

  /** Every step event, before its line (if any) goes to stdout. */
  onStep(e: StepEvent): void {
    const key = keyOf(e)
    if (e.phase === 'end' || e.phase === 'fail') {
      this.running.delete(key)
      this.lastPlain.delete(key)
      this.clear()
      if (this.running.size === 0) this.stopTimer()
      return
    }
    let s = this.running.get(key)
    // Only a start opens a step: a progress line after its end (a snapshot's verdict) must not
    // bring it back as a step that never ends.
    if (!s && e.phase !== 'start') return
    if (!s) {
      s = { key, step: e.step, iteration: e.iteration, host: e.host, frozen: e.frozen ?? false, startedAt: e.at - (e.elapsedMs ?? 0), samples: [] }
      this.running.set(key, s)
      this.lastPlain.set(key, s.startedAt)
      this.startTimer()
    }
    if (e.frozen !== undefined) s.frozen = e.frozen
    if (e.host) s.host = e.host
    if (e.bytesTotal !== undefined) s.bytesTotal = e.bytesTotal
    if (e.bytesDone !== undefined) {
      s.bytesDone = e.bytesDone
      s.samples.push([e.at, e.bytesDone])
      while (s.samples.length > 2 && e.at - s.samples[0]![0] > RATE_WINDOW_MS) s.samples.shift()
    }
    if (e.detail !== undefined && e.phase === 'progress') s.detail = e.detail
    this.tick(true)
  }

  /** Draws the status line (tty, at most every ttyEveryMs unless forced) or prints due plain lines. */
  tick(force = false): void {
    const now = this.now()
    if (this.sink.tty) {
      if (this.running.size === 0) return this.clear()
      if (!force && now - this.lastDraw < (this.opts.ttyEveryMs ?? 100)) return
      this.draw(now)
      return
    }
    const every = this.opts.plainEveryMs ?? 5000
    for (const s of this.running.values()) {
      if (now - (this.lastPlain.get(s.key) ?? now) < every) continue
      this.lastPlain.set(s.key, now)
      this.sink.write(`  ... ${progressText(s, now)}`)
    }
  }

  /** Draws the status line again after a line went to the terminal (tty only). */
  redraw(): void {
    if (this.sink.tty && this.running.size > 0) this.draw(this.now())
  }

  private draw(now: number): void {
    const width = Math.max(20, (this.sink.columns?.() ?? 100) - 1)
    let text = [...this.running.values()].map((s) => progressText(s, now)).join('  |  ')
    if (text.length > width) text = `${text.slice(0, width - 1)}…`
    this.sink.write(`\r\x1b[K${text}`)
    this.shown = true
    this.lastDraw = now
  }

  /** Takes the status line off the screen (tty), so the next line starts on a clean row. */
  clear(): void {
    if (!this.shown) return
    this.sink.write('\r\x1b[K')
    this.shown = false
  }

  private startTimer(): void {
    if (this.timer || this.opts.timer === false) return
    this.timer = setInterval(() => this.tick(), this.sink.tty ? 250 : 1000)
    this.timer.unref()
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** The run is over: no status line left behind, no timer. */
  stop(): void {
    this.running.clear()
    this.stopTimer()
    this.clear()
  }
}

/** The sink for the real stderr: a status line on a terminal, plain lines otherwise. */
export function stderrSink(plain: (line: string) => void): ProgressSink {
  const tty = Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb'
  return tty ? { tty, write: (s) => void process.stderr.write(s), columns: () => process.stderr.columns } : { tty, write: plain }
}
