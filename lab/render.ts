// Pure renderers for the files the lab writes: templates from lab/templates, the runc
// bundle's config.json, the tour, known_hosts. No I/O beyond reading a template.
import type { RuntimeName } from '../src/shared/tour'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { stringify } from 'yaml'
import {
  BUNDLE_PATH,
  CONTAINER_CGROUP,
  CONTAINER_ID,
  FLOATING_IP,
  GAME_PORT,
  LAB_HOPS,
  LAB_HOSTS,
  LAB_SUBNET_PREFIX,
  TRACK_FILE,
  VRRP_ROUTER_ID,
  type LabHostSpec,
} from './hosts'
import { labAssetDir } from './paths'

/** Fills `{{name}}` placeholders; every placeholder must have a value and every value a use. */
export function fillTemplate(text: string, values: Record<string, string | number>): string {
  const used = new Set<string>()
  const out = text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const v = values[key]
    if (v === undefined) throw new Error(`template placeholder {{${key}}} has no value`)
    used.add(key)
    return String(v)
  })
  const unused = Object.keys(values).filter((k) => !used.has(k))
  if (unused.length > 0) throw new Error(`template has no placeholder for: ${unused.join(', ')}`)
  return out
}

export function readTemplate(name: string): string {
  return readFileSync(path.join(labAssetDir(), 'templates', name), 'utf8')
}

export interface ServerCfgOptions {
  address?: string
  port?: number
  map?: string
  bots?: number
  skill?: number
  maxPlayers?: number
  hostname?: string
}

export function renderServerCfg(o: ServerCfgOptions = {}): string {
  const bots = o.bots ?? 6
  return fillTemplate(readTemplate('server.cfg'), {
    hostname: o.hostname ?? 'globehop lab',
    address: o.address ?? FLOATING_IP,
    port: o.port ?? GAME_PORT,
    maxPlayers: o.maxPlayers ?? Math.max(8, bots + 2),
    bots,
    skill: o.skill ?? 8,
    // A small arena with waypoints: six bots meet often, so frags move within seconds.
    map: o.map ?? 'toxic',
  })
}

export function renderKeepalivedConf(host: string, iface = 'eth0'): string {
  return fillTemplate(readTemplate('keepalived.conf'), {
    host,
    trackFile: TRACK_FILE,
    interface: iface,
    vrid: VRRP_ROUTER_ID,
    floatingIp: FLOATING_IP,
    prefix: LAB_SUBNET_PREFIX,
  })
}

/** Where every machine sees the shared Podman image store (machine-init.sh mounts it). */
export const IMAGE_STORE = '/var/lib/globehop-images'

/** containers-storage for the machines: overlay on their own tmpfs, images from the shared store. */
export function renderStorageConf(): string {
  return fillTemplate(readTemplate('storage.conf'), { imageStore: IMAGE_STORE })
}

export function renderSshdConf(): string {
  return readTemplate('sshd.conf')
}

/**
 * The game bundle's config.json: `runc spec`'s defaults (runc 1.3, OCI 1.2) with the edits
 * lab.md records: no terminal, read-only root, tmpfs /tmp, host network (no network
 * namespace), no seccomp, and a relative cgroupsPath so each lab machine gets its own cgroup.
 */
export function renderBundleConfig(args: readonly string[] = gameArgs()): Record<string, unknown> {
  const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']
  return {
    ociVersion: '1.2.1',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [...args],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/tmp'],
      cwd: '/tmp',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: CONTAINER_ID,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=65536k'] },
    ],
    linux: {
      cgroupsPath: CONTAINER_CGROUP,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  }
}

/** DarkPlaces dedicated server in Nexuiz mode (`-nexuiz` is required), config from the bundle. */
export function gameArgs(): string[] {
  return ['/usr/games/darkplaces-server', '-nexuiz', '-basedir', '/usr/share/games/nexuiz', '-userdir', '/tmp', '+exec', 'globehop.cfg']
}

export interface TourPaths {
  identityFile: string
  knownHosts: string
  /** What the game runs under (`lab up --runtime`); default runc. */
  runtime?: RuntimeName
}

/** The lab's tour; it must pass loadTour (src/core/tour/load.ts). */
export function renderTour(p: TourPaths, hosts: readonly LabHostSpec[] = LAB_HOSTS): string {
  const tour = {
    name: 'globehop lab: around the world on one machine',
    description: 'Generated by `globehop lab up`: four simulated hosts in network namespaces with emulated WAN links.',
    defaults: { ssh: { user: 'root', port: 22, identityFile: p.identityFile, knownHosts: p.knownHosts, agent: false } },
    hosts: hosts.map((h) => ({ name: h.name, label: h.label, lat: h.lat, lon: h.lon, ssh: { host: h.ip } })),
    container: { id: CONTAINER_ID, bundle: BUNDLE_PATH, runtime: p.runtime ?? 'runc', gamePort: GAME_PORT },
    floatingIp: { address: FLOATING_IP, interface: 'eth0', prefix: LAB_SUBNET_PREFIX, method: 'keepalived', trackFile: TRACK_FILE },
    hops: [...LAB_HOPS],
  }
  return '# Generated by `globehop lab up`; rewritten on every `lab up`.\n' + stringify(tour)
}

/** known_hosts lines: every name and address a host answers to, with its ed25519 public key. */
export function renderKnownHosts(entries: readonly { names: readonly string[]; publicKey: string }[]): string {
  return entries
    .map((e) => {
      const [type, key] = e.publicKey.trim().split(/\s+/)
      if (!type || !key) throw new Error(`not an OpenSSH public key: ${e.publicKey}`)
      return `${e.names.join(',')} ${type} ${key}\n`
    })
    .join('')
}

export function renderEtcHosts(self: string, hosts: readonly LabHostSpec[] = LAB_HOSTS): string {
  return ['127.0.0.1\tlocalhost', `127.0.1.1\t${self}`, ...hosts.map((h) => `${h.ip}\t${h.name}`), ''].join('\n')
}

/** One-way delay in microseconds for a link with this RTT: half each way. */
export function oneWayDelayUs(rttMs: number): number {
  return Math.round((rttMs * 1000) / 2)
}
