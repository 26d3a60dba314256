// `lab status`: what runs where, read from the live system (state.json only says where to look).
import { execFileSync } from 'node:child_process'
import { CLIENT_IP, CLIENT_VETH, CONTAINER_ID, FLOATING_IP, labHost } from './hosts'
import { memoryUsage } from './cgroups'
import { gameStatus, ownsFloatingIp } from './game'
import { runDir } from './paths'
import { isAlive } from './procs'
import { readState, type LinkSettings, type ShapingMethod } from './state'
import { labTourPath } from './up'
import { formatBytes } from '../src/shared/format'

export interface LabHostStatus {
  name: string
  label: string
  ip: string
  netns: string
  initPid: number
  alive: boolean
  ownsFloatingIp: boolean
  /** runc status of the game container here (running, paused, stopped...), null when absent. */
  game: string | null
  link: LinkSettings & { rttMs: number; delayline: boolean }
}

export interface LabStatus {
  up: boolean
  startedAt: string
  cacheDir: string
  bundle: string
  shaping: ShapingMethod
  client: { ip: string; interface: string }
  floatingIp: { address: string; owners: string[] }
  game: { id: string; runningOn: string[] }
  tourPath: string
  /** Memory charged to the machines' cgroups plus the tmpfs run dir (overlay upper layers). */
  memory: { cgroupsBytes: number; runDirBytes: number }
  hosts: LabHostStatus[]
}

function duBytes(dir: string): number {
  try {
    return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0])
  } catch {
    return 0
  }
}

export async function status(): Promise<LabStatus | null> {
  const s = readState()
  if (!s) return null
  const hosts: LabHostStatus[] = await Promise.all(
    s.hosts.map(async (h) => {
      const alive = isAlive(h.initPid)
      return {
        name: h.name,
        label: labHost(h.name).label,
        ip: h.ip,
        netns: h.netns,
        initPid: h.initPid,
        alive,
        ownsFloatingIp: alive && (await ownsFloatingIp(h)),
        game: alive ? await gameStatus(h).catch(() => null) : null,
        link: { ...h.link, rttMs: 2 * h.link.delayMs, delayline: !!h.delaylinePid && isAlive(h.delaylinePid, 'delayline') },
      }
    }),
  )
  return {
    up: hosts.length > 0 && hosts.every((h) => h.alive),
    startedAt: s.startedAt,
    cacheDir: s.cacheDir,
    bundle: s.bundle,
    shaping: s.shaping,
    client: { ip: CLIENT_IP, interface: CLIENT_VETH },
    floatingIp: { address: FLOATING_IP, owners: hosts.filter((h) => h.ownsFloatingIp).map((h) => h.name) },
    game: { id: CONTAINER_ID, runningOn: hosts.filter((h) => h.game === 'running').map((h) => h.name) },
    tourPath: labTourPath(),
    memory: { cgroupsBytes: memoryUsage(s.hosts.flatMap((h) => h.cgroups)), runDirBytes: duBytes(runDir()) },
    hosts,
  }
}

export function formatStatus(st: LabStatus | null): string {
  if (!st) return 'lab is down\n'
  const lines = [
    `lab ${st.up ? 'up' : 'DEGRADED'} since ${st.startedAt}`,
    `shaping: ${st.shaping === 'off' ? 'off (--no-shaping)' : st.shaping === 'netem' ? 'netem (kernel) + tbf' : 'userspace delay line (no netem in this kernel) + tbf'}`,
    `client: ${st.client.ip} on ${st.client.interface}   floating IP ${st.floatingIp.address} owned by ${st.floatingIp.owners.join(', ') || 'nobody'}`,
    `game "${st.game.id}" running on ${st.game.runningOn.join(', ') || 'no host'}`,
    `tour: ${st.tourPath}`,
    `memory: ${formatBytes(st.memory.cgroupsBytes)} in the machines' cgroups, ${formatBytes(st.memory.runDirBytes)} in ${runDir()} (tmpfs)`,
    '',
    'host        address        owner  game      RTT      rate         pid',
  ]
  for (const h of st.hosts) {
    const rate = h.link.rateMbit === null ? 'unlimited' : `${h.link.rateMbit} Mbit/s`
    lines.push(
      [
        h.name.padEnd(11),
        h.ip.padEnd(14),
        (h.ownsFloatingIp ? 'yes' : '-').padEnd(6),
        (h.game ?? '-').padEnd(9),
        `${h.link.rttMs} ms`.padEnd(8),
        rate.padEnd(12),
        h.alive ? String(h.initPid) : 'DEAD',
      ].join(' '),
    )
  }
  return lines.join('\n') + '\n'
}
