// `lab up`: cache, network, machines, links, tour, floating IP, game.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { ensureCache } from './build'
import { cmd, waitFor } from './exec'
import { runtimeUnavailable, startGame, waitGameAnswers, waitOwner } from './game'
import { LAB_HOSTS, labHost } from './hosts'
import { labKnownHosts, startMachine } from './machine'
import { applyLink, createBridge, createHostLink, detectShaping } from './net'
import { cacheLayout, resolveCacheDir, runDir } from './paths'
import { isAlive } from './procs'
import { renderTour } from './render'
import { labRequirements } from './requirements'
import { readState, writeState, type LabState, type LinkSettings } from './state'
import { hugePageMode, THP_ENABLED } from '../src/core/pipeline/host-facts'
import { labTourPath } from '../src/core/tour/lab-tour-path'
import { formatDuration } from '../src/shared/format'
import type { RuntimeName } from '../src/shared/tour'

export interface LabUpOptions {
  cacheDir?: string
  noShaping?: boolean
  bundle?: string
  /** What the game runs under (the tour says so too); default runc. */
  runtime?: RuntimeName
  onProgress?: (line: string) => void
}

export { labTourPath }

/** The link a host gets by default: half its RTT each way, its rate. */
export function defaultLink(name: string): LinkSettings {
  const h = labHost(name)
  return { delayMs: h.rttMs / 2, rateMbit: h.rateMbit }
}

export function labIsUp(s: LabState | null): boolean {
  return !!s && s.hosts.length === LAB_HOSTS.length && s.hosts.every((h) => isAlive(h.initPid))
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs })
    const done = (ok: boolean) => (s.destroy(), resolve(ok))
    s.once('connect', () => done(true))
    s.once('timeout', () => done(false))
    s.once('error', () => done(false))
  })
}

function readSysctl(key: string): string {
  return readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim()
}

function isMountPoint(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir)
}

/** Writes the tour and the SSH files it points at under the run dir. */
function writeTour(cacheDir: string, runtime: RuntimeName): void {
  const dir = path.join(runDir(), 'ssh')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const keys = cacheLayout(cacheDir).keys
  copyFileSync(path.join(keys, 'id_ed25519'), path.join(dir, 'id_ed25519'))
  copyFileSync(path.join(keys, 'id_ed25519.pub'), path.join(dir, 'id_ed25519.pub'))
  writeFileSync(path.join(dir, 'known_hosts'), labKnownHosts(cacheDir))
  writeFileSync(labTourPath(), renderTour({ identityFile: 'ssh/id_ed25519', knownHosts: 'ssh/known_hosts', runtime }))
}

export async function up(opts: LabUpOptions, down: () => Promise<void>): Promise<void> {
  const why = labRequirements()
  if (why) throw new Error(`cannot bring the lab up: ${why}`)
  const progress = opts.onProgress ?? (() => {})
  const existing = readState()
  if (labIsUp(existing)) {
    progress('lab is already up')
    return
  }
  if (existing) {
    progress('cleaning up a lab that is half up')
    await down()
  }
  const t0 = Date.now()
  const runtime = opts.runtime ?? 'runc'
  const cacheDir = resolveCacheDir(opts.cacheDir)
  if (opts.bundle && !existsSync(path.join(opts.bundle, 'config.json'))) throw new Error(`--bundle ${opts.bundle}: no config.json there (expected a runc bundle)`)
  await ensureCache(cacheDir, progress)
  const c = cacheLayout(cacheDir)

  const state: LabState = {
    version: 1,
    startedAt: new Date().toISOString(),
    cacheDir,
    bundle: opts.bundle ? path.resolve(opts.bundle) : path.join(c.bundleLayer, 'srv/globehop/xonotic'),
    shaping: 'off',
    sysctls: {},
    createdNetnsMount: !isMountPoint('/run/netns'),
    hosts: [],
    runtime,
  }
  mkdirSync(runDir(), { recursive: true })
  writeState(state)
  try {
    // Global (not per-namespace): CRIU's lazy pages need big pipes; root lacks CAP_SYS_RESOURCE.
    const pipeMax = readSysctl('fs.pipe-max-size')
    if (Number(pipeMax) < 4194304) {
      state.sysctls['fs.pipe-max-size'] = pipeMax
      writeState(state)
      await cmd(['sysctl', '-q', '-w', 'fs.pipe-max-size=4194304'])
    }
    // The hosts are tuned as a migration host should be (preflight's huge-pages check): CRIU's
    // restore fills the game's memory in 2 MiB pages instead of 4 KiB ones (2-3x faster here).
    const thp = hugePageMode(readFileSync(THP_ENABLED, 'utf8'))
    if (thp && thp !== 'always') {
      state.sysfs = { [THP_ENABLED]: thp }
      writeState(state)
      writeFileSync(THP_ENABLED, 'always')
    }
    progress('creating the lab network (bridge namespace, veth 198.51.100.50)')
    await createBridge()
    state.shaping = opts.noShaping ? 'off' : await detectShaping()
    for (const [i, spec] of LAB_HOSTS.entries()) {
      progress(`starting ${spec.name} (${spec.ip})`)
      await createHostLink(spec.name, spec.ip)
      const h = await startMachine(spec, { cacheDir, owner: i === 0, userBundle: opts.bundle })
      state.hosts.push(h)
      writeState(state)
      await applyLink(h, state.shaping, defaultLink(spec.name), c.delayline)
      writeState(state)
    }
    writeTour(cacheDir, runtime)
    progress('waiting for sshd on every host')
    for (const h of state.hosts) await waitFor(`sshd on ${h.name} (${h.ip}:22)`, 20_000, () => tcpOpen(h.ip, 22, 1000))
    const first = state.hosts[0]!
    progress(`waiting for ${first.name} to own the floating IP`)
    await waitOwner(state.hosts, first.name, 15_000)
    const missing = await runtimeUnavailable(first, runtime)
    if (missing) throw new Error(`--runtime ${runtime}: ${missing}`)
    progress(`starting the game on ${first.name} (${runtime})`)
    await startGame(first, runtime)
    const info = await waitGameAnswers(30_000)
    progress(`game answers: ${info.info.hostname ?? '?'} on ${info.info.mapname ?? '?'}, bots ${info.info.bots ?? '?'}`)
    progress(`lab up in ${formatDuration(Date.now() - t0)}; tour: ${labTourPath()}`)
  } catch (err) {
    writeState(state)
    throw err
  }
}
