import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HostSchema, SshTargetSchema, type Host } from '../../shared/tour'
import { stubCommands } from '../../../test/stub-commands'
import { FAST_TRY_MS, linkProbeArgv, parseLinkProbe, PROBE_BYTES, PROBE_TRIES } from './link'

const host = (address: string): Host => ({ name: 'montreal', label: 'Montreal', lat: 45.5, lon: -73.6, address, ssh: { host: address, port: 2222, user: 'root', agent: true } })

// The probe script run by the real sh, with ssh and ping replaced by recorders.
function runProbe(address: string, stubs: Record<string, string>) {
  const stub = stubCommands(stubs)
  const argv = linkProbeArgv(host(address))
  const r = spawnSync(argv[0]!, argv.slice(1), { env: stub.env, encoding: 'utf8', input: '', timeout: 30_000 })
  return { r, calls: stub.calls() }
}

describe('link probe: the address is never an option to ping or ssh', () => {
  it('the tour schema refuses such an address in the first place', () => {
    for (const v of ['-oProxyCommand=touch x', '-v', ' -v']) {
      expect(HostSchema.shape.address.safeParse(v).success, v).toBe(false)
      expect(SshTargetSchema.shape.host.safeParse(v).success, v).toBe(false)
    }
    expect(HostSchema.shape.address.safeParse('montreal.example.org').success).toBe(true)
  })

  it('passes `--` before the address to every ping and ssh, even for an address shaped like an option', () => {
    const address = '-oProxyCommand=touch globehop-pwned'
    const { r, calls } = runProbe(address, {
      ping: "echo 'rtt min/avg/max/mdev = 1.0/2.0/3.0/0.1 ms'",
      ssh: 'cat >/dev/null; exit 0',
    })
    expect(r.status).toBe(0)
    // An instant stub is a fast link: PROBE_TRIES tries of data and an empty command each.
    expect(calls.map((c) => c.name)).toEqual(['ping', 'ssh', ...Array<string[]>(PROBE_TRIES).fill(['ssh', 'ssh']).flat()])
    for (const c of calls) {
      const dd = c.args.indexOf('--')
      expect(dd, `${c.name} ${c.args.join(' ')}`).toBeGreaterThan(0)
      expect(c.args[dd + 1]).toBe(address)
      expect(c.args.slice(0, dd)).not.toContain(address)
    }
    expect(calls[0]!.args).toEqual(['-c', '3', '-i', '0.2', '-q', '--', address])
    expect(calls.slice(1, 4).map((c) => c.args.slice(c.args.indexOf('--') - 4))).toEqual([
      ['-p', '2222', '-l', 'root', '--', address, 'true'],
      ['-p', '2222', '-l', 'root', '--', address, 'cat >/dev/null'],
      ['-p', '2222', '-l', 'root', '--', address, 'true'],
    ])
    expect(parseLinkProbe(r.stdout).rttMs).toBe(2)
  })

  it('tries again only while a try is fast (a stall is most of it there), and the fastest try counts', () => {
    // A slow link: its one try took longer than FAST_TRY_MS, so it is the measure.
    const slow = runProbe('198.51.100.13', { ping: 'exit 0', ssh: `cat >/dev/null; case "$*" in *cat*) sleep ${(FAST_TRY_MS + 50) / 1000} ;; esac` })
    expect(slow.r.status).toBe(0)
    expect(slow.calls.filter((c) => c.args.includes('cat >/dev/null'))).toHaveLength(1)
    expect(parseLinkProbe(slow.r.stdout).mbitPerSec).toBeLessThan((PROBE_BYTES * 8) / (FAST_TRY_MS * 1000))
    const out = 'xfer 61000 9000\nxfer 14000 9000\nxfer 16000 10000\n'
    expect(parseLinkProbe(out).mbitPerSec).toBeCloseTo((PROBE_BYTES * 8) / 5000, 5)
  })

  it('with the real OpenSSH client: the address after `--` is a host name, not -oProxyCommand (and without it, it would be)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-link-'))
    const mark = path.join(dir, 'pwned')
    // Real ssh, kept off the user's config and control sockets (the first -o given wins in ssh).
    const ssh = `exec /usr/bin/ssh -F /dev/null -o ControlMaster=no -o ControlPath=none -o ConnectTimeout=3 "$@"`
    const { calls } = runProbe(`-oProxyCommand=touch ${mark}`, { ping: 'exit 1', ssh })
    expect(calls.filter((c) => c.name === 'ssh')).toHaveLength(1)
    expect(existsSync(mark)).toBe(false)
    // The control: the same ssh call without `--` runs the command.
    const args = calls.find((c) => c.name === 'ssh')!.args.filter((a) => a !== '--')
    spawnSync('/usr/bin/ssh', ['-F', '/dev/null', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'ConnectTimeout=3', ...args], { input: '', timeout: 20_000 })
    expect(existsSync(mark)).toBe(true)
  })
})
