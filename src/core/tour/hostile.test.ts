// Every file in test/hostile-tours tries one way in through a tour value; each must be refused
// with a problem naming its field (and line, where the header gives one). The header of each file:
//   # tries: <what it tries>
//   # expect: <field> [line <n>]
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { TOUR_LIMITS } from '../../shared/tour'
import { renderTour } from '../../../lab/render'
import { loadTour, parseTour, TourError } from './load'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const HOSTILE = path.join(ROOT, 'test/hostile-tours')
const files = readdirSync(HOSTILE).filter((f) => f.endsWith('.yaml')).sort()

/** The hostile files' common base, unedited: proves each file fails for its one edit. */
const BASE = readFileSync(path.join(HOSTILE, 'address-proxycommand.yaml'), 'utf8').replace('"-oProxyCommand=touch pwned"', '198.51.100.13')

async function refusal(file: string): Promise<TourError> {
  const err: unknown = await loadTour(file).then(
    () => new Error(`${path.basename(file)} was accepted`),
    (e: unknown) => e,
  )
  if (!(err instanceof TourError)) throw err
  return err
}

function expectation(file: string): { field: string; line: number | null } {
  // latin1: invalid-utf8.yaml must still show its header.
  const m = /^# expect: (\S+)(?: line (\d+))?$/m.exec(readFileSync(file, 'latin1'))
  if (!m) throw new Error(`${file}: no "# expect: <field>" header`)
  return { field: m[1]!, line: m[2] ? Number(m[2]) : null }
}

describe('hostile tour files', () => {
  it('there are at least 40, and their unedited base loads', () => {
    expect(files.length).toBeGreaterThanOrEqual(40)
    expect(parseTour(BASE, path.join(HOSTILE, 'base.yaml')).hosts).toHaveLength(2)
  })

  it.each(files)('%s is refused, naming its field and line', async (name) => {
    const file = path.join(HOSTILE, name)
    const want = expectation(file)
    const { problems } = await refusal(file)
    const hit = problems.find((p) => p.field === want.field)
    expect(hit, `problems: ${JSON.stringify(problems)}`).toBeDefined()
    expect(hit!.file).toBe(file)
    if (want.line !== null) expect(hit).toMatchObject({ line: want.line, column: expect.any(Number) as number })
    if (want.line !== null) expect(hit!.column).toBeGreaterThan(0)
    expect(hit!.message.length).toBeGreaterThan(5)
  })
})

describe('size caps, checked before the file is read', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gh-hostile-'))

  it('refuses a 60 MB tour in well under a second, saying its size and the cap', async () => {
    const file = path.join(dir, 'huge.yaml')
    writeFileSync(file, BASE)
    truncateSync(file, 60 * 1024 * 1024)
    const t0 = performance.now()
    const { problems } = await refusal(file)
    const ms = performance.now() - t0
    expect(ms).toBeLessThan(250)
    expect(problems).toEqual([{ file, line: 0, column: 0, field: '', message: `the file is ${60 * 1024 * 1024} bytes; a tour file may be at most ${TOUR_LIMITS.fileBytes} bytes` }])
  })

  it('refuses a file one byte over the cap, and loads one at the cap', async () => {
    const pad = (n: number) => BASE + '#'.repeat(n - Buffer.byteLength(BASE) - 1) + '\n'
    writeFileSync(path.join(dir, 'over.yaml'), pad(TOUR_LIMITS.fileBytes + 1))
    writeFileSync(path.join(dir, 'at.yaml'), pad(TOUR_LIMITS.fileBytes))
    expect((await refusal(path.join(dir, 'over.yaml'))).problems[0]!.message).toMatch(/at most 131072 bytes/)
    await expect(loadTour(path.join(dir, 'at.yaml'))).resolves.toMatchObject({ name: 'Hostile test tour' })
  })

  it('refuses what is not a regular file without reading it (/dev/zero, a FIFO, a folder)', async () => {
    const fifo = path.join(dir, 'fifo.yaml')
    execFileSync('mkfifo', [fifo])
    for (const f of ['/dev/zero', fifo, dir]) expect((await refusal(f)).problems[0]!.message).toBe('not a regular file')
  })

  it('refuses the same text given to parseTour directly (the engine passes text too)', () => {
    expect(() => parseTour(BASE + '#'.repeat(TOUR_LIMITS.fileBytes), '/t.yaml')).toThrow(/a tour file may be at most/)
  })
})

describe('what stays accepted', () => {
  it('the shipped, e2e and lab tours load', async () => {
    for (const f of [...readdirSync(path.join(ROOT, 'resources/tours')).map((f) => `resources/tours/${f}`), 'e2e/fixtures/loopback.yaml']) {
      await expect(loadTour(path.join(ROOT, f)), f).resolves.toMatchObject({ hops: expect.any(Array) as unknown })
    }
    const labDir = mkdtempSync(path.join(tmpdir(), 'gh-lab-tour-'))
    writeFileSync(path.join(labDir, 'lab.yaml'), renderTour({ identityFile: 'ssh/id_ed25519', knownHosts: 'ssh/known_hosts' }))
    await expect(loadTour(path.join(labDir, 'lab.yaml'))).resolves.toMatchObject({ floatingIp: { trackFile: '/run/globehop/vrrp-owner' } })
  })

  it('the largest tour the caps allow: 64 hosts with every field, 256 hops, a full description', () => {
    const hosts = Array.from({ length: TOUR_LIMITS.hosts }, (_, i) =>
      [
        `  - name: host-${i}`,
        `    label: ${'L'.repeat(TOUR_LIMITS.label)}`,
        '    lat: -33.8688',
        '    lon: 151.2093',
        `    address: 2001:db8::${i + 1}`,
        '    ssh:',
        `      host: h${i}.example.org`,
        '      port: 2222',
        '      user: deploy.bot',
        '      identityFile: ~/.ssh/id_ed25519',
        '      knownHosts: ./known_hosts',
        '      agent: false',
        '      jump: ops@[2001:db8::ff]:22,bastion.example.org',
      ].join('\n'),
    )
    const hops = Array.from({ length: TOUR_LIMITS.hops }, (_, i) => `host-${i % 2}`)
    const text = [
      `name: ${'N'.repeat(TOUR_LIMITS.name)}`,
      `description: ${'d'.repeat(TOUR_LIMITS.description)}`,
      'hosts:',
      ...hosts,
      'container: { id: game.server_1, bundle: /srv/games/xonotic-0.8.6+1/bundle, gamePort: 26000 }',
      'floatingIp: { address: 10.0.0.10, interface: br-lan.10, prefix: 24, method: manual, trackFile: /var/lib/globehop/owner }',
      `hops: [${hops.join(', ')}]`,
      'options: { imageDir: /var/lib/globehop/images/, preCopy: { tracking: criu } }',
    ].join('\n')
    const t = parseTour(text, '/tours/big.yaml')
    expect(t.hosts).toHaveLength(64)
    expect(t.hosts[5]).toMatchObject({ address: '2001:db8::6', ssh: { host: 'h5.example.org', user: 'deploy.bot', knownHosts: '/tours/known_hosts' } })
  })
})

describe('paths joined to the tour folder', () => {
  it('a relative key path under a folder whose name holds an escape sequence is refused after joining', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gh-hostile-')), 'tours\u001b[2J')
    mkdirSync(dir)
    writeFileSync(path.join(dir, 't.yaml'), BASE.replace('    port: 22', '    port: 22\n    identityFile: ./id_ed25519'))
    const { problems } = await refusal(path.join(dir, 't.yaml'))
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ field: 'defaults.ssh.identityFile', line: 9 })
    expect(problems[0]!.message).toMatch(/U\+001B/)
  })
})
