// Hands the floating IP to the destination. Runs beside the transfer once the source is frozen:
// nobody is answering then anyway, and with ip_nonlocal_bind the restore needs no IP yet.
import { moveFloatingIp } from '../../floating-ip/move'
import { advance, type HopContext, runStep } from '../hop-context'

/** `abort` ends the wait (the rollback re-writes both track files anyway). */
export async function ipMove(ctx: HopContext, abort?: AbortSignal): Promise<void> {
  advance(ctx, 'ipMoved')
  const f = ctx.tour.floatingIp
  await runStep(ctx, 'ip-move', { host: ctx.to.name, frozen: true, detail: `${f.address} to ${ctx.to.name} (${f.method})` }, async () => {
    await moveFloatingIp(ctx.tour, ctx.src, ctx.dst, { signal: abort })
    return { value: undefined, detail: `${f.address} now on ${ctx.to.name}` }
  })
}
