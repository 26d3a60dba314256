// No step waits forever. Every remote command of a hop gets a deadline, and a transfer gets a
// progress watchdog (no byte moved for N seconds fails it), both scaled with the link, so a cut
// network fails the step and the rollback runs instead of the hop hanging on TCP retransmits.
import type { Remote, RemoteProcess, RunOptions, RunResult } from '../ssh/types'
import { RemoteTimeoutError } from '../ssh/types'
import type { LinkFacts } from './facts'

export interface WatchdogLimits {
  /** A plain remote command (state query, track file, checkpoint, restore) must finish within this. */
  commandMs: number
  /** A transfer that moves no byte for this long has stalled. */
  stallMs: number
  /** How long an unreachable host is retried after a failure before giving up on it. */
  unreachableMs: number
}

/**
 * Limits from the link: a slow, far link gets more time (TCP's retransmit timer grows with the
 * RTT, and a dump of ~100 MiB on a slow disk takes seconds), but a dead one is noticed in well
 * under a minute. Unknown links get the limits of a 300 ms RTT.
 */
export function watchdogLimits(link: LinkFacts | null): WatchdogLimits {
  const rtt = link?.rttMs ?? 300
  return {
    commandMs: Math.round(Math.min(120_000, 45_000 + 50 * rtt)),
    stallMs: Math.round(Math.min(90_000, 15_000 + 40 * rtt)),
    unreachableMs: 120_000,
  }
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`

/** Calls `onStall` when `touch()` was not called for `limitMs`. */
export class StallWatch {
  private timer: NodeJS.Timeout | null = null
  private readonly abort = new AbortController()

  constructor(
    private readonly limitMs: number,
    private readonly onStall: () => void = () => {},
  ) {
    this.touch()
  }

  /** Aborted when the watched work stalled. */
  get signal(): AbortSignal {
    return this.abort.signal
  }

  get stalled(): boolean {
    return this.abort.signal.aborted
  }

  touch(): void {
    if (this.stalled) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.abort.abort()
      this.onStall()
    }, this.limitMs)
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

/**
 * A Remote whose every run() has a deadline (the caller's timeoutMs wins when given). The deadline
 * also covers reconnecting: a host whose network is gone may not even answer the TCP handshake.
 */
export function withDeadline(remote: Remote, defaultMs: number): Remote {
  return {
    host: remote.host,
    run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
      const ms = opts.timeoutMs ?? defaultMs
      const abort = new AbortController()
      const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal
      const p = remote.run(argv, { ...opts, timeoutMs: ms, signal })
      let timer: NodeJS.Timeout | undefined
      let onAbort: (() => void) | undefined
      // The session's own timer starts once the channel is open; this one also bounds the connect,
      // and a caller's abort is honoured at once even while a cut-off host is being reconnected.
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort()
          reject(new RemoteTimeoutError(remote.host.name, argv.join(' '), ms, 'no answer (connection or command)'))
        }, ms + 2000)
        onAbort = () => {
          const e = new Error(`${remote.host.name}: \`${argv.join(' ')}\` was cancelled`)
          e.name = 'AbortError'
          reject(e)
        }
        if (opts.signal?.aborted) onAbort()
        else opts.signal?.addEventListener('abort', onAbort, { once: true })
      })
      p.catch(() => undefined)
      return Promise.race([p, late]).finally(() => {
        clearTimeout(timer)
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort)
      })
    },
    start(argv: readonly string[], opts?: Omit<RunOptions, 'allowFail'>): RemoteProcess {
      return remote.start(argv, opts)
    },
    close: () => remote.close(),
  }
}
