// Moves the floating IP between two hosts with the tour's method and waits until it arrived.
//
// keepalived (lab/templates/keepalived.conf): the track file holds 1 on the owner and 0 elsewhere,
// tracked with weight 0 reverse, so 0 is FAULT: outside a move only the owner takes part in VRRP.
// keepalived reads the file on every close-after-write (inotify, no polling). A move writes 1 on
// the destination (FAULT -> BACKUP) and 0 on the source: leaving MASTER for FAULT it sends a
// priority-0 advert, and the destination takes over after its skew time (~1 ms) instead of a
// Master_Down_Interval (3 x advert_int + skew after the last advert it accepted: RFC 5798 6.4.2).
// Measured on the lab from the decision to the destination holding the IP (answering ARP),
// (move.lab.test.ts, 2 cores shared with builds): preemption (the old weight-100 setup) 526-833 ms;
// this with down_timer_adverts 1 (a destination that lost the race below waits 1 advert_int, not
// 3): stuttgart <-> strasbourg 155-208 ms, strasbourg -> montreal 249-299 ms, montreal ->
// strasbourg 319-394 ms on a quiet machine (load 1); the far host's own SSH command starts ~2 RTT
// after it is sent: hence the armed move below.
// Two earlier findings stay true: with preemption the new owner only starts its 322 ms timer once
// its own write lands (an SSH command costs ~1.5 RTT before it runs), and a priority-0 advert
// while bystanders sat in BACKUP let far ones take the IP for a moment (their timers ran out before
// the new owner's first advert reached them). Bystanders in FAULT ignore adverts: no takeover.
// The one race left: the destination must be a BACKUP before the source's priority-0 advert
// reaches it. The source waits `releaseDelay` before its write, from the hosts' measured command
// start times; a loss only costs time (the destination, alone in BACKUP, takes over one
// Master_Down_Interval, 1 advert_int, after its write, and nobody else can), never a second holder.
// The move starts at the freeze, beside the dump, in one round trip: each host gets one command
// that writes its track file and then watches its own addresses until the IP arrived (or left).
// Armed (a `trigger`), both commands open before the freeze and write on the engine's go line,
// one one-way delay after the trigger instead of a command start (~2.5 RTT, ~330 ms to Montreal).
// Both lines leave at once; the source's advert then needs one more host-to-host delay to reach
// the destination (o_s + o_sd >= o_d), so its write follows after ARMED_RELEASE_MS only.
import { PassThrough } from 'node:stream'
import type { Tour } from '../../shared/tour'
import { RemoteCommandError, type Remote } from '../ssh/types'
import { addAddress, awaitAddress, delAddress, FENCED_EXIT, gratuitousArp, holdsAddress, listAddresses, NOT_TRIGGERED_EXIT } from './argv'

export async function holdsFloatingIp(r: Remote, ip: string, signal?: AbortSignal): Promise<boolean> {
  const res = await r.run(listAddresses(), { signal })
  return holdsAddress(res.stdout, ip)
}

/** Per host: ms from sending a move command to its first line (channel open, exec, one way back). */
const answerMs = new Map<string, number>()
/** What the source adds to its wait beyond the estimate, ms; also its wait before any estimate. */
const RELEASE_MARGIN_MS = 40
/** An armed source's wait after its go line: the destination's shell reading its own and writing. */
const ARMED_RELEASE_MS = 10

/**
 * How long the source waits before its write so that its priority-0 advert reaches the destination
 * after the destination's own write. Measured on the lab, a command's first line comes back after
 * ~2.5 RTT (`answer`: ~5 one-way delays `o`), so it started at ~0.8 x answer; the advert needs
 * the source's and the destination's one-way delays (o_s + o_d, host to host through the same
 * paths as in the lab). wait = start_d - start_s - (o_s + o_d) = 0.6 answer_d - answer_s. A wrong
 * guess elsewhere only costs the slow path, never a second holder. Exported for the unit test.
 */
export function releaseDelayMs(srcAnswerMs: number | undefined, dstAnswerMs: number | undefined): number {
  if (srcAnswerMs === undefined || dstAnswerMs === undefined) return RELEASE_MARGIN_MS
  return Math.round(Math.min(1000, Math.max(0, 0.6 * dstAnswerMs - srcAnswerMs) + RELEASE_MARGIN_MS))
}

export interface MoveOptions {
  timeoutMs?: number
  signal?: AbortSignal
  /** keepalived: open both commands now, write when this resolves true; false calls the move off. */
  trigger?: Promise<boolean>
  /** keepalived: the hop's IP claim, the same path on both hosts (argv.ts writeTrackFileFenced). */
  claim?: string
}

/** Gives the IP to `to` and takes it from `from`; resolves once `to` holds it and `from` not. */
export async function moveFloatingIp(tour: Tour, from: Remote, to: Remote, opts: MoveOptions = {}): Promise<void> {
  const f = tour.floatingIp
  const timeoutMs = opts.timeoutMs ?? 8000
  const signal = opts.signal
  if (f.method === 'keepalived') {
    // Both at once; the source's write waits for the destination's to land first.
    const trigger = opts.trigger
    const delayMs = trigger ? ARMED_RELEASE_MS : releaseDelayMs(answerMs.get(from.host.name), answerMs.get(to.host.name))
    const watch = async (r: Remote, owner: boolean) => {
      const sent = performance.now()
      let first = true
      const onLine = () => {
        if (first) answerMs.set(r.host.name, performance.now() - sent)
        first = false
      }
      const track = { file: f.trackFile, owner, delayMs: owner ? 0 : delayMs, armed: !!trigger, claim: opts.claim }
      const stdin = trigger ? new PassThrough() : undefined
      if (stdin) trigger!.then((go) => stdin.end(go ? 'go\n' : undefined), () => stdin.end())
      const res = await r.run(awaitAddress(f.address, owner, timeoutMs, track), { signal, allowFail: true, onLine, stdin })
      if (res.code === NOT_TRIGGERED_EXIT) throw new Error(`the move of ${f.address} was called off before the freeze (${r.host.name} wrote nothing)`)
      if (res.code === FENCED_EXIT) throw new Error(`the move of ${f.address} came after the rollback had claimed ${r.host.name}'s track file (it wrote nothing)`)
      if (res.code === 3) return `${r.host.name}: ${owner ? 'does not hold it' : 'still holds it'}`
      if (res.code !== 0) throw new RemoteCommandError(r.host.name, `write ${f.trackFile} and watch for ${f.address}`, res.code, res.stderr.trim().split('\n').slice(-3).join(' | '))
      return null
    }
    const missed = (await Promise.all([watch(to, true), watch(from, false)])).filter((m) => m !== null)
    if (missed.length > 0) throw new Error(`floating IP ${f.address} did not move to ${to.host.name} within ${timeoutMs} ms (${missed.join(', ')})`)
    return
  }
  await from.run(delAddress(f.address, f.prefix, f.interface), { allowFail: true })
  if (!(await holdsFloatingIp(to, f.address))) await to.run(addAddress(f.address, f.prefix, f.interface))
  // The address already works; the ARP only speeds up neighbours, so its failure is not fatal.
  await to.run(gratuitousArp(f.address, f.interface), { allowFail: true })
  await waitForOwner(tour, from, to, timeoutMs, signal)
}

/** Polls both hosts until `to` holds the IP and `from` does not. */
export async function waitForOwner(tour: Tour, from: Remote, to: Remote, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const ip = tour.floatingIp.address
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [onTo, onFrom] = await Promise.all([holdsFloatingIp(to, ip, signal), holdsFloatingIp(from, ip, signal)])
    if (onTo && !onFrom) return
    if (Date.now() > deadline) {
      throw new Error(
        `floating IP ${ip} did not move to ${to.host.name} within ${timeoutMs} ms (${to.host.name}: ${onTo ? 'holds it' : 'does not hold it'}, ${from.host.name}: ${onFrom ? 'still holds it' : 'released it'})`,
      )
    }
    if (signal?.aborted) throw new Error('floating IP move aborted')
    await new Promise((r) => setTimeout(r, 50))
  }
}
