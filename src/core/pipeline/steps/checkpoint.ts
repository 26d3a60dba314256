// The final freeze and dump on the source (stop-and-copy and pre-copy's last step).
import { advance, commandFailure, type HopContext, runStep } from '../hop-context'
import { dirBytes, readCriuStats } from '../remote-files'
import { startIpMoveAtFreeze } from './ip-move'

export async function checkpoint(ctx: HopContext, lastSnapshot: number): Promise<void> {
  // Frozen from the first instruction on: a failure from here on calls for the rollback.
  advance(ctx, 'frozen')
  await runStep(ctx, 'checkpoint', { host: ctx.from.name, frozen: true, detail: 'freeze the container and dump it' }, async () => {
    // Never aborted half-way: CRIU must finish (or fail and thaw) on its own.
    const dump = ctx.src.run(ctx.plan.checkpoint(lastSnapshot))
    // The IP move starts while CRIU dumps: keepalived's takeover is off the players' clock.
    if (ctx.armedIp) ctx.armedIp.fire()
    else startIpMoveAtFreeze(ctx)
    await dump.catch((e: unknown) => {
      throw commandFailure(`${ctx.plan.runtime.name} checkpoint`, e)
    })
    advance(ctx, 'sourceDumped')
    readDumpFigures(ctx)
    return { value: undefined, detail: 'dumped; the image goes out now' }
  })
}

/** Sizes and CRIU's figures, read beside the transfer (every round trip here is outage), or once
 *  `after` settles. */
export function readDumpFigures(ctx: HopContext, after: Promise<unknown> = Promise.resolve()): void {
  const record = ctx.steps.length
  ctx.pending.push(
    after
      .catch(() => undefined)
      .then(() => Promise.all([readCriuStats(ctx.src, ctx.plan.dumpStats, ctx.plan.runtime.stats.decode), dirBytes(ctx.src, ctx.plan.paths.img)]))
      .then(([stats, bytes]) => {
        ctx.figures.criuDump = stats
        ctx.figures.imageBytes = bytes
        const rec = ctx.steps[record]
        if (rec?.step === 'checkpoint') rec.bytes = bytes
      }),
  )
}
