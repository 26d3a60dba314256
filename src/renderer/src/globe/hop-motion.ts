// Where the game is between two hosts, from the hop's real step events: the marker travels as the
// image travels. Pure, so every technique's event sequence is unit-tested without a globe.
import type { StepEvent, StepName } from '../../../shared/contract'

export type HopPhase =
  | 'idle' // no hop: the game runs on `from` (= `to`)
  | 'preparing' // the hop's own checks; nothing moved yet
  | 'snapshot' // pre-copy: images go out while the game still serves players
  | 'frozen' // the final checkpoint and copy: players feel it
  | 'restoring' // the destination restores the image
  | 'outage' // restored, not yet answering at the floating IP
  | 'post-copy' // the destination serves; memory pages still flow from the source
  | 'arrived'
  | 'rolling-back'
  | 'rolled-back'
  | 'failed'

export interface HopMotion {
  hopId: string | null
  from: string | null
  to: string | null
  /** 0 at `from`, 1 at `to`. */
  fraction: number
  phase: HopPhase
  /** Players cannot reach the game now. */
  down: boolean
}

export interface HopMotionInput {
  tour: { hosts: { name: string }[] } | null
  currentHost: string | null
  steps: StepEvent[]
  hopRunning: boolean
  nextHost: string | null
}

/** Share of the way pre-copy snapshots may take the marker; the final copy does the rest. */
export const PRE_COPY_SHARE = 0.7
/** Post-copy: how far the small non-memory image, the restore, then the lazy pages take it. */
const LAZY_TRANSFER_END = 0.2
const LAZY_RESTORED = 0.5

const SOURCE_STEPS: ReadonlySet<StepName> = new Set(['preflight', 'snapshot', 'snapshot-transfer', 'checkpoint', 'transfer'])
const DEST_STEPS: ReadonlySet<StepName> = new Set(['ip-move', 'page-server', 'restore', 'verify'])

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0)

/** Done share of a progress event: bytes when both are known, else rsync's "NN%" words. */
function doneShare(e: StepEvent): number | null {
  if (e.bytesTotal && e.bytesTotal > 0 && e.bytesDone !== undefined) return clamp01(e.bytesDone / e.bytesTotal)
  const m = e.detail?.match(/^(\d+(?:\.\d+)?)%$/)
  return m ? clamp01(Number(m[1]) / 100) : null
}

/** The hop's two ends: hosts of source- and destination-side steps, else the hop id (`n-from-to-time`). */
export function hopEnds(steps: StepEvent[], hostNames: string[]): { from: string | null; to: string | null } {
  let from: string | null = null
  let to: string | null = null
  for (const e of steps) {
    if (!e.host || e.step === 'rollback') continue
    if (!from && SOURCE_STEPS.has(e.step)) from = e.host
    if (!to && DEST_STEPS.has(e.step)) to = e.host
  }
  const id = steps[0]?.hopId
  if (id && (!from || !to)) {
    for (const a of hostNames) {
      for (const b of hostNames) {
        if (a !== b && new RegExp(`^\\d+-${escape(a)}-${escape(b)}-[0-9a-z]+$`).test(id)) return { from: from ?? a, to: to ?? b }
      }
    }
  }
  return { from, to }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

interface Walk {
  fraction: number
  phase: HopPhase
  down: boolean
  rollback: 'none' | 'to-source' | 'settle'
}

/** Replays one hop's events: how far the image got and what the hop is doing now. */
function walk(steps: StepEvent[], to: string | null): Walk {
  let f = 0
  let lazy = false
  let firstImage: number | null = null
  const iter = { base: 0, span: 0, image: null as number | null }
  let tail = 0 // where the final checkpoint found the marker
  let snap = false
  let frozen = false
  let restoring = false
  let restored = false
  let served = false
  let lazyDone = false
  let failed = false
  let rollback: Walk['rollback'] = 'none'
  const tailAt = (share: number) => tail + (1 - tail) * share
  const iterSpan = () => {
    const w = firstImage && iter.image ? Math.max(0.15, Math.min(0.6, (0.6 * iter.image) / firstImage)) : 0.5
    return (PRE_COPY_SHARE - iter.base) * w
  }
  for (const e of steps) {
    const share = e.phase === 'end' ? 1 : e.phase === 'progress' ? doneShare(e) : null
    if (e.phase === 'fail' && e.step !== 'cleanup' && e.step !== 'rollback') failed = true
    switch (e.step) {
      case 'preflight':
        if (e.phase === 'end' && e.detail && /post-copy/.test(e.detail.split(':')[0] ?? '')) lazy = true
        break
      case 'snapshot':
        snap = true
        if (e.phase === 'start') Object.assign(iter, { base: f, span: 0, image: null })
        if (e.phase === 'end' && e.bytesDone) {
          iter.image = e.bytesDone
          firstImage ??= e.bytesDone
        }
        // With shared storage no snapshot-transfer follows: the snapshot itself is the progress.
        if (e.phase === 'end') iter.span = iterSpan()
        break
      case 'snapshot-transfer':
        if (e.bytesTotal && !iter.image) {
          iter.image = e.bytesTotal
          firstImage ??= e.bytesTotal
          iter.span = iterSpan()
        }
        if (e.phase === 'start') iter.span = iterSpan()
        if (share !== null) f = Math.max(f, iter.base + iter.span * share)
        break
      case 'checkpoint':
        if (e.phase === 'start') {
          if (e.detail?.startsWith('lazy')) lazy = true
          // A snapshot without a transfer step (shared storage) arrived whole.
          if (snap) f = Math.max(f, iter.base + iter.span)
          tail = f
          frozen = true
        }
        break
      case 'transfer':
        frozen = true
        if (share !== null) f = Math.max(f, tail + (tailAt(lazy ? LAZY_TRANSFER_END : 1) - tail) * share)
        break
      case 'page-server':
        lazy = true
        break
      case 'restore':
        if (e.phase === 'start') restoring = true
        if (e.phase === 'end') {
          restored = true
          f = Math.max(f, lazy ? tailAt(LAZY_RESTORED) : 1)
        }
        break
      case 'verify':
        if (e.phase === 'end') served = true
        break
      case 'lazy-pages':
        lazy = true
        if (share !== null) f = Math.max(f, tailAt(LAZY_RESTORED + (1 - LAZY_RESTORED) * share))
        if (e.phase === 'end') lazyDone = true
        break
      case 'rollback':
        if (e.phase === 'start') rollback = e.host === to ? 'settle' : 'to-source'
        break
      default:
        break
    }
  }
  if (served && !lazy) f = 1
  if (rollback !== 'none') return { fraction: rollback === 'settle' ? f : 0, phase: 'rolling-back', down: rollback === 'to-source', rollback }
  if (failed) return { fraction: served ? f : 0, phase: 'failed', down: frozen && !served, rollback }
  if (served) return lazy && !lazyDone ? { fraction: f, phase: 'post-copy', down: false, rollback } : { fraction: 1, phase: 'arrived', down: false, rollback }
  if (restored) return { fraction: f, phase: 'outage', down: true, rollback }
  if (restoring) return { fraction: f, phase: 'restoring', down: true, rollback }
  if (frozen) return { fraction: f, phase: 'frozen', down: true, rollback }
  return { fraction: f, phase: snap ? 'snapshot' : 'preparing', down: false, rollback }
}

export function hopMotion(i: HopMotionInput): HopMotion {
  const idle: HopMotion = { hopId: null, from: i.currentHost, to: i.currentHost, fraction: 0, phase: 'idle', down: false }
  if (!i.tour) return idle
  const names = i.tour.hosts.map((h) => h.name)
  const ends = hopEnds(i.steps, names)
  const hopId = i.steps[0]?.hopId ?? null
  if (i.hopRunning) {
    if (!i.currentHost) return idle
    // Until the new hop's first event the list still holds the previous hop's.
    const own = ends.from === i.currentHost
    const steps = own ? i.steps : []
    const to = (own ? ends.to : null) ?? i.nextHost
    if (!to || to === i.currentHost) return idle
    const w = walk(steps, to)
    return { hopId: own ? hopId : null, from: i.currentHost, to, fraction: w.fraction, phase: w.phase, down: w.down }
  }
  // After the hop: the engine's word on where the game runs settles it.
  const { from, to } = ends
  if (!from || !to || i.steps.length === 0) return idle
  if (i.currentHost === to) return { hopId, from, to, fraction: 1, phase: 'arrived', down: false }
  const w = walk(i.steps, to)
  if (i.currentHost === from) return { hopId, from, to, fraction: 0, phase: w.rollback !== 'none' ? 'rolled-back' : 'failed', down: false }
  if (i.currentHost === null) return { hopId, from, to, fraction: w.fraction, phase: 'failed', down: true }
  return idle
}

/** Phases in which the marker may travel back towards the source. */
export const goesBack = (p: HopPhase) => p === 'rolling-back' || p === 'rolled-back' || p === 'failed' || p === 'idle'

/**
 * Target fraction that never falls back during a hop's forward travel: the event list is capped,
 * and a replay that lost its oldest events must not pull the marker back.
 */
export function holdForward(prev: { hopId: string | null; fraction: number } | null, m: HopMotion): number {
  if (!prev || goesBack(m.phase) || prev.hopId !== m.hopId || m.hopId === null) return m.fraction
  return Math.max(prev.fraction, m.fraction)
}

/**
 * One frame of easing from the shown fraction towards the target: exponential, so progress
 * events a few times a second read as continuous travel, and a convex step never overshoots.
 */
export function easeFraction(shown: number, target: number, dtMs: number, tauMs = 100): number {
  const k = 1 - Math.exp(-Math.max(0, dtMs) / tauMs)
  const next = shown + (target - shown) * k
  return Math.abs(target - next) < 5e-4 ? target : next
}

/** The game marker's tag: what players live through now, in a word or two (null: no tag). */
export const PHASE_WORDS: Record<HopPhase, string | null> = {
  idle: null,
  preparing: 'preparing',
  snapshot: 'pre-copy · serving',
  frozen: 'frozen',
  restoring: 'restoring',
  outage: 'outage',
  'post-copy': 'post-copy · serving',
  arrived: null,
  'rolling-back': 'rolling back',
  'rolled-back': null,
  failed: 'failed',
}
