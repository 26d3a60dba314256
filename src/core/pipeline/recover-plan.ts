// What `globehop recover` should do, decided from what every host says (and the journal's open
// hop, when a process died mid-hop). Pure: the survey and the actions live in recover.ts.
// Rules: never two running copies; never restore while a host we cannot reach might still run
// the game; restore only from a complete, non-lazy image; the IP goes to the one running copy.
import { isLazyTechnique } from '../../shared/technique'
import type { ContainerState } from './facts'
import type { OpenHop } from './journal'

export interface ImageOnHost {
  hopDir: string
  img: string
  /** What the hop's prepare step wrote; null for directories of an older globehop. */
  technique: string | null
  /** The image is whole: CRIU wrote inventory.img (it does so last), or the runtime its own marker (podman: the renamed archive). */
  inventory: boolean
  /** The source's own dump finished (dump-work holds the runtime's stats file, written at the end of a dump). */
  dumpedHere: boolean
  mtimeS: number
}

export interface HostSurvey {
  host: string
  reachable: boolean
  error?: string
  container: ContainerState
  holdsIp: boolean
  /** keepalived track file: true = owner. null when unreadable or manual method. */
  trackOwner: boolean | null
  images: ImageOnHost[]
}

export type RecoveryAction =
  | { kind: 'stop'; host: string; why: string }
  | { kind: 'resume'; host: string }
  | { kind: 'restore'; host: string; img: string; hopDir: string; why: string }
  | { kind: 'ip-owner'; host: string }
  | { kind: 'verify'; host: string }

export interface RecoveryPlan {
  /** The host that runs the game afterwards; null when nothing can be done safely. */
  keep: string | null
  actions: RecoveryAction[]
  findings: string[]
  /** Why nothing (more) can be done, and what the operator can do. */
  blocked?: string
  /** What blocks: a host that cannot be asked (worth waiting for), or no image at all. */
  blockedBy?: 'unreachable' | 'no-image'
}


function restorable(s: HostSurvey, im: ImageOnHost, open: OpenHop | null): boolean {
  if (!im.inventory) return false
  const ofOpen = open && im.hopDir === open.hopDir
  const lazy = ofOpen ? open.lazy : im.technique === null || isLazyTechnique(im.technique)
  if (lazy) return false
  if (im.dumpedHere) return true
  // A destination's copy counts only when the journal saw the transfer finish.
  return Boolean(ofOpen && s.host === open.to && open.reached.includes('transferred'))
}

/** Whether a host we cannot reach might run the game now. */
function mightRun(host: string, open: OpenHop | null): boolean {
  if (!open) return true
  const r = new Set(open.reached)
  // A finished dump ends the source's tasks (a lazy one only once the destination runs); a
  // destination that never started a restore runs nothing.
  if (host === open.from) return !r.has('sourceDumped') && !r.has('dstRunning')
  if (host === open.to) return r.has('dstRestoreStarted')
  return false
}

export function planRecovery(surveys: HostSurvey[], open: OpenHop | null): RecoveryPlan {
  const findings: string[] = []
  if (open) findings.push(`journal: hop ${open.from} -> ${open.to} (${open.technique}) did not finish; it reached: ${open.reached.join(', ') || 'nothing irreversible'}`)
  else findings.push('journal: no unfinished hop')
  for (const s of surveys) {
    if (!s.reachable) findings.push(`${s.host}: unreachable (${s.error ?? 'no answer'})`)
    else findings.push(`${s.host}: container ${s.container}${s.holdsIp ? ', holds the floating IP' : ''}${s.trackOwner === true ? ', track file says owner' : ''}${s.images.length ? `, ${s.images.length} image dir(s)` : ''}`)
  }
  const up = surveys.filter((s) => s.reachable)
  const running = up.filter((s) => s.container === 'running')
  const actions: RecoveryAction[] = []

  if (running.length > 0) {
    // Never two copies: keep the one players reach (the IP holder), else the journal's choice.
    const served = open && (open.reached.includes('served') || open.reached.includes('dstRunning'))
    const keep =
      running.find((s) => s.holdsIp) ?? running.find((s) => s.host === (served ? open.to : open?.from)) ?? running[0]!
    for (const s of running) if (s !== keep) actions.push({ kind: 'stop', host: s.host, why: `a second running copy (the one on ${keep.host} is kept)` })
    // A paused or created leftover is a copy too (and blocks the next hop to its host).
    for (const s of up) if (s.container === 'paused' || s.container === 'created') actions.push({ kind: 'stop', host: s.host, why: `a ${s.container} copy (the one running on ${keep.host} is kept)` })
    actions.push({ kind: 'ip-owner', host: keep.host }, { kind: 'verify', host: keep.host })
    return { keep: keep.host, actions, findings }
  }

  const paused = up.filter((s) => s.container === 'paused')
  if (paused.length > 0) {
    const keep = paused[0]!
    for (const s of paused.slice(1)) actions.push({ kind: 'stop', host: s.host, why: 'a second (paused) copy' })
    actions.push({ kind: 'resume', host: keep.host }, { kind: 'ip-owner', host: keep.host }, { kind: 'verify', host: keep.host })
    return { keep: keep.host, actions, findings }
  }

  const unknownElsewhere = surveys.filter((s) => !s.reachable && mightRun(s.host, open))
  if (unknownElsewhere.length > 0) {
    const names = unknownElsewhere.map((s) => s.host).join(', ')
    return {
      keep: null,
      actions,
      findings,
      blockedBy: 'unreachable',
      blocked: `no reachable host runs the game, and ${names} cannot be asked whether it still does: restoring elsewhere could start a second copy. Bring ${names} back (or power it off for good) and run \`globehop recover\` again.`,
    }
  }

  // Newest complete image; the journal's source first (a failed hop goes back where it was).
  const candidates = up.flatMap((s) => s.images.filter((im) => restorable(s, im, open)).map((im) => ({ s, im })))
  candidates.sort((a, b) => {
    const pa = open && a.s.host === open.from && a.im.hopDir === open.hopDir ? 1 : 0
    const pb = open && b.s.host === open.from && b.im.hopDir === open.hopDir ? 1 : 0
    return pb - pa || b.im.mtimeS - a.im.mtimeS
  })
  const pick = candidates[0]
  if (!pick) {
    const lazy = open?.lazy ? ` The unfinished hop was ${open.technique}: its image holds no memory (the pages were on ${open.from}'s page server).` : ''
    return { keep: null, actions, findings, blockedBy: 'no-image', blocked: `no host runs the game and no complete image is left to restore from.${lazy} Start the container again by hand (runc run) on one host.` }
  }
  actions.push(
    { kind: 'restore', host: pick.s.host, img: pick.im.img, hopDir: pick.im.hopDir, why: `newest complete image (${pick.im.technique ?? 'unknown technique'}, ${pick.im.dumpedHere ? 'dumped there' : 'transferred there'})` },
    { kind: 'ip-owner', host: pick.s.host },
    { kind: 'verify', host: pick.s.host },
  )
  return { keep: pick.s.host, actions, findings }
}
