// The final image to the destination with rsync over SSH (a delta against the snapshot already
// there when pre-copy used rsync's tracking); nothing to copy with shared storage.
import { advance, type HopContext, type Progress, runStep } from '../hop-context'
import { mib } from '../remote-files'
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

export async function transfer(ctx: HopContext, frozen: boolean): Promise<void> {
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
    const delta = r.stats.matchedData ? `, delta: literal ${mib(r.stats.literalData)}, matched ${mib(r.stats.matchedData)}` : ''
    const frozen = ctx.figures.criuDump?.frozenTimeUs
    const img = ctx.figures.imageBytes !== undefined ? `; image ${mib(ctx.figures.imageBytes)}` : ''
    return {
      value: undefined,
      bytes: wire,
      bytesTotal: ctx.figures.imageBytes,
      detail: `${mib(wire)} on the wire${delta}${img}${frozen !== undefined ? `, CRIU frozen ${(frozen / 1000).toFixed(0)} ms` : ''}`,
    }
  })
}
