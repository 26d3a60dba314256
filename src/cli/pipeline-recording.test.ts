// migrate and tour record their run and name the file last on stderr; --no-record writes nothing.
// The tour's hosts are on loopback port 1: nothing listens, so every host fails at once.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { readRecording } from '../core/recording/reader'
import { runMigrateCli, runTourCli } from './pipeline'

let work: string
let tour: string
let recordings: string

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'globehop-cli-recording-'))
  recordings = path.join(work, 'recordings')
  vi.stubEnv('GLOBEHOP_STATE_DIR', path.join(work, 'state'))
  vi.stubEnv('GLOBEHOP_RECORDINGS_DIR', recordings)
  const key = ssh2.utils.generateKeyPairSync('ed25519')
  writeFileSync(path.join(work, 'id_ed25519'), key.private, { mode: 0o600 })
  const host = (name: string, lat: number) =>
    `  - { name: ${name}, label: ${name}, lat: ${lat}, lon: 0, ssh: { host: 127.0.0.1, port: 1, identityFile: ${path.join(work, 'id_ed25519')}, knownHosts: ${path.join(work, 'known_hosts')}, agent: false } }`
  tour = path.join(work, 'loopback.yaml')
  writeFileSync(
    tour,
    [
      'name: Loopback tour',
      'hosts:',
      host('stuttgart', 48),
      host('strasbourg', 49),
      'container: { id: xonotic, bundle: /var/lib/globehop/bundles/game, gamePort: 9 }',
      'floatingIp: { address: 127.0.0.1, method: manual }',
      'hops: [stuttgart, strasbourg]',
      '',
    ].join('\n'),
  )
})
afterAll(() => {
  vi.unstubAllEnvs()
  rmSync(work, { recursive: true, force: true })
})

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err }
}

describe('CLI runs are recorded', { timeout: 60_000 }, () => {
  it('migrate: the last stderr line names a recording holding the header and the preflight table', async () => {
    const c = capture()
    expect(await runMigrateCli([tour, '--to', 'strasbourg', '--no-probe'], c.io)).toBe(1)
    const last = c.err.at(-1)!
    expect(last).toMatch(/^recording: .*\/\d{8}-\d{6}-loopback-tour(-\d+)?\.jsonl$/)
    const file = last.slice('recording: '.length)
    expect(path.dirname(file)).toBe(recordings)
    const rec = readRecording(file)
    expect(rec.truncated).toBe(false)
    expect(rec.header.tour).toMatchObject({ name: 'Loopback tour', file: tour, hops: ['stuttgart', 'strasbourg'], floatingIp: '127.0.0.1', gamePort: 9 })
    // The run's own preflight ran (every host unreachable): the header says what it learnt.
    expect(rec.header.preflight).toEqual([
      { host: 'stuttgart', runtime: null, criu: null, kernel: null },
      { host: 'strasbourg', runtime: null, criu: null, kernel: null },
    ])
    expect(rec.events.map((e) => e.event.name)).toContain('preflight')
  })

  it('tour: recorded too; --no-record writes no file and names none', async () => {
    const c = capture()
    expect(await runTourCli([tour, '--auto', '--no-probe'], c.io)).toBe(1)
    expect(c.err.at(-1)).toMatch(/^recording: /)
    const before = readdirSync(recordings).length
    for (const run of [() => runTourCli([tour, '--auto', '--no-probe', '--no-record'], capture().io), () => runMigrateCli([tour, '--to', 'strasbourg', '--no-probe', '--no-record'], capture().io)]) {
      expect(await run()).toBe(1)
    }
    expect(readdirSync(recordings)).toHaveLength(before)
    const n = capture()
    await runMigrateCli([tour, '--to', 'strasbourg', '--no-probe', '--no-record'], n.io)
    expect(n.err.join('\n')).not.toMatch(/recording:/)
  })

  it('a recordings folder that cannot be made: the run goes on and the last line says why', async () => {
    const blocker = path.join(work, 'not-a-dir')
    writeFileSync(blocker, '')
    vi.stubEnv('GLOBEHOP_RECORDINGS_DIR', path.join(blocker, 'recordings'))
    try {
      const c = capture()
      expect(await runMigrateCli([tour, '--to', 'strasbourg', '--no-probe'], c.io)).toBe(1)
      expect(c.err.join('\n')).toMatch(/preflight/)
      expect(c.err.at(-1)).toMatch(/^recording: none \(.*ENOTDIR/)
    } finally {
      vi.stubEnv('GLOBEHOP_RECORDINGS_DIR', recordings)
    }
  })
})
