// Interrupt-safe hops for every process that runs one (CLI, browser host, Electron main).
// SIGINT, SIGTERM, SIGHUP and a closed stdout/stderr (EPIPE, EIO after a hang-up) never abandon a
// frozen container: before the freeze the work is cancelled and the process exits; after it the
// hop finishes or rolls back, the process says so, and only then exits. Writes to a closed
// stream are dropped instead of crashing the process. SIGKILL cannot be caught: the hop journal
// and `globehop recover` cover that.
import { constants } from 'node:os'
import type { HopControl } from './pipeline/hop-control'

export interface GuardTarget {
  control: HopControl
  /** Stop what runs (the session's cancel: now before the freeze, at the hop's end after it). */
  cancel(): unknown
}

export interface GuardOptions {
  /** The running pipeline, if any (the engine's changes when another tour is loaded). */
  target: () => GuardTarget | null
  /** Where the guard's own words go (stderr by default; dropped once stderr is gone). */
  say?: (line: string) => void
  /** Ends the process (default process.exit); called once nothing is frozen any more. */
  exit?: (code: number) => void
  /** Ran before exit, e.g. closing SSH sessions (bounded by the caller). */
  beforeExit?: () => Promise<void>
  signals?: NodeJS.Signals[]
}

export interface Guard {
  /** What ended the process, once something did. */
  readonly reason: string | null
  dispose(): void
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export function exitCodeFor(reason: string): number {
  if (reason === 'EPIPE') return 128 + constants.signals.SIGPIPE
  const n = (constants.signals as Record<string, number>)[reason]
  return n ? 128 + n : 1
}

export function guardProcess(opts: GuardOptions): Guard {
  let stderrOpen = true
  const say = opts.say ?? ((line: string) => {
    if (stderrOpen) process.stderr.write(`globehop: ${line}\n`)
  })
  const exit = opts.exit ?? ((code: number) => process.exit(code))
  let reason: string | null = null
  let exiting = false

  const finish = async (code: number) => {
    if (exiting) return
    exiting = true
    try {
      await opts.beforeExit?.()
    } finally {
      exit(code)
    }
  }

  const onStop = (why: string) => {
    const t = opts.target()
    const first = reason === null
    reason ??= why
    const code = exitCodeFor(reason)
    if (!t || t.control.busy === 'idle') {
      if (first) void finish(code)
      return
    }
    if (t.control.frozen) {
      say(`${why}: the container is frozen: finishing the hop (or rolling it back), then exiting${first ? '' : ' (still finishing; it is never abandoned)'}`)
    } else if (first) {
      say(`${why}: nothing is frozen: cancelling, the container stays where it is`)
    }
    if (!first) return
    t.cancel()
    void t.control.idle().then(() => {
      say('the hop is over: exiting')
      return finish(code)
    })
  }

  const handlers = (opts.signals ?? SIGNALS).map((sig) => {
    const h = () => onStop(sig)
    process.on(sig, h)
    return [sig, h] as const
  })
  // A reader that went away (`| head`, a closed terminal): stop as after a hang-up, never crash.
  const onOutErr = (which: 'stdout' | 'stderr') => {
    let closed = false
    return (err: NodeJS.ErrnoException) => {
      if (which === 'stderr') stderrOpen = false
      // One closed stream is one stop: every later write fails the same way and says nothing new.
      if (closed) return
      if (err.code === 'EPIPE' || err.code === 'EIO' || err.code === 'ERR_STREAM_DESTROYED') {
        closed = true
        onStop(err.code === 'EIO' ? 'SIGHUP' : 'EPIPE')
      }
    }
  }
  const outErr = onOutErr('stdout')
  const errErr = onOutErr('stderr')
  process.stdout.on('error', outErr)
  process.stderr.on('error', errErr)

  return {
    get reason() {
      return reason
    },
    dispose() {
      for (const [sig, h] of handlers) process.off(sig, h)
      process.stdout.off('error', outErr)
      process.stderr.off('error', errErr)
    },
  }
}
