// What every step of a hop shares: the two hosts, the plan, the event sink and how far the hop
// got (the rollback decides from that alone).
import type { CriuStats, HopResult, StepName } from '../../shared/contract'
import type { Host, Tour } from '../../shared/tour'
import type { Emit } from '../events'
import { RemoteCommandError, type Remote } from '../ssh/types'
import type { HopControl } from './hop-control'
import type { Journal } from './journal'
import type { HopPlan } from './plan'
import type { WatchdogLimits } from './watchdog'

export interface HopState {
  /** The final checkpoint began: from here on the players feel it. */
  frozen: boolean
  /** The final dump finished and the source's tasks are gone (images on the source's disk). */
  sourceDumped: boolean
  /** Post-copy: the source sits frozen behind its page server. */
  lazyServing: boolean
  /** The final image (or its last delta) fully arrived on the destination. */
  transferred: boolean
  /** The floating IP was (or is being) handed to the destination. */
  ipMoved: boolean
  /** A restore was started on the destination. */
  dstRestoreStarted: boolean
  /** The container runs on the destination. */
  dstRunning: boolean
  /** Post-copy: the destination runs on pages only the source has; going back is impossible. */
  pointOfNoReturn: boolean
  /** Verified: the destination serves players. */
  served: boolean
}

export const initialHopState = (): HopState => ({
  frozen: false,
  sourceDumped: false,
  lazyServing: false,
  transferred: false,
  ipMoved: false,
  dstRestoreStarted: false,
  dstRunning: false,
  pointOfNoReturn: false,
  served: false,
})

export interface HopContext {
  tour: Tour
  hopId: string
  from: Host
  to: Host
  src: Remote
  dst: Remote
  plan: HopPlan
  emit: Emit
  /** Aborts only before the freeze (a stop after it waits for the hop's end). */
  signal: AbortSignal
  control: HopControl
  journal: Journal
  limits: WatchdogLimits
  state: HopState
  steps: HopResult['steps']
  figures: { imageBytes?: number; wireBytes: number; criuDump?: CriuStats; criuRestore?: CriuStats; snapshotPausesMs: number[] }
  /** Figures read off the critical path (sizes, CRIU stats): awaited before the hop reports. */
  pending: Promise<unknown>[]
  /** keepalived: the IP move started at the freeze (steps/ip-move.ts); null once done, else why not. */
  ipStart?: { done: Promise<Error | null>; stop: () => Promise<Error | null> }
  /** keepalived, stop-and-copy: the move's commands, opened at the hop's start; the checkpoint fires them. */
  armedIp?: { fire(): void; cancel(): void }
}

/** Sets a state flag, journaled first: a killed process leaves how far the hop got. */
export function advance(ctx: Pick<HopContext, 'hopId' | 'state' | 'journal'>, flag: keyof HopState): void {
  if (ctx.state[flag]) return
  ctx.journal.record({ event: 'state', hopId: ctx.hopId, flag })
  ctx.state[flag] = true
}

export type Progress = (p: { bytesDone?: number; bytesTotal?: number; detail?: string }) => void

export interface StepMeta {
  host?: string
  iteration?: number
  frozen?: boolean
  detail?: string
}

export interface StepOutcome<T> {
  value: T
  bytes?: number
  bytesTotal?: number
  detail?: string
}

/** Where step events and records go: all runStep needs of a hop. */
export type StepSink = Pick<HopContext, 'hopId' | 'emit' | 'steps'>

/** Runs one step: start/progress/end/fail events with wall time, and a line in the hop's steps. */
export async function runStep<T>(ctx: StepSink, step: StepName, meta: StepMeta, fn: (progress: Progress) => Promise<StepOutcome<T>>): Promise<T> {
  const t0 = Date.now()
  const base = { hopId: ctx.hopId, step, iteration: meta.iteration, host: meta.host, frozen: meta.frozen }
  ctx.emit('step', { ...base, phase: 'start', at: t0, detail: meta.detail })
  const progress: Progress = (p) => ctx.emit('step', { ...base, phase: 'progress', at: Date.now(), elapsedMs: Date.now() - t0, ...p })
  try {
    const out = await fn(progress)
    const ms = Date.now() - t0
    ctx.steps.push({ step, iteration: meta.iteration, ms, bytes: out.bytes, frozen: meta.frozen })
    ctx.emit('step', { ...base, phase: 'end', at: Date.now(), elapsedMs: ms, bytesDone: out.bytes, bytesTotal: out.bytesTotal, detail: out.detail })
    return out.value
  } catch (err) {
    const ms = Date.now() - t0
    ctx.steps.push({ step, iteration: meta.iteration, ms, frozen: meta.frozen })
    ctx.emit('step', { ...base, phase: 'fail', at: Date.now(), elapsedMs: ms, detail: errorText(err) })
    throw err
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** runc logs `time=... level=error msg="..."`: the msg is what a person needs. */
export function runtimeWords(stderr: string): string {
  const msgs = [...stderr.matchAll(/level=error msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replaceAll('\\"', '"'))
  return msgs.length > 0 ? msgs.join('; ') : stderr.trim().split('\n').slice(-3).join(' | ')
}

/** A failed remote command in words: what ran where, its exit code and runc's/CRIU's own message. */
export function commandFailure(what: string, err: unknown): Error {
  if (err instanceof RemoteCommandError) return new Error(`${what} on ${err.host} exited ${err.code}: ${runtimeWords(err.stderrTail)}`)
  return err instanceof Error ? err : new Error(String(err))
}

/** A failure with the step it happened in, for the hop's error text. */
export class StepError extends Error {
  constructor(
    readonly step: StepName,
    readonly host: string,
    cause: unknown,
  ) {
    super(`${step} on ${host} failed: ${errorText(cause)}`)
    this.name = 'StepError'
  }
}
