// Hands the floating IP to the destination. With keepalived the move starts at the freeze, beside
// the dump (nobody is answering from then on, and with ip_nonlocal_bind the restore needs no IP
// yet), so keepalived's takeover runs while CRIU works (floating-ip/move.ts); the step after the
// dump only waits for what is left of it. A manual move starts after the dump: it is instant, and
// must not reach the destination before CRIU froze the game.
import { moveFloatingIp } from '../../floating-ip/move'
import { advance, errorText, type HopContext, runStep } from '../hop-context'

/** How long the IP may take after the dump, as before the move started at the freeze. */
const IP_MOVE_AFTER_DUMP_MS = 8000
/** The remote watch's own limit: past any dump, below every command deadline (watchdog.ts). */
const WATCH_MS = 30_000

/** At the freeze (keepalived): the move starts, its intent journaled first. `stop` ends it. */
export function startIpMoveAtFreeze(ctx: HopContext): void {
  if (ctx.tour.floatingIp.method !== 'keepalived') return
  advance(ctx, 'ipMoved')
  watchIpMove(ctx)
}

export interface ArmedIpMove {
  /** The game is frozen: journal the move, then both hosts write their track files. Once only. */
  fire(): void
  /** The hop ended before the freeze: the commands end with nothing written. */
  cancel(): void
}

/**
 * keepalived: the move's commands open now, before the freeze, and write on `fire` (one one-way
 * delay to each host instead of a command start); null for a manual move, which starts after the dump.
 */
export function armIpMove(ctx: HopContext): ArmedIpMove | null {
  if (ctx.tour.floatingIp.method !== 'keepalived') return null
  let settle!: (go: boolean) => void
  const trigger = new Promise<boolean>((r) => (settle = r))
  let settled = false
  watchIpMove(ctx, trigger)
  return {
    fire: () => {
      if (settled) return
      settled = true
      advance(ctx, 'ipMoved')
      settle(true)
    },
    cancel: () => {
      if (settled) return
      settled = true
      settle(false)
    },
  }
}

function watchIpMove(ctx: HopContext, trigger?: Promise<boolean>): void {
  const abort = new AbortController()
  const done = moveFloatingIp(ctx.tour, ctx.src, ctx.dst, { signal: abort.signal, timeoutMs: WATCH_MS, trigger, claim: ctx.plan.paths.ipClaim }).then(
    () => null,
    (err: unknown) => new Error(errorText(err)),
  )
  ctx.ipStart = {
    done,
    stop: () => {
      abort.abort()
      return done
    },
  }
}

/** `abort` ends the wait (the rollback re-writes both track files anyway). */
export async function ipMove(ctx: HopContext, abort?: AbortSignal): Promise<void> {
  advance(ctx, 'ipMoved')
  const f = ctx.tour.floatingIp
  await runStep(ctx, 'ip-move', { host: ctx.to.name, frozen: true, detail: `${f.address} to ${ctx.to.name} (${f.method})` }, async () => {
    const started = ctx.ipStart
    if (!started) {
      await moveFloatingIp(ctx.tour, ctx.src, ctx.dst, { signal: abort, timeoutMs: IP_MOVE_AFTER_DUMP_MS })
      return { value: undefined, detail: `${f.address} now on ${ctx.to.name}` }
    }
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), IP_MOVE_AFTER_DUMP_MS)))
    const onAbort = () => void started.stop()
    abort?.addEventListener('abort', onAbort, { once: true })
    try {
      const r = await Promise.race([started.done, late])
      if (r === 'late') {
        await started.stop()
        throw new Error(`floating IP ${f.address} did not move to ${ctx.to.name} within ${IP_MOVE_AFTER_DUMP_MS} ms after the dump`)
      }
      if (r) throw r
    } finally {
      clearTimeout(timer)
      abort?.removeEventListener('abort', onAbort)
    }
    return { value: undefined, detail: `${f.address} now on ${ctx.to.name} (moving since the freeze)` }
  })
}
