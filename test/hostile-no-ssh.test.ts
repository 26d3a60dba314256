// Issue 9, item 3: every hostile tour is refused before anything leaves the machine, through every
// way a user can hand globehop a tour: `globehop migrate`, `globehop tour`, `globehop preflight`
// (the real CLI functions, in process) and the engine behind the UIs (loadTour, then Connect).
// Each must fail naming the file, and the SSH layer must see no connection attempt and no remote
// command: spies on openConnection (module mock), SshRemote.client/run/start, ssh2's
// Client.connect/exec, net.Socket.connect and dgram sends. Control cases prove the spies see a
// real attempt: a valid tour whose hosts refuse at once (127.0.0.1 port 1), and, where a throwaway
// sshd can run (root), a valid tour whose preflight really runs remote commands.
import dgram from 'node:dgram'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ssh2 from 'ssh2'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import { runMigrateCli, runPreflightCli, runTourCli } from '../src/cli/pipeline'
import { CommandError, Engine } from '../src/core/engine'
import { openConnection } from '../src/core/ssh/connect'
import { SshRemote } from '../src/core/ssh/session'
import { startSshd, sshdUnavailable, testUsersUnavailable, type TestSshd } from '../src/core/ssh/testing/test-sshd'
import type { EngineState } from '../src/shared/contract'
import { TOUR_LIMITS } from '../src/shared/tour'

// session.ts imports openConnection from here: the real one, counted.
vi.mock('../src/core/ssh/connect', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/core/ssh/connect')>()
  return { ...real, openConnection: vi.fn(real.openConnection) }
})

const ROOT = path.resolve(import.meta.dirname, '..')
const HOSTILE = path.join(ROOT, 'test/hostile-tours')
const hostileFiles = readdirSync(HOSTILE).filter((f) => f.endsWith('.yaml')).sort()

const WORK = mkdtempSync(path.join(tmpdir(), 'gh-hostile-no-ssh-'))

/** The hostile files' common base, unedited (as hostile.test.ts makes it). */
const BASE = readFileSync(path.join(HOSTILE, 'address-proxycommand.yaml'), 'utf8').replace('"-oProxyCommand=touch pwned"', '198.51.100.13')

/** Hostile inputs made here: size caps and files that are not regular files. */
function generated(): Array<[string, string]> {
  const huge = path.join(WORK, 'huge.yaml')
  writeFileSync(huge, BASE)
  truncateSync(huge, 60 * 1024 * 1024)
  const over = path.join(WORK, 'over.yaml')
  writeFileSync(over, BASE + '#'.repeat(TOUR_LIMITS.fileBytes + 1 - Buffer.byteLength(BASE) - 1) + '\n')
  const fifo = path.join(WORK, 'fifo.yaml')
  execFileSync('mkfifo', [fifo])
  const folder = path.join(WORK, 'folder.yaml')
  mkdirSync(folder)
  return [
    ['(generated) 60 MB sparse tour', huge],
    ['(generated) one byte over the size cap', over],
    ['(generated) a FIFO', fifo],
    ['(generated) a folder', folder],
    ['/dev/zero', '/dev/zero'],
  ]
}

const inputs: Array<[string, string]> = [...hostileFiles.map((f): [string, string] => [f, path.join(HOSTILE, f)]), ...generated()]

/** A valid tour on loopback: hosts refuse at once (nothing listens on port 1), a key to offer. */
function controlTour(): string {
  const dir = path.join(WORK, 'control')
  mkdirSync(dir)
  const key = ssh2.utils.generateKeyPairSync('ed25519')
  writeFileSync(path.join(dir, 'id_ed25519'), key.private, { mode: 0o600 })
  const host = (name: string, lat: number) =>
    `  - { name: ${name}, label: ${name}, lat: ${lat}, lon: 0, ssh: { host: 127.0.0.1, port: 1, identityFile: ${path.join(dir, 'id_ed25519')}, knownHosts: ${path.join(dir, 'known_hosts')}, agent: false } }`
  const file = path.join(dir, 'control.yaml')
  writeFileSync(
    file,
    [
      'name: Control tour',
      'hosts:',
      host('stuttgart', 48),
      host('strasbourg', 49),
      'container: { id: xonotic, bundle: /var/lib/globehop/bundles/game, gamePort: 9 }',
      'floatingIp: { address: 127.0.0.1, method: manual }',
      'hops: [stuttgart, strasbourg]',
      '',
    ].join('\n'),
  )
  return file
}

const CONTROL = controlTour()

// --- spies on every layer an attempt would go through ------------------------------------------

const spies: Record<string, MockInstance> = {}
beforeAll(() => {
  // No journal of a real user's tours is read or written.
  vi.stubEnv('GLOBEHOP_STATE_DIR', path.join(WORK, 'state'))
  vi.stubEnv('GLOBEHOP_RECORDINGS_DIR', path.join(WORK, 'recordings'))
  spies['openConnection'] = vi.mocked(openConnection)
  spies['SshRemote.client'] = vi.spyOn(SshRemote.prototype, 'client')
  spies['SshRemote.run'] = vi.spyOn(SshRemote.prototype, 'run')
  spies['SshRemote.start'] = vi.spyOn(SshRemote.prototype, 'start')
  spies['ssh2 Client.connect'] = vi.spyOn(ssh2.Client.prototype, 'connect')
  spies['ssh2 Client.exec'] = vi.spyOn(ssh2.Client.prototype, 'exec')
  spies['net.Socket.connect'] = vi.spyOn(net.Socket.prototype, 'connect')
  spies['dgram.Socket.send'] = vi.spyOn(dgram.Socket.prototype, 'send')
})
beforeEach(() => {
  for (const s of Object.values(spies)) s.mockClear()
})
afterAll(() => {
  for (const [name, s] of Object.entries(spies)) if (name !== 'openConnection') s.mockRestore()
  vi.unstubAllEnvs()
  rmSync(WORK, { recursive: true, force: true })
})

function attempts(): Record<string, number> {
  return Object.fromEntries(Object.entries(spies).map(([name, s]) => [name, s.mock.calls.length]))
}
const none = () => Object.fromEntries(Object.keys(spies).map((k) => [k, 0]))

/** Every host:port the spies saw something aimed at (SSH endpoints, sockets, datagrams). */
function targets(): string[] {
  const seen = new Set<string>()
  for (const [, ep] of spies['openConnection']!.mock.calls as [string, { hostname: string; port: number }][]) seen.add(`${ep.hostname}:${ep.port}`)
  for (const [cfg] of spies['ssh2 Client.connect']!.mock.calls as [{ host?: string; port?: number }][]) seen.add(`${cfg.host}:${cfg.port}`)
  for (const args of spies['net.Socket.connect']!.mock.calls as unknown[][]) {
    // net normalises (port, host) and (options) into an array of [options, callback] internally.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0]
    const o = typeof first === 'object' && first !== null ? (first as { host?: string; port?: number; path?: string }) : { port: first as number, host: args[1] as string }
    seen.add(o.path !== undefined ? `unix:${o.path}` : `${o.host ?? 'localhost'}:${o.port}`)
  }
  for (const args of spies['dgram.Socket.send']!.mock.calls as unknown[][]) {
    const at = typeof args[1] === 'number' && typeof args[2] === 'string' ? 1 : 3
    seen.add(`${args[at + 1] as string}:${args[at] as number}`)
  }
  return [...seen].sort()
}

// --- the entry points --------------------------------------------------------------------------

interface Outcome {
  /** Exit code (CLI) or the CommandError codes of loadTour and connect (engine; '' = resolved). */
  codes: Array<number | string>
  /** stderr (CLI) or the thrown messages (engine). */
  message: string
  out: string[]
  /** Engine: the last state event. */
  state?: EngineState
}

type Io = { out: (s: string) => void; err: (s: string) => void }

function cli(run: (argv: string[], io: Io) => Promise<number>, argv: (file: string) => string[]) {
  return async (file: string): Promise<Outcome> => {
    const out: string[] = []
    const err: string[] = []
    const code = await run(argv(file), { out: (s) => out.push(s), err: (s) => err.push(s) })
    return { codes: [code], message: err.join('\n'), out }
  }
}

async function engineRun(file: string, afterValidTour: boolean): Promise<Outcome> {
  const engine = new Engine({ host: 'browser', version: 't' })
  let state: EngineState | undefined
  engine.onEvent((e) => {
    if (e.name === 'state') state = e.payload
  })
  const codes: string[] = []
  const messages: string[] = []
  const attempt = (p: Promise<unknown>) =>
    p.then(
      () => codes.push(''),
      (e: unknown) => {
        codes.push(e instanceof CommandError ? e.code : `not a CommandError: ${String(e)}`)
        messages.push((e as Error).message)
      },
    )
  try {
    // A refused load keeps the tour that loaded before: Connect reaches its hosts, never the refused file's.
    if (afterValidTour) await engine.handle('loadTour', { path: CONTROL })
    await attempt(engine.handle('loadTour', { path: file }))
    await attempt(engine.handle('connect', {}))
    return { codes, message: messages.join('\n'), out: [], state }
  } finally {
    await engine.close()
  }
}

const ENTRY_POINTS: Record<string, (file: string) => Promise<Outcome>> = {
  'globehop migrate --to strasbourg --no-probe': cli(runMigrateCli, (f) => [f, '--to', 'strasbourg', '--no-probe']),
  'globehop tour --auto --no-probe': cli(runTourCli, (f) => [f, '--auto', '--no-probe']),
  'globehop preflight': cli(runPreflightCli, (f) => [f]),
  'engine loadTour + connect': (f) => engineRun(f, false),
  'engine loadTour + connect, after a valid tour was loaded': (f) => engineRun(f, true),
}
const isEngine = (entry: string) => entry.startsWith('engine')

/** Lets anything a run left behind (a stray connect, a prober tick) happen before counting. */
const settle = () => new Promise((r) => setTimeout(r, 10))

// --- the tests ---------------------------------------------------------------------------------

describe('hostile tours reach no host, through any entry point', () => {
  it('there are at least 40 hostile files, plus the generated ones', () => {
    expect(hostileFiles.length).toBeGreaterThanOrEqual(40)
    expect(inputs.length).toBe(hostileFiles.length + 5)
  })

  describe.each(Object.keys(ENTRY_POINTS))('%s', (entry) => {
    it.each(inputs)('%s: refused naming the file; no connection, no remote command', async (_name, file) => {
      const r = await ENTRY_POINTS[entry]!(file)
      await settle()
      // A refused file changes nothing: the tour loaded before it (if any) stays, and Connect reaches
      // only that tour's hosts (the control's, all on 127.0.0.1: SSH port 1, the game's port 9).
      const kept = entry.includes('after a valid tour')
      if (isEngine(entry)) {
        expect(r.codes).toEqual(['bad-tour', kept ? 'connect-failed' : 'no-tour'])
        if (kept) expect(r.state?.tour?.name).toBe('Control tour')
        else expect(r.state?.tour).toBeNull()
        expect(r.state?.tourProblems.length).toBeGreaterThan(0)
        expect(r.state?.tourProblems.every((p) => p.file === file)).toBe(true)
      } else {
        expect(r.codes).toEqual([1])
        expect(r.out).toEqual([])
      }
      expect(r.message).toContain(file)
      if (kept) {
        expect(attempts()).toMatchObject({ 'SshRemote.run': 0, 'SshRemote.start': 0, 'ssh2 Client.exec': 0 })
        expect(attempts()['openConnection']).toBeGreaterThan(0)
        for (const t of targets()) expect(['127.0.0.1:1', '127.0.0.1:9'], t).toContain(t)
      } else expect(attempts()).toEqual(none())
    })

    it('control: a valid tour on loopback is attempted, and the spies see it', async () => {
      const r = await ENTRY_POINTS[entry]!(CONTROL)
      await settle()
      // Nothing listens on port 1: the attempt fails, but it was made.
      if (isEngine(entry)) expect(r.codes).toEqual(['', 'connect-failed'])
      else expect(r.codes).toEqual([1])
      // migrate reports only the preflight's conclusion (no host runs the container), not why.
      if (!entry.includes('migrate')) expect(r.message).toMatch(/127\.0\.0\.1:1/)
      const seen = attempts()
      for (const layer of ['openConnection', 'SshRemote.client', 'ssh2 Client.connect', 'net.Socket.connect']) expect(seen[layer], layer).toBeGreaterThan(0)
    })
  })
})

const why = sshdUnavailable() ?? testUsersUnavailable()

describe.skipIf(why !== null)(`control with a real sshd: remote commands are seen${why ? ` (skipped: ${why})` : ''}`, { timeout: 60_000 }, () => {
  let sshd: TestSshd
  let file: string

  beforeAll(async () => {
    // A user with an empty home and a plain sh: root's startup files would cost seconds a command.
    sshd = await startSshd([], [{ name: 'gh-nossh', shell: '/bin/sh' }])
    const host = (name: string, lat: number) =>
      `  - { name: ${name}, label: ${name}, lat: ${lat}, lon: 0, ssh: { host: 127.0.0.1, port: ${sshd.port}, user: gh-nossh, identityFile: ${sshd.clientKey}, knownHosts: ${sshd.knownHosts}, agent: false } }`
    file = path.join(WORK, 'sshd-control.yaml')
    writeFileSync(
      file,
      [
        'name: Control tour on a test sshd',
        'hosts:',
        host('stuttgart', 48),
        host('strasbourg', 49),
        `container: { id: globehop-no-ssh-control, bundle: ${path.join(sshd.dir, 'no-bundle')}, gamePort: 9 }`,
        'floatingIp: { address: 127.0.0.1, method: manual }',
        'hops: [stuttgart, strasbourg]',
        '',
      ].join('\n'),
    )
  }, 30_000)
  afterAll(async () => {
    await sshd?.stop()
  })

  it('globehop preflight of a valid tour connects and runs read-only commands: SshRemote.run and ssh2 exec are counted', async () => {
    const r = await ENTRY_POINTS['globehop preflight']!(file)
    await settle()
    // No container anywhere: preflight fails, after asking the hosts.
    expect(r.codes).toEqual([1])
    const seen = attempts()
    for (const layer of ['openConnection', 'SshRemote.client', 'SshRemote.run', 'ssh2 Client.connect', 'ssh2 Client.exec', 'net.Socket.connect']) expect(seen[layer], layer).toBeGreaterThan(0)
  })
})
