// The pipeline as the engine and the CLI use it: preflight, one hop, a tour (step or auto),
// next and cancel. One hop at a time; cancelling is honoured only before the freeze.
import type { HopResult, PreflightReport } from '../../shared/contract'
import type { Mode, Tour } from '../../shared/tour'
import type { Emit } from '../events'
import { hostByName } from '../tour/load'
import type { Remote } from '../ssh/types'
import { unreachableFacts, type HostFacts, type LinkFacts } from './facts'
import { gatherHostFacts } from './host-facts'
import { HopRefused, runHop, type ClientObserver, type Decision } from './hop'
import { measureLink } from './link'
import { chooseCompression, chooseTechnique, type Tracking } from './modes'
import { makeHopId } from './paths'
import { buildReport } from './preflight-report'

export type { ClientObserver } from './hop'

export interface PipelineSessionOptions {
  tour: Tour
  remote: (hostName: string) => Promise<Remote>
  emit: Emit
  client?: ClientObserver
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
  private readonly links = new Map<string, LinkFacts>()
  /** Index into tour.hops of where the container is; -1 when it is off the tour's path. */
  private position = 0
  private current: string | null
  private busy: 'idle' | 'preflight' | 'hop' | 'tour' = 'idle'
  private hopCount = 0
  private abort: AbortController | null = null
  private cancelFlag = false
  private frozen = false
  private waiter: ((go: boolean) => void) | null = null
  private pendingNext = false

  constructor(private readonly opts: PipelineSessionOptions) {
    this.tour = opts.tour
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
    return this.busy !== 'idle'
  }

  /** Facts from every host of the tour, the table event, and where the container really is. */
  async preflight(mode?: Mode): Promise<PreflightReport> {
    this.claim('preflight')
    try {
      const names = this.tour.hosts.map((h) => h.name)
      const facts = await Promise.all(names.map((n) => this.gather(n)))
      const report = buildReport(this.tour, facts, this.current, this.position)
      if (report.containerOn) this.adopt(report.containerOn)
      if (mode) {
        const m = report.modes.find((x) => x.mode === mode)
        if (m && !m.available) report.ok = false
      }
      this.opts.emit('preflight', report)
      return report
    } finally {
      this.busy = 'idle'
    }
  }

  async hop(args: HopRequest = {}): Promise<HopResult> {
    this.claim('hop')
    try {
      return await this.doHop(args)
    } finally {
      this.busy = 'idle'
    }
  }

  /** The rest of the tour. In step mode each hop after the first waits for next(). */
  async runTour(args: { auto: boolean; mode?: Mode; tracking?: Tracking }): Promise<HopResult[]> {
    this.claim('tour')
    const results: HopResult[] = []
    try {
      let first = true
      while (this.nextHopIndex !== null) {
        if (this.cancelFlag) break
        if (!first && !args.auto && !(await this.waitNext())) break
        first = false
        const r = await this.doHop({ mode: args.mode, tracking: args.tracking })
        results.push(r)
        if (!r.ok) break
      }
      return results
    } finally {
      this.busy = 'idle'
      this.waiter = null
      this.pendingNext = false
    }
  }

  /** Lets a step-mode tour take its next hop. */
  next(): boolean {
    if (this.busy !== 'tour') return false
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w(true)
    } else this.pendingNext = true
    return true
  }

  cancel(): { cancelled: boolean; detail: string } {
    if (this.busy === 'idle') return { cancelled: false, detail: 'nothing to cancel' }
    if (this.frozen) {
      return { cancelled: false, detail: 'the container is frozen and on its way: cancelling now could lose the server; the hop finishes or rolls back on its own' }
    }
    this.cancelFlag = true
    this.abort?.abort()
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      w(false)
    }
    return { cancelled: true, detail: this.busy === 'tour' ? 'tour stopped before the next freeze; the container stays where it is' : 'hop stopped before the freeze; the container stays on the source' }
  }

  private claim(what: 'preflight' | 'hop' | 'tour'): void {
    if (this.busy !== 'idle') throw new Error(`busy with a ${this.busy}: one at a time`)
    this.busy = what
    this.cancelFlag = false
  }

  private waitNext(): Promise<boolean> {
    if (this.pendingNext) {
      this.pendingNext = false
      return Promise.resolve(true)
    }
    return new Promise((resolve) => (this.waiter = resolve))
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
    const fromName = this.current ?? this.tour.hops[0]!
    const toName = args.to ?? (this.nextHopIndex !== null ? this.tour.hops[this.nextHopIndex]! : null)
    if (!toName) throw new Error(`the tour is over: the container is on ${fromName} and no hop is left (give a destination)`)
    if (toName === fromName) throw new Error(`the container is already on ${toName}`)
    const from = hostByName(this.tour, fromName)
    const to = hostByName(this.tour, toName)
    const mode = args.mode ?? this.tour.options.mode
    const hopId = makeHopId(++this.hopCount, fromName, toName)
    this.abort = new AbortController()
    this.frozen = false
    const [src, dst] = await Promise.all([this.opts.remote(fromName), this.opts.remote(toName)]).catch((err: unknown) => {
      throw new Error(`cannot reach the hop's hosts: ${err instanceof Error ? err.message : String(err)}`)
    })
    const decide = async (): Promise<Decision> => {
      const [sf, df] = await Promise.all([this.facts.get(fromName) ?? this.gather(fromName), this.facts.get(toName) ?? this.gather(toName)])
      const needLink = !this.tour.options.sharedStorage && (mode === 'auto' || this.tour.options.compression === 'auto')
      const link = needLink ? await this.link(src, fromName, toName) : null
      // Container states are checked live right after; the facts say what the hosts can do.
      const c = chooseTechnique(mode, this.tour, { ...sf, container: 'running' }, { ...df, container: 'absent' }, link, args.tracking)
      if (!c.ok) throw new HopRefused(c.reason)
      const lw = link?.mbitPerSec != null ? ` (link ${link.mbitPerSec.toFixed(0)} Mbit/s, ${link.rttMs?.toFixed(1) ?? '?'} ms RTT)` : ''
      return { technique: c.technique, why: c.why + (c.why === 'asked for' ? lw : ''), compress: chooseCompression(this.tour, sf, link), dstNonlocalBind: df.nonlocalBind }
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
      decide,
      signal: this.abort.signal,
      cancelRequested: () => this.cancelFlag,
      onFreeze: () => (this.frozen = true),
      client: this.opts.client,
    })
    this.frozen = false
    this.abort = null
    if (result.containerOn) this.adopt(result.containerOn)
    else this.current = null
    // The hosts' container states changed: later hops re-check them live anyway.
    return result
  }

  private async link(src: Remote, from: string, to: string): Promise<LinkFacts> {
    const key = `${from}>${to}`
    const known = this.links.get(key)
    if (known) return known
    const l = await measureLink(src, hostByName(this.tour, to))
    this.links.set(key, l)
    return l
  }
}
