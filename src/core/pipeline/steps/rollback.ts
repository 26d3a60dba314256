// Carries out the rollback decision and says in words what it did. Every action is attempted
// even when an earlier one failed: the goal is one running server with the IP pointing at it.
import type { RemoteProcess } from '../../ssh/types'
import { moveFloatingIp } from '../../floating-ip/move'
import { waitForStatus } from '../game-query'
import { errorText, type HopContext, runStep } from '../hop-context'
import { containerState } from '../remote-files'
import { decideRollback, type RollbackAction } from '../rollback-plan'
import { runc } from '../runtime/runc'
import { fragLine } from './verify'

export interface LazyProcs {
  pageServer?: RemoteProcess
  daemon?: RemoteProcess
}

export interface RollbackReport {
  /** Words for HopResult.rollback; undefined when nothing had to be undone. */
  text?: string
  /** Where the container runs afterwards, as far as we could tell. */
  containerOn: string | null
  restored: boolean
}

export async function rollback(ctx: HopContext, lazy: LazyProcs): Promise<RollbackReport> {
  const d = decideRollback(ctx.state, ctx.from.name, ctx.to.name)
  if (d.kind === 'none') return { text: undefined, containerOn: ctx.state.served ? ctx.to.name : ctx.from.name, restored: true }
  if (d.kind === 'impossible') return { text: d.why, containerOn: ctx.to.name, restored: false }
  const did: string[] = []
  let ok = true
  await runStep(ctx, 'rollback', { host: ctx.from.name, frozen: true, detail: `undo: ${d.actions.join(', ')}` }, async () => {
    for (const a of d.actions) {
      try {
        did.push(await act(ctx, a, lazy))
      } catch (err) {
        ok = false
        did.push(`${a} FAILED: ${errorText(err)}`)
      }
    }
    return { value: undefined, detail: did.join('; ') }
  }).catch(() => undefined)
  return { text: did.join('; '), containerOn: ok ? ctx.from.name : null, restored: ok }
}

async function act(ctx: HopContext, a: RollbackAction, lazy: LazyProcs): Promise<string> {
  const id = ctx.tour.container.id
  switch (a) {
    case 'stop-destination': {
      lazy.daemon?.kill()
      const st = await containerState(ctx.dst, runc, id)
      if (st.state === 'absent') return `nothing left on ${ctx.to.name}`
      await ctx.dst.run(ctx.plan.discardOnDestination)
      return `removed the ${st.state} container on ${ctx.to.name}`
    }
    case 'abort-page-server': {
      // Without its lazy-pages client the page server's dump fails, and a failed dump thaws the
      // source (lab.md). It may not notice a vanished client at once: then SIGINT ends the dump,
      // which CRIU treats as a failure too (measured on the lab: the source ran on, same pid).
      const ps = lazy.pageServer
      if (!ps) return 'no page server to stop'
      const wait = (ms: number) => Promise.race([ps.done.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
      if (await wait(1000)) return `the page server on ${ctx.from.name} gave up on its own`
      ps.kill('INT')
      if (await wait(10_000)) return `interrupted the page server on ${ctx.from.name}`
      throw new Error(`the page server on ${ctx.from.name} did not end after SIGINT`)
    }
    case 'ip-back': {
      await moveFloatingIp(ctx.tour, ctx.dst, ctx.src)
      return `floating IP back on ${ctx.from.name}`
    }
    case 'ensure-source': {
      const st = await containerState(ctx.src, runc, id)
      if (st.state === 'running') return `the container still runs on ${ctx.from.name} (CRIU left it running)`
      if (st.state === 'paused') {
        await ctx.src.run(['runc', 'resume', id])
        return `resumed the paused container on ${ctx.from.name}`
      }
      if (ctx.plan.technique.kind === 'post-copy' || ctx.plan.technique.kind === 'pre+post') {
        throw new Error(`the container is ${st.state} on ${ctx.from.name} and a lazy image holds no memory to restore from`)
      }
      if (st.state === 'stopped') await ctx.src.run(runc.delete(id))
      const t0 = Date.now()
      await ctx.src.run(ctx.plan.restoreOnSource)
      return `restored the container on ${ctx.from.name} from its local images in ${((Date.now() - t0) / 1000).toFixed(2)} s`
    }
    case 'verify-source': {
      const s = await waitForStatus(ctx.tour.floatingIp.address, ctx.tour.container.gamePort, 10_000)
      if (!s) throw new Error(`no reply at ${ctx.tour.floatingIp.address} after the rollback`)
      return `the game answers at ${ctx.tour.floatingIp.address} again (${fragLine(s)})`
    }
  }
}
