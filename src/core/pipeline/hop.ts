// One hop, start to finish: the step sequence of its technique, then verify and cleanup, or the
// rollback when something failed after the freeze and before the destination served.
import { isLazyTechnique } from '../../shared/technique'
import type { ClientView, HopResult, ServerStatus } from '../../shared/contract'
import type { Mode } from '../../shared/tour'
import type { RemoteProcess } from '../ssh/types'
import { holdsFloatingIp } from '../floating-ip/move'
import { converged, type IterationFigures, type SnapshotWeigh } from './convergence'
import type { LinkFacts } from './facts'
import { verifyWaitMs, type GapPrediction, type HopFigures } from './gap-model'
import { waitForStatus } from './game-query'
import { advance, errorText, initialHopState, runStep, type HopContext } from './hop-context'
import { noJournal, type Journal } from './journal'
import { watchdogLimits, withDeadline, type WatchdogLimits } from './watchdog'
import { techniqueLabel, type Technique } from './modes'
import { planHop, type TailCommands } from './plan'
import { containerState } from './remote-files'
import { checkpoint } from './steps/checkpoint'
import { cleanup } from './steps/cleanup'
import { armIpMove, ipMove } from './steps/ip-move'
import { lazyCheckpoint, lazyPagesDone, startLazyDaemon } from './steps/page-server'
import { restore } from './steps/restore'
import { rollback, type LazyProcs } from './steps/rollback'
import { snapshot } from './steps/snapshot'
import { startTailChain } from './steps/tail-chain'
import { transfer } from './steps/transfer'
import { fragLine, verify } from './steps/verify'
import { startWarmMemory } from './steps/warm-memory'

export interface ClientObserver {
  hopStarted(hopId: string): void
  hopEnded(hopId: string): void
  clientView(hopId: string): ClientView | undefined
  waitForService?(timeoutMs: number): Promise<boolean>
}

export interface HopArgs extends Pick<HopContext, 'tour' | 'hopId' | 'from' | 'to' | 'src' | 'dst' | 'emit' | 'control'> {
  mode: Mode
  /** The technique the session chose (its own preflight step) for this hop. */
  decision: Decision
  /** Step events and records so far (the session's decision step). */
  steps: HopResult['steps']
  startedAt: number
  journal?: Journal
  limits?: WatchdogLimits
  client?: ClientObserver
  verifyTimeoutMs?: number
}

export interface Decision {
  technique: Technique
  /** Why this technique (auto's reasoning), for the preflight step's words. */
  why: string
  compress: boolean
  /** Destination may bind the floating IP before it arrives (restore need not wait for the IP). */
  dstNonlocalBind: boolean
  /** The link as measured before the hop (null or absent: not measured). */
  link?: LinkFacts | null
  /** The gap model's prediction for this technique (gap-model.ts), when it could make one. */
  prediction?: GapPrediction | null
  /** perl, gzip and cksum on both hosts: pre-copy's final delta goes one way, else with rsync. */
  oneWayDelta?: boolean
  /** Stop-and-copy's image streams one way in the tail chain (decide.ts), else rsync after the dump. */
  streamImage?: boolean
  /** perl on the source: rsync-tracked snapshots and the final dump freeze the game just before CRIU looks (plan.ts). */
  freezeFirst?: boolean
  /** rsync-tracked pre-copy: the source's snapshots go below this dir in RAM (decide.ts snapshotsInRam). */
  snapshotRoot?: string
  /** Earlier hops' figures: rsync's snapshot stop rule weighs each pause with them. */
  past?: HopFigures | null
  /** Bytes of free memory kept warm through the hop on each side (decide.ts warmBytes; 0: none). */
  warm?: { src: number; dst: number }
}

/** The hop cannot be done as asked; nothing was frozen. */
export class HopRefused extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'HopRefused'
  }
}

export class HopCancelled extends Error {
  constructor() {
    super('cancelled before the freeze: the container runs on the source as before')
    this.name = 'HopCancelled'
  }
}

const isLazy = (t: Technique) => isLazyTechnique(t.kind)

export async function runHop(a: HopArgs): Promise<HopResult> {
  const { decision, control } = a
  const plan = planHop({ tour: a.tour, hopId: a.hopId, from: a.from, to: a.to, technique: decision.technique, compress: decision.compress, mbitPerSec: decision.link?.mbitPerSec, oneWayDelta: decision.oneWayDelta, streamImage: decision.streamImage, freezeFirst: decision.freezeFirst, snapshotRoot: decision.snapshotRoot })
  const limits = a.limits ?? watchdogLimits(null)
  const ctx: HopContext = {
    tour: a.tour,
    hopId: a.hopId,
    from: a.from,
    to: a.to,
    // Every command of the hop has a deadline: a host that stops answering fails its step.
    src: withDeadline(a.src, limits.commandMs),
    dst: withDeadline(a.dst, limits.commandMs),
    plan,
    emit: a.emit,
    signal: control.signal,
    control,
    journal: a.journal ?? noJournal,
    limits,
    state: initialHopState(),
    steps: a.steps,
    figures: { wireBytes: 0, snapshotPausesMs: [] },
    pending: [],
  }
  ctx.journal.record({ event: 'start', hopId: a.hopId, from: a.from.name, to: a.to.name, technique: techniqueLabel(decision.technique), lazy: isLazy(decision.technique), hopDir: plan.paths.hopDir, img: plan.paths.img })
  const lazy: LazyProcs = {}
  let error: string | undefined
  let rollbackText: string | undefined
  let containerOn: string | null = a.from.name
  let warning: string | null = null
  a.client?.hopStarted(a.hopId)
  // From the hop's start to its end, rollback included: both dumps and both restores meet warm memory.
  const warm = startWarmMemory(ctx, decision.warm)
  try {
    // The IP move's commands open beside the hop's own preparation, so the freeze only has to say
    // "go" (one one-way delay) instead of starting them. The tail chain arms its own.
    if (decision.technique.kind === 'stop-and-copy' && !tailChainFor(ctx, decision, 0)) ctx.armedIp = armIpMove(ctx) ?? undefined
    const before = await prepare(ctx, a)
    // The loops' first round (cold memory, the slowest) runs before the first dump, not beside it.
    await warm.ready
    const t = decision.technique
    const last = await preCopy(ctx, t, decision)
    if (control.signal.aborted) throw new HopCancelled()
    control.freeze()
    if (isLazy(t)) await postCopyTail(ctx, a, decision, last, lazy, before)
    else await copyTail(ctx, a, decision, last, before)
    containerOn = a.to.name
    control.thaw()
    // The figures' reads finish before cleanup removes the files they read.
    await Promise.allSettled(ctx.pending)
    warning = await cleanup(ctx)
  } catch (err) {
    error = errorText(err)
    if (err instanceof HopCancelled || (control.signal.aborted && !ctx.state.frozen)) error = new HopCancelled().message
    // Nothing froze: the game runs on the source, and the snapshots sent so far (a failed one
    // included) are of no use to anyone. After a freeze the images stay for the rollback and `recover`.
    if (!ctx.state.frozen) {
      await Promise.all([a.src.run(plan.cleanup.removeSourceImages, { allowFail: true }), a.dst.run(plan.cleanup.removeDestinationImages, { allowFail: true })]).catch(() => undefined)
    }
    // Track-file writes still in flight must land (or be stopped) before the rollback writes them;
    // armed commands that never fired end with nothing written.
    ctx.armedIp?.cancel()
    await ctx.ipStart?.stop()
    const rb = await rollback(ctx, lazy)
    rollbackText = rb.text
    containerOn = rb.containerOn
    if (ctx.state.served) containerOn = a.to.name
    // Snapshots kept in RAM serve no rollback or `recover` (they restore from the hop dir's image).
    if (plan.cleanup.removeSnapshots) await a.src.run(plan.cleanup.removeSnapshots, { allowFail: true }).catch(() => undefined)
  } finally {
    warm.stop()
    control.thaw()
    a.client?.hopEnded(a.hopId)
  }
  await Promise.allSettled(ctx.pending)
  const result: HopResult = {
    hopId: a.hopId,
    from: a.from.name,
    to: a.to.name,
    mode: a.mode,
    technique: techniqueLabel(decision.technique),
    ok: error === undefined,
    startedAt: a.startedAt,
    endedAt: Date.now(),
    steps: ctx.steps,
    imageBytes: ctx.figures.imageBytes,
    wireBytes: ctx.figures.wireBytes,
    criuDump: ctx.figures.criuDump,
    criuRestore: ctx.figures.criuRestore,
    snapshotPauseMs: ctx.figures.snapshotPausesMs.length ? Math.round(ctx.figures.snapshotPausesMs.reduce((x, y) => x + y, 0)) : undefined,
    snapshotPauseMaxMs: ctx.figures.snapshotPausesMs.length ? Math.round(Math.max(...ctx.figures.snapshotPausesMs)) : undefined,
    client: a.client?.clientView(a.hopId),
    // A failed cleanup leaves the hop a success (the game moved) but says so here.
    error: error ?? warning ?? undefined,
    rollback: rollbackText,
    containerOn,
  }
  ctx.journal.record({ event: 'end', hopId: a.hopId, ok: result.ok, containerOn, detail: result.error })
  a.emit('hop', result)
  return result
}

/** Live checks right before the hop, an empty hop dir on both hosts, and the game's state before. */
async function prepare(ctx: HopContext, a: HopArgs): Promise<ServerStatus | null> {
  return runStep(ctx, 'preflight', { host: a.from.name, detail: 'live state of both hosts, empty hop directories' }, async () => {
    const id = a.tour.container.id
    const [s, d, ip] = await Promise.all([containerState(ctx.src, ctx.plan.runtime, id), containerState(ctx.dst, ctx.plan.runtime, id), holdsFloatingIp(ctx.src, a.tour.floatingIp.address)])
    if (s.state !== 'running') throw new Error(`the container is ${s.state} on ${a.from.name}, not running: nothing to move`)
    if (d.state === 'running' || d.state === 'paused' || d.state === 'created') throw new Error(`a container "${id}" is already ${d.state} on ${a.to.name}`)
    // A stopped leftover (an earlier hop's source) would block the restore: clear it before the freeze.
    if (d.state === 'stopped') {
      const del = await ctx.dst.run(ctx.plan.runtime.delete(id), { allowFail: true })
      if (del.code !== 0) throw new Error(`a stopped container "${id}" is left on ${a.to.name} and \`${ctx.plan.runtime.name} delete\` failed: ${del.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
    }
    if (!ip) throw new Error(`${a.from.name} does not hold the floating IP ${a.tour.floatingIp.address}`)
    await Promise.all([ctx.src.run(ctx.plan.prepare.src), ctx.dst.run(ctx.plan.prepare.dst)])
    const before = await waitForStatus(a.tour.floatingIp.address, a.tour.container.gamePort, 3000)
    return { value: before, detail: before ? `game answers: ${fragLine(before)}` : 'game did not answer before the hop: state continuity cannot be checked' }
  })
}

/** Pre-copy iterations until the convergence rule says stop; returns the last iteration number. */
async function preCopy(ctx: HopContext, t: Technique, d: Decision): Promise<number> {
  if (t.kind !== 'pre-copy' && t.kind !== 'pre+post') return 0
  const history: IterationFigures[] = []
  const rate = d.link?.mbitPerSec
  const weigh: SnapshotWeigh | undefined = rate ? { mbitPerSec: rate, compress: d.compress, savedWireBytes: d.past?.savedWireBytes, deltaWireBytes: d.past?.deltaWireBytes } : undefined
  for (let i = 1; ; i++) {
    if (ctx.signal.aborted) throw new HopCancelled()
    history.push(await snapshot(ctx, i, t.tracking))
    const v = converged(history, ctx.tour.options.preCopy, t.tracking, weigh)
    ctx.emit('step', { hopId: ctx.hopId, step: 'snapshot', iteration: i, phase: 'progress', at: Date.now(), detail: v.reason })
    if (v.stop) return i
  }
}

/**
 * Starts the IP move beside whatever follows; its failure surfaces when awaited. When the copy
 * fails first, `giveUp` ends the move's wait at once: the rollback sets both track files itself,
 * and players should not wait for a cut-off destination's command deadline first.
 */
interface IpMove {
  done: Promise<void>
  giveUp: () => Promise<void>
}

function startIpMove(ctx: HopContext): IpMove {
  const abort = new AbortController()
  const done = ipMove(ctx, abort.signal)
  done.catch(() => undefined)
  return {
    done,
    giveUp: async () => {
      abort.abort()
      await Promise.all([done.catch(() => undefined), ctx.ipStart?.stop()])
    },
  }
}

/** Runs `fn`; when it fails, the IP move stops waiting before the error goes on to the rollback. */
async function orGiveUp<T>(ip: IpMove, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    await ip.giveUp()
    throw err
  }
}

/** With ip_nonlocal_bind the restore need not wait for the IP: the tail runs as one command. */
function tailChainFor(ctx: HopContext, d: Decision, last: number): TailCommands | null {
  return d.dstNonlocalBind ? ctx.plan.tailChain(last) : null
}

async function copyTail(ctx: HopContext, a: HopArgs, d: Decision, last: number, before: ServerStatus | null): Promise<void> {
  const chain = tailChainFor(ctx, d, last)
  if (chain) return chainedTail(ctx, a, chain, last, before)
  await checkpoint(ctx, last)
  const ip = startIpMove(ctx)
  await orGiveUp(ip, async () => {
    await transfer(ctx, true, last)
    if (!d.dstNonlocalBind) await ip.done
  })
  // With ip_nonlocal_bind the restored socket binds the floating IP before it arrives.
  await orGiveUp(ip, () => restore(ctx))
  await ip.done
  await verify(ctx, { before, timeoutMs: a.verifyTimeoutMs ?? 15_000, waitForService: a.client?.waitForService?.bind(a.client) })
  advance(ctx, 'served')
}

/** Dump and delta in one command on the source, the restore in a gate on the destination; the IP
 *  moves beside them, as in copyTail. */
async function chainedTail(ctx: HopContext, a: HopArgs, argv: TailCommands, last: number, before: ServerStatus | null): Promise<void> {
  const chain = startTailChain(ctx, argv, last)
  try {
    await chain.checkpoint()
    const ip = startIpMove(ctx)
    await orGiveUp(ip, () => chain.transfer())
    await orGiveUp(ip, () => chain.restore())
    await ip.done
  } catch (err) {
    chain.abandon(err)
    throw err
  }
  await verify(ctx, { before, timeoutMs: a.verifyTimeoutMs ?? 15_000, waitForService: a.client?.waitForService?.bind(a.client) })
  advance(ctx, 'served')
}

async function postCopyTail(ctx: HopContext, a: HopArgs, d: Decision, last: number, lazy: LazyProcs, before: ServerStatus | null): Promise<void> {
  const pageServer: RemoteProcess = await lazyCheckpoint(ctx, last)
  lazy.pageServer = pageServer
  const ip = startIpMove(ctx)
  const daemon = await orGiveUp(ip, async () => {
    await transfer(ctx, true)
    lazy.daemon = await startLazyDaemon(ctx)
    if (!d.dstNonlocalBind) await ip.done
    return lazy.daemon
  })
  await orGiveUp(ip, () => restore(ctx))
  // Past the point of no return: an IP or verify failure is reported, never rolled back.
  await ip.done
  // The game stalls while its working set faults in over the link: wait as long as the model says.
  const p = d.prediction ?? null
  await verify(ctx, { before, timeoutMs: verifyWaitMs(p, a.verifyTimeoutMs), predictedStallMs: p?.stallMs, waitForService: a.client?.waitForService?.bind(a.client) })
  advance(ctx, 'served')
  await lazyPagesDone(ctx, pageServer, daemon, async () => (await containerState(ctx.dst, ctx.plan.runtime, a.tour.container.id)).pid)
}
