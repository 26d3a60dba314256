// Pre-copy iterations while the game runs: a CRIU pre-dump (soft-dirty tracking) or a full
// `checkpoint --leave-running` whose changes rsync's delta finds. Both pause the container
// briefly; that pause (CRIU's freezing + frozen time) is reported because players feel it.
import type { IterationFigures } from '../convergence'
import { rsyncFigures } from '../convergence'
import { commandFailure, type HopContext, runStep } from '../hop-context'
import { formatBytes } from '../../../shared/format'
import { criuPauseMs } from '../../criu/stats'
import { dirBytes, readCriuStats } from '../remote-files'
import { watchedRsync } from './transfer'

export async function snapshot(ctx: HopContext, i: number, tracking: 'criu' | 'rsync'): Promise<IterationFigures> {
  const s = ctx.plan.snapshot(i)
  const what = tracking === 'criu' ? 'CRIU pre-dump of memory' : 'checkpoint --leave-running: a short pause, then the game runs on'
  const stats = await runStep(ctx, 'snapshot', { host: ctx.from.name, iteration: i, frozen: true, detail: what }, async () => {
    await ctx.src.run(s.checkpoint).catch((e: unknown) => {
      throw commandFailure(`${ctx.plan.runtime.name} checkpoint ${tracking === 'criu' ? '--pre-dump' : '--leave-running'}`, e)
    })
    const [st, bytes] = await Promise.all([readCriuStats(ctx.src, `${s.workDir}/${ctx.plan.runtime.stats.dump}`, ctx.plan.runtime.stats.decode), dirBytes(ctx.src, s.imageDir)])
    const pause = criuPauseMs(st)
    if (pause !== undefined) ctx.figures.snapshotPausesMs.push(pause)
    return { value: { st, bytes, pause }, bytes, detail: `paused ${pause?.toFixed(0) ?? '?'} ms (CRIU freezing + frozen time), image ${formatBytes(bytes, '?')}` }
  })
  let figures: IterationFigures = { pagesWritten: stats.st?.pagesWritten ?? 0, pagesSkipped: stats.st?.pagesSkippedParent ?? 0, pauseMs: stats.pause, imageBytes: stats.bytes }
  const transfer = s.transfer
  if (transfer) {
    const sent = await runStep(ctx, 'snapshot-transfer', { host: ctx.from.name, iteration: i, detail: `to ${ctx.to.name} while the game runs` }, async (progress) => {
      const r = await watchedRsync(ctx, transfer, progress, stats.bytes)
      const wire = r.stats.totalBytesSent ?? 0
      ctx.figures.wireBytes += wire
      return {
        value: r.stats,
        bytes: wire,
        bytesTotal: stats.bytes,
        detail: `${formatBytes(wire, '?')} on the wire (literal ${formatBytes(r.stats.literalData, '?')}, matched ${formatBytes(r.stats.matchedData, '?')})`,
      }
    })
    if (tracking === 'rsync') figures = { ...figures, ...rsyncFigures(sent.literalData ?? 0, sent.matchedData ?? 0), wireBytes: sent.totalBytesSent }
  }
  if (s.dropPrevious) await ctx.src.run(s.dropPrevious, { allowFail: true })
  return figures
}
