// The final image to the destination with rsync over SSH (a delta against the snapshot already
// there when pre-copy used rsync's tracking); nothing to copy with shared storage.
import { type HopContext, runStep } from '../hop-context'
import { mib } from '../remote-files'
import { runRsync } from '../../transfer/rsync'

export async function transfer(ctx: HopContext, frozen: boolean): Promise<void> {
  const argv = ctx.plan.transfer
  if (!argv) {
    await runStep(ctx, 'transfer', { host: ctx.from.name, frozen, detail: 'shared storage: nothing to copy' }, async () => ({ value: undefined, bytes: 0 }))
    return
  }
  await runStep(ctx, 'transfer', { host: ctx.from.name, frozen, detail: `rsync to ${ctx.to.name}` }, async (progress) => {
    const r = await runRsync(ctx.src, argv, (p) => progress({ bytesDone: p.bytes, bytesTotal: ctx.figures.imageBytes, detail: `${p.percent}%` }), ctx.signal)
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
