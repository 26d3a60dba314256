// Pre-copy's frozen tail as one command on the source (transfer/tail-chain.ts). The checkpoint,
// transfer and restore steps still start and end on their own, each at the marker line that says
// so, so the figures, the journal and the rollback see the same hop as with three commands.
import { RemoteCommandError } from '../../ssh/types'
import { FENCED_EXIT, TAIL_MARK } from '../../transfer/tail-chain'
import { advance, commandFailure, type HopContext, runStep, runtimeWords } from '../hop-context'
import { secs, StallWatch } from '../watchdog'
import { readDumpFigures } from './checkpoint'
import { startIpMoveAtFreeze } from './ip-move'
import { restored } from './restore'
import { deltaArrived } from './transfer'

export interface TailChain {
  checkpoint(): Promise<void>
  transfer(): Promise<void>
  restore(): Promise<void>
}

type Phase = 'dumped' | 'counted' | 'verified' | 'restoring' | 'exited'

/** Sends the command (the freeze starts on the source at once) and the IP move beside it. */
export function startTailChain(ctx: HopContext, argv: string[], last: number): TailChain {
  // Frozen from the first instruction on: a failure from here on calls for the rollback.
  advance(ctx, 'frozen')
  // The chain starts the destination's restore without another word from here. Journaled first:
  // a rollback or `globehop recover` then fences the destination before it undoes anything.
  advance(ctx, 'dstRestoreStarted')
  const rt = ctx.plan.runtime.name
  const lines: string[] = []
  const waiters = new Map<Phase, { resolve: () => void; reject: (e: Error) => void; promise: Promise<void> }>()
  for (const p of ['dumped', 'counted', 'verified', 'restoring', 'exited'] as Phase[]) {
    let resolve!: () => void
    let reject!: (e: Error) => void
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
    promise.catch(() => undefined)
    waiters.set(p, { resolve, reject, promise })
  }
  const reached = (p: Phase) => waiters.get(p)!.resolve()
  const seen = new Set<Phase>()
  // The copy has the transfer's stall limit: bytes must keep moving between the dump and the verify.
  const limit = ctx.limits.stallMs
  let watch: StallWatch | undefined
  const stall = new AbortController()
  const mark = (p: Phase) => {
    seen.add(p)
    reached(p)
  }
  const run = ctx.src.run(argv, {
    // Dump, copy and restore each had their own deadline as separate commands.
    timeoutMs: ctx.limits.commandMs * 3,
    signal: stall.signal,
    onLine: (_, l) => {
      watch?.touch()
      lines.push(l)
      if (l.startsWith(TAIL_MARK.dumped)) {
        mark('dumped')
        watch = new StallWatch(limit, () => stall.abort())
      } else if (l.includes('globehop-delta: files')) mark('counted')
      else if (l.includes('globehop-delta: verified')) {
        watch?.stop()
        mark('verified')
      } else if (l.startsWith(TAIL_MARK.restoring)) mark('restoring')
    },
  })
  startIpMoveAtFreeze(ctx)
  run.then(
    (r) => {
      watch?.stop()
      const missing = (['dumped', 'counted', 'verified', 'restoring'] as Phase[]).find((p) => !seen.has(p))
      if (!missing) return reached('exited')
      const err = new Error(`the one-command tail on ${ctx.from.name} ended without its "${missing}" line (exit ${r.code})`)
      for (const [p, w] of waiters) if (!seen.has(p)) w.reject(err)
    },
    (e: unknown) => {
      watch?.stop()
      const err = watch?.stalled
        ? new Error(`the copy to ${ctx.to.name} stalled for ${secs(limit)} (stall limit for this link): ${ctx.to.name} or the path to it stopped answering`)
        : !seen.has('dumped')
          ? commandFailure(`${rt} checkpoint`, e)
          : !seen.has('verified')
            ? commandFailure('the final delta', e)
            : e instanceof RemoteCommandError && e.code === FENCED_EXIT
              ? new Error(`${ctx.to.name} did not restore: a rollback had claimed the restore first`)
              : e instanceof RemoteCommandError
                ? new Error(`${rt} restore on ${ctx.to.name} exited ${e.code}: ${runtimeWords(e.stderrTail)}`)
                : commandFailure(`${rt} restore`, e)
      for (const [, w] of waiters) w.reject(err)
    },
  )
  const wait = (p: Phase) => waiters.get(p)!.promise
  return {
    checkpoint: () =>
      runStep(ctx, 'checkpoint', { host: ctx.from.name, frozen: true, detail: `freeze the container and dump it; the delta and the restore follow in the same command` }, async () => {
        await wait('dumped')
        advance(ctx, 'sourceDumped')
        readDumpFigures(ctx)
        return { value: undefined, detail: 'dumped; the changed pages go out now' }
      }),
    transfer: () =>
      runStep(ctx, 'transfer', { host: ctx.from.name, frozen: true, detail: `changed pages since snapshot ${last} to ${ctx.to.name}, one way` }, async () => {
        // The source's count (stderr) and the destination's verify (stdout) may arrive in either order.
        await Promise.all([wait('verified'), wait('counted')])
        return deltaArrived(ctx, lines)
      }),
    restore: () =>
      runStep(ctx, 'restore', { host: ctx.to.name, frozen: true, detail: `${rt} restore, started on ${ctx.to.name} once every file verified` }, async () => {
        await wait('exited')
        return restored(ctx, false)
      }),
  }
}
