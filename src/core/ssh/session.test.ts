// Against a real OpenSSH server on 127.0.0.1 (see test-sshd.ts): strict host keys, hostile argv,
// streaming, errors, the channel bound, reconnect after a drop, timeouts and kills.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HostConnState } from '../../shared/contract'
import type { Emit } from '../events'
import { fingerprint } from './known-hosts'
import { connectAll, ConnectAllError } from './pool'
import { connectRemote, SshRemote } from './session'
import { startSshd, sshdUnavailable, type TestSshd } from './testing/test-sshd'
import { RemoteCommandError, RemoteTimeoutError, SshError } from './types'

const why = sshdUnavailable()

// Strings a shell would love to interpret.
const HOSTILE = ['; rm -rf /', '$(id)', '`id`', '${HOME}', "it's", '"q"', 'a\nb', '*', '~', '#x', 'a=b', '-n', '', ' sp ', '\\', 'ünïcødé 🌍', '|&><']

describe.skipIf(why !== null)(`ssh sessions against a real sshd${why ? ` (skipped: ${why})` : ''}`, { timeout: 20_000 }, () => {
  let sshd: TestSshd
  let remote: SshRemote
  const states: [HostConnState, string | undefined][] = []
  const logs: { stream: string; line: string }[] = []
  const emit: Emit = (name, payload) => {
    if (name === 'log') logs.push(payload as { stream: string; line: string })
  }

  beforeAll(async () => {
    sshd = await startSshd()
    remote = (await connectRemote(sshd.host(), { sshConfig: null, emit, onState: (s, d) => states.push([s, d]) })) as SshRemote
  }, 30_000)
  afterAll(async () => {
    await remote?.close()
    await sshd?.stop()
  })

  it('connects with strict checking and reports its state', async () => {
    expect(states[0]?.[0]).toBe('connecting')
    expect(states.at(-1)).toEqual(['connected', `root@127.0.0.1:${sshd.port}`])
    const r = await remote.run(['id', '-u'])
    expect(r).toMatchObject({ code: 0, stdout: '0\n', stderr: '' })
  })

  it('delivers hostile argv intact', async () => {
    const r = await remote.run(['printf', '%s\\0', ...HOSTILE])
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE)
  })

  it('streams stdout/stderr line by line as they come, and as log events', async () => {
    logs.length = 0
    const seen: { stream: string; line: string; at: number }[] = []
    const script = 'echo first; echo warn >&2; sleep 0.6; printf "p1\\rp2\\r\\n"; echo last'
    const t0 = Date.now()
    const r = await remote.run(['sh', '-c', script], { onLine: (stream, line) => seen.push({ stream, line, at: Date.now() - t0 }) })
    const end = Date.now() - t0
    expect(seen.map((s) => [s.stream, s.line])).toEqual(
      expect.arrayContaining([
        ['stdout', 'first'],
        ['stderr', 'warn'],
        ['stdout', 'p1'],
        ['stdout', 'p2'],
        ['stdout', 'last'],
      ]),
    )
    expect(seen.filter((s) => s.stream === 'stdout').map((s) => s.line)).toEqual(['first', 'p1', 'p2', 'last'])
    // "first" arrived while the command was still sleeping, not at the end.
    expect(seen[0]!.at).toBeLessThan(end - 400)
    expect(r.stdout).toBe('first\np1\rp2\r\nlast\n')
    expect(r.stderr).toBe('warn\n') // the PID marker line is not part of the output
    expect(logs[0]).toMatchObject({ stream: 'cmd', line: `sh -c '${script.replaceAll("'", "'\\''")}'` })
    expect(logs.slice(1).map((l) => l.line)).toEqual(expect.arrayContaining(['first', 'warn', 'p1', 'p2', 'last']))
  })

  it('passes stdin', async () => {
    expect((await remote.run(['cat'], { stdin: 'hello\nworld' })).stdout).toBe('hello\nworld')
  })

  it('turns a non-zero exit into RemoteCommandError with code and stderr tail (or a result with allowFail)', async () => {
    const argv = ['sh', '-c', 'for i in $(seq 1 50); do echo "line $i" >&2; done; exit 3']
    const err = await remote.run(argv).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteCommandError)
    const e = err as RemoteCommandError
    expect(e.code).toBe(3)
    expect(e.host).toBe('local')
    expect(e.command).toBe(`sh -c 'for i in $(seq 1 50); do echo "line $i" >&2; done; exit 3'`)
    expect(e.stderrTail.split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `line ${31 + i}`))
    expect(e.message).toContain('exited 3')
    const r = await remote.run(argv, { allowFail: true })
    expect(r.code).toBe(3)
  })

  it('bounds concurrent channels: 20 parallel sleeps, at most 8 open, all succeed', async () => {
    const r2 = (await connectRemote(sshd.host(), { sshConfig: null, maxChannels: 8 })) as SshRemote
    try {
      const t0 = Date.now()
      const rs = await Promise.all(Array.from({ length: 20 }, () => r2.run(['sleep', '0.2'])))
      const ms = Date.now() - t0
      expect(rs.every((r) => r.code === 0)).toBe(true)
      expect(r2.channelStats.peak).toBe(8)
      // 20 commands through 8 slots take at least 3 rounds.
      expect(ms).toBeGreaterThanOrEqual(600)
      expect(r2.channelStats).toMatchObject({ active: 0, queued: 0 })
    } finally {
      await r2.close()
    }
  })

  it('shows why the bound exists: without it, sshd (MaxSessions 10) refuses channels', async () => {
    const r3 = (await connectRemote(sshd.host(), { sshConfig: null, maxChannels: 20 })) as SshRemote
    try {
      const rs = await Promise.allSettled(Array.from({ length: 20 }, () => r3.run(['sleep', '0.3'])))
      const failed = rs.filter((r) => r.status === 'rejected')
      expect(failed.length).toBeGreaterThan(0)
      expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/cannot start/)
    } finally {
      await r3.close()
    }
  })

  it('kills a command on timeout (the remote process is gone too)', async () => {
    const t0 = Date.now()
    const err = await remote.run(['sleep', '31.7'], { timeoutMs: 300 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteTimeoutError)
    expect((err as Error).message).toMatch(/timed out after 300 ms/)
    expect(Date.now() - t0).toBeLessThan(2500)
    await new Promise((r) => setTimeout(r, 200))
    const left = await remote.run(['pgrep', '-fx', 'sleep 31.7'], { allowFail: true })
    expect(left.code).toBe(1)
  })

  it('kills the whole process group, and follows TERM with KILL when TERM is ignored', async () => {
    const r2 = (await connectRemote(sshd.host(), { sshConfig: null, killGraceMs: 300 })) as SshRemote
    try {
      const t0 = Date.now()
      const err = await r2.run(['sh', '-c', 'trap "" TERM; sleep 33.1 & sleep 33.2; wait'], { timeoutMs: 300 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RemoteTimeoutError)
      expect(Date.now() - t0).toBeLessThan(3000)
      await new Promise((r) => setTimeout(r, 200))
      for (const p of ['sleep 33.1', 'sleep 33.2']) expect((await r2.run(['pgrep', '-fx', p], { allowFail: true })).code).toBe(1)
    } finally {
      await r2.close()
    }
  })

  it('gives up reconnecting after the backoff when the server is gone', async () => {
    const other = await startSshd()
    const seen: string[] = []
    const r2 = (await connectRemote(other.host('gone'), { sshConfig: null, reconnectAttempts: 2, reconnectDelayMs: 150, onState: (st, d) => seen.push(`${st} ${d ?? ''}`) })) as SshRemote
    try {
      await other.stopServer() // also ends the connection's sshd child
      await expect.poll(() => r2.connected, { timeout: 5000 }).toBe(false)
      seen.length = 0
      const t0 = Date.now()
      const err = await r2.run(['true']).catch((e: unknown) => e)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150 + 300)
      expect((err as SshError).kind).toBe('network')
      expect((err as Error).message).toMatch(/cannot connect to root@127\.0\.0\.1/)
      expect(seen.filter((x) => x.startsWith('connecting'))).toHaveLength(3)
      expect(seen.at(-1)).toMatch(/^error /)
    } finally {
      await r2.close()
      await other.stop()
    }
  })

  it('cancels with an AbortSignal', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 200)
    const err = await remote.run(['sleep', '30'], { signal: ac.signal }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
  })

  it('start() runs in the background until kill()', async () => {
    const lines: string[] = []
    const p = remote.start(['sh', '-c', 'echo ready; exec sleep 32.5'], { onLine: (_s, l) => lines.push(l) })
    await expect.poll(() => lines, { timeout: 5000 }).toContain('ready')
    expect((await remote.run(['pgrep', '-fx', 'sleep 32.5'], { allowFail: true })).code).toBe(0)
    p.kill()
    const r = await p.done
    expect(r.code).toBe(128 + 15)
    expect((await remote.run(['pgrep', '-fx', 'sleep 32.5'], { allowFail: true })).code).toBe(1)
  })

  it('reconnects on the next command after the server drops the connection', async () => {
    const before = remote.connects
    const pids = sshd.sessionPids()
    expect(pids.length).toBeGreaterThan(0)
    states.length = 0
    for (const pid of pids) process.kill(pid, 'SIGKILL')
    await expect.poll(() => remote.connected, { timeout: 5000 }).toBe(false)
    expect(states.some(([s, d]) => s === 'error' && /lost/.test(d ?? ''))).toBe(true)
    const r = await remote.run(['echo', 'back'])
    expect(r.stdout).toBe('back\n')
    expect(remote.connects).toBe(before + 1)
    expect(states.at(-1)?.[0]).toBe('connected')
  })

  it('fails a command whose connection drops under it, without re-running it', async () => {
    const p = remote.run(['sleep', '5'])
    await new Promise((r) => setTimeout(r, 300))
    for (const pid of sshd.sessionPids()) process.kill(pid, 'SIGKILL')
    const err = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SshError)
    expect((err as SshError).kind).toBe('lost')
    expect((await remote.run(['true'])).code).toBe(0)
  })

  it('refuses a mismatched host key, showing both fingerprints and the file', async () => {
    const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJYafgT7V2YZf2qnEQvQCAPW6ArlcUDCBfDwNVqgbo/t'
    const kh = path.join(sshd.dir, 'known_hosts_wrong')
    writeFileSync(kh, `[127.0.0.1]:${sshd.port} ${other}\n`)
    const err = await connectRemote(sshd.host('wrong', { knownHosts: kh }), { sshConfig: null }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SshError)
    expect((err as SshError).kind).toBe('host-key')
    const msg = (err as Error).message
    expect(msg).toContain('HOST KEY MISMATCH')
    expect(msg).toContain(fingerprint(Buffer.from(other.split(' ')[1]!, 'base64')))
    expect(msg).toContain(fingerprint(Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64')))
    expect(msg).toContain(kh)
    expect(msg).toContain(`[127.0.0.1]:${sshd.port}`)
  })

  it('refuses an unknown host (no entry, or no known_hosts file at all)', async () => {
    const kh = path.join(sshd.dir, 'known_hosts_other')
    writeFileSync(kh, `127.0.0.1 ${sshd.hostPublicKey}\n`) // port 22 entry only: not this port
    for (const file of [kh, path.join(sshd.dir, 'does-not-exist')]) {
      const err = await connectRemote(sshd.host('unknown', { knownHosts: file }), { sshConfig: null }).catch((e: unknown) => e)
      expect((err as SshError).kind).toBe('host-key')
      expect((err as Error).message).toMatch(/is not in .*strict checking: refusing/)
      expect((err as Error).message).toContain(file)
      expect((err as Error).message).toContain(fingerprint(Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64')))
    }
  })

  it('reports an authentication failure clearly', async () => {
    const err = await connectRemote(sshd.host('nokey', { user: 'nobody' }), { sshConfig: null }).catch((e: unknown) => e)
    expect((err as SshError).kind).toBe('auth')
    expect((err as Error).message).toMatch(/authentication as nobody .* failed/)
  })

  it('logs in with ssh-agent (SSH_AUTH_SOCK) when the tour names no key', async () => {
    const sock = path.join(sshd.dir, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    const saved = process.env.SSH_AUTH_SOCK
    try {
      await expect.poll(() => existsSync(sock), { timeout: 5000 }).toBe(true)
      execFileSync('ssh-add', ['-q', sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' })
      process.env.SSH_AUTH_SOCK = sock
      const r = await connectRemote(sshd.host('agent', { identityFile: undefined, agent: true }), { sshConfig: null })
      expect((await r.run(['echo', 'agent ok'])).stdout).toBe('agent ok\n')
      await r.close()
      // The same host with the agent disabled in the tour and no key: refused, saying why.
      const err = await connectRemote(sshd.host('noagent', { identityFile: path.join(sshd.dir, 'no-such-key'), agent: false }), { sshConfig: null }).catch((e: unknown) => e)
      expect((err as SshError).kind).toBe('config')
      expect((err as Error).message).toMatch(/cannot read identity file .*no-such-key/)
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK
      else process.env.SSH_AUTH_SOCK = saved
      agent.kill()
    }
  })

  it('goes through a ProxyJump host (forwardOut + sock)', async () => {
    const r = await connectRemote(sshd.host('jumped', { jump: `root@127.0.0.1:${sshd.port}` }), { sshConfig: null })
    try {
      expect((await r.run(['echo', 'via jump'])).stdout).toBe('via jump\n')
      expect((r as SshRemote).endpoint.jumps).toHaveLength(1)
    } finally {
      await r.close()
    }
  })

  it('connectAll names every failing host and closes the rest', async () => {
    const good = sshd.host('good')
    const bad = sshd.host('bad', { knownHosts: path.join(sshd.dir, 'does-not-exist') })
    const tour = { hosts: [good, bad] } as Parameters<typeof connectAll>[0]
    const err = await connectAll(tour, { sshConfig: null }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectAllError)
    expect([...(err as ConnectAllError).failures.keys()]).toEqual(['bad'])
    expect((err as Error).message).toMatch(/- bad: .*not in/)
    const ok = await connectAll({ hosts: [good, sshd.host('good2')] } as Parameters<typeof connectAll>[0], { sshConfig: null })
    expect([...ok.keys()]).toEqual(['good', 'good2'])
    expect((await ok.get('good2')!.run(['true'])).code).toBe(0)
    await Promise.all([...ok.values()].map((r) => r.close()))
  })

  it('refuses to run after close()', async () => {
    const r = await connectRemote(sshd.host(), { sshConfig: null })
    await r.close()
    const err = await r.run(['true']).catch((e: unknown) => e)
    expect((err as SshError).kind).toBe('closed')
  })
})
