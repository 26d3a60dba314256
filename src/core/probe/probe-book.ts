// Which reply belongs to which probe. DarkPlaces' `ack` carries no id, so every outstanding probe
// gets its own source port ("slot" here; the prober maps slots to UDP sockets): a reply on a slot
// can only answer the one probe sent from it, whatever the order replies come back in.
// Pure bookkeeping on a monotonic clock (ms); the caller owns sockets and timers.

export type Settled = {
  seq: number
  slot: number
  /** Monotonic send time, ms. */
  sentMono: number
  /** Round trip in ms; null = no reply within the timeout. */
  rttMs: number | null
  /** The reply came after the timeout (may follow an earlier `rttMs: null` for the same seq). */
  late: boolean
  /** This reply follows a `rttMs: null` already reported for the same seq. */
  wasLost: boolean
}

type Slot =
  | { state: 'free'; freedAt: number }
  | { state: 'pending'; seq: number; sentMono: number }
  /** Timed out; still listening for a late reply until `until`. */
  | { state: 'quarantine'; seq: number; sentMono: number; until: number }

export type ProbeBookOptions = {
  /** A reply after this is late; without one the probe is lost. */
  timeoutMs: number
  /** How long after the timeout a late reply is still matched. */
  lateWindowMs: number
  /** Upper bound on slots (sockets). */
  maxSlots: number
}

export class ProbeBook {
  private slots: Slot[] = []
  private nextSeq = 0

  constructor(private readonly opts: ProbeBookOptions) {
    if (opts.maxSlots < 1) throw new Error('maxSlots must be >= 1')
  }

  get slotCount(): number {
    return this.slots.length
  }

  /**
   * Reserves a slot for a new probe. Prefers the slot free the longest (a stray duplicate reply
   * then has had the most time to arrive), grows the pool while below maxSlots, and as a last
   * resort steals the quarantined slot closest to giving up on its late reply.
   * `grew` tells the caller to open a socket for the new slot.
   */
  send(nowMono: number): { seq: number; slot: number; grew: boolean; evicted?: Settled } {
    const seq = this.nextSeq++
    let best = -1
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (s.state === 'free' && (best < 0 || s.freedAt < (this.slots[best] as { freedAt: number }).freedAt)) best = i
    }
    let grew = false
    let evicted: Settled | undefined
    if (best < 0 && this.slots.length < this.opts.maxSlots) {
      best = this.slots.length
      grew = true
    } else if (best < 0) {
      for (let i = 0; i < this.slots.length; i++) {
        const s = this.slots[i]!
        if (s.state === 'quarantine' && (best < 0 || s.until < (this.slots[best] as { until: number }).until)) best = i
      }
      if (best < 0) {
        // Every slot pending: the oldest pending probe is given up as lost now.
        for (let i = 0; i < this.slots.length; i++) {
          const s = this.slots[i]!
          if (s.state === 'pending' && (best < 0 || s.sentMono < (this.slots[best] as { sentMono: number }).sentMono)) best = i
        }
        const old = this.slots[best] as { seq: number; sentMono: number }
        evicted = { seq: old.seq, slot: best, sentMono: old.sentMono, rttMs: null, late: false, wasLost: false }
      }
    }
    this.slots[best] = { state: 'pending', seq, sentMono: nowMono }
    return evicted ? { seq, slot: best, grew, evicted } : { seq, slot: best, grew }
  }

  /** A reply arrived on `slot`. null for a stray reply (nothing outstanding there). */
  reply(slot: number, nowMono: number): Settled | null {
    const s = this.slots[slot]
    if (!s || s.state === 'free') return null
    const rtt = nowMono - s.sentMono
    this.slots[slot] = { state: 'free', freedAt: nowMono }
    const wasLost = s.state === 'quarantine'
    return { seq: s.seq, slot, sentMono: s.sentMono, rttMs: rtt, late: wasLost || rtt > this.opts.timeoutMs, wasLost }
  }

  /** Times out pending probes (returned as lost) and frees slots whose late window ended. */
  expire(nowMono: number): Settled[] {
    const out: Settled[] = []
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (s.state === 'pending' && nowMono - s.sentMono > this.opts.timeoutMs) {
        out.push({ seq: s.seq, slot: i, sentMono: s.sentMono, rttMs: null, late: false, wasLost: false })
        this.slots[i] = { state: 'quarantine', seq: s.seq, sentMono: s.sentMono, until: s.sentMono + this.opts.timeoutMs + this.opts.lateWindowMs }
      } else if (s.state === 'quarantine' && nowMono >= s.until) {
        this.slots[i] = { state: 'free', freedAt: nowMono }
      }
    }
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Probes still waiting for their reply within the timeout. */
  pendingCount(): number {
    return this.slots.filter((s) => s.state === 'pending').length
  }
}
