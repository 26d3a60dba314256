// Outage detection and hop attribution, on a monotonic clock (ms).
// An outage is a stretch without any reply after the address had answered before: it starts at
// the arrival of the last reply before the silence and ends at the arrival of the first reply after
// it, so its length is exactly the gap a client felt (within one probe interval). It is reported
// once the silence exceeds `outageAfterMs` (start, endAt null) and again when it is over; the end
// is held back until every probe sent before it has settled, so `probesLost` is final.
// "silent" is different: the address never answered since probing began (wrong IP/port, firewall).
import type { Outage, ProbeState } from '../../shared/contract'

export type { ProbeState }

export type OutageOptions = {
  /** Silence after which the gap counts as an outage. */
  outageAfterMs: number
  /** Without any reply for this long after start, the address is `silent`. */
  silentAfterMs: number
  /** Probe timeout: how long after the end an outage's lost count can still change. */
  timeoutMs: number
  toEpoch: (mono: number) => number
}

type Open = { startMono: number; lowerSentMono: number; endMono: number | null; hopId: string | null; lost: number }

export class OutageTracker {
  private startedMono: number | null = null
  private lastArrival: number | null = null
  /** Newest send time among answered probes: lost probes sent after it belong to the next gap. */
  private answeredSentMono = -Infinity
  private open: Open | null = null
  private hopId: string | null = null
  /** Send times of recent lost probes, to count them into an outage detected after they timed out. */
  private recentLost: number[] = []
  private silentSince: number | null = null

  constructor(private readonly opts: OutageOptions) {}

  get state(): ProbeState {
    if (this.startedMono === null) return 'off'
    if (this.open && this.open.endMono === null) return 'outage'
    if (this.lastArrival !== null) return 'answering'
    return this.silentSince !== null ? 'silent' : 'probing'
  }

  start(nowMono: number): void {
    this.startedMono = nowMono
  }

  stop(): Outage[] {
    this.startedMono = null
    // An outage still open at stop stays open (endAt null); one waiting to settle is final now.
    const out = this.open && this.open.endMono !== null ? [this.toOutage(this.open)] : []
    this.open = null
    return out
  }

  setHop(hopId: string | null): void {
    this.hopId = hopId
    if (hopId !== null && this.open && this.open.endMono === null && this.open.hopId === null) this.open.hopId = hopId
  }

  /** Any reply (timely or late) proves the server is answering again. */
  reply(arrivalMono: number, sentMono: number): void {
    this.lastArrival = arrivalMono
    this.silentSince = null
    if (sentMono > this.answeredSentMono) this.answeredSentMono = sentMono
    if (this.open && this.open.endMono === null) this.open.endMono = arrivalMono
  }

  lost(sentMono: number): void {
    this.recentLost.push(sentMono)
    if (this.inOpen(sentMono)) this.open!.lost++
  }

  /** A late reply for a probe reported lost before: it was delayed, not lost. */
  unlost(sentMono: number): void {
    const i = this.recentLost.indexOf(sentMono)
    if (i >= 0) this.recentLost.splice(i, 1)
    if (this.inOpen(sentMono) && this.open!.lost > 0) this.open!.lost--
  }

  private inOpen(sentMono: number): boolean {
    const o = this.open
    return !!o && sentMono > o.lowerSentMono && (o.endMono === null || sentMono <= o.endMono)
  }

  /** Call often (each probe interval): returns outages that started or ended. */
  tick(nowMono: number): Outage[] {
    const out: Outage[] = []
    if (this.startedMono === null) return out
    const keep = this.opts.outageAfterMs + this.opts.timeoutMs * 2
    while (this.recentLost.length && this.recentLost[0]! < nowMono - keep) this.recentLost.shift()

    if (this.open && this.open.endMono !== null && nowMono >= this.open.endMono + this.opts.timeoutMs) {
      out.push(this.toOutage(this.open))
      this.open = null
    }
    if (this.lastArrival === null) {
      if (this.silentSince === null && nowMono - this.startedMono >= this.opts.silentAfterMs) this.silentSince = nowMono
      return out
    }
    if ((!this.open || this.open.endMono !== null) && nowMono - this.lastArrival > this.opts.outageAfterMs) {
      if (this.open) out.push(this.toOutage(this.open)) // the previous one is over: final as it stands
      const lower = this.answeredSentMono
      this.open = {
        startMono: this.lastArrival,
        lowerSentMono: lower,
        endMono: null,
        hopId: this.hopId,
        lost: this.recentLost.filter((t) => t > lower).length,
      }
      out.push(this.toOutage(this.open))
    }
    return out
  }

  private toOutage(o: Open): Outage {
    return {
      startAt: this.opts.toEpoch(o.startMono),
      endAt: o.endMono === null ? null : this.opts.toEpoch(o.endMono),
      probesLost: o.lost,
      hopId: o.hopId,
    }
  }
}
