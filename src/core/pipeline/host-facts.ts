// Gathers one host's facts over its Remote: versions, CRIU's feature checks, the bundle's
// fingerprint, disk, keepalived, the floating IP and the container. Read-only: preflight never
// changes a host.
import { createHash } from 'node:crypto'
import type { Tour } from '../../shared/tour'
import type { Remote, RunOptions, RunResult } from '../ssh/types'
import { criuCheck, criuFeature, criuVersion, parseCriuVersion, parseRuncVersion } from '../criu/commands'
import { holdsAddress, keepalivedRunning, listAddresses } from '../floating-ip/argv'
import type { Capability, HostFacts } from './facts'
import { containerState } from './remote-files'
import { runc } from './runtime/runc'

const tail = (s: string, n = 2) => s.trim().split('\n').slice(-n).join(' | ')

/** Path, type, size, mode and link target of every file: equal trees give equal digests, fast. */
export const rootfsFingerprintArgv = (rootfs: string): string[] => [
  'sh',
  '-c',
  'cd "$1" && find . -xdev -printf "%P\\t%y\\t%s\\t%m\\t%l\\n" | LC_ALL=C sort | sha256sum',
  'sh',
  rootfs,
]

/** Free bytes on the filesystem that will hold imageDir (its nearest existing parent). */
export const diskFreeArgv = (dir: string): string[] => [
  'sh',
  '-c',
  'd=$1; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; df -B1 --output=avail "$d" | tail -n 1',
  'sh',
  dir,
]

/** The one-way final delta's tools (transfer/page-delta.ts) that are missing, one per line. */
export const DELTA_TOOLS = ['perl', 'gzip', 'cksum'] as const
export const deltaToolsArgv = (): string[] => ['sh', '-c', 'for t in "$@"; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done', 'sh', ...DELTA_TOOLS]

export function deltaToolsCapability(r: RunResult): HostFacts['deltaTools'] {
  if (r.code !== 0) return { ok: false, detail: `could not look for ${DELTA_TOOLS.join(', ')}: ${tail(r.stderr) || `exit ${r.code}`}`, missing: [...DELTA_TOOLS] }
  const missing = r.stdout.split('\n').map((l) => l.trim()).filter((l) => (DELTA_TOOLS as readonly string[]).includes(l))
  return { ok: missing.length === 0, detail: missing.length ? `${missing.join(', ')} not found` : DELTA_TOOLS.join(', '), missing }
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

export async function gatherHostFacts(r: Remote, tour: Tour): Promise<HostFacts> {
  const run = (argv: string[], log: RunOptions['log'] = true) => r.run(argv, { allowFail: true, timeoutMs: 60_000, log }).catch((e: unknown): RunResult => ({ code: -1, stdout: '', stderr: String(e), ms: 0 }))
  const bundle = tour.container.bundle
  // Two waves keep the channels per connection under OpenSSH's MaxSessions (10).
  const [kernel, rv, cv, check, dirty, uffd, rs] = await Promise.all([
    run(['uname', '-r']),
    run(runc.version()),
    run(criuVersion()),
    run(criuCheck()),
    run(criuFeature('mem_dirty_track')),
    run(criuFeature('uffd-noncoop')),
    run(['rsync', '--version']),
  ])
  const [config, disk, ka, addrs, sysctl, tools, state] = await Promise.all([
    // OCI env often holds secrets: log that it was read, never what it says.
    run(['cat', `${bundle}/config.json`], 'command'),
    run(diskFreeArgv(tour.options.imageDir)),
    run(keepalivedRunning()),
    run(listAddresses()),
    run(['sysctl', '-n', 'net.ipv4.ip_nonlocal_bind', 'fs.pipe-max-size']),
    run(deltaToolsArgv()),
    containerState(r, runc, tour.container.id).catch(() => ({ state: 'unknown' as const, pid: null })),
  ])

  let bundleFacts: HostFacts['bundle'] = { ok: false, detail: `no ${bundle}/config.json: ${tail(config.stderr)}`, configSha: null, configShaNoCgroup: null, rootfs: null }
  if (config.code === 0) {
    const d = configDigests(config.stdout)
    if (!d.rootPath) bundleFacts = { ok: false, detail: 'config.json has no root.path', configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: null }
    else {
      const rootfs = d.rootPath.startsWith('/') ? d.rootPath : `${bundle}/${d.rootPath}`
      const fp = await run(rootfsFingerprintArgv(rootfs))
      const digest = fp.code === 0 ? (fp.stdout.split(/\s/)[0] ?? null) : null
      bundleFacts = digest
        ? { ok: true, detail: `config.json ${d.sha.slice(0, 12)}, rootfs ${digest.slice(0, 12)}`, configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: digest }
        : { ok: false, detail: `rootfs ${rootfs} unreadable: ${tail(fp.stderr)}`, configSha: d.sha, configShaNoCgroup: d.shaNoCgroup, rootfs: null }
    }
  }

  let rss: number | null = null
  if (state.state === 'running' && state.pid) {
    const s = await run(['sh', '-c', 'awk \'/^VmRSS/ {print $2 * 1024}\' "/proc/$1/status"', 'sh', String(state.pid)])
    const n = Number(s.stdout.trim())
    rss = s.code === 0 && n > 0 ? n : null
  }
  const [nonlocal, pipeMax] = sysctl.stdout.trim().split('\n')
  const free = disk.stdout.trim() === '' ? NaN : Number(disk.stdout.trim())
  return {
    host: r.host.name,
    reachable: { ok: true, detail: 'connected' },
    kernel: kernel.code === 0 ? kernel.stdout.trim() : null,
    runcVersion: rv.code === 0 ? parseRuncVersion(rv.stdout) : null,
    criuVersion: cv.code === 0 ? parseCriuVersion(cv.stdout) : null,
    criuCheck: { ok: check.code === 0, detail: tail(`${check.stdout}\n${check.stderr}`) || `exit ${check.code}` },
    dirtyTrack: featureCapability(dirty, 'mem_dirty_track'),
    uffd: featureCapability(uffd, 'uffd-noncoop'),
    rsync: { ok: rs.code === 0, detail: rs.code === 0 ? (rs.stdout.split('\n')[0] ?? '').trim() : tail(rs.stderr) || 'not found', zstd: /compress list:[\s\S]*?zstd/i.test(rs.stdout) },
    bundle: bundleFacts,
    diskFreeBytes: disk.code === 0 && Number.isFinite(free) ? free : null,
    keepalived: ka.code === 0,
    holdsIp: addrs.code === 0 && holdsAddress(addrs.stdout, tour.floatingIp.address),
    container: state.state,
    containerRssBytes: rss,
    nonlocalBind: nonlocal?.trim() === '1',
    pipeMaxSize: pipeMax !== undefined && Number.isFinite(Number(pipeMax)) ? Number(pipeMax) : null,
    deltaTools: deltaToolsCapability(tools),
  }
}
