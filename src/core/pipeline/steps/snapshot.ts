// Pre-copy iterations while the game runs: a CRIU pre-dump (soft-dirty tracking) or a full
// `checkpoint --leave-running` whose changes rsync's delta finds. Both pause the container
// briefly; that pause is reported because players feel it: CRIU's freezing + frozen time, or where
// globehop froze the game first (criu/freeze-first.ts) the longer of its hold and CRIU's figures.
import type { IterationFigures } from '../convergence'
import { rsyncFigures } from '../convergence'
import { commandFailure, errorText, type HopContext, runStep } from '../hop-context'
import { formatBytes } from '../../../shared/format'
import { parseFreezeFirst, pauseMs } from '../../criu/freeze-first'
import { criuPauseMs } from '../../criu/stats'
import { dirBytes, readCriuStats, resumeIfPaused } from '../remote-files'
import { parseCrcTables } from '../../transfer/page-crcs'
import { watchedRsync } from './transfer'

export async function snapshot(ctx: HopContext, i: number, tracking: 'criu' | 'rsync'): Promise<IterationFigures> {
  const s = ctx.plan.snapshot(i)
  const what = tracking === 'criu' ? 'CRIU pre-dump of memory' : 'checkpoint --leave-running: a short pause, then the game runs on'
  const stats = await runStep(ctx, 'snapshot', { host: ctx.from.name, iteration: i, frozen: true, detail: what }, async () => {
    const ran = await ctx.src.run(s.checkpoint).catch(async (e: unknown) => {
      const err = commandFailure(`${ctx.plan.runtime.name} checkpoint ${tracking === 'criu' ? '--pre-dump' : '--leave-running'}`, e)
      throw new Error(`${err.message}${await thawAfterFailure(ctx)}`)
    })
    const [st, bytes] = await Promise.all([readCriuStats(ctx.src, `${s.workDir}/${ctx.plan.runtime.stats.dump}`, ctx.plan.runtime.stats.decode), dirBytes(ctx.src, s.imageDir)])
    const first = parseFreezeFirst(ran.stdout)
    const pause = pauseMs(first, criuPauseMs(st))
    if (pause !== undefined) ctx.figures.snapshotPausesMs.push(pause)
    const how =
      first?.heldMs === undefined ? 'CRIU freezing + frozen time' : first.criuFirst ? 'CRIU looked before globehop could freeze it first' : 'frozen by globehop just before CRIU looked, so CRIU never waited on the freezer'
    const off = first?.off ? `; could not freeze first: ${first.off}` : ''
    return { value: { st, bytes, pause }, bytes, detail: `paused ${pause?.toFixed(0) ?? '?'} ms (${how}), image ${formatBytes(bytes, '?')}${off}` }
  })
  let figures: IterationFigures = { pagesWritten: stats.st?.pagesWritten ?? 0, pagesSkipped: stats.st?.pagesSkippedParent ?? 0, pauseMs: stats.pause, imageBytes: stats.bytes }
  const transfer = s.transfer
  if (transfer) {
    const sent = await runStep(ctx, 'snapshot-transfer', { host: ctx.from.name, iteration: i, detail: `to ${ctx.to.name} while the game runs` }, async (progress) => {
      const r = await watchedRsync(ctx, transfer, progress, stats.bytes)
      const wire = r.stats.totalBytesSent ?? 0
      ctx.figures.wireBytes += wire
      const crcs = s.crcTables ? await crcTables(ctx, s.crcTables) : ''
      return {
        value: r.stats,
        bytes: wire,
        bytesTotal: stats.bytes,
        detail: `${formatBytes(wire, '?')} on the wire (literal ${formatBytes(r.stats.literalData, '?')}, matched ${formatBytes(r.stats.matchedData, '?')})${crcs}`,
      }
    })
    if (tracking === 'rsync') figures = { ...figures, ...rsyncFigures(sent.literalData ?? 0, sent.matchedData ?? 0), wireBytes: sent.totalBytesSent }
  }
  if (s.dropPrevious) await ctx.src.run(s.dropPrevious, { allowFail: true })
  return figures
}

/**
 * The snapshot's page CRC tables on both hosts at once (transfer/page-crcs.ts), while the game
 * runs. They only spare the final delta a pass over each pages file: a host that cannot make them
 * costs that pass, never the hop, so a failure here is a note in the step's detail.
 */
async function crcTables(ctx: HopContext, argv: { src: string[]; dst: string[] }): Promise<string> {
  const make = async (host: HopContext['src'], cmd: string[], name: string): Promise<string | null> => {
    const r = await host.run(cmd, { allowFail: true }).catch((e: unknown) => ({ code: -1, stdout: '', stderr: errorText(e) }))
    if (r.code !== 0) return `${name}: ${r.stderr.trim().split('\n').pop() || `exit ${r.code}`}`
    return parseCrcTables(r.stdout).pages > 0 ? null : `${name}: ${/globehop-crcs: none \((.*)\)/.exec(r.stdout)?.[1] ?? 'no pages files'}`
  }
  const missing = (await Promise.all([make(ctx.src, argv.src, ctx.from.name), make(ctx.dst, argv.dst, ctx.to.name)])).filter((m): m is string => m !== null)
  return missing.length ? `; page CRCs not made (${missing.join('; ')}): the final delta sums those files whole` : '; page CRCs made on both hosts'
}

/**
 * A snapshot that failed must not leave the game frozen: the freeze-first wrapper thaws on every
 * way out it sees, but a KILL leaves the game as CRIU left it (CRIU puts back the frozen state it found).
 */
async function thawAfterFailure(ctx: HopContext): Promise<string> {
  const id = ctx.tour.container.id
  try {
    return (await resumeIfPaused(ctx.src, ctx.plan.runtime, id)) ? `; the game was left frozen on ${ctx.from.name} and is resumed` : ''
  } catch (e) {
    return `; could not make sure the game runs on ${ctx.from.name} (${errorText(e)}): \`globehop recover\` resumes it`
  }
}
