// Preflight reads the bundle's config.json (OCI env often holds secrets) over a real SSH session:
// every `log` event goes to every UI client, so none may carry the file's content. A real sshd
// (see ../ssh/test-sshd.ts), the real gatherHostFacts, every log event collected.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tour } from '../../shared/tour'
import type { Emit } from '../events'
import { connectRemote } from '../ssh/session'
import { startSshd, sshdUnavailable, testUsersUnavailable, type TestSshd } from '../ssh/testing/test-sshd'
import type { Remote } from '../ssh/types'
import { gatherHostFacts } from './host-facts'

const why = sshdUnavailable() ?? testUsersUnavailable()
const SECRET = 'hunter2-do-not-stream-7f3a'

describe.skipIf(why !== null)(`config.json is read without streaming it${why ? ` (skipped: ${why})` : ''}`, { timeout: 60_000 }, () => {
  let sshd: TestSshd
  let remote: Remote
  let dir: string
  const logs: { stream: string; line: string }[] = []
  const emit: Emit = (name, payload) => {
    if (name === 'log') logs.push(payload as { stream: string; line: string })
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-secret-'))
    mkdirSync(path.join(dir, 'bundle', 'rootfs', 'etc'), { recursive: true })
    writeFileSync(path.join(dir, 'bundle', 'rootfs', 'etc', 'hostname'), 'game\n')
    const config = { ociVersion: '1.2.0', process: { env: ['PATH=/usr/bin', `RCON_PASSWORD=${SECRET}`], args: ['server'] }, root: { path: 'rootfs' } }
    writeFileSync(path.join(dir, 'bundle', 'config.json'), JSON.stringify(config, null, 2))
    // A user with an empty home: root's shell startup files (pyenv and such) would cost seconds
    // per command here.
    sshd = await startSshd([], [{ name: 'gh-facts', shell: '/bin/sh' }])
    remote = await connectRemote(sshd.host('paris', { user: 'gh-facts' }), { sshConfig: null, emit })
  }, 30_000)
  afterAll(async () => {
    await remote?.close()
    await sshd?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('the control: a plain run streams the file, secret and all', async () => {
    logs.length = 0
    await remote.run(['cat', path.join(dir, 'bundle', 'config.json')])
    expect(logs.some((l) => l.line.includes(SECRET))).toBe(true)
  })

  it("gatherHostFacts reads it (the digest is there), logs that it ran `cat`, and no log event carries the file's content", async () => {
    logs.length = 0
    const tour = {
      container: { id: 'globehop-secret-test', bundle: path.join(dir, 'bundle'), runtime: 'runc', gamePort: 26000 },
      options: { imageDir: path.join(dir, 'images') },
      floatingIp: { address: '198.51.100.9' },
    } as unknown as Tour
    const facts = await gatherHostFacts(remote, tour)
    expect(facts.bundle.configSha).toMatch(/^[0-9a-f]{64}$/)
    expect(facts.bundle.ok).toBe(true)
    expect(logs).toContainEqual(expect.objectContaining({ stream: 'cmd', line: `cat ${path.join(dir, 'bundle', 'config.json')}` }))
    expect(logs.filter((l) => l.line.includes(SECRET) || l.line.includes('RCON_PASSWORD') || l.line.includes('ociVersion'))).toEqual([])
    // Other commands still stream their output (the option is per command, not global).
    expect(logs.some((l) => l.stream === 'stdout')).toBe(true)
  })
})
