// The running lab's record (/run/globehop-lab/state.json): everything `lab down` must undo.
import type { RuntimeName } from '../src/shared/tour'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { statePath } from './paths'

export type ShapingMethod = 'netem' | 'delayline' | 'off'

export interface LinkSettings {
  /** One-way delay added in each direction, ms (RTT from the app adds both). */
  delayMs: number
  /** tbf rate in Mbit/s both ways; null = unthrottled. */
  rateMbit: number | null
}

export interface HostState {
  name: string
  ip: string
  netns: string
  /** PID (root namespace) of the machine's init (tini), target of nsenter. */
  initPid: number
  /** Machine's cgroup directory in every v1 hierarchy (and unified), created by the lab. */
  cgroups: string[]
  link: LinkSettings
  /** PID of this host's delay line process when one runs. */
  delaylinePid?: number
}

export interface LabState {
  version: 1
  startedAt: string
  cacheDir: string
  bundle: string
  shaping: ShapingMethod
  /** Global sysctls changed by the lab and their previous values, restored by `lab down`. */
  sysctls: Record<string, string>
  /** Global /sys settings changed by the lab (path -> previous value), restored by `lab down`. */
  sysfs?: Record<string, string>
  /** /run/netns was not a mount point before the lab (ip netns makes it one). */
  createdNetnsMount: boolean
  hosts: HostState[]
  /** What `lab up` started the game under (absent: runc, from before the option). */
  runtime?: RuntimeName
}

export function readState(): LabState | null {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as LabState
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export function writeState(s: LabState): void {
  const file = statePath()
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file + '.tmp', JSON.stringify(s, null, 2) + '\n')
  renameSync(file + '.tmp', file)
}
