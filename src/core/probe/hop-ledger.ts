// Per-hop figures of what a client saw (the contract's ClientView), kept incrementally so a long
// run costs O(1) memory per hop. Monotonic clock (ms). "The gap" of a hop is the longest stretch
// without replies that overlaps the hop: RTT "after" and the state check are taken after it ended,
// which is when the container answers from its new host.
import type { ClientView, ServerStatus } from '../../shared/contract'
import { stateCarried } from './status'

type HopRec = {
  startMono: number
  endMono: number | null
  rttBefore: number | null
  maxGap: number
  /** Arrival of the reply that ended the longest gap (hop start until there is one). */
  gapEndMono: number
  statusBefore: ServerStatus | null
  statusAfter: ServerStatus | null
  afterRtts: number[]
  lost: number
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export class HopLedger {
  private readonly recentRtts: number[] = []
  private lastArrival: number | null = null
  private lastStatus: ServerStatus | null = null
  private readonly hops = new Map<string, HopRec>()
  private active: HopRec | null = null

  /** @param rttWindow how many timely replies make "RTT before/after" (a median, robust to spikes). */
  constructor(private readonly rttWindow = 20, private readonly maxHops = 100) {}

  begin(hopId: string, nowMono: number): void {
    this.end(nowMono)
    const rec: HopRec = {
      startMono: nowMono,
      endMono: null,
      rttBefore: median(this.recentRtts),
      maxGap: 0,
      gapEndMono: nowMono,
      statusBefore: this.lastStatus,
      statusAfter: null,
      afterRtts: [],
      lost: 0,
    }
    this.hops.set(hopId, rec)
    this.active = rec
    if (this.hops.size > this.maxHops) this.hops.delete(this.hops.keys().next().value as string)
  }

  end(nowMono: number): void {
    if (this.active) this.active.endMono = nowMono
    this.active = null
  }

  private overlapping(fromMono: number, toMono: number): HopRec[] {
    const out: HopRec[] = []
    for (const r of this.hops.values()) if (fromMono < (r.endMono ?? Infinity) && toMono > r.startMono) out.push(r)
    return out
  }

  reply(arrivalMono: number, sentMono: number, rttMs: number, late: boolean, wasLost: boolean): void {
    if (this.lastArrival !== null) {
      const gap = arrivalMono - this.lastArrival
      for (const r of this.overlapping(this.lastArrival, arrivalMono)) {
        if (gap > r.maxGap) {
          r.maxGap = gap
          r.gapEndMono = arrivalMono
          r.statusBefore = this.lastStatus ?? r.statusBefore
          r.statusAfter = null
          r.afterRtts = []
        }
      }
    }
    this.lastArrival = arrivalMono
    if (wasLost) for (const r of this.hops.values()) if (this.inHop(r, sentMono) && r.lost > 0) r.lost--
    if (late) return
    this.recentRtts.push(rttMs)
    if (this.recentRtts.length > this.rttWindow) this.recentRtts.shift()
    for (const r of this.hops.values()) if (sentMono >= r.gapEndMono && r.afterRtts.length < this.rttWindow) r.afterRtts.push(rttMs)
  }

  lost(sentMono: number): void {
    for (const r of this.hops.values()) if (this.inHop(r, sentMono)) r.lost++
  }

  status(s: ServerStatus, arrivalMono: number): void {
    this.lastStatus = s
    for (const r of this.hops.values()) if (r.statusAfter === null && arrivalMono > r.gapEndMono) r.statusAfter = s
  }

  private inHop(r: HopRec, sentMono: number): boolean {
    return sentMono >= r.startMono && sentMono <= (r.endMono ?? Infinity)
  }

  view(hopId: string, nowMono: number): ClientView {
    const r = this.hops.get(hopId)
    if (!r) return { downtimeMs: null, probesLost: 0, rttBeforeMs: null, rttAfterMs: null, stateCarried: null }
    let downtime: number | null = this.lastArrival === null ? null : r.maxGap
    // Still silent now, and the silence began during the hop: that is the hop's downtime so far.
    if (this.lastArrival !== null && this.lastArrival < (r.endMono ?? Infinity) && nowMono - this.lastArrival > (downtime ?? 0)) {
      downtime = nowMono - this.lastArrival
    }
    return {
      downtimeMs: downtime,
      probesLost: r.lost,
      rttBeforeMs: r.rttBefore,
      rttAfterMs: median(r.afterRtts),
      stateCarried: stateCarried(r.statusBefore, r.statusAfter),
    }
  }
}
