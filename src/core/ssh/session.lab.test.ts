// The SSH layer against the lab's real hosts (OpenSSH 10 in namespaced machines, emulated WAN
// RTTs): connectAll over the lab tour with strict host keys, hostile argv, the channel bound
// under load on every host at once, and kills as root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { labForTests } from '../../../lab/testing'
import type { HostConnState } from '../../shared/contract'
import type { Tour } from '../../shared/tour'
import { loadTour } from '../tour/load'
import { SshPool } from './pool'
import type { SshRemote } from './session'
import { RemoteTimeoutError, type Remote } from './types'

const lab = labForTests()
const HOSTILE = ['; rm -rf /', '$(id)', '`id`', '${HOME}', "it's", '"q"', 'a\nb', '*', '~', '#x', 'a=b', '-n', '', ' sp ', '\\', 'ünïcødé 🌍', '|&><']

describe.skipIf(!lab.available)(`ssh layer on the lab${lab.available ? '' : ` (skipped: ${lab.reason})`}`, { timeout: 60_000 }, () => {
  let tour: Tour
  let pool: SshPool
  let remotes: Map<string, Remote>
  const states = new Map<string, HostConnState[]>()

  beforeAll(async () => {
    tour = await loadTour(lab.tourPath)
    pool = new SshPool(tour, { sshConfig: null, onState: (h, s) => states.set(h, [...(states.get(h) ?? []), s]) })
    remotes = await pool.connectAll()
  }, 60_000)
  afterAll(async () => {
    await pool?.close()
  })

  it('connects to every host with strict host keys, in tour order', async () => {
    expect([...remotes.keys()]).toEqual(tour.hosts.map((h) => h.name))
    for (const h of tour.hosts) {
      expect(states.get(h.name)).toEqual(['connecting', 'connected'])
      expect((await remotes.get(h.name)!.run(['hostname'])).stdout.trim()).toBe(h.name)
    }
  })

  it('runs the tools the pipeline needs, with hostile argv intact on every host', async () => {
    await Promise.all(
      [...remotes.values()].map(async (r) => {
        expect((await r.run(['criu', '--version'])).stdout).toMatch(/Version: \d+\.\d+/)
        expect((await r.run(['runc', '--version'])).stdout).toMatch(/runc version \d+\.\d+/)
        const out = await r.run(['printf', '%s\\0', ...HOSTILE])
        expect(out.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE)
      }),
    )
  })

  it('keeps at most 8 channels per host open with 20 commands per host in flight', async () => {
    const t0 = Date.now()
    await Promise.all([...remotes.values()].flatMap((r) => Array.from({ length: 20 }, () => r.run(['sleep', '0.2'], { log: false }))))
    const ms = Date.now() - t0
    for (const r of remotes.values()) expect((r as SshRemote).channelStats.peak).toBeLessThanOrEqual(8)
    expect(ms).toBeGreaterThanOrEqual(600)
    console.log(`[ssh lab] 80 x sleep 0.2 over ${remotes.size} hosts: ${ms} ms`)
  })

  it('measures a command round trip per host over the kept-open connection', async () => {
    for (const [name, r] of remotes) {
      const xs: number[] = []
      for (let i = 0; i < 5; i++) xs.push((await r.run(['true'], { log: false })).ms)
      xs.sort((a, b) => a - b)
      console.log(`[ssh lab] ${name}: \`true\` median ${xs[2]} ms`)
      expect(xs[2]).toBeLessThan(2000)
    }
  })

  it('kills a timed-out command as root on OpenSSH 10 (process group kill)', async () => {
    const r = remotes.get(tour.hosts[0]!.name)!
    const err = await r.run(['sh', '-c', 'sleep 41.1 & sleep 41.2; wait'], { timeoutMs: 500 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteTimeoutError)
    await new Promise((res) => setTimeout(res, 300))
    for (const p of ['sleep 41.1', 'sleep 41.2']) expect((await r.run(['pgrep', '-fx', p], { allowFail: true })).code).toBe(1)
  })
})
