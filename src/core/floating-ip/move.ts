// Moves the floating IP between two hosts with the tour's method and waits until it arrived.
import type { Tour } from '../../shared/tour'
import type { Remote } from '../ssh/types'
import { addAddress, delAddress, gratuitousArp, holdsAddress, listAddresses, writeTrackFile } from './argv'

export async function holdsFloatingIp(r: Remote, ip: string, signal?: AbortSignal): Promise<boolean> {
  const res = await r.run(listAddresses(), { signal })
  return holdsAddress(res.stdout, ip)
}

/** Gives the IP to `to` and takes it from `from`; resolves once `to` holds it and `from` not. */
export async function moveFloatingIp(tour: Tour, from: Remote, to: Remote, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const f = tour.floatingIp
  if (f.method === 'keepalived') {
    // Both writes at once: the new owner's priority rises while the old one's drops.
    const signal = opts.signal
    await Promise.all([to.run(writeTrackFile(f.trackFile, true), { signal }), from.run(writeTrackFile(f.trackFile, false), { signal })])
  } else {
    await from.run(delAddress(f.address, f.prefix, f.interface), { allowFail: true })
    if (!(await holdsFloatingIp(to, f.address))) await to.run(addAddress(f.address, f.prefix, f.interface))
    // The address already works; the ARP only speeds up neighbours, so its failure is not fatal.
    await to.run(gratuitousArp(f.address, f.interface), { allowFail: true })
  }
  await waitForOwner(tour, from, to, opts.timeoutMs ?? 8000, opts.signal)
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
