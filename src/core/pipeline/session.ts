// The pipeline as the engine and the CLI use it: preflight, one hop, a tour (step or auto),
// next and cancel. One hop at a time (HopControl); a cancel stops at once before the freeze and
// at the hop's end after it.
import type { HopResult, PreflightReport } from '../../shared/contract'
import type { Mode, Tour } from '../../shared/tour'
import type { Emit } from '../events'
import { hostByName } from '../tour/load'
import { syncPeerKnownHosts } from '../ssh/peer-known-hosts'
import type { Remote } from '../ssh/types'
import { unreachableFacts, type HostFacts, type LinkFacts } from './facts'
import { gatherHostFacts } from './host-facts'
import { HopCancelled, HopRefused, runHop, type ClientObserver, type Decision } from './hop'
import { errorText, runStep } from './hop-context'
import { HopControl } from './hop-control'
import type { Journal } from './journal'
import { watchdogLimits, type WatchdogLimits } from './watchdog'
import { LinkBook } from './link'
import { decideHop } from './decide'
import { learnFromHop, type HopFigures } from './gap-model'
import { imageFromFacts, type Tracking } from './modes'
import { makeHopId } from './paths'
import { buildReport } from './preflight-report'

export type { ClientObserver } from './hop'

export interface PipelineSessionOptions {
  tour: Tour
  remote: (hostName: string) => Promise<Remote>
  emit: Emit
  client?: ClientObserver
  /** Where hops record their progress (default: none; the CLI and the engine keep one per tour). */
  journal?: Journal
  /** Overrides of the link-scaled watchdog limits (tests, slow disks). */
  limits?: Partial<WatchdogLimits>
  verifyTimeoutMs?: number
}

/** Rejects as soon as `signal` aborts (the work itself goes on and is ignored). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new HopCancelled())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new HopCancelled())
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export interface HopRequest {
  to?: string
  mode?: Mode
  /** Force pre-copy's tracker (else tour.options.preCopy.tracking). */
  tracking?: Tracking
}

export class PipelineSession {
  private readonly tour: Tour
  private readonly facts = new Map<string, HostFacts>()
  private readonly links: LinkBook
  /** What earlier hops measured: the gap model and the snapshot stop rule start from it. */
  private past: HopFigures | null = null
  /** Index into tour.hops of where the container is; -1 when it is off the tour's path. */
  private position = 0
  private current: string | null
  private hopCount = 0
  /** Busy, frozen and stop requests: one place, shared with the hop and the process guard. */
  readonly control = new HopControl()
  private waiter: ((go: boolean) => void) | null = null
  private pendingNext = false

  constructor(private readonly opts: PipelineSessionOptions) {
    this.tour = opts.tour
    this.links = new LinkBook(opts.tour, opts.remote)
    this.current = opts.tour.hops[0] ?? null
  }

  get currentHost(): string | null {
    return this.current
  }

  get nextHopIndex(): number | null {
    const i = this.position + 1
    return this.position >= 0 && i < this.tour.hops.length ? i : null
  }

  get isBusy(): boolean {
    return this.control.busy !== 'idle'
  }

  /** Facts from every host of the tour, the table event, and where the container really is. */
  async preflight(mode?: Mode): Promise<PreflightReport> {
    this.control.claim('preflight')
    try {
      const names = this.tour.hosts.map((h) => h.name)
      // The next hop's link is measured beside the facts: its prediction needs it, the hop reuses it.
      const pair = this.nextPair()
      const linkP = pair ? this.links.between(pair) : Promise.resolve(null)
      const facts = await Promise.all(names.map((n) => this.gather(n)))
      const on = facts.filter((f) => f.container === 'running')
      if (on.length === 1) this.adopt(on[0]!.host)
      const now = this.nextPair()
      const link = now && now.join() === pair?.join() ? await linkP : now ? await this.links.between(now) : (await linkP, null)
      const src = now ? facts.find((f) => f.host === now[0]) : undefined
      const report = buildReport(this.tour, facts, this.current, this.position, { link, image: src ? this.image(src) : undefined })
      if (mode) {
        const m = report.modes.find((x) => x.mode === mode)
        if (m && !m.available) report.ok = false
      }
      this.opts.emit('preflight', report)
      return report
    } finally {
      this.control.release()
    }
  }

  async hop(args: HopRequest = {}): Promise<HopResult> {
    this.control.claim('hop')
    try {
      return await this.doHop(args)
    } finally {
      this.control.release()
    }
  }

  /** The rest of the tour. In step mode each hop after the first waits for next(). */
  async runTour(args: { auto: boolean; mode?: Mode; tracking?: Tracking }): Promise<HopResult[]> {
    this.control.claim('tour')
    const results: HopResult[] = []
    try {
      let first = true
      while (this.nextHopIndex !== null) {
        if (this.control.stopRequested) break
        if (!first && !args.auto && !(await this.waitNext())) break
        first = false
        const r = await this.doHop({ mode: args.mode, tracking: args.tracking })
        results.push(r)
        if (!r.ok) break
      }
      return results
    } finally {
      this.control.release()
      this.waiter = null
      this.pendingNext = false
    }
  }

  /** Lets a step-mode tour take its next hop. */
  next(): boolean {
    if (this.control.busy !== 'tour') return false
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w(true)
    } else this.pendingNext = true
    return true
  }

  /** Stops now before the freeze; after it the hop finishes or rolls back, then nothing more runs. */
  cancel(): { cancelled: boolean; detail: string } {
    const o = this.control.stop()
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w(false)
    }
    return { cancelled: o.cancelled, detail: o.detail }
  }

  private waitNext(): Promise<boolean> {
    if (this.pendingNext) {
      this.pendingNext = false
      return Promise.resolve(true)
    }
    return new Promise((resolve) => (this.waiter = resolve))
  }

  /** The next hop of the tour as (source, destination), if there is one. */
  private nextPair(): [string, string] | null {
    const i = this.nextHopIndex
    return i !== null && this.current ? [this.current, this.tour.hops[i]!] : null
  }

  /** Earlier hops' figures, the source's resident memory standing in for an image never dumped. */
  private image(src: HostFacts): HopFigures {
    return this.past?.imageBytes ? this.past : { ...this.past, ...imageFromFacts(src) }
  }

  private adopt(host: string): void {
    this.current = host
    if (this.tour.hops[this.position] === host) return
    // Prefer the next occurrence along the tour, else the first anywhere.
    const ahead = this.tour.hops.indexOf(host, Math.max(this.position, 0))
    this.position = ahead >= 0 ? ahead : this.tour.hops.indexOf(host)
  }

  private async gather(name: string): Promise<HostFacts> {
    let f: HostFacts
    try {
      f = await gatherHostFacts(await this.opts.remote(name), this.tour)
    } catch (err) {
      f = unreachableFacts(name, err instanceof Error ? err.message : String(err))
    }
    this.facts.set(name, f)
    return f
  }

  private async doHop(args: HopRequest): Promise<HopResult> {
    this.control.setHopping(true)
    try {
      return await this.hopOnce(args)
    } finally {
      this.control.setHopping(false)
    }
  }

  private async hopOnce(args: HopRequest): Promise<HopResult> {
    const fromName = this.current ?? this.tour.hops[0]!
    const toName = args.to ?? (this.nextHopIndex !== null ? this.tour.hops[this.nextHopIndex]! : null)
    if (!toName) throw new Error(`the tour is over: the container is on ${fromName} and no hop is left (give a destination)`)
    if (toName === fromName) throw new Error(`the container is already on ${toName}`)
    const from = hostByName(this.tour, fromName)
    const to = hostByName(this.tour, toName)
    const mode = args.mode ?? this.tour.options.mode
    const hopId = makeHopId(++this.hopCount, fromName, toName)
    const startedAt = Date.now()
    const steps: HopResult['steps'] = []
    const signal = this.control.signal
    // A cancel ends a pending connect at once instead of waiting for its timeout.
    const [src, dst] = await untilAborted(Promise.all([this.opts.remote(fromName), this.opts.remote(toName)]), signal).catch((err: unknown) => {
      throw new Error(signal.aborted ? new HopCancelled().message : `cannot reach the hop's hosts: ${errorText(err)}`)
    })
    // Host-to-host ssh trusts only the keys this session verified (never accept-new).
    await untilAborted(syncPeerKnownHosts([from, to], this.opts.remote), signal).catch((err: unknown) => {
      throw new Error(signal.aborted ? new HopCancelled().message : `cannot write the hosts' known_hosts for host-to-host ssh: ${errorText(err)}`)
    })
    let decision: Decision
    let link: LinkFacts | null = null
    try {
      // The technique is this session's decision, in its own step; the hop gets the result.
      decision = await runStep({ hopId, emit: this.opts.emit, steps }, 'preflight', { host: fromName, detail: `${mode} from ${fromName} to ${toName}` }, async () => {
        const [sf, df] = await untilAborted(Promise.all([this.facts.get(fromName) ?? this.gather(fromName), this.facts.get(toName) ?? this.gather(toName)]), signal)
        // Every mode uses the link: auto and compression choose by it, the gap model and the snapshot rule weigh with it.
        link = await untilAborted(this.links.measure(src, fromName, toName), signal)
        const d = decideHop({ mode, tour: this.tour, sf, df, link, tracking: args.tracking, image: this.image(sf), past: this.past })
        if (!d.ok) throw new HopRefused(d.reason)
        return { value: d.decision, detail: d.words }
      })
    } catch (err) {
      const refused: HopResult = {
        hopId, from: fromName, to: toName, mode, technique: 'refused', ok: false,
        startedAt, endedAt: Date.now(), steps, wireBytes: 0, error: signal.aborted ? new HopCancelled().message : errorText(err), containerOn: fromName,
      }
      this.opts.emit('hop', refused)
      return refused
    }
    const result = await runHop({
      tour: this.tour,
      hopId,
      from,
      to,
      src,
      dst,
      emit: this.opts.emit,
      mode,
      decision,
      steps,
      startedAt,
      control: this.control,
      journal: this.opts.journal,
      limits: { ...watchdogLimits(link), ...this.opts.limits },
      client: this.opts.client,
      verifyTimeoutMs: this.opts.verifyTimeoutMs,
    })
    this.past = learnFromHop(this.past, result)
    if (result.containerOn) this.adopt(result.containerOn)
    else this.current = null
    // The hosts' container states changed: later hops re-check them live anyway.
    return result
  }
}
