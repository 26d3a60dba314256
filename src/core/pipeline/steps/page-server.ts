// Post-copy: the source dumps everything but memory and serves pages from a page server; the
// destination's `criu lazy-pages` daemon fetches them as the restored tasks fault.
import type { RemoteProcess } from '../../ssh/types'
import { advance, type HopContext, runStep } from '../hop-context'
import { PAGE_SERVER_PORT, PAGE_SERVER_READY } from '../plan'
import { formatBytes } from '../../../shared/format'
import { dirBytes, readCriuStats } from '../remote-files'
import { startIpMoveAtFreeze } from './ip-move'

// lab.md: lazy dumps tee page pipes of 4 MiB; root without CAP_SYS_RESOURCE needs the sysctl.
const PIPE_MAX = 4194304

export async function ensurePipeMax(ctx: HopContext): Promise<void> {
  const r = await ctx.src.run(['sysctl', '-n', 'fs.pipe-max-size'], { allowFail: true })
  if (Number(r.stdout.trim()) < PIPE_MAX) await ctx.src.run(['sysctl', '-w', `fs.pipe-max-size=${PIPE_MAX}`])
}

/** The lazy dump; resolves once its page server is up (the source is frozen behind it). */
export async function lazyCheckpoint(ctx: HopContext, lastSnapshot: number): Promise<RemoteProcess> {
  await ensurePipeMax(ctx)
  advance(ctx, 'frozen')
  return runStep(ctx, 'checkpoint', { host: ctx.from.name, frozen: true, detail: `lazy dump, page server on ${ctx.from.address}:${PAGE_SERVER_PORT}` }, async () => {
    let ready: () => void = () => {}
    const readyP = new Promise<void>((r) => (ready = r))
    const proc = ctx.src.start(ctx.plan.lazyCheckpoint(lastSnapshot), {
      onLine: (stream, line) => {
        if (stream === 'stdout' && line.includes(PAGE_SERVER_READY)) ready()
      },
    })
    startIpMoveAtFreeze(ctx)
    // Either the page server comes up, or the dump ends first (a failed lazy dump thaws the source).
    const first = await Promise.race([readyP.then(() => 'ready' as const), proc.done.then((r) => r)])
    if (first !== 'ready') {
      throw new Error(`lazy dump ended before its page server came up (exit ${first.code}): ${first.stderr.trim().split('\n').slice(-3).join(' | ')}`)
    }
    advance(ctx, 'lazyServing')
    ctx.pending.push(dirBytes(ctx.src, ctx.plan.paths.img).then((b) => (ctx.figures.imageBytes = b)))
    return { value: proc, detail: 'page server ready' }
  })
}

/** Starts `criu lazy-pages` on the destination and waits for its socket. */
export async function startLazyDaemon(ctx: HopContext): Promise<RemoteProcess> {
  return runStep(ctx, 'page-server', { host: ctx.to.name, frozen: true, detail: `criu lazy-pages connecting to ${ctx.from.address}:${PAGE_SERVER_PORT}` }, async () => {
    const proc = ctx.dst.start(ctx.plan.lazyDaemon)
    let exited: string | null = null
    void proc.done.then((r) => (exited = `exit ${r.code}`)).catch((e: unknown) => (exited = String(e)))
    const sock = `${ctx.plan.paths.img}/lazy-pages.socket`
    const deadline = Date.now() + 10_000
    for (;;) {
      const r = await ctx.dst.run(['test', '-S', sock], { allowFail: true })
      if (r.code === 0) break
      if (exited !== null || Date.now() > deadline) {
        const log = await ctx.dst.run(['tail', '-n', '5', `${ctx.plan.paths.img}/lazy-pages.log`], { allowFail: true })
        throw new Error(`criu lazy-pages did not come up (${exited ?? 'no socket after 10 s'}): ${log.stdout.trim().split('\n').join(' | ')}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
    return { value: proc, detail: 'lazy-pages daemon ready' }
  })
}

/** After the restore: pages keep flowing until the source's dump exits. */
export async function lazyPagesDone(ctx: HopContext, pageServer: RemoteProcess, daemon: RemoteProcess, restoredPid: () => Promise<number | null>): Promise<void> {
  const t0 = Date.now()
  await runStep(ctx, 'lazy-pages', { host: ctx.from.name, detail: 'the game runs on the destination; remaining pages flow from the source' }, async (progress) => {
    let finished = false
    const poll = (async () => {
      while (!finished) {
        await new Promise((r) => setTimeout(r, 500))
        if (finished) break
        const pid = await restoredPid()
        if (pid === null) continue
        const r = await ctx.dst.run(['sh', '-c', 'awk \'/^VmRSS/ {print $2 * 1024}\' "/proc/$1/status"', 'sh', String(pid)], { allowFail: true })
        const rss = Number(r.stdout.trim())
        if (Number.isFinite(rss) && rss > 0) progress({ bytesDone: rss, bytesTotal: ctx.figures.imageBytes, detail: `${formatBytes(rss, '?')} resident on ${ctx.to.name}` })
      }
    })()
    try {
      const res = await pageServer.done
      if (res.code !== 0) throw new Error(`the source's page server exited ${res.code}: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`)
    } finally {
      finished = true
      await poll
    }
    ctx.state.lazyServing = false
    // The daemon exits once every page is in; do not hang on one that lingers.
    await Promise.race([daemon.done.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))])
    // criu 4.2's stats-dump of a lazy dump carries no page counts and a frozen time that is not
    // one (seen on the lab: 0 pages scanned, "frozen" 1288 s): keep only a record that adds up.
    const stats = await readCriuStats(ctx.src, ctx.plan.dumpStats, ctx.plan.runtime.stats.decode)
    const hopUs = (Date.now() - t0 + 60_000) * 1000
    const plausible = stats && (stats.pagesScanned ?? 0) > 0 && (stats.frozenTimeUs ?? 0) < hopUs
    if (plausible) ctx.figures.criuDump = stats
    const lazyPages = plausible ? stats.pagesLazy : undefined
    return {
      value: undefined,
      bytes: lazyPages !== undefined ? lazyPages * 4096 : undefined,
      detail: `all pages served${lazyPages !== undefined ? ` (${lazyPages} lazy pages)` : ''}${plausible ? '' : "; CRIU's lazy-dump statistics carry no figures"}`,
    }
  })
}
