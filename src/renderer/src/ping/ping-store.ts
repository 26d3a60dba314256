// What the ping graph shows, in bounded memory: a ring of the newest probes at full rate (typed
// arrays indexed by sequence number, so a late reply replaces its lost sample in place), a
// decimated whole-run overview that halves its resolution whenever it fills, and capped lists of
// step bands, hops and outages. Pure browser-safe TypeScript, no DOM, so it is unit-tested.
import type { EventPayload, Outage, ProbeSample, StepEvent } from '../../../shared/contract'

type ProbeState = EventPayload<'probe'>['state']

export type StepBand = { hopId: string; step: string; iteration?: number; start: number; end: number | null; frozen: boolean }
export type HopSpan = { hopId: string; from: string; to: string; start: number; end: number; ok: boolean }

/** Full-rate ring: 60 s at the maximum 50 Hz fits with room to spare. */
export const WINDOW_SLOTS = 4096
export const OVERVIEW_BUCKETS = 1024
const MAX_STEPS = 2000
const MAX_OUTAGES = 500
const MAX_HOPS = 500

export type WindowData = {
  /** Send times of every probe (lost ones too, so the line breaks there), seconds since epoch. */
  x: number[]
  /** Timely RTT, ms; null for lost and late probes. */
  rtt: (number | null)[]
  /** Late replies' RTT, ms (null elsewhere). */
  late: (number | null)[]
  /** Send times (ms) of probes lost for good. */
  lost: number[]
  maxTimelyRtt: number
}

export class Overview {
  bucketMs: number
  origin: number | null = null
  /** Number of buckets in use (index of the newest + 1). */
  used = 0
  readonly min = new Float32Array(OVERVIEW_BUCKETS)
  readonly max = new Float32Array(OVERVIEW_BUCKETS)
  readonly sum = new Float64Array(OVERVIEW_BUCKETS)
  readonly n = new Uint32Array(OVERVIEW_BUCKETS)
  readonly lost = new Uint32Array(OVERVIEW_BUCKETS)

  constructor(initialBucketMs = 1000) {
    this.bucketMs = initialBucketMs
  }

  private index(at: number): number {
    if (this.origin === null) this.origin = at
    if (at < this.origin) return -1
    let i = Math.floor((at - this.origin) / this.bucketMs)
    while (i >= OVERVIEW_BUCKETS) {
      this.halve()
      i = Math.floor((at - this.origin) / this.bucketMs)
    }
    if (i + 1 > this.used) this.used = i + 1
    return i
  }

  /** Merges bucket pairs: same memory, twice the time per bucket. */
  private halve(): void {
    for (let i = 0; i < OVERVIEW_BUCKETS / 2; i++) {
      const a = 2 * i
      const b = a + 1
      const na = this.n[a]!
      const nb = this.n[b]!
      this.min[i] = na && nb ? Math.min(this.min[a]!, this.min[b]!) : na ? this.min[a]! : this.min[b]!
      this.max[i] = Math.max(na ? this.max[a]! : 0, nb ? this.max[b]! : 0)
      this.sum[i] = this.sum[a]! + this.sum[b]!
      this.n[i] = na + nb
      this.lost[i] = this.lost[a]! + this.lost[b]!
    }
    for (const arr of [this.min, this.max, this.sum, this.n, this.lost]) arr.fill(0, OVERVIEW_BUCKETS / 2)
    this.bucketMs *= 2
    this.used = Math.ceil(this.used / 2)
  }

  addRtt(at: number, rtt: number): void {
    const i = this.index(at)
    if (i < 0) return
    if (this.n[i] === 0 || rtt < this.min[i]!) this.min[i] = rtt
    if (this.n[i] === 0 || rtt > this.max[i]!) this.max[i] = rtt
    this.sum[i] = this.sum[i]! + rtt
    this.n[i] = this.n[i]! + 1
  }

  addLost(at: number, delta: 1 | -1): void {
    const i = this.index(at)
    if (i < 0 || (delta < 0 && this.lost[i] === 0)) return
    this.lost[i] = this.lost[i]! + delta
  }

  /** Bucket start times (s), mean and max RTT (null where no reply), lost counts. */
  series(): { x: number[]; mean: (number | null)[]; max: (number | null)[]; lost: number[] } {
    const x: number[] = []
    const mean: (number | null)[] = []
    const max: (number | null)[] = []
    const lost: number[] = []
    if (this.origin === null) return { x, mean, max, lost }
    for (let i = 0; i < this.used; i++) {
      x.push((this.origin + i * this.bucketMs) / 1000)
      const n = this.n[i]!
      mean.push(n ? this.sum[i]! / n : null)
      max.push(n ? this.max[i]! : null)
      lost.push(this.lost[i]!)
    }
    return { x, mean, max, lost }
  }
}

export class PingStore {
  readonly seq = new Float64Array(WINDOW_SLOTS).fill(-1)
  readonly at = new Float64Array(WINDOW_SLOTS)
  /** NaN = lost. */
  readonly rtt = new Float32Array(WINDOW_SLOTS)
  readonly late = new Uint8Array(WINDOW_SLOTS)
  overview = new Overview()
  maxSeq = -1
  /** Samples received (a late reply for a lost probe counts again). */
  points = 0
  current: { rttMs: number; at: number; seq: number } | null = null
  state: ProbeState = 'off'
  target = ''
  readonly outages = new Map<number, Outage>()
  steps: StepBand[] = []
  hops: HopSpan[] = []
  /** Bumped on every change so the view knows when to redraw. */
  version = 0

  addProbe(p: EventPayload<'probe'>): void {
    this.state = p.state
    this.target = p.target
    for (const s of p.samples) this.addSample(s)
    this.version++
  }

  private addSample(s: ProbeSample): void {
    // Within one prober a lower seq was sent earlier. A lower seq sent later means a new prober
    // (seq restarts at 0): start a new window; the overview keeps going.
    if (this.maxSeq >= 0 && s.seq < this.maxSeq && s.at > this.at[this.maxSeq % WINDOW_SLOTS]!) this.resetWindow()
    if (s.seq <= this.maxSeq - WINDOW_SLOTS) return // older than the ring holds
    const i = s.seq % WINDOW_SLOTS
    const replacing = this.seq[i] === s.seq
    const wasLost = replacing && Number.isNaN(this.rtt[i]!)
    this.seq[i] = s.seq
    this.at[i] = s.at
    this.rtt[i] = s.rttMs ?? NaN
    this.late[i] = s.late ? 1 : 0
    if (s.seq > this.maxSeq) {
      // Slots skipped over (probes not settled yet) must not show stale data from a lap ago.
      for (let q = Math.max(this.maxSeq + 1, s.seq - WINDOW_SLOTS + 1); q < s.seq; q++) if (this.seq[q % WINDOW_SLOTS] !== q) this.seq[q % WINDOW_SLOTS] = -1
      this.maxSeq = s.seq
    }
    this.points++
    if (s.rttMs === null) this.overview.addLost(s.at, 1)
    else if (s.late) {
      if (wasLost) this.overview.addLost(s.at, -1)
    } else {
      this.overview.addRtt(s.at, s.rttMs)
      if (!this.current || s.seq > this.current.seq) this.current = { rttMs: s.rttMs, at: s.at, seq: s.seq }
    }
  }

  private resetWindow(): void {
    this.seq.fill(-1)
    this.maxSeq = -1
    this.current = null
  }

  addOutage(o: Outage): void {
    this.outages.set(o.startAt, o)
    if (this.outages.size > MAX_OUTAGES) this.outages.delete(this.outages.keys().next().value as number)
    this.version++
  }

  addStep(e: StepEvent): void {
    if (e.phase === 'start') {
      this.steps.push({ hopId: e.hopId, step: e.step, iteration: e.iteration, start: e.at, end: null, frozen: !!e.frozen })
      if (this.steps.length > MAX_STEPS) this.steps.splice(0, this.steps.length - MAX_STEPS)
    } else {
      for (let i = this.steps.length - 1; i >= 0; i--) {
        const b = this.steps[i]!
        if (b.hopId === e.hopId && b.step === e.step && b.iteration === e.iteration && b.end === null) {
          if (e.frozen !== undefined) b.frozen = e.frozen
          if (e.phase === 'end' || e.phase === 'fail') b.end = e.at
          break
        }
      }
    }
    this.version++
  }

  addHop(h: EventPayload<'hop'>): void {
    this.hops.push({ hopId: h.hopId, from: h.from, to: h.to, start: h.startedAt, end: h.endedAt, ok: h.ok })
    if (this.hops.length > MAX_HOPS) this.hops.shift()
    // A hop that ended closes any of its steps left open (a crash mid-step).
    for (const b of this.steps) if (b.hopId === h.hopId && b.end === null) b.end = h.endedAt
    this.version++
  }

  /** Send time of the newest probe in the window (ms), null before the first. */
  newestAt(): number | null {
    return this.maxSeq >= 0 ? this.at[this.maxSeq % WINDOW_SLOTS]! : null
  }

  /** The open outage (endAt null), if any. */
  openOutage(): Outage | null {
    let open: Outage | null = null
    for (const o of this.outages.values()) if (o.endAt === null) open = o
    return open
  }

  /** Probes of the last `spanMs` up to `rightMs`, oldest first, ready for uPlot. */
  window(rightMs: number, spanMs: number): WindowData {
    const x: number[] = []
    const rtt: (number | null)[] = []
    const late: (number | null)[] = []
    const lost: number[] = []
    let maxTimelyRtt = 0
    const from = rightMs - spanMs
    const first = Math.max(0, this.maxSeq - WINDOW_SLOTS + 1)
    for (let q = first; q <= this.maxSeq; q++) {
      const i = q % WINDOW_SLOTS
      if (this.seq[i] !== q) continue
      const at = this.at[i]!
      if (at < from) continue
      const r = this.rtt[i]!
      x.push(at / 1000)
      if (Number.isNaN(r)) {
        lost.push(at)
        rtt.push(null)
        late.push(null)
      } else if (this.late[i]) {
        rtt.push(null)
        late.push(r)
      } else {
        rtt.push(r)
        late.push(null)
        if (r > maxTimelyRtt) maxTimelyRtt = r
      }
    }
    return { x, rtt, late, lost, maxTimelyRtt }
  }

  /** Approximate bytes held: constant however long the run (the point of the ring buffers). */
  bytes(): number {
    const o = this.overview
    return (
      this.seq.byteLength + this.at.byteLength + this.rtt.byteLength + this.late.byteLength +
      o.min.byteLength + o.max.byteLength + o.sum.byteLength + o.n.byteLength + o.lost.byteLength
    )
  }
}
