// The client's view of the game server: timing probes (`ping` -> `ack`) at a fixed rate, one
// source port per outstanding probe so replies match without ids, and `getstatus` once a second
// for the server's identity and state. Runs in plain Node (main process or browser host).
import dgram from 'node:dgram'
import { isIPv6 } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { ClientView, ProbeSample } from '../../shared/contract'
import type { Emit } from '../events'
import { decode, encodeGetstatus, encodePing } from './codec'
import { HopLedger } from './hop-ledger'
import { OutageTracker, type ProbeState } from './outage'
import { ProbeBook, type Settled } from './probe-book'
import { toServerStatus } from './status'

export type ProberOptions = {
  address: string
  port: number
  /** Probes per second, 1 to 50. */
  hz: number
  emit: Emit
  /** Names the probe target in events from the server's reported hostname (default: address:port). */
  label?: (hostName: string) => string
  /** A reply after this is late, without one the probe is lost. Default 1000 ms. */
  timeoutMs?: number
  /** A silence longer than this is an outage. Default max(4 probe intervals, 250 ms). */
  outageAfterMs?: number
  /** No reply at all this long after start: the address is `silent`. Default 2500 ms. */
  silentAfterMs?: number
  /** getstatus period; 0 turns it off. Default 1000 ms. */
  statusEveryMs?: number
}

const FLUSH_MS = 200
/** Late replies are still matched this long after the timeout. */
const LATE_WINDOW_MS = 4000

export class Prober {
  readonly intervalMs: number
  private readonly timeoutMs: number
  private readonly statusEveryMs: number
  private readonly book: ProbeBook
  private readonly tracker: OutageTracker
  private readonly ledger = new HopLedger()
  private readonly sockets: dgram.Socket[] = []
  private statusSocket: dgram.Socket | null = null
  private readonly family: 'udp4' | 'udp6'
  private timer: NodeJS.Timeout | null = null
  private running = false
  private startMono = 0
  private probesSent = 0
  private nextFlush = 0
  private nextStatus = 0
  private statusSeq = 0
  private readonly statusSent = new Map<string, number>()
  private batch: ProbeSample[] = []
  private lastEmittedState: ProbeState | null = null
  private target: string
  private readonly ping = encodePing()

  constructor(private readonly opts: ProberOptions) {
    if (!(opts.hz >= 1 && opts.hz <= 50)) throw new Error(`probe rate ${opts.hz} Hz is outside 1..50`)
    this.intervalMs = 1000 / opts.hz
    this.timeoutMs = opts.timeoutMs ?? 1000
    this.statusEveryMs = opts.statusEveryMs ?? 1000
    // Enough sockets for every probe of a full timeout + late window (an outage) to keep its port.
    const maxSlots = Math.ceil(((this.timeoutMs + LATE_WINDOW_MS) / 1000) * opts.hz) + 2
    this.book = new ProbeBook({ timeoutMs: this.timeoutMs, lateWindowMs: LATE_WINDOW_MS, maxSlots })
    this.tracker = new OutageTracker({
      outageAfterMs: opts.outageAfterMs ?? Math.max(4 * this.intervalMs, 250),
      silentAfterMs: opts.silentAfterMs ?? 2500,
      timeoutMs: this.timeoutMs,
      toEpoch: (m) => performance.timeOrigin + m,
    })
    this.family = isIPv6(opts.address) ? 'udp6' : 'udp4'
    this.target = `${opts.address}:${opts.port}`
  }

  get state(): ProbeState {
    return this.tracker.state
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.startMono = performance.now()
    this.probesSent = 0
    this.nextFlush = this.startMono + FLUSH_MS
    this.nextStatus = this.startMono
    this.tracker.start(this.startMono)
    if (this.statusEveryMs > 0) {
      const s = dgram.createSocket(this.family)
      s.on('message', (msg, rinfo) => this.onStatus(msg, rinfo))
      s.on('error', () => {}) // send errors (no route) just mean no answer this second
      this.statusSocket = s
    }
    this.loop()
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    for (const o of this.tracker.stop()) this.opts.emit('outage', o)
    this.flush(true)
    const closing = [...this.sockets, ...(this.statusSocket ? [this.statusSocket] : [])]
    this.sockets.length = 0
    this.statusSocket = null
    await Promise.all(closing.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
  }

  /** The engine calls this when a hop starts (id) and ends (null). */
  setHop(hopId: string | null): void {
    const now = performance.now()
    if (hopId === null) this.ledger.end(now)
    else this.ledger.begin(hopId, now)
    this.tracker.setHop(hopId)
  }

  clientView(hopId: string): ClientView {
    return this.ledger.view(hopId, performance.now())
  }

  private loop = (): void => {
    if (!this.running) return
    let now = performance.now()
    let due = this.startMono + this.probesSent * this.intervalMs
    // After a stall (event loop blocked) skip the missed slots instead of sending a burst.
    if (now - due > 5 * this.intervalMs) {
      this.probesSent = Math.floor((now - this.startMono) / this.intervalMs)
      due = this.startMono + this.probesSent * this.intervalMs
    }
    while (due <= now) {
      this.sendProbe(now)
      this.probesSent++
      due += this.intervalMs
    }
    if (this.statusSocket && now >= this.nextStatus) {
      this.sendStatus(now)
      this.nextStatus += this.statusEveryMs
      if (this.nextStatus < now) this.nextStatus = now + this.statusEveryMs
    }
    this.housekeep(now)
    now = performance.now()
    // Wake for the next probe, and at least every 50 ms for timeouts and outage detection.
    this.timer = setTimeout(this.loop, Math.max(0, Math.min(due, now + 50) - now))
  }

  private housekeep(now: number): void {
    for (const s of this.book.expire(now)) this.settle(s)
    for (const o of this.tracker.tick(now)) this.opts.emit('outage', o)
    if (now >= this.nextFlush || this.tracker.state !== this.lastEmittedState) {
      this.flush(false)
      this.nextFlush = now + FLUSH_MS
    }
  }

  private sendProbe(now: number): void {
    const { slot, grew, evicted } = this.book.send(now)
    if (evicted) this.settle(evicted)
    if (grew) this.sockets[slot] = this.openProbeSocket(slot)
    const sock = this.sockets[slot]!
    // Timestamp as close to the send as we can: the book's time is taken before the syscall.
    sock.send(this.ping, this.opts.port, this.opts.address, () => {})
  }

  private openProbeSocket(slot: number): dgram.Socket {
    const s = dgram.createSocket(this.family)
    s.on('message', (msg, rinfo) => {
      const at = performance.now()
      if (!this.running || rinfo.port !== this.opts.port || rinfo.address !== this.opts.address) return
      if (decode(msg)?.kind !== 'ack') return
      const settled = this.book.reply(slot, at)
      if (settled) this.onReply(settled, at)
    })
    s.on('error', () => {})
    return s
  }

  private onReply(s: Settled, arrival: number): void {
    this.tracker.reply(arrival, s.sentMono)
    if (s.wasLost) this.tracker.unlost(s.sentMono)
    this.ledger.reply(arrival, s.sentMono, s.rttMs!, s.late, s.wasLost)
    this.push(s)
  }

  private settle(s: Settled): void {
    this.tracker.lost(s.sentMono)
    this.ledger.lost(s.sentMono)
    this.push(s)
  }

  private push(s: Settled): void {
    const sample: ProbeSample = { seq: s.seq, at: performance.timeOrigin + s.sentMono, rttMs: s.rttMs }
    if (s.late) sample.late = true
    this.batch.push(sample)
  }

  private flush(final: boolean): void {
    const state: ProbeState = final ? 'off' : this.tracker.state
    if (this.batch.length === 0 && state === this.lastEmittedState) return
    const samples = this.batch.sort((a, b) => a.seq - b.seq)
    this.batch = []
    this.lastEmittedState = state
    this.opts.emit('probe', { samples, state, target: this.target })
  }

  private sendStatus(now: number): void {
    // The challenge echoes back, so a reply is matched to its request and stale ones are dropped.
    const challenge = `gh${++this.statusSeq}`
    this.statusSent.set(challenge, now)
    if (this.statusSent.size > 5) this.statusSent.delete(this.statusSent.keys().next().value as string)
    this.statusSocket!.send(encodeGetstatus(challenge), this.opts.port, this.opts.address, () => {})
  }

  private onStatus(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const at = performance.now()
    if (!this.running || rinfo.port !== this.opts.port || rinfo.address !== this.opts.address) return
    const d = decode(msg)
    // Past the flood limit or with a long player list the server may answer getstatus with infoResponse.
    if (!d || (d.kind !== 'status' && d.kind !== 'info')) return
    const challenge = d.fields.challenge
    if (challenge === undefined || !this.statusSent.has(challenge)) return
    this.statusSent.delete(challenge)
    const status = toServerStatus(d.fields, d.kind === 'status' ? d.players : [], performance.timeOrigin + at)
    if (d.kind === 'status') this.ledger.status(status, at)
    if (this.opts.label && status.hostname) this.target = this.opts.label(status.hostname)
    this.opts.emit('serverStatus', status)
  }
}
