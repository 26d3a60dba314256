// globehop lab: a multi-host migration testbed on one Linux machine (see lab/README.md).
import { spawn } from 'node:child_process'
import { down } from './down'
import { labHost } from './hosts'
import { machineArgv } from './machine'
import { applyLink, detectShaping } from './net'
import { cacheLayout } from './paths'
import { readState, writeState, type LinkSettings } from './state'
import { status, type LabStatus } from './status'
import { up, type LabUpOptions } from './up'

export type { LabStatus, LabHostStatus } from './status'
export type { LinkSettings, ShapingMethod } from './state'
export { labRequirements } from './requirements'
export { labTourPath } from './up'
export { formatStatus } from './status'
export { LAB_HOSTS, FLOATING_IP, CLIENT_IP, GAME_PORT, CONTAINER_ID, BUNDLE_PATH, TRACK_FILE } from './hosts'

export async function labUp(opts: LabUpOptions = {}): Promise<LabStatus> {
  await up(opts, labDown)
  const st = await status()
  if (!st) throw new Error('lab up finished but left no state')
  return st
}

export async function labDown(): Promise<void> {
  const problems = await down()
  if (problems.length > 0) throw new Error(`lab down left things behind:\n${problems.join('\n')}`)
}

export function labStatus(): Promise<LabStatus | null> {
  return status()
}

function runningHost(name: string) {
  const s = readState()
  if (!s) throw new Error('the lab is not up (run `globehop lab up`)')
  const h = s.hosts.find((x) => x.name === name)
  if (!h) throw new Error(`unknown lab host "${name}"; hosts are: ${s.hosts.map((x) => x.name).join(', ')}`)
  return { s, h }
}

/** Runs argv inside a lab host with our stdio; resolves with its exit code. */
export function labExec(host: string, argv: string[]): Promise<number> {
  const { h } = runningHost(host)
  const full = machineArgv(h, argv.length > 0 ? argv : ['/bin/bash', '-l'])
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: 'inherit' })
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

/** Changes a host's link at run time; `off` removes delay and rate limits. */
export async function labLink(host: string, change: { delayMs?: number; rateMbit?: number | null; off?: boolean }): Promise<LinkSettings> {
  labHost(host)
  const { s, h } = runningHost(host)
  const link: LinkSettings = change.off ? { delayMs: 0, rateMbit: null } : { delayMs: change.delayMs ?? h.link.delayMs, rateMbit: change.rateMbit === undefined ? h.link.rateMbit : change.rateMbit }
  // A lab started with --no-shaping gets shaping back for this host on request.
  if (s.shaping === 'off' && !change.off) s.shaping = await detectShaping()
  await applyLink(h, s.shaping, link, cacheLayout(s.cacheDir).delayline)
  writeState(s)
  return link
}

