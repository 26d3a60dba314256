// Gathers one host's facts over its Remote: versions, CRIU's feature checks, the bundle's
// fingerprint, disk, keepalived, the floating IP and the container. Read-only: preflight never
// changes a host.
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Tour } from '../../shared/tour'
import type { Remote, RunOptions, RunResult } from '../ssh/types'
import { criuCheck, criuFeature, criuVersion, parseCriuVersion } from '../criu/commands'
import { holdsAddress, keepalivedRunning, listAddresses } from '../floating-ip/argv'
import type { Capability, HostFacts, ShmFacts } from './facts'
import { parseRuntimeState } from './remote-files'
import { runBatch, type Query } from './remote-batch'
import { runtimeOf } from './runtime/registry'

const tail = (s: string, n = 2) => s.trim().split('\n').slice(-n).join(' | ')

/** Path, type, size, mode and link target of every file: equal trees give equal digests, fast. */
export const rootfsFingerprintArgv = (rootfs: string): string[] => [
  'sh',
  '-c',
  'cd "$1" && find . -xdev -printf "%P\\t%y\\t%s\\t%m\\t%l\\n" | LC_ALL=C sort | sha256sum',
  'sh',
  rootfs,
]

/** Where pre-copy's snapshots go when they fit in RAM (decide.ts): a tmpfs on every Linux with glibc. */
export const SHM_DIR = '/dev/shm'

/** `<fs type of /dev/shm> <its free bytes> <MemAvailable KiB>` (mawk prints big products as 2.4e+10). */
export const shmArgv = (): string[] => [
  'sh',
  '-c',
  'printf "%s %s %s\\n" "$(stat -f -c %T "$1" 2>/dev/null || echo -)" "$(df -B1 --output=avail "$1" 2>/dev/null | tail -n 1)" "$(awk \'/^MemAvailable:/ {print $2}\' /proc/meminfo)"',
  'sh',
  SHM_DIR,
]

export function parseShm(r: RunResult): ShmFacts | null {
  if (r.code !== 0) return null
  const [t, a, m] = r.stdout.trim().split(/\s+/)
  const n = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : null)
  const kib = n(m)
  return { tmpfs: t === 'tmpfs', availBytes: n(a), memAvailBytes: kib === null ? null : kib * 1024 }
}

/** Free bytes on the filesystem that will hold imageDir (its nearest existing parent). */
export const diskFreeArgv = (dir: string): string[] => [
  'sh',
  '-c',
  'd=$1; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; df -B1 --output=avail "$d" | tail -n 1',
  'sh',
  dir,
]

/**
 * One line per virtio balloon: its feature bit 5, VIRTIO_BALLOON_F_REPORTING (the virtio spec, 5.5.3):
 * the guest reports free pages and the hypervisor may take them back. `features` lists bit 0 first.
 */
export const freePageReportingArgv = (): string[] => [
  'sh',
  '-c',
  'for d in /sys/bus/virtio/devices/*; do [ "$(cat "$d/device" 2>/dev/null)" = 0x0005 ] && cut -c6 "$d/features" 2>/dev/null; done; true',
]

export function parseFreePageReporting(r: RunResult): boolean | null {
  if (r.code !== 0) return null
  return r.stdout.split('\n').some((l) => l.trim() === '1')
}

/** The one-way final delta's tools (transfer/page-delta.ts) that are missing, one per line; zstd
 *  too, which a whole image's stream needs (stop-and-copy) and the delta does not. */
export const DELTA_TOOLS = ['perl', 'gzip', 'cksum'] as const
export const deltaToolsArgv = (): string[] => ['sh', '-c', 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done', 'sh', ...DELTA_TOOLS, 'zstd']

export function deltaToolsCapability(r: RunResult): HostFacts['deltaTools'] {
  if (r.code !== 0) return { ok: false, detail: `could not look for ${DELTA_TOOLS.join(', ')}: ${tail(r.stderr) || `exit ${r.code}`}`, missing: [...DELTA_TOOLS], zstd: false }
  const lines = r.stdout.split('\n').map((l) => l.trim())
  const missing = lines.filter((l) => (DELTA_TOOLS as readonly string[]).includes(l))
  return { ok: missing.length === 0, detail: missing.length ? `${missing.join(', ')} not found` : DELTA_TOOLS.join(', '), missing, zstd: !lines.includes('zstd') }
}

/** CRIU's own words without its log prefix: `Warn  (criu/cr-check.c:824): Dirty tracking is OFF.` */
export function criuWords(s: string): string {
  return s.replace(/^\s*(?:Warn|Error|Info)?\s*\([^)]*\.c:\d+\):\s*/gm, '').trim()
}

export function featureCapability(r: RunResult, feature: string): Capability {
  const text = criuWords(tail(`${r.stdout}\n${r.stderr}`))
  return { ok: r.code === 0, detail: text || (r.code === 0 ? 'supported' : `criu check --feature ${feature} exited ${r.code}`) }
}

/** config.json's digest, and one without `linux.cgroupsPath` (hosts may each need their own). */
export function configDigests(text: string): { sha: string; shaNoCgroup: string; rootPath: string | null } {
  const sha = createHash('sha256').update(text).digest('hex')
  try {
    const o = JSON.parse(text) as { root?: { path?: string }; linux?: { cgroupsPath?: string } }
    if (o.linux) delete o.linux.cgroupsPath
    return { sha, shaNoCgroup: createHash('sha256').update(JSON.stringify(o)).digest('hex'), rootPath: o.root?.path ?? null }
  } catch {
    return { sha, shaNoCgroup: sha, rootPath: null }
  }
}

export const THP_ENABLED = '/sys/kernel/mm/transparent_hugepage/enabled'

/** `always [madvise] never` -> the bracketed mode. */
export function hugePageMode(out: string): string | null {
  return /\[(\w+)\]/.exec(out)?.[1] ?? null
}

/** Every question preflight asks a host, as one batch (remote-batch.ts); the RSS comes after. */
export function factsQueries(tour: Tour): Query[] {
  return [
    ['kernel', ['uname', '-r']],
    ['runtime', runtimeOf(tour).version()],
    ['criu', criuVersion()],
    ['check', criuCheck()],
    ['dirty', criuFeature('mem_dirty_track')],
    ['uffd', criuFeature('uffd-noncoop')],
    ['rsync', ['rsync', '--version']],
    ['disk', diskFreeArgv(tour.options.imageDir)],
    ['keepalived', keepalivedRunning()],
    ['addrs', listAddresses()],
    ['sysctl', ['sysctl', '-n', 'net.ipv4.ip_nonlocal_bind', 'fs.pipe-max-size']],
    ['tools', deltaToolsArgv()],
    ['thp', ['cat', THP_ENABLED]],
    ['shm', shmArgv()],
    ['reporting', freePageReportingArgv()],
    ['state', runtimeOf(tour).state(tour.container.id)],
    ...filesystemQueries(tour),
  ]
}

/** Where the destination's copy of the container's files comes from: the bundle, or an image. */
function filesystemQueries(tour: Tour): Query[] {
  const image = runtimeOf(tour).image
  if (image) return [['images', image.list()], ['image', image.ofContainer(tour.container.id)]]
  // Speculative: the usual root.path; config.json says whether it was the right one.
  return [['rootfs', rootfsFingerprintArgv(`${tour.container.bundle}/rootfs`)]]
}

const imageIds = (out: string): string[] => out.split('\n').map((l) => l.trim().replace(/^sha256:/, '')).filter(Boolean)

/** An image runtime's facts: the archive carries the configuration, the image must be there. */
function imageFacts(list: RunResult, own: RunResult): Pick<HostFacts, 'bundle' | 'images'> {
  const none = { configSha: null, configShaNoCgroup: null, rootfs: null }
  if (list.code !== 0) return { bundle: { ok: false, detail: `cannot list the images: ${tail(list.stderr) || `exit ${list.code}`}`, ...none }, images: null }
  const held = imageIds(list.stdout)
  const container = own.code === 0 ? (imageIds(own.stdout)[0] ?? null) : null
  const detail = container ? `the container's image ${container.slice(0, 12)}` : `${held.length} image${held.length === 1 ? '' : 's'}`
  return { bundle: { ok: true, detail, ...none }, images: { held, container } }
}

/** After the batch's queries: the container's resident memory, from the pid the runtime's `state` gave. */
export const RSS_AFTER = {
  keys: ['rss'],
  script: [
    'p=$(sed -n \'s/^[[:space:]]*"pid":[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p\' "$d/state.o" | head -n 1)',
    'if [ -n "$p" ] && [ "$p" != 0 ]; then awk \'/^VmRSS/ {print $2 * 1024}\' "/proc/$p/status" </dev/null >"$d/rss.o" 2>"$d/rss.e"; echo $? >"$d/rss.c"; fi',
  ].join('\n'),
}

const failed = (why: string): RunResult => ({ code: -1, stdout: '', stderr: why, ms: 0 })

export async function gatherHostFacts(r: Remote, tour: Tour): Promise<HostFacts> {
  const run = (argv: string[], log: RunOptions['log'] = true) => r.run(argv, { allowFail: true, timeoutMs: 60_000, log }).catch((e: unknown): RunResult => failed(String(e)))
  const bundle = tour.container.bundle
  // One remote command for every question (one exec's round trips, not ~15 in four waves), and
  // beside it config.json: OCI env often holds secrets, so that read logs its command line only.
  const byImage = runtimeOf(tour).image !== undefined
  const [b, config] = await Promise.all([
    runBatch(r, factsQueries(tour), { timeoutMs: 60_000 }, RSS_AFTER),
    byImage ? failed('the runtime restores from its image') : run(['cat', `${bundle}/config.json`], 'command'),
  ])
  const q = (k: string) => b.get(k) ?? failed(`no answer for ${k}`)
  const [kernel, rv, cv, check, dirty, uffd, rs, disk, ka, addrs, sysctl, tools, thp] = [
    q('kernel'), q('runtime'), q('criu'), q('check'), q('dirty'), q('uffd'), q('rsync'), q('disk'), q('keepalived'), q('addrs'), q('sysctl'), q('tools'), q('thp'),
  ]
  const stateRes = q('state')
  const state = stateRes.code === 0 ? parseRuntimeState(stateRes.stdout) : { state: /does not exist|not exist|no such/i.test(stateRes.stderr + stateRes.stdout) ? ('absent' as const) : ('unknown' as const), pid: null }

  let bundleFacts: HostFacts['bundle'] = { ok: false, detail: `no ${bundle}/config.json: ${tail(config.stderr)}`, configSha: null, configShaNoCgroup: null, rootfs: null }
  if (config.code === 0) {
    const d = configDigests(config.stdout)
    if (!d.rootPath) bundleFacts = { ok: false, detail: 'config.json has no root.path', configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: null }
    else {
      const rootfs = d.rootPath.startsWith('/') ? d.rootPath : `${bundle}/${d.rootPath}`
      // The batch fingerprinted <bundle>/rootfs; another root.path needs its own pass.
      const fp = path.posix.normalize(rootfs) === path.posix.normalize(`${bundle}/rootfs`) ? q('rootfs') : await run(rootfsFingerprintArgv(rootfs))
      const digest = fp.code === 0 ? (fp.stdout.split(/\s/)[0] ?? null) : null
      bundleFacts = digest
        ? { ok: true, detail: `config.json ${d.sha.slice(0, 12)}, rootfs ${digest.slice(0, 12)}`, configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: digest }
        : { ok: false, detail: `rootfs ${rootfs} unreadable: ${tail(fp.stderr)}`, configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: null }
    }
  }

  let rss: number | null = null
  if (state.state === 'running' && state.pid) {
    const rr = q('rss')
    const n = Number(rr.stdout.trim())
    rss = rr.code === 0 && n > 0 ? n : null
  }
  const [nonlocal, pipeMax] = sysctl.stdout.trim().split('\n')
  const free = disk.stdout.trim() === '' ? NaN : Number(disk.stdout.trim())
  return {
    host: r.host.name,
    reachable: { ok: true, detail: 'connected' },
    kernel: kernel.code === 0 ? kernel.stdout.trim() : null,
    runtimeVersion: rv.code === 0 ? runtimeOf(tour).parseVersion(rv.stdout) : null,
    runtimeProblem: rv.code === 0 ? runtimeOf(tour).cannotCheckpoint(rv.stdout) : null,
    criuVersion: cv.code === 0 ? parseCriuVersion(cv.stdout) : null,
    criuCheck: { ok: check.code === 0, detail: tail(`${check.stdout}\n${check.stderr}`) || `exit ${check.code}` },
    dirtyTrack: featureCapability(dirty, 'mem_dirty_track'),
    uffd: featureCapability(uffd, 'uffd-noncoop'),
    rsync: { ok: rs.code === 0, detail: rs.code === 0 ? (rs.stdout.split('\n')[0] ?? '').trim() : tail(rs.stderr) || 'not found', zstd: /compress list:[\s\S]*?zstd/i.test(rs.stdout) },
    ...(byImage ? imageFacts(q('images'), q('image')) : { bundle: bundleFacts, images: null }),
    diskFreeBytes: disk.code === 0 && Number.isFinite(free) ? free : null,
    keepalived: ka.code === 0,
    holdsIp: addrs.code === 0 && holdsAddress(addrs.stdout, tour.floatingIp.address),
    container: state.state,
    containerRssBytes: rss,
    nonlocalBind: nonlocal?.trim() === '1',
    pipeMaxSize: pipeMax !== undefined && Number.isFinite(Number(pipeMax)) ? Number(pipeMax) : null,
    hugePages: thp.code === 0 ? hugePageMode(thp.stdout) : null,
    deltaTools: deltaToolsCapability(tools),
    shm: parseShm(q('shm')),
    freePageReporting: parseFreePageReporting(q('reporting')),
  }
}
