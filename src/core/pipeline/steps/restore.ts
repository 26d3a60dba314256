// Restore on the destination (the hop's preflight removed a stopped leftover of the same id).
import { isLazyTechnique } from '../../../shared/technique'
import { advance, commandFailure, type HopContext, runStep, type StepOutcome } from '../hop-context'
import { readCriuStats } from '../remote-files'
import type { CriuStats } from '../../../shared/contract'

export async function restore(ctx: HopContext): Promise<void> {
  const lazy = isLazyTechnique(ctx.plan.technique.kind)
  const what = `${ctx.plan.runtime.name} restore${lazy ? ' --lazy-pages' : ''}`
  await runStep(ctx, 'restore', { host: ctx.to.name, frozen: true, detail: what }, async () => {
    // Preflight cleared the destination (a leftover is refused or removed before the freeze);
    // no extra round trip here, where every one is outage.
    advance(ctx, 'dstRestoreStarted')
    await ctx.dst.run(ctx.plan.restore).catch((e: unknown) => {
      throw commandFailure(what, e)
    })
    return restored(ctx, lazy)
  })
}

/**
 * The destination runs the game: journaled, CRIU's restore figures read off the critical path.
 * `waitedMs`: how long CRIU's restore waited for the go-ahead at its post-restore notification
 * (transfer/criu-hold.ts), which CRIU counts in its restore time: the figures leave it out.
 */
export function restored(ctx: HopContext, lazy: boolean, waitedMs = 0): StepOutcome<undefined> {
  advance(ctx, 'dstRunning')
  // Post-copy: the restored tasks now run on pages only the source's page server holds.
  if (lazy) advance(ctx, 'pointOfNoReturn')
  const work = (st: CriuStats | undefined) => (st?.restoreTimeUs !== undefined && waitedMs > 0 ? { ...st, restoreTimeUs: Math.max(0, st.restoreTimeUs - waitedMs * 1000) } : st)
  ctx.pending.push(readCriuStats(ctx.dst, ctx.plan.restoreStats, ctx.plan.runtime.stats.decode).then((st) => (ctx.figures.criuRestore = work(st))))
  return { value: undefined, detail: `restored${lazy ? '; past the point of no return: the source now serves the remaining pages' : ''}` }
}
