// Did the hop work, as a player would judge it: the container runs on the destination, the
// floating IP is there (and only there), the game answers at the floating IP from this machine,
// and its state carried over (a restarted server comes back with frags reset).
import type { ServerStatus } from '../../../shared/contract'
import { holdsFloatingIp } from '../../floating-ip/move'
import { stateCarried } from '../../probe/status'
import { waitForStatus } from '../game-query'
import { type HopContext, runStep } from '../hop-context'
import { containerState } from '../remote-files'

export interface VerifyOptions {
  before: ServerStatus | null
  timeoutMs: number
  /** A prober that already watches the floating IP may answer instead of a query of our own. */
  waitForService?: (timeoutMs: number) => Promise<boolean>
  /** Post-copy: the stall the gap model predicts (the wait is sized from it), for the words. */
  predictedStallMs?: number
}

export interface Verified {
  after: ServerStatus | null
  carried: boolean | null
  /** How long the game took to answer once the checks passed. */
  waitedMs: number
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

export async function verify(ctx: HopContext, o: VerifyOptions): Promise<Verified> {
  const ip = ctx.tour.floatingIp.address
  return runStep(ctx, 'verify', { host: ctx.to.name, detail: `game at ${ip}:${ctx.tour.container.gamePort}` }, async () => {
    const st = await containerState(ctx.dst, ctx.plan.runtime, ctx.tour.container.id)
    if (st.state !== 'running') throw new Error(`the container is ${st.state} on ${ctx.to.name}, not running`)
    const [onDst, onSrc] = await Promise.all([holdsFloatingIp(ctx.dst, ip), holdsFloatingIp(ctx.src, ip)])
    if (!onDst || onSrc) throw new Error(`floating IP ${ip}: ${ctx.to.name} ${onDst ? 'holds it' : 'does not hold it'}, ${ctx.from.name} ${onSrc ? 'still holds it' : 'does not'}`)
    const t0 = Date.now()
    const pred = o.predictedStallMs !== undefined ? ` (post-copy: ~${secs(o.predictedStallMs)} stall predicted, waited up to ${secs(o.timeoutMs)})` : ''
    if (o.waitForService && !(await o.waitForService(o.timeoutMs))) throw new Error(`the prober saw no reply at ${ip} within ${o.timeoutMs} ms${pred}`)
    const after = await waitForStatus(ip, ctx.tour.container.gamePort, o.waitForService ? 2000 : o.timeoutMs)
    if (!after) throw new Error(`no getstatus reply from ${ip}:${ctx.tour.container.gamePort} within ${o.timeoutMs} ms${pred}`)
    const carried = stateCarried(o.before, after)
    if (carried === false) throw new Error(`the game answers but its state did not carry over (before: ${fragLine(o.before)}; after: ${fragLine(after)})`)
    const words = carried === null ? 'state not comparable (no frags or clients before)' : `state carried (${fragLine(after)})`
    const waited = Date.now() - t0
    const stall = o.predictedStallMs !== undefined ? ` (post-copy stall while pages fault in; ~${secs(o.predictedStallMs)} predicted)` : ''
    return { value: { after, carried, waitedMs: waited }, detail: `answers after ${waited} ms${stall} on ${after.map}; ${words}` }
  })
}

export function fragLine(s: ServerStatus | null): string {
  if (!s) return 'no status'
  const frags = s.players.map((p) => p.frags)
  return `${s.clients} clients, ${s.bots} bots, frags ${frags.length ? frags.join('/') : 'none'}`
}
