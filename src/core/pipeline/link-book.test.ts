// The session's link book: one probe per pair, shared by concurrent asks, and nothing remembered
// of a probe that failed or gave no rate.
import { describe, expect, it } from 'vitest'
import type { Host } from '../../shared/tour'
import type { Remote, RunResult } from '../ssh/types'
import { PEER_KNOWN_HOSTS } from '../ssh/peer-known-hosts'
import { LinkBook } from './link'

const host = (name: string, address: string): Host => ({ name, label: name, lat: 0, lon: 0, address, ssh: { host: address, port: 22, user: 'root', agent: false } })
const tour = { hosts: [host('stuttgart', '198.51.100.11'), host('strasbourg', '198.51.100.12')] }

/** A source whose probe prints each of `outs` in turn (then the last again), counting the probes. */
function source(outs: string[]): Remote & { probes: number } {
  const r = {
    probes: 0,
    host: tour.hosts[0]!,
    run: async (): Promise<RunResult> => {
      const out = outs[Math.min(r.probes, outs.length - 1)]!
      r.probes++
      return { code: 0, stdout: out, stderr: '', ms: 1 }
    },
    start: () => {
      throw new Error('not used')
    },
    close: async () => undefined,
  }
  return r
}

const GOOD = 'rtt min/avg/max/mdev = 0.1/0.2/0.3/0.1 ms\nxfer 12000 9000\n'

describe('LinkBook', () => {
  it('measures a pair once, for concurrent and later asks alike', async () => {
    const src = source([GOOD])
    const book = new LinkBook(tour, async () => src)
    const [a, b] = await Promise.all([book.measure(src, 'stuttgart', 'strasbourg'), book.measure(src, 'stuttgart', 'strasbourg')])
    expect(a.mbitPerSec).toBeGreaterThan(2000)
    expect(b).toBe(a)
    await book.measure(src, 'stuttgart', 'strasbourg')
    expect(src.probes).toBe(1)
  })

  it('measures again after a probe that gave no rate (its ssh did not get through)', async () => {
    const src = source(['rtt min/avg/max/mdev = 0.1/0.2/0.3/0.1 ms\n', GOOD])
    const book = new LinkBook(tour, async () => src)
    expect((await book.measure(src, 'stuttgart', 'strasbourg')).mbitPerSec).toBeNull()
    expect((await book.measure(src, 'stuttgart', 'strasbourg')).mbitPerSec).toBeGreaterThan(2000)
    await book.measure(src, 'stuttgart', 'strasbourg')
    expect(src.probes).toBe(2)
  })

  it('measures again after a probe that failed', async () => {
    const src = source([GOOD])
    let fail = true
    const flaky: Remote = { ...src, host: src.host, run: async (...a) => (fail ? Promise.reject(new Error('connection lost')) : src.run(...a)) }
    const book = new LinkBook(tour, async () => flaky)
    await expect(book.measure(flaky, 'stuttgart', 'strasbourg')).rejects.toThrow(/connection lost/)
    fail = false
    expect((await book.measure(flaky, 'stuttgart', 'strasbourg')).mbitPerSec).toBeGreaterThan(2000)
  })
})

describe('LinkBook.between (preflight, outside a hop)', () => {
  /** An ed25519 host key blob: the SSH wire format's type string, then 32 key bytes. */
  const blob = (fill: number) => {
    const t = Buffer.from('ssh-ed25519')
    const len = (n: number) => Buffer.from([0, 0, 0, n])
    return Buffer.concat([len(t.length), t, len(32), Buffer.alloc(32, fill)])
  }
  it("writes the pair's known_hosts for host-to-host ssh on both hosts before the probe", async () => {
    const calls: string[] = []
    const remote = (h: Host, fill: number): Remote => ({
      host: h,
      verifiedHostKey: () => blob(fill),
      run: async (argv, o): Promise<RunResult> => {
        const written = argv.includes(PEER_KNOWN_HOSTS)
        calls.push(`${h.name}: ${written ? `known_hosts ${String(o?.stdin).split('\n').length - 2} keys` : 'probe'}`)
        return { code: 0, stdout: written ? '' : GOOD, stderr: '', ms: 1 }
      },
      start: () => {
        throw new Error('not used')
      },
      close: async () => undefined,
    })
    const remotes = new Map(tour.hosts.map((h, i) => [h.name, remote(h, i + 1)]))
    const book = new LinkBook(tour, async (n) => remotes.get(n)!)
    expect((await book.between(['stuttgart', 'strasbourg']))?.mbitPerSec).toBeGreaterThan(2000)
    expect(calls.slice(0, 2).sort()).toEqual(['strasbourg: known_hosts 2 keys', 'stuttgart: known_hosts 2 keys'])
    expect(calls.slice(2)).toEqual(['stuttgart: probe'])
  })

  it('is null when a host cannot be reached', async () => {
    const book = new LinkBook(tour, () => Promise.reject(new Error('no route to host')))
    expect(await book.between(['stuttgart', 'strasbourg'])).toBeNull()
  })
})
