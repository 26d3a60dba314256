// Key, known_hosts and ssh config files are read only when they are regular files under a cap:
// a tour saying `identityFile: /dev/zero` once grew the process to 21.8 GB, and a FIFO would
// block the connect forever. Real devices, FIFOs and directories; no sshd needed, since the
// files are read before any TCP connection.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SSHConfig from 'ssh-config'
import ssh2 from 'ssh2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Host } from '../../shared/tour'
import { loadSshConfig } from './config'
import { MAX_KEY_FILE, readCapped, readCappedSync } from './read-capped'
import { connectRemote } from './session'
import { SshError } from './types'

describe('capped reads of local SSH files', { timeout: 20_000 }, () => {
  let dir: string
  let key: string
  let fifo: string
  let big: string

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-capped-'))
    key = path.join(dir, 'id_ed25519')
    writeFileSync(key, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 })
    fifo = path.join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    big = path.join(dir, 'big')
    writeFileSync(big, Buffer.alloc(MAX_KEY_FILE + 1, 0x41))
    mkdirSync(path.join(dir, 'a-dir'))
    symlinkSync(key, path.join(dir, 'link'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads a regular file, also through a symlink', async () => {
    expect((await readCapped('h', 'identity file', key, MAX_KEY_FILE)).toString()).toMatch(/BEGIN OPENSSH PRIVATE KEY/)
    expect(readCappedSync('h', 'identity file', path.join(dir, 'link'), MAX_KEY_FILE).toString()).toMatch(/BEGIN OPENSSH PRIVATE KEY/)
  })

  it('refuses devices, FIFOs (without waiting for a writer) and directories, naming host and file', async () => {
    for (const [file, why] of [
      ['/dev/zero', 'is not a regular file'],
      ['/dev/urandom', 'is not a regular file'],
      [fifo, 'is not a regular file'],
      [path.join(dir, 'a-dir'), 'is not a regular file'],
    ]) {
      await expect(readCapped('stuttgart', 'identity file', file!, MAX_KEY_FILE)).rejects.toThrow(`stuttgart: identity file ${file} ${why}`)
      expect(() => readCappedSync('stuttgart', 'identity file', file!, MAX_KEY_FILE)).toThrow(`stuttgart: identity file ${file} ${why}`)
    }
  })

  it('refuses a file over the cap with its size', async () => {
    await expect(readCapped('stuttgart', 'identity file', big, MAX_KEY_FILE)).rejects.toThrow(`stuttgart: identity file ${big} is ${MAX_KEY_FILE + 1} bytes, more than the ${MAX_KEY_FILE} allowed`)
  })

  it('passes fs errors through (a missing file stays ENOENT)', async () => {
    await expect(readCapped('h', 'known_hosts file', path.join(dir, 'nope'), 10)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  const host = (ssh: Partial<Host['ssh']>): Host => ({
    name: 'stuttgart',
    label: 'Stuttgart',
    lat: 0,
    lon: 0,
    address: '127.0.0.1',
    // Port 9 (discard): never reached, the files are refused first.
    ssh: { host: '127.0.0.1', port: 9, user: 'root', identityFile: key, agent: false, knownHosts: path.join(dir, 'known_hosts'), ...ssh },
  })

  it('identityFile: /dev/zero in a tour is refused at once, without growing memory', async () => {
    const rss0 = process.memoryUsage().rss
    const err = await connectRemote(host({ identityFile: '/dev/zero' }), { sshConfig: null }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SshError)
    expect((err as SshError).kind).toBe('config')
    expect((err as Error).message).toBe('stuttgart: identity file /dev/zero is not a regular file')
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024)
  })

  it('a FIFO, a directory or an oversized file as identity file or known_hosts: refused, naming host and file', async () => {
    const cases: [Partial<Host['ssh']>, RegExp][] = [
      [{ identityFile: fifo }, /^stuttgart: identity file .*\/fifo is not a regular file$/],
      [{ identityFile: dir }, /^stuttgart: identity file .* is not a regular file$/],
      [{ identityFile: big }, /^stuttgart: identity file .*\/big is 65537 bytes, more than the 65536 allowed$/],
      [{ knownHosts: '/dev/zero' }, /^stuttgart: known_hosts file \/dev\/zero is not a regular file$/],
      [{ knownHosts: fifo }, /^stuttgart: known_hosts file .*\/fifo is not a regular file$/],
    ]
    for (const [ssh, msg] of cases) {
      const err = await connectRemote(host(ssh), { sshConfig: null }).catch((e: unknown) => e)
      expect((err as SshError).kind, JSON.stringify(ssh)).toBe('config')
      expect((err as Error).message).toMatch(msg)
    }
  })

  it('an unfit IdentityFile from ~/.ssh/config is skipped like ssh does, and the refusal says why', async () => {
    const config = SSHConfig.parse('Host 127.0.0.1\n  IdentityFile /dev/zero\n')
    const err = await connectRemote(host({ identityFile: undefined }), { sshConfig: config }).catch((e: unknown) => e)
    expect((err as SshError).kind).toBe('auth')
    expect((err as Error).message).toMatch(/no usable identity file .*skipped: identity file \/dev\/zero is not a regular file/)
  })

  it('an ssh config file that is not a regular file is refused; a missing one is none', () => {
    expect(() => loadSshConfig('/dev/zero')).toThrow('ssh: config file /dev/zero is not a regular file')
    expect(() => loadSshConfig(fifo)).toThrow(/is not a regular file/)
    expect(loadSshConfig(path.join(dir, 'no-config'))).toBeNull()
  })
})
