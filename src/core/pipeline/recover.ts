// `globehop recover`: ask every host what runs where, read the journal's unfinished hop, and
// repair what can safely be repaired (recover-plan.ts decides). A host that cannot be reached is
// retried for a bounded time afterwards, so its keepalived cannot take the floating IP back
// when its link returns.
import type { Tour } from '../../shared/tour'
import type { Remote } from '../ssh/types'
import { holdsFloatingIp } from '../floating-ip/move'
import { readTrackFile, writeTrackFile, writeTrackFileFenced, addAddress, delAddress } from '../floating-ip/argv'
import { waitForStatus } from './game-query'
import { errorText } from './hop-context'
import { openHop, readJournal, type Journal, type OpenHop } from './journal'
import { ipClaim, restoreClaim } from './paths'
import { withNullStdio } from './plan'
import { planRecovery, type HostSurvey, type ImageOnHost, type RecoveryAction, type RecoveryPlan } from './recover-plan'
import { containerState, resumeIfPaused } from './remote-files'
import { runtimeOf } from './runtime/registry'
import { fragLine } from './steps/verify'
import { secs, withDeadline } from './watchdog'
import { fenceArgv, parseFence } from '../transfer/tail-chain'

export interface RecoverOptions {
  tour: Tour
  remote: (host: string) => Promise<Remote>
  journal: Journal
  journalFile: string
  /** One line per finding, action and retry. */
  say: (line: string) => void
  /** How long unreachable hosts are retried once the rest is repaired (default 120 s). */
  unreachableMs?: number
  /** Only report; change nothing. */
  dryRun?: boolean
}

export interface RecoverReport {
  open: OpenHop | null
  plan: RecoveryPlan
  done: string[]
  failed: string[]
  /** Hosts that stayed unreachable: their state (track file, a copy?) is unknown. */
  unreachable: string[]
  ok: boolean
  containerOn: string | null
}

// One round trip per host: every hop dir's technique marker, whole-image marker (CRIU's inventory,
// podman's archive: the runtime's `imageMarker`) and dump stats, mtime.
const LIST_IMAGES = [
  'for d in "$1"/*/; do [ -d "$d" ] || continue; d=${d%/}',
  't=$(head -c 32 "$d/technique" 2>/dev/null); i=0; s=0',
  '[ -f "$d/img/$2" ] && i=1; [ -f "$d/dump-work/$3" ] && s=1',
  'printf "%s\\t%s\\t%s\\t%s\\t%s\\n" "$d" "${t:--}" "$i" "$s" "$(stat -c %Y "$d")"; done',
].join('\n')

/** The survey of one container's hop dirs on a host (parseImageList reads its output). */
export function listImagesArgv(containerDir: string, imageMarker: string, dumpStats: string): string[] {
  return ['sh', '-c', LIST_IMAGES, 'sh', containerDir, imageMarker, dumpStats]
}

export function parseImageList(out: string): ImageOnHost[] {
  return out
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [hopDir, t, inv, dumped, m] = l.split('\t')
      return { hopDir: hopDir!, img: `${hopDir}/img`, technique: t && t !== '-' ? t : null, inventory: inv === '1', dumpedHere: dumped === '1', mtimeS: Number(m) || 0 }
    })
}

/** The open hop's destination, before it is surveyed: its restore claim (recover-plan.ts). */
interface Fence {
  host: string
  hopDir: string
  say: (line: string) => void
}

const FENCE_WAIT_MS = 60_000

async function surveyHost(tour: Tour, name: string, get: () => Promise<Remote>, fence?: Fence): Promise<HostSurvey> {
  const base: HostSurvey = { host: name, reachable: false, container: 'unknown', holdsIp: false, trackOwner: null, images: [] }
  try {
    const r = withDeadline(await get(), 15_000)
    if (fence?.host === name) {
      // The hop's restore gate may still be about to restore there: claim the restore first (or
      // let it end), so what this survey sees cannot change behind recover's back.
      const c = restoreClaim(fence.hopDir)
      const out = await r.run(fenceArgv({ hopDir: fence.hopDir, claim: c.restoreClaim, done: c.restoreDone, held: c.restoreHeld, go: c.restoreGo }, FENCE_WAIT_MS), { timeoutMs: FENCE_WAIT_MS + 10_000, log: false })
      const got = parseFence(out.stdout)
      fence.say(`${name}: restore claim of the unfinished hop: ${got ?? 'unknown'}`)
      if (got === 'restore still running') throw new Error(`a restore of the unfinished hop still runs there after ${secs(FENCE_WAIT_MS)}`)
    }
    const f = tour.floatingIp
    const [st, ip, track, imgs] = await Promise.all([
      containerState(r, runtimeOf(tour), tour.container.id),
      holdsFloatingIp(r, f.address),
      f.method === 'keepalived' ? r.run(readTrackFile(f.trackFile), { allowFail: true, log: false }) : null,
      r.run(listImagesArgv(`${tour.options.imageDir}/${tour.container.id}`, runtimeOf(tour).imageMarker, runtimeOf(tour).stats.dump), { allowFail: true, log: false }),
    ])
    return { ...base, reachable: true, container: st.state, holdsIp: ip, trackOwner: track && track.code === 0 ? track.stdout.trim() === '1' : null, images: parseImageList(imgs.stdout) }
  } catch (err) {
    return { ...base, error: errorText(err) }
  }
}

export async function recover(o: RecoverOptions): Promise<RecoverReport> {
  const open = openHop(readJournal(o.journalFile))
  const names = o.tour.hosts.map((h) => h.name)
  // A restore the hop let start (dstRestoreStarted: its gate got the go-ahead) may still be on its way.
  const fence = open && !o.dryRun && open.reached.includes('dstRestoreStarted') && !open.reached.includes('dstRunning') ? { host: open.to, hopDir: open.hopDir, say: o.say } : undefined
  const surveys = await Promise.all(names.map((n) => surveyHost(o.tour, n, () => o.remote(n), fence)))
  let plan = planRecovery(surveys, open)
  // Blocked only because a host cannot be asked: wait for it (bounded), then decide again.
  if (plan.blocked && !o.dryRun && surveys.some((s) => !s.reachable) && plan.blockedBy === 'unreachable') {
    const budget = o.unreachableMs ?? 120_000
    const deadline = Date.now() + budget
    for (const f of plan.findings) o.say(`found: ${f}`)
    o.say(`waiting up to ${secs(budget)} for ${surveys.filter((s) => !s.reachable).map((s) => s.host).join(', ')}: ${plan.blocked}`)
    while (Date.now() < deadline && surveys.some((s) => !s.reachable)) {
      await new Promise((r) => setTimeout(r, Math.min(3000, Math.max(0, deadline - Date.now()))))
      for (const [i, s] of surveys.entries()) if (!s.reachable) surveys[i] = await surveyHost(o.tour, s.host, () => o.remote(s.host), fence)
      const still = surveys.filter((s) => !s.reachable).map((s) => s.host)
      o.say(still.length ? `still unreachable: ${still.join(', ')} (${secs(Math.max(0, deadline - Date.now()))} left)` : 'every host answers again')
    }
    plan = planRecovery(surveys, open)
  }
  for (const f of plan.findings) o.say(`found: ${f}`)
  const done: string[] = []
  const failed: string[] = []
  if (o.dryRun) {
    for (const a of plan.actions) o.say(`would: ${describe(a)}`)
    if (plan.blocked) o.say(`cannot: ${plan.blocked}`)
    return { open, plan, done, failed, unreachable: surveys.filter((s) => !s.reachable).map((s) => s.host), ok: !plan.blocked, containerOn: plan.keep }
  }
  for (const a of plan.actions) {
    try {
      const line = await act(o, a, surveys, open)
      done.push(line)
      o.say(`did: ${line}`)
    } catch (err) {
      const line = `${describe(a)} FAILED: ${errorText(err)}`
      failed.push(line)
      o.say(line)
    }
  }
  if (plan.blocked) o.say(`cannot: ${plan.blocked}`)
  // Hosts we could not ask: keep trying, so none of them keeps (or later takes) the IP.
  const unreachable = await chaseUnreachable(o, surveys.filter((s) => !s.reachable).map((s) => s.host), plan.keep, open)
  const ok = !plan.blocked && failed.length === 0 && unreachable.length === 0
  const detail = ok ? `the game runs on ${plan.keep ?? 'no host'}` : [plan.blocked, ...failed, unreachable.length ? `unreachable: ${unreachable.join(', ')}` : ''].filter(Boolean).join('; ')
  o.journal.record({ event: 'recovered', hopId: open?.hopId ?? null, containerOn: plan.keep, detail })
  return { open, plan, done, failed, unreachable, ok, containerOn: ok || failed.length === 0 ? plan.keep : null }
}

function describe(a: RecoveryAction): string {
  switch (a.kind) {
    case 'stop':
      return `stop the copy on ${a.host} (${a.why})`
    case 'resume':
      return `resume the paused container on ${a.host}`
    case 'restore':
      return `restore on ${a.host} from ${a.img} (${a.why})`
    case 'ip-owner':
      return `floating IP to ${a.host} only`
    case 'verify':
      return `check the game answers at the floating IP`
  }
}

async function act(o: RecoverOptions, a: RecoveryAction, surveys: HostSurvey[], open: OpenHop | null): Promise<string> {
  const id = o.tour.container.id
  const f = o.tour.floatingIp
  switch (a.kind) {
    case 'stop': {
      await withDeadline(await o.remote(a.host), 30_000).run(runtimeOf(o.tour).forceDelete(id))
      return `stopped and removed the copy on ${a.host}`
    }
    case 'resume': {
      await withDeadline(await o.remote(a.host), 30_000).run(runtimeOf(o.tour).resume(id))
      return `resumed the paused container on ${a.host}`
    }
    case 'restore': {
      const r = withDeadline(await o.remote(a.host), 120_000)
      const st = surveys.find((s) => s.host === a.host)?.container
      if (st === 'stopped' || st === 'created') await r.run(runtimeOf(o.tour).forceDelete(id))
      const t0 = Date.now()
      await r.run(withNullStdio(runtimeOf(o.tour).restore({ id, bundle: o.tour.container.bundle, imagePath: a.img, workPath: `${a.hopDir}/recover-work` }), `${a.hopDir}/recover.err`))
      const paused = (await resumeIfPaused(r, runtimeOf(o.tour), id)) ? ' (it came back paused: resumed)' : ''
      return `restored the container on ${a.host} from ${a.img} in ${((Date.now() - t0) / 1000).toFixed(2)} s${paused}`
    }
    case 'ip-owner': {
      const owner = withDeadline(await o.remote(a.host), 20_000)
      const others = surveys.filter((s) => s.reachable && s.host !== a.host)
      // The new owner first: the IP must never be left with nobody wanting it.
      if (f.method === 'keepalived') await owner.run(trackWrite(o, open, a.host, true))
      await Promise.all(
        others.map(async (s) => {
          const r = withDeadline(await o.remote(s.host), 20_000)
          if (f.method === 'keepalived') await r.run(trackWrite(o, open, s.host, false))
          else await r.run(delAddress(f.address, f.prefix, f.interface), { allowFail: true })
        }),
      )
      if (f.method === 'manual' && !(await holdsFloatingIp(owner, f.address))) await owner.run(addAddress(f.address, f.prefix, f.interface))
      const deadline = Date.now() + 10_000
      while (!(await holdsFloatingIp(owner, f.address))) {
        if (Date.now() > deadline) throw new Error(`${a.host} did not take ${f.address} within 10 s`)
        await new Promise((r) => setTimeout(r, 100))
      }
      return `${f.address} on ${a.host}${others.length ? `; released by ${others.map((s) => s.host).join(', ')}` : ''}`
    }
    case 'verify': {
      const s = await waitForStatus(f.address, o.tour.container.gamePort, 15_000)
      if (!s) throw new Error(`no reply from the game at ${f.address}:${o.tour.container.gamePort}`)
      return `the game answers at ${f.address} (${fragLine(s)})`
    }
  }
}

/**
 * A track-file write. On the unfinished hop's two hosts it takes the hop's IP claim first: the go
 * line of that hop's move may still sit in a dead engine's TCP stream (floating-ip/argv.ts).
 */
function trackWrite(o: RecoverOptions, open: OpenHop | null, host: string, owner: boolean): string[] {
  const file = o.tour.floatingIp.trackFile
  return open && (host === open.from || host === open.to) ? writeTrackFileFenced(file, owner, ipClaim(open.hopDir)) : writeTrackFile(file, owner)
}

/** Retries each unreachable host for a bounded time: give up the IP there, stop any copy there. */
async function chaseUnreachable(o: RecoverOptions, hosts: string[], keep: string | null, open: OpenHop | null): Promise<string[]> {
  if (hosts.length === 0) return []
  const budget = o.unreachableMs ?? 120_000
  const deadline = Date.now() + budget
  const left = new Set(hosts)
  o.say(`retrying ${hosts.join(', ')} for up to ${secs(budget)}, so the floating IP cannot go back there when the link returns`)
  while (left.size > 0 && Date.now() < deadline) {
    for (const h of [...left]) {
      const s = await surveyHost(o.tour, h, () => o.remote(h))
      if (!s.reachable) continue
      left.delete(h)
      const r = withDeadline(await o.remote(h), 20_000)
      const did: string[] = []
      if (s.container === 'running' || s.container === 'paused' || s.container === 'created') {
        if (keep && keep !== h) {
          await r.run(runtimeOf(o.tour).forceDelete(o.tour.container.id))
          did.push(`stopped its ${s.container} copy (the game runs on ${keep})`)
        }
      }
      if (o.tour.floatingIp.method === 'keepalived' && keep !== h) {
        await r.run(trackWrite(o, open, h, false))
        did.push('track file set to 0')
      }
      o.say(`${h} is back: ${did.join('; ') || 'nothing to change'}`)
    }
    if (left.size === 0) break
    o.say(`still unreachable: ${[...left].join(', ')} (${secs(Math.max(0, deadline - Date.now()))} left)`)
    await new Promise((r) => setTimeout(r, Math.min(3000, Math.max(0, deadline - Date.now()))))
  }
  if (left.size > 0) {
    const f = o.tour.floatingIp
    o.say(
      `gave up on ${[...left].join(', ')} after ${secs(budget)}: when it returns, set ${f.method === 'keepalived' ? `${f.trackFile} to 0 there` : `remove ${f.address} there`} and make sure no copy of "${o.tour.container.id}" runs there (or run \`globehop recover\` again)`,
    )
  }
  return [...left]
}
