// globehop's own known_hosts for host-to-host ssh: rendering (pure), and the real thing: the key
// ssh2 verified on a real sshd, written by the remote writer, then OpenSSH's own `ssh` client
// with hostSshOpts() connecting to that sshd: accepted with the verified key, refused (never
// trusted on first use) without it.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Host } from '../../shared/tour'
import { checkHostKey, parseKnownHosts } from './known-hosts'
import { hostSshOpts, PEER_KNOWN_HOSTS, peerHostKeys, renderPeerKnownHosts, syncPeerKnownHosts, writePeerKnownHostsArgv, writePeerKnownHosts } from './peer-known-hosts'
import { SshPool } from './pool'
import { connectRemote, type SshRemote } from './session'
import { startSshd, sshdUnavailable, testUsersUnavailable, type TestSshd } from './testing/test-sshd'

const blob = (type: string, body: string) => {
  const t = Buffer.from(type)
  const b = Buffer.from(body)
  const len = (n: number) => Buffer.from([0, 0, 0, n])
  return Buffer.concat([len(t.length), t, len(b.length), b])
}
const ED = blob('ssh-ed25519', 'k'.repeat(32))
const ED2 = blob('ssh-ed25519', 'j'.repeat(32))
const RSA = blob('ssh-rsa', 'r'.repeat(40))

describe('renderPeerKnownHosts', () => {
  it('writes [address]:port unless the port is 22, lower-cased, one line per peer', () => {
    const text = renderPeerKnownHosts([
      { host: 'paris', address: 'Paris.Example.NET', port: 22, key: ED },
      { host: 'tokyo', address: '203.0.113.7', port: 2222, key: RSA },
      { host: 'lima', address: '2001:db8::7', port: 2200, key: ED2 },
    ])
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'))
    expect(lines).toEqual([
      `paris.example.net ssh-ed25519 ${ED.toString('base64')}`,
      `[203.0.113.7]:2222 ssh-rsa ${RSA.toString('base64')}`,
      `[2001:db8::7]:2200 ssh-ed25519 ${ED2.toString('base64')}`,
    ])
    // Our own strict checker reads it back for exactly those names and ports.
    const entries = parseKnownHosts(text)
    expect(checkHostKey(entries, 'paris.example.net', 22, ED)).toEqual({ ok: true })
    expect(checkHostKey(entries, '203.0.113.7', 2222, RSA)).toEqual({ ok: true })
    expect(checkHostKey(entries, '203.0.113.7', 22, RSA).ok).toBe(false)
    expect(checkHostKey(entries, '2001:db8::7', 2200, ED)).toMatchObject({ ok: false, reason: 'mismatch' })
  })

  it('merges repeats, refuses two hosts at one address:port with different keys', () => {
    const a = { host: 'a', address: '198.51.100.1', port: 22, key: ED }
    expect(renderPeerKnownHosts([a, { ...a, host: 'b' }]).match(/ssh-ed25519/g)).toHaveLength(1)
    expect(() => renderPeerKnownHosts([a, { ...a, host: 'b', key: ED2 }])).toThrow('a and b are both reached at 198.51.100.1 but presented different host keys')
  })

  it('refuses addresses that known_hosts would read as patterns, markers or options', () => {
    for (const address of ['-oProxyCommand=x', '*', 'a,b', 'a b', '!a', '|1|x', '@revoked', 'a\nb', '', 'a]:22', '#x', 'host.', '$(id)']) {
      expect(() => renderPeerKnownHosts([{ host: 'x', address, port: 22, key: ED }]), address).toThrow(/^x: address .* cannot be written to known_hosts/)
    }
    expect(() => renderPeerKnownHosts([{ host: 'x', address: 'ok', port: 0, key: ED }])).toThrow('x: bad ssh port 0')
    expect(() => renderPeerKnownHosts([{ host: 'x', address: 'ok', port: 22, key: Buffer.from('junk') }])).toThrow(/x: host key blob names no valid key type/)
  })

  it('peerHostKeys: the tour address and ssh.port of each host, and names hosts without a verified key', () => {
    const hosts = [
      { name: 'paris', address: '198.51.100.1', ssh: { host: 'paris.example.net', port: 2222 } },
      { name: 'tokyo', address: '198.51.100.2', ssh: { host: 'tokyo', port: 22 } },
    ] as Host[]
    expect(peerHostKeys(hosts, () => ED)).toEqual([
      { host: 'paris', address: '198.51.100.1', port: 2222, key: ED },
      { host: 'tokyo', address: '198.51.100.2', port: 22, key: ED },
    ])
    expect(() => peerHostKeys(hosts, (n) => (n === 'paris' ? ED : null))).toThrow('no verified host key for tokyo: connect to it first')
  })

  it('hostSshOpts: strict, globehop file only, never accept-new; paths must be plain words', () => {
    const opts = hostSshOpts('/var/lib/globehop/known_hosts')
    expect(opts.join(' ')).toContain('-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/var/lib/globehop/known_hosts -o GlobalKnownHostsFile=/dev/null')
    expect(opts.join(' ')).not.toMatch(/accept-new|StrictHostKeyChecking=no/)
    expect(hostSshOpts()).toContain(`UserKnownHostsFile=${PEER_KNOWN_HOSTS}`)
    // One shared master per host pair, which gives up on a peer silent for ~30 s (a long cut).
    expect(opts.join(' ')).toContain('-o ControlMaster=auto -o ControlPath=~/.ssh/globehop-%C -o ControlPersist=60 -o ServerAliveInterval=10 -o ServerAliveCountMax=3')
    for (const bad of ['relative/x', '/a b', '/a/../b', '/a;b', '~x/y', '-o/x']) expect(() => hostSshOpts(bad), bad).toThrow(/must be absolute or start with ~\//)
    expect(() => writePeerKnownHostsArgv('/a/../etc/passwd')).toThrow(/no "\.\."/)
  })
})

const why = sshdUnavailable() ?? testUsersUnavailable() ?? (spawnSync('ssh', ['-V']).error ? 'the ssh client is missing (apt-get install openssh-client)' : null)

describe.skipIf(why !== null)(`peer known_hosts with a real sshd and OpenSSH's ssh${why ? ` (skipped: ${why})` : ''}`, { timeout: 30_000 }, () => {
  let sshd: TestSshd
  let remote: SshRemote
  let scratch: string

  beforeAll(async () => {
    // A user with a home of its own, so the default `~/.ssh/...` path lands in the temp dir.
    sshd = await startSshd([], [{ name: 'gh-peer', shell: '/bin/bash' }])
    remote = (await connectRemote(sshd.host('paris', { user: 'gh-peer' }), { sshConfig: null })) as SshRemote
    scratch = mkdtempSync(path.join(os.tmpdir(), 'globehop-peerkh-'))
  }, 30_000)
  afterAll(async () => {
    await remote?.close()
    await sshd?.stop()
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  /** OpenSSH's client from this machine to the test sshd, with the options rsync gets. */
  function ssh(knownHosts: string, address = '127.0.0.1', extra: string[] = []): { code: number | null; stderr: string; stdout: string } {
    const r = spawnSync(
      'ssh',
      [
        // First value wins in ssh: no user config, no master socket in root's ~/.ssh from a test.
        ...extra, '-F', '/dev/null', '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'IdentitiesOnly=yes', '-i', sshd.clientKey,
        ...hostSshOpts(knownHosts),
        '-p', String(sshd.port), '-l', 'root', '--', address, 'echo', 'in',
      ],
      { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('the key ssh2 verified is the server key, from the session and from the pool', async () => {
    const key = remote.verifiedHostKey()!
    expect(`ssh-ed25519 ${key.toString('base64')}`).toBe(sshd.hostPublicKey)
    const pool = new SshPool({ hosts: [sshd.host('paris')] } as ConstructorParameters<typeof SshPool>[0], { sshConfig: null })
    try {
      expect(pool.verifiedHostKey('paris')).toBeNull()
      await pool.connectAll()
      expect(pool.verifiedHostKey('paris')).toEqual(key)
    } finally {
      await pool.close()
    }
  })

  it('writes the file at ~/.ssh on the host, mode 600, content from stdin', async () => {
    const peers = [{ host: 'paris', address: '127.0.0.1', port: sshd.port, key: remote.verifiedHostKey()! }]
    await writePeerKnownHosts(remote, peers)
    const file = path.join(sshd.homeOf('gh-peer'), '.ssh', 'globehop_known_hosts')
    expect(readFileSync(file, 'utf8')).toBe(renderPeerKnownHosts(peers))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    // A path with spaces or quotes never reaches a shell: the writer refuses it up front.
    expect(() => writePeerKnownHostsArgv("./x'; rm -rf /")).toThrow()
  })

  it("OpenSSH's ssh with hostSshOpts connects with the verified key in the file", () => {
    const file = path.join(scratch, 'ok')
    writeFileSync(file, renderPeerKnownHosts([{ host: 'paris', address: '127.0.0.1', port: sshd.port, key: remote.verifiedHostKey()! }]))
    const r = ssh(file)
    expect(r.stderr).toBe('')
    expect(r).toMatchObject({ code: 0, stdout: 'in\n' })
    // The image's bytes cross with AES-GCM: what the client and the real sshd agreed on.
    expect(ssh(file, '127.0.0.1', ['-v']).stderr).toMatch(/kex: server->client cipher: aes128-gcm@openssh\.com/)
  })

  it('and refuses, never trusting on first use, with no entry or another key; the file stays as it was', () => {
    const empty = path.join(scratch, 'empty')
    writeFileSync(empty, '')
    const r1 = ssh(empty)
    expect(r1.code).toBe(255)
    expect(r1.stderr).toMatch(/Host key verification failed/)
    expect(readFileSync(empty, 'utf8')).toBe('')

    const wrong = path.join(scratch, 'wrong')
    writeFileSync(wrong, renderPeerKnownHosts([{ host: 'paris', address: '127.0.0.1', port: sshd.port, key: ED }]))
    const r2 = ssh(wrong)
    expect(r2.code).toBe(255)
    expect(r2.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/)
  })

  it('entries are for the address peers use: written for `localhost`, ssh to localhost passes, to 127.0.0.1 fails', () => {
    const file = path.join(scratch, 'by-address')
    const h = { ...sshd.host('paris'), address: 'localhost' }
    writeFileSync(file, renderPeerKnownHosts(peerHostKeys([h], () => remote.verifiedHostKey())))
    expect(readFileSync(file, 'utf8')).toContain(`[localhost]:${sshd.port} ssh-ed25519 `)
    expect(ssh(file, 'localhost')).toMatchObject({ code: 0, stdout: 'in\n' })
    expect(ssh(file, '127.0.0.1').code).toBe(255)
  })

  it("syncPeerKnownHosts writes every host's file from the pool, connecting them first", async () => {
    // Two tour hosts on the one test sshd, peers reach them under two names.
    const hosts = [
      { ...sshd.host('paris', { user: 'gh-peer' }), address: '127.0.0.1' },
      { ...sshd.host('tokyo', { user: 'gh-peer' }), address: 'localhost' },
    ]
    const pool = new SshPool({ hosts } as ConstructorParameters<typeof SshPool>[0], { sshConfig: null })
    const file = path.join(scratch, 'synced')
    try {
      // Connects what is not connected yet (as the pipeline's remote() does).
      await syncPeerKnownHosts(hosts, (n) => pool.get(n), file)
      const text = readFileSync(file, 'utf8')
      expect(text).toContain(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}\n`)
      expect(text).toContain(`[localhost]:${sshd.port} ${sshd.hostPublicKey}\n`)
      expect(ssh(file, 'localhost').code).toBe(0)
      // Test doubles (no verifiedHostKey) are left alone: no command sent to them.
      const calls: string[][] = []
      const fake = { host: hosts[0]!, run: async (a: readonly string[]) => (calls.push([...a]), { code: 0, stdout: '', stderr: '', ms: 0 }), start: () => ({ done: Promise.reject(new Error('no')), kill: () => {} }), close: async () => {} }
      await syncPeerKnownHosts(hosts, async () => fake)
      expect(calls).toEqual([])
      // A real remote with no key yet (never connected) is an error, not a silent skip.
      const unconnected = { ...fake, verifiedHostKey: () => null }
      await expect(syncPeerKnownHosts(hosts, async () => unconnected)).rejects.toThrow('no verified host key for paris, tokyo: connect to them first')
    } finally {
      await pool.close()
    }
  })

  it('the writer replaces a symlink at the path instead of writing through it', async () => {
    const target = path.join(scratch, 'victim')
    writeFileSync(target, 'precious\n')
    const link = path.join(scratch, 'kh-link')
    execFileSync('ln', ['-s', target, link])
    await remote.run(writePeerKnownHostsArgv(link), { stdin: 'x\n' })
    expect(readFileSync(target, 'utf8')).toBe('precious\n')
    expect(readFileSync(link, 'utf8')).toBe('x\n')
  })
})
