// Carries out the rollback decision and says in words what it did. Every action is attempted
// even when an earlier one failed: the goal is one running server with the IP pointing at it.
import { isLazyTechnique } from '../../../shared/technique'
import type { RemoteProcess } from '../../ssh/types'
import { delAddress, writeTrackFileFenced } from '../../floating-ip/argv'
import { moveFloatingIp, waitForOwner } from '../../floating-ip/move'
import { RemoteTimeoutError, SshError } from '../../ssh/types'
import { parseFence } from '../../transfer/tail-chain'
import { waitForStatus } from '../game-query'
import { errorText, type HopContext, type Progress, runStep, runtimeWords } from '../hop-context'
import { containerState, resumeIfPaused } from '../remote-files'
import { decideRollback, type RollbackAction } from '../rollback-plan'
import { secs } from '../watchdog'
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
  if (d.kind === 'impossible') {
    const r = await settleAfterNoReturn(ctx, d.why)
    return { ...r, restored: false }
  }
  const did: string[] = []
  let ok = true
  let answers = false
  let sourceBack = false
  await runStep(ctx, 'rollback', { host: ctx.from.name, frozen: true, detail: `undo: ${d.actions.join(', ')}` }, async (progress) => {
    const later: (() => Promise<string>)[] = []
    let dstUnknown = false
    const failed = new Set<RollbackAction>()
    const attempt = async (a: RollbackAction) => {
      try {
        did.push(await act(ctx, a, lazy, progress, later))
        failed.delete(a)
        return true
      } catch (err) {
        ok = false
        failed.add(a)
        did.push(`${a} FAILED: ${errorText(err)}`)
        return false
      }
    }
    for (const a of d.actions) {
      if (dstUnknown && (a === 'ensure-source' || a === 'verify-source')) {
        // A copy may still run there: a second one on the source is worse than none for now.
        did.push(`${a} SKIPPED: ${ctx.to.name} may still run the game; run \`globehop recover\` once it answers`)
        continue
      }
      if (a === 'verify-source' && failed.has('ensure-source')) continue
      const done = await attempt(a)
      if (!done && a === 'stop-destination') dstUnknown = true
      if (done && a === 'verify-source') answers = true
      if (done && a === 'ensure-source') {
        sourceBack = true
        // The source came back after its IP claim had failed: claim it now, or players cannot reach the game.
        if (failed.has('ip-back')) {
          ok = true
          await attempt('ip-back')
        }
      }
    }
    for (const f of later) {
      try {
        did.push(await f())
      } catch (err) {
        // The game runs on the source; the destination may take the IP back when it returns.
        ok = false
        did.push(`FAILED: ${errorText(err)}; run \`globehop recover\` once it is reachable`)
      }
    }
    return { value: undefined, detail: did.join('; ') }
  }).catch(() => undefined)
  if (!sourceBack && did.some((l) => l.includes(`${ctx.from.name} stayed unreachable`))) {
    const where = ctx.state.transferred ? `; the image had fully arrived on ${ctx.to.name} too` : ''
    did.push(
      `NO HOST RUNS THE GAME: ${ctx.from.name} (the source) cannot be reached; the container was ${ctx.state.sourceDumped ? `dumped there (${ctx.plan.paths.img})` : 'frozen there'}${where}. When ${ctx.from.name} answers again run \`globehop recover ${ctx.tour.file}\`: it restores the game there${ctx.state.transferred ? ` (or on ${ctx.to.name} if ${ctx.from.name} is gone for good)` : ''}`,
    )
  }
  return { text: did.join('; '), containerOn: ok || answers ? ctx.from.name : null, restored: ok }
}

/** A failure that may pass when the host's link returns (as opposed to a command's own error). */
function unreachable(err: unknown): boolean {
  return err instanceof SshError || err instanceof RemoteTimeoutError
}

/**
 * Runs `fn` against a host that may be cut off, retrying for the link's bounded time with progress
 * shown: a destination left holding the IP (or a copy) would take players back when it returns.
 */
async function persist<T>(ctx: HopContext, host: string, what: string, progress: Progress, fn: () => Promise<T>): Promise<T> {
  const budget = ctx.limits.unreachableMs
  const deadline = Date.now() + budget
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const left = deadline - Date.now()
      if (!unreachable(err) || left <= 0) {
        if (unreachable(err)) throw new Error(`${host} stayed unreachable for ${secs(budget)} while trying to ${what}: ${errorText(err)}`)
        throw err
      }
      progress({ detail: `${host} unreachable (${errorText(err)}); retrying to ${what}, ${secs(left)} left` })
      await new Promise((r) => setTimeout(r, Math.min(3000, left)))
    }
  }
}

/**
 * Ends a process group on the source, waited for: SIGINT first, SIGTERM after 5 s (measured on the
 * lab: the criu under `runc checkpoint` ignores SIGINT once its parent's session is gone; a
 * signalled dump fails, and a failed dump thaws the tasks).
 */
async function endProcessGroup(ctx: HopContext, group: number): Promise<string> {
  // `kill -SIG -PGID`: dash (Debian's sh) refuses `--` before a negative PID.
  const alive = async () => (await ctx.src.run(['kill', '-0', `-${group}`], { allowFail: true })).code === 0
  const gone = async (ms: number) => {
    const until = Date.now() + ms
    while (Date.now() < until) {
      if (!(await alive())) return true
      await new Promise((r) => setTimeout(r, 200))
    }
    return !(await alive())
  }
  if (!(await alive())) return `the page server on ${ctx.from.name} ended`
  for (const [signal, ms] of [['INT', 5000], ['TERM', 10_000]] as const) {
    await ctx.src.run(['kill', `-${signal}`, `-${group}`], { allowFail: true })
    if (await gone(ms)) return `stopped the page server on ${ctx.from.name} (SIG${signal})`
  }
  throw new Error(`the page server on ${ctx.from.name} (process group ${group}) did not end after SIGINT and SIGTERM`)
}

async function act(ctx: HopContext, a: RollbackAction, lazy: LazyProcs, progress: Progress, later: (() => Promise<string>)[]): Promise<string> {
  const id = ctx.tour.container.id
  switch (a) {
    case 'stop-destination': {
      lazy.daemon?.kill()
      return persist(ctx, ctx.to.name, `remove the container there`, progress, async () => {
        // A restore gate that got the go-ahead may still be on its way there: claim the restore (or
        // let its restore end) before looking, or a restore could start after we found nothing.
        const waitMs = ctx.limits.commandMs
        const fence = parseFence((await ctx.dst.run(ctx.plan.fenceDestination(waitMs), { timeoutMs: waitMs + 10_000 })).stdout)
        if (fence === 'restore still running') throw new Error(`a restore started on ${ctx.to.name} by the hop's restore gate is still running after ${secs(waitMs)}`)
        const st = await containerState(ctx.dst, ctx.plan.runtime, id)
        const waited = fence === 'restore ended' ? ' (after the restore its gate had started ended)' : ''
        if (st.state === 'absent') return `nothing left on ${ctx.to.name}${waited}`
        await ctx.dst.run(ctx.plan.discardOnDestination)
        return `removed the ${st.state} container on ${ctx.to.name}${waited}`
      })
    }
    case 'abort-page-server': {
      // Without its lazy-pages client the page server's dump fails, and a failed dump thaws the
      // source (lab.md). It may not notice a vanished client at once: then SIGINT ends the dump,
      // which CRIU treats as a failure too (measured on the lab: the source ran on, same pid).
      const ps = lazy.pageServer
      if (!ps) return 'no page server to stop'
      const wait = (ms: number) => Promise.race([ps.done.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
      const group = ps.groupId?.() ?? null
      if (!(await wait(1000))) {
        ps.kill('INT')
        await wait(10_000)
      }
      // `done` also settles when the connection that ran it broke (a cut link) or when kill() gave
      // up waiting: the dump may run on, holding the game's tasks and the port. Ask the host itself.
      if (group === null) return `the page server on ${ctx.from.name} ended`
      return persist(ctx, ctx.from.name, 'end its page server', progress, () => endProcessGroup(ctx, group))
    }
    case 'ip-back': {
      const f = ctx.tour.floatingIp
      if (f.method !== 'keepalived') {
        await persist(ctx, ctx.to.name, `release ${f.address}`, progress, () => ctx.dst.run(delAddress(f.address, f.prefix, f.interface), { allowFail: true }))
        await moveFloatingIp(ctx.tour, ctx.dst, ctx.src)
        return `floating IP back on ${ctx.from.name}`
      }
      // The source wants the IP first (it can take it alone while the destination is cut off),
      // then the destination must give it up, however long its link takes to come back. Both writes
      // take the hop's IP claim: a go line of the move still on its way cannot write after them.
      await persist(ctx, ctx.from.name, 'claim the floating IP there', progress, () => ctx.src.run(writeTrackFileFenced(f.trackFile, true, ctx.plan.paths.ipClaim)))
      const release = (timeoutMs?: number) => ctx.dst.run(writeTrackFileFenced(f.trackFile, false, ctx.plan.paths.ipClaim), { timeoutMs })
      try {
        // A short first try: a cut-off destination must not keep the game down for a whole deadline.
        await release(Math.min(ctx.limits.commandMs, 5000))
      } catch (err) {
        if (!unreachable(err)) throw err
        // Nothing runs there (no restore began): bring the game back first, chase the host after.
        later.push(async () => {
          await persist(ctx, ctx.to.name, 'set its track file to 0', progress, () => release())
          return `${ctx.to.name} is back and gave up the floating IP`
        })
        return `floating IP claimed by ${ctx.from.name}; ${ctx.to.name} is unreachable and is retried after the game is back`
      }
      await waitForOwner(ctx.tour, ctx.dst, ctx.src, 10_000)
      return `floating IP back on ${ctx.from.name}`
    }
    case 'ensure-source':
      // The image is on the source: a source that is briefly away is waited for (bounded).
      return persist(ctx, ctx.from.name, 'bring the game back there', progress, () => ensureSource(ctx))
    case 'verify-source': {
      const s = await waitForStatus(ctx.tour.floatingIp.address, ctx.tour.container.gamePort, 10_000)
      if (!s) throw new Error(`no reply at ${ctx.tour.floatingIp.address} after the rollback`)
      return `the game answers at ${ctx.tour.floatingIp.address} again (${fragLine(s)})`
    }
  }
}

async function ensureSource(ctx: HopContext): Promise<string> {
  const id = ctx.tour.container.id
  const st = await containerState(ctx.src, ctx.plan.runtime, id)
  if (st.state === 'running') return `the container still runs on ${ctx.from.name} (CRIU left it running)`
  if (st.state === 'paused') {
    await ctx.src.run(ctx.plan.runtime.resume(id))
    return `resumed the paused container on ${ctx.from.name}`
  }
  if (isLazyTechnique(ctx.plan.technique.kind)) {
    throw new Error(`the container is ${st.state} on ${ctx.from.name} and a lazy image holds no memory to restore from`)
  }
  const t0 = Date.now()
  const took = () => `${((Date.now() - t0) / 1000).toFixed(2)} s`
  // A runtime that keeps its own checkpoint of the stopped container (podman) restores it in place
  // first: nothing is removed before a restore worked. Its image is the way back when that fails.
  let inPlace = ''
  if (st.state === 'stopped' && ctx.plan.restoreHereOnSource) {
    const r = await ctx.src.run(ctx.plan.restoreHereOnSource, { allowFail: true })
    if (r.code === 0 || (await containerState(ctx.src, ctx.plan.runtime, id)).state === 'running') {
      return `restored the container on ${ctx.from.name} from ${ctx.plan.runtime.name}'s own checkpoint of it in ${took()}`
    }
    inPlace = ` (${ctx.plan.runtime.name}'s own checkpoint of it would not restore: ${runtimeWords(r.stderr) || `exit ${r.code}`})`
  }
  if (st.state === 'stopped') await ctx.src.run(ctx.plan.runtime.delete(id))
  await ctx.src.run(ctx.plan.restoreOnSource)
  const paused = (await resumeIfPaused(ctx.src, ctx.plan.runtime, id)) ? ' (it came back paused: resumed)' : ''
  return `restored the container on ${ctx.from.name} from its local images in ${took()}${inPlace}${paused}`
}

/**
 * Past post-copy's point of no return the game lives on the destination while the source's page
 * server feeds it. If that page server loses the destination (a cut link), CRIU fails the lazy dump
 * and lets the source run on with its whole memory (measured on the lab: both copies ran once the
 * link came back), while the destination's copy lacks pages. So: wait (bounded) for the source to
 * answer and its dump to end; if the source runs again, it is the copy to keep (the destination's is
 * removed, the IP goes back); otherwise the destination keeps the game and the source gives up the IP.
 */
async function settleAfterNoReturn(ctx: HopContext, why: string): Promise<{ text: string; containerOn: string | null }> {
  const f = ctx.tour.floatingIp
  const id = ctx.tour.container.id
  let text = why
  let containerOn: string | null = ctx.to.name
  try {
    await runStep(ctx, 'rollback', { host: ctx.to.name, detail: `no rollback possible: settle which copy keeps the game` }, async (progress) => {
      // Decide only once the source's lazy dump is over (no criu process left there): while its
      // page server runs, the runtime may already call the seized tasks "running" (seen on the lab).
      const deadline = Date.now() + ctx.limits.unreachableMs
      const criuRuns = async () => (await ctx.src.run(['pgrep', '-x', 'criu'], { allowFail: true, log: false })).code === 0
      while (await persist(ctx, ctx.from.name, 'see whether its page server still runs', progress, criuRuns)) {
        if (Date.now() > deadline) throw new Error(`${ctx.from.name}'s page server still runs after ${secs(ctx.limits.unreachableMs)}`)
        progress({ detail: `${ctx.from.name}'s page server still runs; waiting for it to end before deciding which copy keeps the game` })
        await new Promise((r) => setTimeout(r, 2000))
      }
      const st = await persist(ctx, ctx.from.name, 'see what runs there', progress, () => containerState(ctx.src, ctx.plan.runtime, id))
      if (st.state === 'running') {
        await persist(ctx, ctx.to.name, 'remove the copy that lacks pages', progress, () => ctx.dst.run(ctx.plan.discardOnDestination))
        if (f.method === 'keepalived') {
          // Fenced like ip-back: the move of the freeze may still be on its way to either host.
          await persist(ctx, ctx.from.name, 'claim the floating IP there', progress, () => ctx.src.run(writeTrackFileFenced(f.trackFile, true, ctx.plan.paths.ipClaim)))
          await persist(ctx, ctx.to.name, 'set its track file to 0', progress, () => ctx.dst.run(writeTrackFileFenced(f.trackFile, false, ctx.plan.paths.ipClaim)))
          await waitForOwner(ctx.tour, ctx.dst, ctx.src, 10_000)
        } else await moveFloatingIp(ctx.tour, ctx.dst, ctx.src)
        containerOn = ctx.from.name
        // A thawed game first works through the time it was frozen: measured ~10-60 s on the lab.
        const back = await waitForStatus(f.address, ctx.tour.container.gamePort, 90_000)
        text = `${why}; then ${ctx.from.name}'s page server lost ${ctx.to.name} and CRIU let the source run on with its whole memory: removed the copy on ${ctx.to.name} (it lacked pages), floating IP back on ${ctx.from.name}; ${back ? `the game answers there again (${fragLine(back)})` : 'the game does not answer there yet'}`
        return { value: undefined, detail: `the game runs on ${ctx.from.name} again` }
      }
      if (ctx.state.ipMoved && f.method === 'keepalived') {
        await persist(ctx, ctx.to.name, 'claim the floating IP there', progress, () => ctx.dst.run(writeTrackFileFenced(f.trackFile, true, ctx.plan.paths.ipClaim)))
        await persist(ctx, ctx.from.name, 'set its track file to 0', progress, () => ctx.src.run(writeTrackFileFenced(f.trackFile, false, ctx.plan.paths.ipClaim)))
        text = `${why}; the floating IP stays with ${ctx.to.name} (${ctx.from.name} gave it up)`
      }
      return { value: undefined, detail: `the game stays on ${ctx.to.name}` }
    })
  } catch (err) {
    text = `${text}; could not settle which copy keeps the game: ${errorText(err)}; run \`globehop recover\``
    containerOn = null
  }
  return { text, containerOn }
}
