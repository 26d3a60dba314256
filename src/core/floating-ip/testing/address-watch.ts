// Lab only (tests and bench): watches every lab host's addresses with `ip monitor` in its network
// namespace and notes when the floating IP arrives on or leaves each one, on this process's clock.
// A host answers ARP for an address from the moment the kernel holds it, so "arrived on the
// destination" is the moment the destination answers ARP; an arrival anywhere else is a host
// that took the IP it should not have (a bystander's takeover), however briefly.
import { spawn, type ChildProcess } from 'node:child_process'

export interface AddressEvent {
  host: string
  added: boolean
  /** performance.now() when the line arrived. */
  at: number
  /** Date.now() then, for times from step events. */
  epoch: number
}

export interface AddressWatch {
  events: AddressEvent[]
  /** The first arrival on `host` at or after `since` (performance.now()), or undefined. */
  arrival(host: string, since: number): number | undefined
  stop(): void
}

/** Starts one `ip -n NETNS -o -4 monitor address` per host; resolves once all of them run. */
export async function watchAddress(hosts: readonly { name: string; netns: string }[], ip: string): Promise<AddressWatch> {
  const events: AddressEvent[] = []
  const procs: ChildProcess[] = []
  await Promise.all(
    hosts.map(
      (h) =>
        new Promise<void>((resolve, reject) => {
          const p = spawn('ip', ['-n', h.netns, '-o', '-4', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] })
          procs.push(p)
          let carry = ''
          p.stdout!.setEncoding('utf8')
          p.stdout!.on('data', (chunk: string) => {
            const [at, epoch] = [performance.now(), Date.now()]
            const lines = (carry + chunk).split('\n')
            carry = lines.pop() ?? ''
            for (const l of lines) if (l.includes(` inet ${ip}/`)) events.push({ host: h.name, added: !l.startsWith('Deleted'), at, epoch })
          })
          p.once('error', reject)
          p.once('spawn', () => resolve())
        }),
    ),
  )
  // `ip monitor` subscribes right after it starts: give it a moment before anything moves.
  await new Promise((r) => setTimeout(r, 100))
  return {
    events,
    arrival: (host, since) => events.find((e) => e.host === host && e.added && e.at >= since)?.at,
    stop: () => {
      for (const p of procs) p.kill('SIGTERM')
    },
  }
}
