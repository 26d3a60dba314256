// Moves the floating IP between two hosts with the tour's method and waits until it arrived.
//
// keepalived reads its track file on every close-after-write (inotify: no polling interval), and
// the takeover is VRRP preemption: the new owner (priority 200 now) ignores the old one's adverts
// (100 now) and becomes master when its Master_Down_Interval (3 x advert_int + skew, ~320 ms at
// advert_int 0.1) after the last accepted advert runs out (RFC 5798 6.4.2; keepalived.conf(5),
// "Track files", preempt_delay). The old owner keeps advertising until it hears the new one, so
// the other backups never see a silent link and never contend. A faster route, FAULT on the old
// owner and its priority-0 advert (the new owner then waits only its skew time), was measured on
// the lab and dropped: far backups' shorter timers ran out before the new owner's first advert
// reached them, and they took the IP for a moment.
// So the hop starts the move at the freeze, beside the dump, and the move is one round trip: each
// host gets one command that writes its track file and then watches its own addresses until the
// IP arrived (or left); no poll from here after the takeover.
import type { Tour } from '../../shared/tour'
import { RemoteCommandError, type Remote } from '../ssh/types'
import { addAddress, awaitAddress, delAddress, gratuitousArp, holdsAddress, listAddresses } from './argv'

export async function holdsFloatingIp(r: Remote, ip: string, signal?: AbortSignal): Promise<boolean> {
  const res = await r.run(listAddresses(), { signal })
  return holdsAddress(res.stdout, ip)
}

/** No takeover comes sooner than 2 advert intervals at the lab's advert_int 0.1 (lab/templates/keepalived.conf); with
 *  shorter intervals the IP still moves as fast, only its confirmation waits this long. */
const TAKEOVER_MIN_MS = 200

export interface MoveOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

/** Gives the IP to `to` and takes it from `from`; resolves once `to` holds it and `from` not. */
export async function moveFloatingIp(tour: Tour, from: Remote, to: Remote, opts: MoveOptions = {}): Promise<void> {
  const f = tour.floatingIp
  const timeoutMs = opts.timeoutMs ?? 8000
  const signal = opts.signal
  if (f.method === 'keepalived') {
    // Both at once: the new owner's priority rises while the old one's drops.
    const watch = async (r: Remote, owner: boolean) => {
      const res = await r.run(awaitAddress(f.address, owner, timeoutMs, { file: f.trackFile, owner, settleMs: TAKEOVER_MIN_MS }), { signal, allowFail: true })
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
