// One Remote per tour host, opened in parallel and closed together.
import type { HostConnState } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import type { Emit } from '../events'
import { connectRemote, type ConnectRemoteOptions } from './session'
import type { Remote } from './types'

export interface ConnectAllOptions extends Omit<ConnectRemoteOptions, 'onState'> {
  /** Connection state per host, e.g. for HostView.conn. */
  onState?: (host: string, s: HostConnState, detail?: string) => void
  emit?: Emit
  /** Opens remotes (a test may pass a fake). Default: connectRemote. */
  connect?: typeof connectRemote
}

/** SSH errors already start with their host's name (they are shown alone too): never name it twice. */
function named(host: string, message: string): string {
  return message.startsWith(`${host}: `) ? message : `${host}: ${message}`
}

/** Some hosts could not be reached; `failures` has each host's reason, the message lists them all. */
export class ConnectAllError extends Error {
  constructor(readonly failures: Map<string, Error>) {
    super(`cannot connect to ${failures.size} host${failures.size > 1 ? 's' : ''}:\n${[...failures].map(([h, e]) => `- ${named(h, e.message)}`).join('\n')}`)
    this.name = 'ConnectAllError'
  }
}

export class SshPool {
  private readonly remotes = new Map<string, Remote>()
  private readonly pending = new Map<string, Promise<Remote>>()
  /** Bumped by cancelPending: attempts of an older generation are closed when they finish. */
  private generation = 0

  constructor(
    private readonly tour: Tour,
    private readonly opts: ConnectAllOptions = {},
  ) {}

  /** The Remote of one host, connecting on first use. */
  get(name: string): Promise<Remote> {
    const have = this.remotes.get(name)
    if (have) return Promise.resolve(have)
    const p = this.pending.get(name)
    if (p) return p
    const host = this.tour.hosts.find((h) => h.name === name)
    if (!host) return Promise.reject(new Error(`unknown host "${name}"; hosts are: ${this.tour.hosts.map((h) => h.name).join(', ')}`))
    const { connect = connectRemote, onState, ...rest } = this.opts
    const gen = this.generation
    const opening = connect(host, { ...rest, onState: (s, d) => gen === this.generation && onState?.(name, s, d) })
      .then(async (r) => {
        if (gen !== this.generation) {
          await r.close().catch(() => {})
          throw new Error(`${name}: the connection attempt was cancelled`)
        }
        this.remotes.set(name, r)
        return r
      })
      .finally(() => {
        if (this.pending.get(name) === opening) this.pending.delete(name)
      })
    this.pending.set(name, opening)
    return opening
  }

  /**
   * The host key globehop verified against the user's known_hosts when it connected to `name`
   * (null if it has not connected yet): what host-to-host ssh is told to expect (peer-known-hosts.ts).
   */
  verifiedHostKey(name: string): Buffer | null {
    return this.remotes.get(name)?.verifiedHostKey?.() ?? null
  }

  /** Connects every host of the tour at once; throws ConnectAllError naming each failing host. */
  async connectAll(): Promise<Map<string, Remote>> {
    const results = await Promise.allSettled(this.tour.hosts.map((h) => this.get(h.name)))
    const failures = new Map<string, Error>()
    results.forEach((r, i) => {
      if (r.status === 'rejected') failures.set(this.tour.hosts[i]!.name, r.reason instanceof Error ? r.reason : new Error(String(r.reason)))
    })
    if (failures.size > 0) throw new ConnectAllError(failures)
    // In tour order, whatever order the connections finished in.
    return new Map(this.tour.hosts.map((h) => [h.name, this.remotes.get(h.name)!]))
  }

  /**
   * Stops waiting for the connections still being opened (a cancel on stage must not sit out an
   * SSH timeout): their hosts go back to idle, and an attempt that still succeeds is closed.
   * Returns the names of the hosts that were still connecting.
   */
  cancelPending(): string[] {
    const names = [...this.pending.keys()]
    this.generation++
    this.pending.clear()
    for (const n of names) this.opts.onState?.(n, 'idle', 'connect cancelled')
    return names
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()])
    const all = [...this.remotes.values()]
    this.remotes.clear()
    await Promise.allSettled(all.map((r) => r.close()))
  }
}

/**
 * Connects to every host of the tour. On any failure the hosts that did connect are closed again
 * and a ConnectAllError names every host that failed and why.
 */
export async function connectAll(tour: Tour, opts: ConnectAllOptions = {}): Promise<Map<string, Remote>> {
  const pool = new SshPool(tour, opts)
  try {
    return await pool.connectAll()
  } catch (err) {
    await pool.close()
    throw err
  }
}
