// The lab against the real thing: sshd with strict host keys, CRIU, the game at the floating
// IP with bots, emulated RTT and bandwidth, run-time link changes, and a clean `lab down`.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLOATING_IP, GAME_PORT, LAB_HOSTS, labDown, labLink, labStatus, labUp } from './index'
import { queryServer } from './query'
import { readState } from './state'
import { runDir } from './paths'
import { netnsList } from './net'
import { isRunning } from './procs'
import { hugePageMode, THP_ENABLED } from '../src/core/pipeline/host-facts'
import { connectStrict, type LabSsh } from './ssh-check'
import { labForTests, labResetGame } from './testing'

const lab = labForTests()
const sshDir = path.join(path.dirname(lab.tourPath), 'ssh')

function tcpConnectMs(host: string, port = 22): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const s = connect({ host, port })
    s.once('connect', () => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      s.destroy()
      resolve(ms)
    })
    s.once('error', reject)
  })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function medianRtt(ip: string, n = 7): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) xs.push(await tcpConnectMs(ip))
  return median(xs)
}

function ssh(host: string): Promise<LabSsh> {
  return connectStrict({ host, privateKeyFile: path.join(sshDir, 'id_ed25519'), knownHostsFile: path.join(sshDir, 'known_hosts') })
}

/** Mbit/s of a transfer over SSH: `up` sends to the host (its downlink), else receives (its uplink). */
async function sshRate(c: LabSsh, bytes: number, direction: 'to-host' | 'from-host'): Promise<number> {
  const t0 = Date.now()
  if (direction === 'to-host') {
    const r = await c.exec('wc -c', Buffer.alloc(bytes, 7))
    expect(Number(r.stdout.toString().trim())).toBe(bytes)
  } else {
    const r = await c.exec(`head -c ${bytes} /dev/urandom`)
    expect(r.stdout.length).toBe(bytes)
  }
  return (bytes * 8) / ((Date.now() - t0) / 1000) / 1e6
}

describe.skipIf(!lab.available)(`lab (real hosts in namespaces)${lab.available ? '' : `: skipped, ${lab.reason}`}`, () => {
  beforeAll(async () => {
    await labResetGame()
  })

  it('every host accepts the lab key with strict host key checking, and CRIU is usable inside', async () => {
    for (const h of LAB_HOSTS) {
      const c = await ssh(h.ip)
      try {
        expect((await c.exec('hostname')).stdout.toString().trim()).toBe(h.name)
        const check = await c.exec('criu check 2>&1')
        expect(check.stdout.toString(), `${h.name}: criu check`).toContain('Looks good.')
        expect(check.code).toBe(0)
        expect((await c.exec('criu --version')).stdout.toString()).toMatch(/Version: 4\.([2-9]|\d\d)/)
      } finally {
        c.end()
      }
    }
  })

  it('refuses a host whose key is not the one in known_hosts', async () => {
    // strasbourg's address checked against stuttgart's entry only: must fail.
    const known = readFileSync(path.join(sshDir, 'known_hosts'), 'utf8')
    const stuttgartKey = known.split('\n').find((l) => l.startsWith('198.51.100.11,'))!.split(' ').slice(1).join(' ')
    const { writeFileSync, mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const fake = path.join(mkdtempSync(path.join(tmpdir(), 'ghlab-')), 'known_hosts')
    writeFileSync(fake, `198.51.100.12 ${stuttgartKey}\n`)
    await expect(connectStrict({ host: '198.51.100.12', privateKeyFile: path.join(sshDir, 'id_ed25519'), knownHostsFile: fake })).rejects.toThrow()
  })

  it('hosts reach each other by ssh with strict checking (the pipeline rsyncs host to host)', async () => {
    const c = await ssh('198.51.100.11')
    try {
      const r = await c.exec('ssh -o BatchMode=yes strasbourg hostname && rsync --version | head -1')
      expect(r.stderr).toBe('')
      expect(r.stdout.toString()).toMatch(/^strasbourg\nrsync\s+version 3\./)
    } finally {
      c.end()
    }
  })

  it('the game answers getinfo at the floating IP with bots, and their frags grow', async () => {
    const st = await labStatus()
    expect(st?.floatingIp.owners).toEqual(['stuttgart'])
    expect(st?.game.runningOn).toEqual(['stuttgart'])
    const info = await queryServer(FLOATING_IP, GAME_PORT, 'getinfo', 2000)
    expect(info.info.gamename).toBe('Nexuiz')
    expect(info.info.mapname).toBe('toxic')
    const total = async () => (await queryServer(FLOATING_IP, GAME_PORT, 'getstatus', 2000)).players.reduce((a, p) => a + p.frags, 0)
    const first = await queryServer(FLOATING_IP, GAME_PORT, 'getstatus', 2000)
    expect(Number(first.info.bots)).toBeGreaterThan(0)
    expect(first.players.length).toBe(Number(first.info.bots))
    const start = first.players.reduce((a, p) => a + p.frags, 0)
    let now = start
    const until = Date.now() + 90_000
    while (now <= start && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 3000))
      now = await total()
    }
    expect(now, 'sum of frags after up to 90 s').toBeGreaterThan(start)
  })

  it('RTT to each host matches its emulated link', async () => {
    const st = await labStatus()
    const tolerance = (rtt: number) => Math.max(4, rtt * 0.05)
    for (const h of LAB_HOSTS) {
      const rtt = await medianRtt(h.ip)
      const want = st!.shaping === 'off' ? 0 : h.rttMs
      console.log(`RTT ${h.name}: ${rtt.toFixed(1)} ms (emulated ${want} ms, ${st!.shaping})`)
      expect(rtt, h.name).toBeGreaterThanOrEqual(want - 0.5)
      expect(rtt, h.name).toBeLessThanOrEqual(want + tolerance(want))
    }
  })

  it('transfers to and from a remote host run at its tbf rate, the local host is unthrottled', async () => {
    const st = await labStatus()
    const c = await ssh('198.51.100.12')
    try {
      const down = await sshRate(c, 6_000_000, 'to-host')
      const upr = await sshRate(c, 6_000_000, 'from-host')
      console.log(`strasbourg: to host ${down.toFixed(2)} Mbit/s, from host ${upr.toFixed(2)} Mbit/s (tbf 10 Mbit/s, ${st!.shaping})`)
      // tbf counts Ethernet frames: SSH/TCP/IP headers leave ~93-96% of the rate as payload;
      // slow start over the 50 ms RTT costs a little more on 6 MB.
      for (const r of [down, upr]) {
        expect(r).toBeGreaterThan(7.5)
        expect(r).toBeLessThan(10.2)
      }
    } finally {
      c.end()
    }
    const local = await ssh('198.51.100.11')
    try {
      const r = await sshRate(local, 20_000_000, 'to-host')
      console.log(`stuttgart: to host ${r.toFixed(1)} Mbit/s (unthrottled)`)
      expect(r).toBeGreaterThan(40)
    } finally {
      local.end()
    }
  })

  it('a link can be changed at run time and restored', async () => {
    await labLink('montreal', { delayMs: 10, rateMbit: 10 })
    const fast = await medianRtt('198.51.100.13')
    expect(fast).toBeGreaterThanOrEqual(19.5)
    expect(fast).toBeLessThan(26)
    await labLink('montreal', { delayMs: 66.5, rateMbit: 10 })
    const back = await medianRtt('198.51.100.13')
    expect(back).toBeGreaterThanOrEqual(132.5)
    expect(back).toBeLessThan(140)
    expect((await labStatus())!.hosts.find((h) => h.name === 'montreal')!.link).toMatchObject({ delayMs: 66.5, rateMbit: 10, rttMs: 133 })
  })

  describe('lab down', () => {
    afterAll(async () => {
      // Leave the lab up for the test files that follow.
      await labUp()
    })

    it('leaves no namespace, mount, process, cgroup, veth or sysctl change behind', async () => {
      const before = readState()!
      const pipeMaxBefore = before.sysctls['fs.pipe-max-size']
      const thpBefore = before.sysfs?.[THP_ENABLED]
      // Up, the hosts run with transparent huge pages always (preflight's huge-pages check).
      expect(hugePageMode(readFileSync(THP_ENABLED, 'utf8'))).toBe('always')
      await labDown()
      await labDown() // idempotent
      expect((await netnsList()).filter((n) => n.startsWith('ghlab-'))).toEqual([])
      expect(existsSync(runDir())).toBe(false)
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      expect(mounts).not.toContain(runDir())
      expect(mounts).not.toContain(before.cacheDir)
      expect(mounts).not.toMatch(/\/run\/netns\/ghlab-/)
      if (before.createdNetnsMount) expect(mounts.split('\n').some((l) => l.split(' ')[4] === '/run/netns')).toBe(false)
      for (const h of before.hosts) {
        expect(isRunning(h.initPid), `${h.name} init`).toBe(false)
        if (h.delaylinePid) expect(isRunning(h.delaylinePid), `${h.name} delay line`).toBe(false)
        for (const d of h.cgroups) expect(existsSync(d), d).toBe(false)
      }
      // No live process anywhere runs lab code: machines, delay lines, the game (by its config).
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        let cmd = ''
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
        } catch {
          continue
        }
        const ours = cmd.includes('ghlab-') || cmd.includes('machine-init.sh') || cmd.includes(before.cacheDir) || cmd.includes('+exec globehop.cfg')
        if (ours) expect(isRunning(Number(pid)), `pid ${pid}: ${cmd}`).toBe(false)
      }
      expect(readdirSync('/sys/class/net')).not.toContain('ghlab0')
      if (pipeMaxBefore) expect(readFileSync('/proc/sys/fs/pipe-max-size', 'utf8').trim()).toBe(pipeMaxBefore)
      if (thpBefore) expect(hugePageMode(readFileSync(THP_ENABLED, 'utf8'))).toBe(thpBefore)
      expect(await labStatus()).toBeNull()
    })
  })
})
