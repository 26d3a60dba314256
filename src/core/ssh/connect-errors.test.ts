// Hosts that accept TCP but do not speak SSH properly must fail only their own connection, with
// an SshError naming the host, never the process: `globehop serve` once died of an unhandled
// ssh2 'error' event ("Connection lost before handshake") after a timeout had already failed
// the connect. Real TCP listeners on 127.0.0.1, each misbehaving in one way.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Host } from '../../shared/tour'
import { ConnectAllError, connectAll } from './pool'
import { connectRemote } from './session'
import { SshError } from './types'

type Behaviour = (s: net.Socket) => void

const IDENT = 'SSH-2.0-OpenSSH_9.2p1\r\n'
const BEHAVIOURS: Record<string, Behaviour> = {
  // Accepts and never says a word: only the ready timeout ends it.
  silent: () => {},
  // An HTTP server, then random bytes, connection kept open.
  'speaks garbage': (s) => {
    s.write('HTTP/1.1 400 Bad Request\r\n\r\n')
    s.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff)))
  },
  // A valid identification line, then binary junk where the key exchange should be.
  'garbage after its SSH banner': (s) => {
    s.write(IDENT)
    s.once('data', () => s.write(Buffer.alloc(2048, 0xfe)))
  },
  // A valid banner, then hangs up as soon as the client starts the key exchange.
  'closes mid-handshake': (s) => {
    s.write(IDENT)
    s.once('data', () => s.end())
  },
  // Resets the connection at once.
  'resets at once': (s) => s.resetAndDestroy(),
  // Banner, then silence: the timeout fires while the socket is still open, then it closes.
  'banner then silence': (s) => {
    s.write(IDENT)
    s.once('data', () => setTimeout(() => s.destroy(), 700))
  },
}

describe('ssh2 errors from hosts that are not SSH servers', { timeout: 20_000 }, () => {
  let dir: string
  let key: string
  let knownHosts: string
  const servers: net.Server[] = []
  // Server-side sockets still open (the misbehaving hosts never close theirs on their own).
  const accepted = new Set<net.Socket>()
  const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
  const uncaught: unknown[] = []
  const onUncaught = (e: unknown) => uncaught.push(e)

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-badhost-'))
    key = path.join(dir, 'id_ed25519')
    writeFileSync(key, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 })
    knownHosts = path.join(dir, 'known_hosts')
    writeFileSync(knownHosts, '')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  beforeEach(() => {
    uncaught.length = 0
    process.on('uncaughtException', onUncaught)
  })
  afterEach(async () => {
    process.off('uncaughtException', onUncaught)
    await Promise.all([...accepted].map((s) => new Promise((r) => (s.once('close', r), s.destroy()))))
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
  })

  async function listen(b: Behaviour): Promise<number> {
    const server = net.createServer((s) => {
      accepted.add(s)
      s.on('close', () => accepted.delete(s))
      s.on('error', () => {})
      b(s)
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return (server.address() as net.AddressInfo).port
  }

  const host = (name: string, port: number): Host => ({
    name,
    label: name,
    lat: 0,
    lon: 0,
    address: '127.0.0.1',
    ssh: { host: '127.0.0.1', port, user: 'root', identityFile: key, agent: false, knownHosts },
  })

  for (const [what, behaviour] of Object.entries(BEHAVIOURS)) {
    it(`a host that ${what}: the connect fails with an SshError naming it, the process lives`, async () => {
      const port = await listen(behaviour)
      const before = tcpHandles()
      const t0 = Date.now()
      const err = await connectRemote(host('stuttgart', port), { sshConfig: null, tuning: { readyTimeoutMs: 500 } }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SshError)
      expect((err as SshError).host).toBe('stuttgart')
      expect((err as SshError).kind).toBe('network')
      expect((err as Error).message).toMatch(new RegExp(`^stuttgart: (cannot connect to|connection to) root@127\\.0\\.0\\.1:${port}`))
      expect(Date.now() - t0).toBeLessThan(5000)
      // Late events (the socket closing after the timeout, a second error) come after the
      // rejection: wait for them before looking.
      await new Promise((r) => setTimeout(r, 1000))
      expect(uncaught).toEqual([])
      // The client's socket is gone, not left half-open towards a host that never hangs up.
      expect(tcpHandles() - accepted.size).toBe(before)
    })
  }

  it('the ready timeout says so', async () => {
    const port = await listen(BEHAVIOURS.silent!)
    const err = await connectRemote(host('stuttgart', port), { sshConfig: null, tuning: { readyTimeoutMs: 300 } }).catch((e: unknown) => e)
    expect((err as Error).message).toMatch(/^stuttgart: cannot connect to root@127\.0\.0\.1:\d+: Timed out while waiting for handshake/)
  })

  it('a whole pool: every bad host fails alone with its own reason, nothing is thrown at the process', async () => {
    const ports = await Promise.all(Object.values(BEHAVIOURS).map((b) => listen(b)))
    const hosts = ports.map((p, i) => host(`h${i}`, p))
    const err = await connectAll({ hosts } as Parameters<typeof connectAll>[0], { sshConfig: null, tuning: { readyTimeoutMs: 500 } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectAllError)
    expect([...(err as ConnectAllError).failures.keys()]).toEqual(hosts.map((h) => h.name))
    for (const [name, e] of (err as ConnectAllError).failures) expect(e.message.startsWith(`${name}: `)).toBe(true)
    // The pool's summary names each host once ("- h0: cannot connect", not "- h0: h0: cannot connect").
    for (const name of (err as ConnectAllError).failures.keys()) expect((err as Error).message).toContain(`\n- ${name}: `)
    expect((err as Error).message).not.toMatch(/- (h\d+): \1: /)
    await new Promise((r) => setTimeout(r, 1000))
    expect(uncaught).toEqual([])
  })
})
