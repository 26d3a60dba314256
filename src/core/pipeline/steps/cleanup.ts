// After the destination serves: remove the source's stopped container and both hops' images.
// A failure here is a warning, never a rollback: the game already runs on the destination.
import { type HopContext, runStep } from '../hop-context'
import { containerState } from '../remote-files'

export async function cleanup(ctx: HopContext): Promise<string | null> {
  try {
    await runStep(ctx, 'cleanup', { host: ctx.from.name, detail: `remove the stopped container on ${ctx.from.name} and the hop's images` }, async () => {
      const st = await containerState(ctx.src, ctx.plan.runtime, ctx.tour.container.id)
      // `delete` without --force refuses a running container: belt and braces.
      if (st.state === 'stopped') await ctx.src.run(ctx.plan.cleanup.deleteSourceContainer)
      else if (st.state !== 'absent') throw new Error(`the source container is ${st.state}; left in place`)
      const { keepSourceLogs: ks, keepDestinationLogs: kd } = ctx.plan.cleanup
      // tour options.keepLogs: what CRIU wrote down goes aside first (a failure there keeps the images too).
      await Promise.all([ks && ctx.src.run(ks), kd && ctx.dst.run(kd)])
      await Promise.all([ctx.src.run(ctx.plan.cleanup.removeSourceImages), ctx.dst.run(ctx.plan.cleanup.removeDestinationImages)])
      return { value: undefined }
    })
    return null
  } catch (err) {
    return `cleanup incomplete: ${err instanceof Error ? err.message : String(err)}`
  }
}
