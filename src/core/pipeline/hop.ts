// One hop, start to finish: the step sequence of its technique, then verify and cleanup, or the
// rollback when something failed after the freeze and before the destination served.
import type { ClientView, HopResult, ServerStatus } from '../../shared/contract'
import type { Mode } from '../../shared/tour'
import type { RemoteProcess } from '../ssh/types'
import { holdsFloatingIp } from '../floating-ip/move'
import { converged, type IterationFigures } from './convergence'
import { waitForStatus } from './game-query'
import { errorText, initialHopState, runStep, type HopContext } from './hop-context'
import { techniqueLabel, type Technique } from './modes'
import { planHop } from './plan'
import { containerState } from './remote-files'
import { runc } from './runtime/runc'
import { checkpoint } from './steps/checkpoint'
import { cleanup } from './steps/cleanup'
import { ipMove } from './steps/ip-move'
import { lazyCheckpoint, lazyPagesDone, startLazyDaemon } from './steps/page-server'
import { restore } from './steps/restore'
import { rollback, type LazyProcs } from './steps/rollback'
import { snapshot } from './steps/snapshot'
import { transfer } from './steps/transfer'
import { fragLine, verify } from './steps/verify'

export interface ClientObserver {
  hopStarted(hopId: string): void
  hopEnded(hopId: string): void
  clientView(hopId: string): ClientView | undefined
  waitForService?(timeoutMs: number): Promise<boolean>
}

export interface HopArgs extends Pick<HopContext, 'tour' | 'hopId' | 'from' | 'to' | 'src' | 'dst' | 'emit' | 'signal'> {
  mode: Mode
  /** Picks the technique from preflight facts (and the link); throws HopRefused when it cannot. */
  decide: () => Promise<Decision>
  /** Asked between pre-copy iterations: a cancel before the freeze stops the hop there. */
  cancelRequested: () => boolean
  /** Told the moment the final freeze starts (cancel is refused from then on). */
  onFreeze: () => void
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

export async function runHop(a: HopArgs): Promise<HopResult> {
  const startedAt = Date.now()
  const steps: HopResult['steps'] = []
  const sink = { hopId: a.hopId, emit: a.emit, steps }
  let decision: Decision
  try {
    decision = await runStep(sink, 'preflight', { host: a.from.name, detail: `${a.mode} from ${a.from.name} to ${a.to.name}` }, async () => {
      const d = await a.decide()
      return { value: d, detail: `${techniqueLabel(d.technique)}: ${d.why}${d.compress ? '; zstd compression' : ''}` }
    })
  } catch (err) {
    const result: HopResult = {
      hopId: a.hopId, from: a.from.name, to: a.to.name, mode: a.mode, technique: 'refused', ok: false,
      startedAt, endedAt: Date.now(), steps, wireBytes: 0, error: errorText(err), containerOn: a.from.name,
    }
    a.emit('hop', result)
    return result
  }
  const plan = planHop({ tour: a.tour, hopId: a.hopId, from: a.from, to: a.to, technique: decision.technique, compress: decision.compress })
  const ctx: HopContext = {
    tour: a.tour,
    hopId: a.hopId,
    from: a.from,
    to: a.to,
    src: a.src,
    dst: a.dst,
    plan,
    emit: a.emit,
    signal: a.signal,
    state: initialHopState(),
    steps,
    figures: { wireBytes: 0, snapshotFrozenMs: [] },
    pending: [],
  }
  const lazy: LazyProcs = {}
  let error: string | undefined
  let rollbackText: string | undefined
  let containerOn: string | null = a.from.name
  let warning: string | null = null
  a.client?.hopStarted(a.hopId)
  try {
    const before = await prepare(ctx, a)
    const t = decision.technique
    const last = await preCopy(ctx, a, t)
    if (a.cancelRequested()) throw new HopCancelled()
    a.onFreeze()
    if (t.kind === 'post-copy' || t.kind === 'pre+post') await postCopyTail(ctx, a, decision, last, lazy, before)
    else await copyTail(ctx, a, decision, last, before)
    containerOn = a.to.name
    // The figures' reads finish before cleanup removes the files they read.
    await Promise.allSettled(ctx.pending)
    warning = await cleanup(ctx)
  } catch (err) {
    error = errorText(err)
    if (err instanceof HopCancelled) {
      await Promise.all([a.src.run(plan.cleanup.src[1]!, { allowFail: true }), a.dst.run(plan.cleanup.dst[0]!, { allowFail: true })]).catch(() => undefined)
    }
    const rb = await rollback(ctx, lazy)
    rollbackText = rb.text
    containerOn = rb.containerOn
    if (ctx.state.served) containerOn = a.to.name
  } finally {
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
    startedAt,
    endedAt: Date.now(),
    steps: ctx.steps,
    imageBytes: ctx.figures.imageBytes,
    wireBytes: ctx.figures.wireBytes,
    criuDump: ctx.figures.criuDump,
    criuRestore: ctx.figures.criuRestore,
    client: a.client?.clientView(a.hopId),
    // A failed cleanup leaves the hop a success (the game moved) but says so here.
    error: error ?? warning ?? undefined,
    rollback: rollbackText,
    containerOn,
  }
  a.emit('hop', result)
  return result
}

/** Live checks right before the hop, an empty hop dir on both hosts, and the game's state before. */
async function prepare(ctx: HopContext, a: HopArgs): Promise<ServerStatus | null> {
  return runStep(ctx, 'preflight', { host: a.from.name, detail: 'live state of both hosts, empty hop directories' }, async () => {
    const id = a.tour.container.id
    const [s, d, ip] = await Promise.all([containerState(a.src, runc, id), containerState(a.dst, runc, id), holdsFloatingIp(a.src, a.tour.floatingIp.address)])
    if (s.state !== 'running') throw new Error(`the container is ${s.state} on ${a.from.name}, not running: nothing to move`)
    if (d.state === 'running' || d.state === 'paused' || d.state === 'created') throw new Error(`a container "${id}" is already ${d.state} on ${a.to.name}`)
    // A stopped leftover (an earlier hop's source) would block the restore: clear it before the freeze.
    if (d.state === 'stopped') {
      const del = await a.dst.run(runc.delete(id), { allowFail: true })
      if (del.code !== 0) throw new Error(`a stopped container "${id}" is left on ${a.to.name} and \`runc delete\` failed: ${del.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
    }
    if (!ip) throw new Error(`${a.from.name} does not hold the floating IP ${a.tour.floatingIp.address}`)
    await Promise.all([a.src.run(ctx.plan.prepare.src), a.dst.run(ctx.plan.prepare.dst)])
    const before = await waitForStatus(a.tour.floatingIp.address, a.tour.container.gamePort, 3000)
    return { value: before, detail: before ? `game answers: ${fragLine(before)}` : 'game did not answer before the hop: state continuity cannot be checked' }
  })
}

/** Pre-copy iterations until the convergence rule says stop; returns the last iteration number. */
async function preCopy(ctx: HopContext, a: HopArgs, t: Technique): Promise<number> {
  if (t.kind !== 'pre-copy' && t.kind !== 'pre+post') return 0
  const history: IterationFigures[] = []
  for (let i = 1; ; i++) {
    if (a.cancelRequested()) throw new HopCancelled()
    history.push(await snapshot(ctx, i, t.tracking))
    const v = converged(history, a.tour.options.preCopy, t.tracking)
    ctx.emit('step', { hopId: ctx.hopId, step: 'snapshot', iteration: i, phase: 'progress', at: Date.now(), detail: v.reason })
    if (v.stop) return i
  }
}

/** Starts the IP move beside whatever follows; its failure surfaces when awaited. */
function startIpMove(ctx: HopContext): Promise<void> {
  const p = ipMove(ctx)
  p.catch(() => undefined)
  return p
}

async function copyTail(ctx: HopContext, a: HopArgs, d: Decision, last: number, before: ServerStatus | null): Promise<void> {
  await checkpoint(ctx, last)
  const ip = startIpMove(ctx)
  try {
    await transfer(ctx, true)
    if (!d.dstNonlocalBind) await ip
  } catch (err) {
    await ip.catch(() => undefined)
    throw err
  }
  // With ip_nonlocal_bind the restored socket binds the floating IP before it arrives.
  try {
    await restore(ctx)
  } finally {
    await ip.catch(() => undefined)
  }
  await ip
  await verify(ctx, { before, timeoutMs: a.verifyTimeoutMs ?? 15_000, waitForService: a.client?.waitForService?.bind(a.client) })
  ctx.state.served = true
}

async function postCopyTail(ctx: HopContext, a: HopArgs, d: Decision, last: number, lazy: LazyProcs, before: ServerStatus | null): Promise<void> {
  const pageServer: RemoteProcess = await lazyCheckpoint(ctx, last)
  lazy.pageServer = pageServer
  const ip = startIpMove(ctx)
  try {
    await transfer(ctx, true)
    lazy.daemon = await startLazyDaemon(ctx)
    if (!d.dstNonlocalBind) await ip
  } catch (err) {
    await ip.catch(() => undefined)
    throw err
  }
  await restore(ctx)
  // Past the point of no return: an IP or verify failure is reported, never rolled back.
  await ip
  await verify(ctx, { before, timeoutMs: a.verifyTimeoutMs ?? 15_000, waitForService: a.client?.waitForService?.bind(a.client) })
  ctx.state.served = true
  await lazyPagesDone(ctx, pageServer, lazy.daemon, async () => (await containerState(ctx.dst, runc, a.tour.container.id)).pid)
}
