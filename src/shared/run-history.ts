// The run so far, folded from contract events in bounded memory: the engine keeps one (getHistory,
// the `history` event) and each renderer folds the same events into its own, so a reload, a
// reconnect or a second screen shows the same thing at once. Probe batches arrive at 5 Hz with
// 10 minutes of 20 Hz samples held: every list is a deque (amortised O(1) at both ends) and a
// plain-array snapshot is built only when asked for, then kept until that list changes.
import {
  HISTORY_LIMITS,
  type AnyEvent,
  type EngineState,
  type HopResult,
  type LogLine,
  type Outage,
  type PreflightReport,
  type ProbeSample,
  type ProbeState,
  type RunHistory,
  type ServerStatus,
  type StepEvent,
} from './contract'

/** rsync's --info=progress2 redraws (`  10,846,208  30%  10.01MB/s  0:00:02`): one line, updated in place. */
const PROGRESS = /^\s*[\d,.]+[KMGT]?\s+\d{1,3}%/
export function isProgressLine(line: string): boolean {
  return PROGRESS.test(line)
}

export function emptyHistory(): RunHistory {
  return { state: null, preflight: null, hops: [], steps: [], log: [], probe: { state: 'off', target: '', samples: [] }, outages: [], serverStatus: null }
}

/** Append at the back, drop at the front, both amortised O(1); entries keep an absolute index. */
export class Deque<T> {
  private items: T[] = []
  private head = 0
  /** Absolute index of items[0]. */
  private base = 0
  private copy: T[] | null = null

  get length(): number {
    return this.items.length - this.head
  }
  /** Absolute index of the first entry (grows as entries are dropped). */
  get start(): number {
    return this.base + this.head
  }
  push(x: T): number {
    this.copy = null
    this.items.push(x)
    return this.base + this.items.length - 1
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    this.copy = null
    const x = this.items[this.head]!
    this.items[this.head++] = undefined as T
    // Compact once the dead front outweighs the live part: each entry is moved O(1) times on average.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.base += this.head
      this.head = 0
    }
    return x
  }
  first(): T | undefined {
    return this.length > 0 ? this.items[this.head] : undefined
  }
  last(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined
  }
  /** By absolute index; undefined once dropped. */
  get(abs: number): T | undefined {
    const i = abs - this.base
    return i >= this.head && i < this.items.length ? this.items[i] : undefined
  }
  set(abs: number, x: T): void {
    const i = abs - this.base
    if (i < this.head || i >= this.items.length) return
    this.copy = null
    this.items[i] = x
  }
  /** Newest first: the absolute index of the first entry `match` accepts. */
  findLast(match: (x: T) => boolean): number {
    for (let i = this.items.length - 1; i >= this.head; i--) if (match(this.items[i]!)) return this.base + i
    return -1
  }
  clear(): void {
    this.items = []
    this.base += this.head
    this.head = 0
    this.copy = null
  }
  /** Oldest first; the same array until the next change (callers must not mutate it). */
  toArray(): T[] {
    this.copy ??= this.items.slice(this.head)
    return this.copy
  }
}

export type LatestRtt = { rttMs: number; at: number; seq: number }

/**
 * The mutable fold. `apply` is O(1) amortised per event (O(samples) per probe batch); `snapshot`
 * builds only the lists that changed since the last one.
 */
export class RunHistoryFold {
  /** Bumped on every change. */
  version = 0
  private engineState: EngineState | null = null
  private preflightReport: PreflightReport | null = null
  private status: ServerStatus | null = null
  private probeState: ProbeState = 'off'
  private probeTarget = ''
  private latest: LatestRtt | null = null
  private readonly hopList = new Deque<HopResult>()
  private readonly stepList = new Deque<StepEvent>()
  private readonly logList = new Deque<LogLine>()
  private readonly outageList = new Deque<Outage>()
  private readonly sampleList = new Deque<ProbeSample>()
  private newestAt = -Infinity
  private probeCopy: RunHistory['probe'] | null = null
  private copy: RunHistory | null = null

  constructor(init?: RunHistory) {
    if (init) this.reset(init)
  }

  get state(): EngineState | null {
    return this.engineState
  }
  get preflight(): PreflightReport | null {
    return this.preflightReport
  }
  get serverStatus(): ServerStatus | null {
    return this.status
  }
  get probe(): { state: ProbeState; target: string; latest: LatestRtt | null } {
    return { state: this.probeState, target: this.probeTarget, latest: this.latest }
  }
  hops(): HopResult[] {
    return this.hopList.toArray()
  }
  steps(): StepEvent[] {
    return this.stepList.toArray()
  }
  log(): LogLine[] {
    return this.logList.toArray()
  }
  /** Absolute number of log()[0]: a stable key for a line while it stays. */
  get logStart(): number {
    return this.logList.start
  }
  outages(): Outage[] {
    return this.outageList.toArray()
  }
  samples(): ProbeSample[] {
    return this.sampleList.toArray()
  }
  get sampleCount(): number {
    return this.sampleList.length
  }

  /** Folds one event; false when it changed nothing this fold keeps. */
  apply(e: AnyEvent): boolean {
    switch (e.name) {
      case 'state':
        this.engineState = e.payload
        break
      case 'preflight':
        this.preflightReport = e.payload
        break
      case 'serverStatus':
        this.status = e.payload
        break
      case 'step':
        this.addStep(e.payload)
        break
      case 'hop':
        this.hopList.push(e.payload)
        if (this.hopList.length > HISTORY_LIMITS.hops) this.hopList.shift()
        break
      case 'log':
        this.addLog(e.payload)
        break
      case 'outage':
        this.addOutage(e.payload)
        break
      case 'probe':
        this.probeState = e.payload.state
        this.probeTarget = e.payload.target
        for (const s of e.payload.samples) this.addSample(s)
        this.trimSamples()
        this.probeCopy = null
        break
      case 'history':
        this.reset(e.payload)
        return true
      default:
        return false
    }
    this.changed()
    return true
  }

  /** Empties the history, or replaces it with `to` (caps applied). */
  reset(to: RunHistory = emptyHistory()): void {
    this.engineState = to.state
    this.preflightReport = to.preflight
    this.status = to.serverStatus
    this.probeState = to.probe.state
    this.probeTarget = to.probe.target
    this.latest = null
    for (const list of [this.hopList, this.stepList, this.logList, this.outageList, this.sampleList] as Deque<unknown>[]) list.clear()
    this.newestAt = -Infinity
    for (const h of to.hops.slice(-HISTORY_LIMITS.hops)) this.hopList.push(h)
    for (const s of to.steps.slice(-HISTORY_LIMITS.steps)) this.stepList.push(s)
    for (const l of to.log.slice(-HISTORY_LIMITS.log)) this.logList.push(l)
    for (const o of to.outages.slice(-HISTORY_LIMITS.outages)) this.outageList.push(o)
    for (const s of to.probe.samples) this.addSample(s)
    this.trimSamples()
    this.probeCopy = null
    this.changed()
  }

  /** The whole history as plain data (what getHistory answers); unchanged lists are shared between snapshots. */
  snapshot(): RunHistory {
    this.probeCopy ??= { state: this.probeState, target: this.probeTarget, samples: this.sampleList.toArray() }
    this.copy ??= {
      state: this.engineState,
      preflight: this.preflightReport,
      hops: this.hopList.toArray(),
      steps: this.stepList.toArray(),
      log: this.logList.toArray(),
      probe: this.probeCopy,
      outages: this.outageList.toArray(),
      serverStatus: this.status,
    }
    return this.copy
  }

  private changed(): void {
    this.version++
    this.copy = null
  }

  private addStep(s: StepEvent): void {
    // Only the current (or last) hop's steps: earlier hops are summed up in their HopResult.
    if (this.stepList.length > 0 && this.stepList.first()!.hopId !== s.hopId) this.stepList.clear()
    this.stepList.push(s)
    if (this.stepList.length > HISTORY_LIMITS.steps) this.stepList.shift()
  }

  private addLog(l: LogLine): void {
    const prev = this.logList.last()
    if (prev && prev.host === l.host && isProgressLine(prev.line) && isProgressLine(l.line)) {
      this.logList.set(this.logList.start + this.logList.length - 1, l)
      return
    }
    this.logList.push(l)
    if (this.logList.length > HISTORY_LIMITS.log) this.logList.shift()
  }

  private addOutage(o: Outage): void {
    // The prober reports an outage when it starts and again when it ends: same startAt, one entry.
    const at = this.outageList.findLast((x) => x.startAt === o.startAt)
    if (at >= 0) {
      this.outageList.set(at, o)
      return
    }
    this.outageList.push(o)
    if (this.outageList.length > HISTORY_LIMITS.outages) this.outageList.shift()
  }

  private addSample(s: ProbeSample): void {
    if (s.late && s.rttMs !== null) {
      // Late replies are rare and their probe was lost a few seconds ago: a scan from the newest
      // end is short, and an index by seq would cost a map entry per ordinary sample.
      const at = this.sampleList.findLast((x) => x.seq === s.seq)
      const lost = this.sampleList.get(at)
      if (lost && lost.rttMs === null) {
        this.sampleList.set(at, s)
        return
      }
    }
    this.sampleList.push(s)
    if (s.at > this.newestAt) this.newestAt = s.at
    if (s.rttMs !== null && !s.late && (!this.latest || s.at >= this.latest.at)) this.latest = { rttMs: s.rttMs, at: s.at, seq: s.seq }
  }

  /** Samples older than the window before the newest one go, and never more than the cap. */
  private trimSamples(): void {
    const from = this.newestAt - HISTORY_LIMITS.probeWindowMs
    for (;;) {
      const first = this.sampleList.first()
      if (!first || (first.at >= from && this.sampleList.length <= HISTORY_LIMITS.samples)) break
      this.sampleList.shift()
    }
  }
}

/** One event onto a history value, as a new value: O(size) per call, for tests and one-off use. */
export function foldHistory(h: RunHistory, e: AnyEvent): RunHistory {
  const f = new RunHistoryFold(h)
  f.apply(e)
  return f.snapshot()
}
