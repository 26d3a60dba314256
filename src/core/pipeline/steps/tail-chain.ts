// Pre-copy's frozen tail without a command start between its parts (transfer/tail-chain.ts): one
// command on the source (session to the destination first, then dump, one-way delta, verified on
// the destination), the restore gate on the destination and the armed IP move, opened beside it. The checkpoint, transfer and restore steps still start and end
// on their own, each at the marker line that says so, so the figures, the journal and the rollback
// see the same hop as with three commands. The go-ahead is the one decision: journaled first, never
// sent once the hop failed, so without it the destination cannot restore.
import { PassThrough } from 'node:stream'
import { RemoteCommandError, type RunResult } from '../../ssh/types'
import { GATE_EXIT, GATE_GO, NO_RECEIVER_EXIT, postRestoreWaitMs, TAIL_MARK } from '../../transfer/tail-chain'
import type { TailCommands } from '../plan'
import { advance, commandFailure, errorText, type HopContext, type Progress, runStep, runtimeWords } from '../hop-context'
import { secs, StallWatch } from '../watchdog'
import { readDumpFigures } from './checkpoint'
import { armIpMove } from './ip-move'
import { restored } from './restore'
import { deltaArrived, deltaProgress, deltaStalled } from './transfer'

export interface TailChain {
  checkpoint(): Promise<void>
  transfer(): Promise<void>
  restore(): Promise<void>
  /** The hop failed elsewhere (the IP move): no go-ahead leaves from now on. */
  abandon(err: unknown): void
}

/** A whole image's commands' bound (the stall watch and the restore's timer end them sooner; the
 *  gate's own wait only matters to a gate whose engine is gone). Finite: timers take 32 bits. */
const WHOLE_IMAGE_BOUND_MS = 6 * 3600_000

type Phase = 'freezing' | 'dumped' | 'counted' | 'verified' | 'exited'

/**
 * Sends both commands and arms the IP move; the source freezes the game once its session to the
 * destination is open, and says when CRIU has it frozen: the IP move fires on that line (or on the
 * dump's end where the runtime keeps no CRIU log).
 */
export function startTailChain(ctx: HopContext, argv: TailCommands, last: number): TailChain {
  // Frozen from the first instruction on: a failure from here on calls for the rollback.
  advance(ctx, 'frozen')
  // Stop-and-copy's whole image (no snapshot before it): seconds to minutes on the wire, so its
  // commands get no fixed deadline; bytes must keep moving instead (the stall watch, from the
  // freeze on), and the restore, once told to go, gets a plain command's time.
  const whole = last === 0
  const rt = ctx.plan.runtime.name
  const lines: string[] = []
  const waiters = new Map<Phase, { resolve: () => void; reject: (e: Error) => void; promise: Promise<void> }>()
  for (const p of ['freezing', 'dumped', 'counted', 'verified', 'exited'] as Phase[]) {
    let resolve!: () => void
    let reject!: (e: Error) => void
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
    promise.catch(() => undefined)
    waiters.set(p, { resolve, reject, promise })
  }
  const seen = new Set<Phase>()
  const mark = (p: Phase) => (seen.add(p), waiters.get(p)!.resolve())
  let failed: Error | null = null
  const ip = armIpMove(ctx)
  const fail = (err: Error) => {
    ip?.cancel()
    failed ??= err
    for (const [p, w] of waiters) if (!seen.has(p)) w.reject(failed)
  }
  // The gate's stdin stays open for the go-ahead; ending it without one makes the gate give up.
  const go = new PassThrough()
  // The copy may be verified before the source's checkpoint exits (its pages go out on CRIU's
  // last log line): the go-ahead waits for both.
  let copyVerified = false
  const goAhead = () => {
    if (failed || !copyVerified || !seen.has('dumped') || seen.has('verified')) return
    // Every file verified there and the dump succeeded: the restore may start. Journaled first.
    advance(ctx, 'transferred')
    advance(ctx, 'dstRestoreStarted')
    go.end(GATE_GO)
    mark('verified')
    if (whole) {
      restoreTimer = setTimeout(() => {
        fail(new Error(`${rt} restore on ${ctx.to.name} did not end within ${secs(commandMs)}`))
        gateStop.abort()
      }, commandMs)
    }
  }
  // How long CRIU's restore waited for the go-ahead, held at its post-restore notification.
  let waitedMs = 0
  const gateStop = new AbortController()
  const commandMs = ctx.limits.commandMs
  let restoreTimer: NodeJS.Timeout | undefined
  // A whole image's gate also gives up on its own once the copy stopped arriving for twice what this
  // engine allows it (its stall watch, a command's time during the dump): where the source or the
  // link died and this engine cannot reach the gate either, its held restore ends then, not at the bound.
  const gate = ctx.dst.run(argv.gate(whole ? WHOLE_IMAGE_BOUND_MS : commandMs * 2, whole ? 2 * Math.max(ctx.limits.stallMs, commandMs) : undefined), {
    stdin: go,
    signal: gateStop.signal,
    timeoutMs: whole ? WHOLE_IMAGE_BOUND_MS : commandMs * 3,
    onLine: (_, l) => {
      lines.push(l)
      waitedMs = Math.max(waitedMs, postRestoreWaitMs(l))
      if (!l.startsWith(TAIL_MARK.verified)) return
      copyVerified = true
      goAhead()
    },
  })
  // The copy has the transfer's stall limit: bytes must keep moving between the dump and the verify.
  const limit = ctx.limits.stallMs
  let watch: StallWatch | undefined
  // The transfer step's progress, once it started: the delta's bytes as they go out.
  let progress: Progress | undefined
  const stall = new AbortController()
  const source = ctx.src.run(argv.source, {
    timeoutMs: whole ? WHOLE_IMAGE_BOUND_MS : commandMs * 2,
    signal: stall.signal,
    onLine: (_, l) => {
      watch?.touch()
      lines.push(l)
      if (deltaProgress(l, progress)) return
      if (l.startsWith(TAIL_MARK.freezing)) {
        // A whole image's dump (CRIU writing the memory) sends nothing yet: a plain command's time.
        if (whole) watch ??= new StallWatch(Math.max(limit, commandMs), () => stall.abort())
        mark('freezing')
      } else if (l.startsWith(TAIL_MARK.frozen)) {
        ip?.fire()
      } else if (l.startsWith(TAIL_MARK.dumped)) {
        ip?.fire()
        mark('dumped')
        // From here on the copy's own stall limit (a whole image's dump had a command's).
        if (whole) watch?.stop()
        if (whole || !watch) watch = new StallWatch(limit, () => stall.abort())
        goAhead()
      } else if (l.includes('globehop-delta: files')) mark('counted')
    },
  })
  const giveUpGate = () => {
    if (!go.writableEnded) go.end()
    gateStop.abort()
  }
  source.then(
    () => {
      watch?.stop()
      if (!seen.has('counted')) fail(new Error(`the final delta on ${ctx.from.name} ended without its figures`))
    },
    (e: unknown) => {
      watch?.stop()
      if (seen.has('verified')) return
      fail(
        watch?.stalled
          ? deltaStalled(ctx, limit)
          : e instanceof RemoteCommandError && e.code === NO_RECEIVER_EXIT
            ? new Error(`${ctx.from.name} could not open its session to ${ctx.to.name} for the final delta, so nothing was frozen: ${runtimeWords(e.stderrTail) || `exit ${e.code}`}`)
            : !seen.has('dumped')
              ? commandFailure(`${rt} checkpoint`, e)
              : commandFailure('the final delta', e),
      )
      giveUpGate()
    },
  )
  gate.then(
    (r: RunResult) => {
      clearTimeout(restoreTimer)
      if (r.code === 0 && seen.has('verified')) mark('exited')
      else fail(new Error(`the restore gate on ${ctx.to.name} ended (exit ${r.code}) without restoring`))
    },
    (e: unknown) => {
      clearTimeout(restoreTimer)
      if (!seen.has('verified')) return fail(new Error(`the restore gate on ${ctx.to.name} failed before the copy arrived: ${errorText(e)}`))
      if (e instanceof RemoteCommandError && e.code === GATE_EXIT.fenced) return fail(new Error(`${ctx.to.name} did not restore: a rollback had claimed the restore first`))
      fail(e instanceof RemoteCommandError ? new Error(`${rt} restore on ${ctx.to.name} exited ${e.code}: ${runtimeWords(e.stderrTail)}`) : commandFailure(`${rt} restore`, e))
    },
  )
  const wait = (p: Phase) => waiters.get(p)!.promise
  return {
    abandon: (err) => {
      fail(err instanceof Error ? err : new Error(errorText(err)))
      if (!seen.has('verified')) giveUpGate()
    },
    // The step starts when the source starts its checkpoint (its session to the destination is open
    // by then): the step's time is the dump's, not the session's. A session that cannot open fails
    // the hop before any step, with nothing frozen.
    checkpoint: async () => {
      await wait('freezing')
      const what = whole ? 'the image' : 'the changed pages'
      return runStep(ctx, 'checkpoint', { host: ctx.from.name, frozen: true, detail: `freeze the container and dump it; ${ctx.to.name} is ready for ${what}, in the same command` }, async () => {
        await wait('dumped')
        advance(ctx, 'sourceDumped')
        // Its four process starts on the source (two commands) wait until the restore is over: on
        // the lab's shared cores they had run beside the destination's verify and restore.
        readDumpFigures(ctx, wait('exited'))
        return { value: undefined, detail: `dumped; ${what} ${whole ? 'is' : 'are'} on the way (the game's memory left once CRIU's log said it was written)` }
      })
    },
    transfer: () =>
      runStep(ctx, 'transfer', { host: ctx.from.name, frozen: true, detail: whole ? `the whole image to ${ctx.to.name}, one way, as CRIU writes it` : `changed pages since snapshot ${last} to ${ctx.to.name}, one way` }, async (p) => {
        progress = p
        // The source's count (its stderr) and the gate's verify may arrive in either order.
        await Promise.all([wait('verified'), wait('counted')])
        return deltaArrived(ctx, lines)
      }),
    restore: () =>
      runStep(ctx, 'restore', { host: ctx.to.name, frozen: true, detail: `${rt} restore, waiting in its gate on ${ctx.to.name} since before the freeze` }, async () => {
        await wait('exited')
        return restored(ctx, false, waitedMs)
      }),
  }
}
