// The final image to the destination: with rsync over SSH, or after rsync-tracked pre-copy only
// the pages changed since the last snapshot, one way (transfer/page-delta.ts); nothing to copy
// with shared storage.
import { advance, commandFailure, type HopContext, type Progress, runStep, type StepOutcome } from '../hop-context'
import { formatBytes } from '../../../shared/format'
import { parsePageDelta, sentSoFar } from '../../transfer/page-delta'
import { runRsync, type RsyncOutcome } from '../../transfer/rsync'
import { secs, StallWatch } from '../watchdog'

/**
 * rsync with a progress watchdog: a copy that moves no byte (prints nothing) for the link's stall
 * limit is killed and fails its step, so a cut network ends in the rollback, not a hang.
 */
export async function watchedRsync(ctx: HopContext, argv: string[], progress: Progress, bytesTotal: number | undefined): Promise<RsyncOutcome> {
  const limit = ctx.limits.stallMs
  const watch = new StallWatch(limit, () => progress({ detail: `no byte moved for ${secs(limit)}: stopping the copy` }))
  const signal = AbortSignal.any([ctx.signal, watch.signal])
  try {
    return await runRsync(ctx.src, argv, (p) => (watch.touch(), progress({ bytesDone: p.bytes, bytesTotal, detail: `${p.percent}%` })), signal)
  } catch (err) {
    if (watch.stalled) throw new Error(`the copy to ${ctx.to.name} moved no byte for ${secs(limit)} (stall limit for this link): ${ctx.to.name} or the path to it stopped answering`)
    throw err
  } finally {
    watch.stop()
  }
}

/** The changed pages against snapshot `last`; the destination verifies every file before it ends. */
async function finalDelta(ctx: HopContext, argv: string[], last: number): Promise<void> {
  await runStep(ctx, 'transfer', { host: ctx.from.name, frozen: true, detail: `changed pages since snapshot ${last} to ${ctx.to.name}, one way` }, async (progress) => {
    const limit = ctx.limits.stallMs
    const watch = new StallWatch(limit, () => progress({ detail: `no answer for ${secs(limit)}: stopping the copy` }))
    const lines: string[] = []
    try {
      const onLine = (l: string) => {
        watch.touch()
        lines.push(l)
        deltaProgress(l, progress)
      }
      const r = await ctx.src.run(argv, { signal: AbortSignal.any([ctx.signal, watch.signal]), onLine: (_, l) => onLine(l) }).catch((e: unknown) => {
        if (watch.stalled) throw deltaStalled(ctx, limit)
        throw commandFailure('the final delta', e)
      })
      return deltaArrived(ctx, [...lines, ...r.stdout.split('\n'), ...r.stderr.split('\n')])
    } finally {
      watch.stop()
    }
  })
}

/** A delta's `sent` line as the transfer step's progress; false for any other line. */
export function deltaProgress(line: string, progress: Progress | undefined): boolean {
  const sent = sentSoFar(line)
  if (sent === null) return false
  progress?.({ bytesDone: sent, detail: `${formatBytes(sent)} sent` })
  return true
}

/** The delta moved nothing for the link's stall limit. */
export function deltaStalled(ctx: HopContext, limitMs: number): Error {
  return new Error(`the copy to ${ctx.to.name} stalled for ${secs(limitMs)} (stall limit for this link): ${ctx.to.name} or the path to it stopped answering`)
}

/** The delta's own figures; it counts only when the destination verified every file. */
export function deltaArrived(ctx: HopContext, lines: readonly string[]): StepOutcome<undefined> {
  const f = parsePageDelta(lines)
  if (f.verifiedFiles === undefined || f.verifiedFiles !== f.files) throw new Error(`the final delta ended without ${ctx.to.name} verifying every file (${f.verifiedFiles ?? 0} of ${f.files ?? '?'})`)
  advance(ctx, 'transferred')
  const wire = f.wireBytes ?? f.sentBytes ?? 0
  ctx.figures.wireBytes += wire
  // A whole image (stop-and-copy) has no changed pages: every file went whole.
  const what = f.pages === 0 && f.wholeFiles === f.files ? `the whole image, ${f.files} files of ${formatBytes(f.totalBytes, '?')}` : `${f.pages} changed pages (${formatBytes(f.sentBytes, '?')}) and ${f.wholeFiles} whole files of ${formatBytes(f.totalBytes, '?')}`
  const asWritten = (n: number, how: string) => (n > 0 ? `; ${n} pages file${n === 1 ? '' : 's'} ${how} as CRIU wrote ${n === 1 ? 'it' : 'them'}` : '')
  const followed = asWritten(f.followedFiles ?? 0, 'read') + asWritten(f.streamedFiles ?? 0, 'sent')
  const zeros = f.zeroBytes ? `; ${formatBytes(f.zeroBytes)} of zero pages left out` : ''
  return {
    value: undefined,
    bytes: wire,
    bytesTotal: f.totalBytes,
    detail: `${formatBytes(wire, '?')} on the wire: ${what}${zeros}${followed}; ${f.verifiedFiles} files verified (size, CRC${f.foldedFiles ? `; ${f.foldedFiles} from page CRCs` : ''}) on ${ctx.to.name}`,
  }
}

export async function transfer(ctx: HopContext, frozen: boolean, last = 0): Promise<void> {
  const delta = ctx.plan.finalDelta(last)
  if (delta) return finalDelta(ctx, delta, last)
  const argv = ctx.plan.transfer
  if (!argv) {
    await runStep(ctx, 'transfer', { host: ctx.from.name, frozen, detail: 'shared storage: nothing to copy' }, async () => ({ value: undefined, bytes: 0 }))
    advance(ctx, 'transferred')
    return
  }
  await runStep(ctx, 'transfer', { host: ctx.from.name, frozen, detail: `rsync to ${ctx.to.name}` }, async (progress) => {
    const r = await watchedRsync(ctx, argv, progress, ctx.figures.imageBytes)
    advance(ctx, 'transferred')
    const wire = r.stats.totalBytesSent ?? 0
    ctx.figures.wireBytes += wire
    const delta = r.stats.matchedData ? `, delta: literal ${formatBytes(r.stats.literalData, '?')}, matched ${formatBytes(r.stats.matchedData, '?')}` : ''
    const frozen = ctx.figures.criuDump?.frozenTimeUs
    const img = ctx.figures.imageBytes !== undefined ? `; image ${formatBytes(ctx.figures.imageBytes, '?')}` : ''
    return {
      value: undefined,
      bytes: wire,
      bytesTotal: ctx.figures.imageBytes,
      detail: `${formatBytes(wire, '?')} on the wire${delta}${img}${frozen !== undefined ? `, CRIU frozen ${(frozen / 1000).toFixed(0)} ms` : ''}`,
    }
  })
}
