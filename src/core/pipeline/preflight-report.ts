// From every host's facts to the preflight table and the modes the tour can use. Pure.
import type { PreflightReport } from '../../shared/contract'
import { formatBytes } from '../../shared/format'
import { MIGRATION_MODES, type Mode, type Tour } from '../../shared/tour'
import { streamsImage } from './decide'
import type { HostFacts, LinkFacts } from './facts'
import { predictGap, type ImageFigures } from './gap-model'
import { chooseCompression, chooseTechnique, imageFromFacts, techniqueLabel } from './modes'
import { runtimeOf } from './runtime/registry'

type Check = PreflightReport['hosts'][number]['checks'][number]

/** Disk room asked for when no host reports the game's resident size: 256 MiB. */
const FALLBACK_NEED_BYTES = 256 * 1024 ** 2

function versionAtLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0
    const b = min[i] ?? 0
    if (a !== b) return a > b
  }
  return true
}

/** The bundle digest most hosts share: a lone different host is the odd one out. */
function majority(values: (string | null)[]): string | null {
  const counts = new Map<string, number>()
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null
}

const copyHint = (tour: Tour) => {
  const image = runtimeOf(tour).image
  return image ? ` (copy it: ${image.copyHint})` : ''
}

/**
 * What a restore there builds the container from: the bundle, identical on every host; or, for an
 * image runtime (podman), the image the container runs, held by this host.
 */
function filesystemCheck(tour: Tour, f: HostFacts, all: HostFacts[]): Check {
  if (!f.bundle.ok) return { id: runtimeOf(tour).image ? 'image' : 'bundle', status: 'fail', detail: f.bundle.detail }
  if (f.images) {
    const want = all.map((h) => h.images?.container).find((x) => x) ?? null
    if (!want) return { id: 'image', status: 'ok', detail: `${f.bundle.detail}; no host runs the container to compare with` }
    if (f.images.container) return { id: 'image', status: 'ok', detail: f.bundle.detail }
    return f.images.held.includes(want)
      ? { id: 'image', status: 'ok', detail: `holds the container's image ${want.slice(0, 12)}` }
      : { id: 'image', status: 'fail', detail: `lacks the container's image ${want.slice(0, 12)}: ${runtimeOf(tour).name} restores onto it${copyHint(tour)}` }
  }
  const cfg = majority(all.map((h) => h.bundle.configShaNoCgroup))
  const rootfs = majority(all.map((h) => h.bundle.rootfs))
  if (f.bundle.configShaNoCgroup !== cfg) return { id: 'bundle', status: 'fail', detail: `config.json differs from the other hosts' (${f.bundle.detail})` }
  if (f.bundle.rootfs !== rootfs) return { id: 'bundle', status: 'fail', detail: `rootfs differs from the other hosts' (${f.bundle.detail})` }
  const cg = all.some((h) => h.bundle.configSha !== f.bundle.configSha) ? '; config.json differs only in linux.cgroupsPath' : ''
  return { id: 'bundle', status: 'ok', detail: `identical on all hosts: ${f.bundle.detail}${cg}` }
}

export function hostChecks(tour: Tour, f: HostFacts, all: HostFacts[], expectedOn: string | null): Check[] {
  if (!f.reachable.ok) return [{ id: 'reachable', status: 'fail', detail: f.reachable.detail }]
  const c: Check[] = [{ id: 'reachable', status: 'ok', detail: `connected${f.kernel ? `, kernel ${f.kernel}` : ''}` }]
  const rt = runtimeOf(tour).name
  if (!f.runtimeVersion) c.push({ id: 'runtime', status: 'fail', detail: `${rt} not found` })
  else c.push({ id: 'runtime', status: f.runtimeProblem ? 'fail' : 'ok', detail: f.runtimeProblem ? `${rt} ${f.runtimeVersion}: ${f.runtimeProblem}` : `${rt} ${f.runtimeVersion}` })
  if (!f.criuVersion) c.push({ id: 'criu', status: 'fail', detail: 'criu not found' })
  else {
    const v = f.criuVersion.join('.')
    const kernelMajor = f.kernel ? f.kernel.split('.').map(Number) : []
    // lab.md: criu < 4.2 cannot dump any INET socket on kernels >= 6.16.
    const old = versionAtLeast(kernelMajor, [6, 16]) && !versionAtLeast(f.criuVersion, [4, 2])
    c.push({ id: 'criu', status: old ? 'fail' : 'ok', detail: old ? `criu ${v}: versions before 4.2 cannot dump INET sockets on kernel ${f.kernel}` : `criu ${v}` })
  }
  c.push({ id: 'criu-check', status: f.criuCheck.ok ? 'ok' : 'fail', detail: f.criuCheck.detail })
  c.push(
    f.dirtyTrack.ok
      ? { id: 'mem-dirty-track', status: 'ok', detail: 'soft-dirty tracking: CRIU pre-dump possible' }
      : { id: 'mem-dirty-track', status: 'warn', detail: `CRIU pre-dump unavailable: kernel has no soft-dirty memory tracking (criu check --feature mem_dirty_track: ${f.dirtyTrack.detail}); pre-copy uses rsync's tracking` },
  )
  c.push(
    f.uffd.ok
      ? { id: 'uffd', status: 'ok', detail: 'userfaultfd: post-copy possible' }
      : { id: 'uffd', status: 'warn', detail: `post-copy unavailable here: ${f.uffd.detail}` },
  )
  c.push(filesystemCheck(tour, f, all))
  const rss = all.find((h) => h.containerRssBytes)?.containerRssBytes ?? null
  // Room for a snapshot and a final image on a source, and what arrives on a destination.
  const need = rss ? 2 * rss : FALLBACK_NEED_BYTES
  if (f.diskFreeBytes === null) c.push({ id: 'disk', status: 'warn', detail: `free space under ${tour.options.imageDir} unknown` })
  else {
    const free = `${formatBytes(f.diskFreeBytes)} free under ${tour.options.imageDir}`
    c.push({ id: 'disk', status: f.diskFreeBytes < need ? 'fail' : f.diskFreeBytes < 2 * need ? 'warn' : 'ok', detail: `${free}, ~${formatBytes(need)} needed` })
  }
  if (tour.options.sharedStorage) c.push({ id: 'rsync', status: f.rsync.ok ? 'ok' : 'skip', detail: `shared storage: no copy (${f.rsync.detail})` })
  else c.push({ id: 'rsync', status: f.rsync.ok ? 'ok' : 'fail', detail: f.rsync.ok ? `${f.rsync.detail}${f.rsync.zstd ? ', zstd' : ', no zstd'}` : `rsync not found: ${f.rsync.detail}` })
  // The one-way final delta of rsync-tracked pre-copy; without its tools that transfer is rsync's.
  if (tour.options.sharedStorage) c.push({ id: 'delta-tools', status: 'skip', detail: 'shared storage: no final delta to send' })
  else if (f.deltaTools.ok) {
    // zstd(1) as well: stop-and-copy streams its whole image one way (else rsync copies it after the dump).
    const whole = f.deltaTools.zstd ? '; zstd: stop-and-copy streams its image one way' : '; no zstd: stop-and-copy copies with rsync after the dump'
    c.push({ id: 'delta-tools', status: 'ok', detail: `${f.deltaTools.detail}: one-way final delta possible${whole}` })
  }
  else {
    const what = f.deltaTools.missing.length ? `${f.deltaTools.missing.join(', ')} missing on ${f.host}` : `${f.deltaTools.detail} on ${f.host}`
    c.push({ id: 'delta-tools', status: 'warn', detail: `${what}: hops to or from ${f.host} send pre-copy's final delta with rsync instead of the one-way page delta` })
  }
  if (tour.floatingIp.method === 'keepalived') {
    c.push({ id: 'keepalived', status: f.keepalived ? 'ok' : 'fail', detail: f.keepalived ? 'running' : 'not running: the floating IP cannot move' })
  } else {
    c.push({ id: 'keepalived', status: f.keepalived ? 'fail' : 'ok', detail: f.keepalived ? 'running while the tour moves the IP by hand: both hosts could end up holding it' : 'not running (manual IP moves)' })
  }
  const holders = all.filter((h) => h.holdsIp).map((h) => h.host)
  c.push({
    id: 'floating-ip',
    status: f.holdsIp && holders.length > 1 ? 'fail' : 'ok',
    detail: f.holdsIp ? (holders.length > 1 ? `holds ${tour.floatingIp.address}, and so do ${holders.filter((h) => h !== f.host).join(', ')}` : `holds ${tour.floatingIp.address}`) : 'does not hold the floating IP',
  })
  const running = all.filter((h) => h.container === 'running').map((h) => h.host)
  const st = f.container
  if (st === 'running') {
    c.push({
      id: 'container',
      status: running.length > 1 ? 'fail' : expectedOn && expectedOn !== f.host ? 'warn' : 'ok',
      detail: running.length > 1 ? `running here and on ${running.filter((h) => h !== f.host).join(', ')}: two servers` : `running${f.containerRssBytes ? `, ${formatBytes(f.containerRssBytes)} resident` : ''}${expectedOn && expectedOn !== f.host ? ` (the tour expected ${expectedOn})` : ''}`,
    })
  } else if (st === 'absent') c.push({ id: 'container', status: f.host === expectedOn && running.length === 0 ? 'fail' : 'ok', detail: f.host === expectedOn && running.length === 0 ? 'not running here, nor anywhere' : 'not here' })
  else c.push({ id: 'container', status: 'warn', detail: `a ${st} container "${tour.container.id}" is left here; a restore removes it first` })
  c.push(
    f.nonlocalBind
      ? { id: 'nonlocal-bind', status: 'ok', detail: 'ip_nonlocal_bind=1: restore may run before the IP arrives' }
      : { id: 'nonlocal-bind', status: 'warn', detail: 'ip_nonlocal_bind=0: the IP move must finish before the restore' },
  )
  c.push(hugePagesCheck(f.hugePages))
  return c
}

/**
 * CRIU's restore faults the game's whole memory in; in 4 KiB pages that is most of its time.
 * Measured on the lab (88 MB image, 6 pre-copy hops each): CRIU's restore 420-550 ms with
 * `madvise`, 154-200 ms with `always`; the players' gap 1.04-1.51 s against 0.77-0.89 s.
 */
export function hugePagesCheck(mode: string | null): Check {
  if (mode === null) return { id: 'huge-pages', status: 'skip', detail: 'transparent huge pages: not readable here' }
  if (mode === 'always') return { id: 'huge-pages', status: 'ok', detail: "transparent huge pages: always (CRIU's restore fills the game's memory in 2 MiB pages)" }
  return {
    id: 'huge-pages',
    status: 'warn',
    detail: `transparent huge pages: ${mode}, so CRIU's restore here fills the game's memory 4 KiB at a time (on the lab 2-3x slower than with always: ~0.3 s more of every gap); \`echo always > /sys/kernel/mm/transparent_hugepage/enabled\` as root changes it until the next boot`,
  }
}

/** The tour's hops from where the container is now, as (source, destination) pairs. */
export function remainingHops(tour: Tour, position: number): [string, string][] {
  const out: [string, string][] = []
  for (let i = Math.max(position, 0); i + 1 < tour.hops.length; i++) out.push([tour.hops[i]!, tour.hops[i + 1]!])
  return out
}

/** What the next hop's prediction is made from: the measured link and the image's figures. */
export interface NextHop {
  link: LinkFacts | null
  /** Earlier hops' figures; without them the source's resident memory stands in for the image. */
  image?: ImageFigures
}

export function buildReport(tour: Tour, facts: HostFacts[], expectedOn: string | null, position: number, next?: NextHop): PreflightReport {
  const hosts = facts.map((f) => ({ host: f.host, checks: hostChecks(tour, f, facts, expectedOn) }))
  const byName = new Map(facts.map((f) => [f.host, f]))
  const hops = remainingHops(tour, position)
  const modes = MIGRATION_MODES.map((mode) => {
    for (const [a, b] of hops) {
      const src = byName.get(a)
      const dst = byName.get(b)
      if (!src || !dst) return { mode, available: false, reason: `no facts for ${src ? b : a}` }
      // Capabilities only: later hops' hosts do not run the container yet.
      const c = chooseTechnique(mode, tour, { ...src, container: 'running' }, { ...dst, container: 'absent' }, null)
      if (!c.ok) return { mode, available: false, reason: c.reason }
    }
    if (hops.length === 0) return { mode, available: false, reason: 'no hops left in the tour' }
    return { mode, available: true, ...predictNext(tour, mode, hops[0]!, byName, next) }
  })
  const owners = facts.filter((f) => f.holdsIp)
  const on = facts.filter((f) => f.container === 'running')
  const fail = hosts.some((h) => h.checks.some((c) => c.status === 'fail'))
  return {
    ok: !fail && modes.some((m) => m.available),
    hosts,
    modes,
    floatingIpOwner: owners.length === 1 ? owners[0]!.host : null,
    containerOn: on.length === 1 ? on[0]!.host : null,
  }
}

/** The next hop's predicted gap in `mode` and its sum in words (auto: what it would pick). */
function predictNext(tour: Tour, mode: Mode, [a, b]: [string, string], byName: Map<string, HostFacts>, next?: NextHop): { predictedGapMs?: number; reason?: string } {
  const src = byName.get(a)!
  const dst = byName.get(b)!
  if (!next?.link || next.link.rttMs === null) return {}
  const image = next.image ?? imageFromFacts(src)
  const c = chooseTechnique(mode, tour, { ...src, container: 'running' }, { ...dst, container: 'absent' }, next.link, undefined, image)
  if (!c.ok) return {}
  const compress = chooseCompression(tour, src, next.link)
  const p = predictGap(c.technique.kind, next.link, image, compress, streamsImage(c.technique.kind, src, dst, compress))
  if (!p) return {}
  const picks = mode === 'auto' ? `picks ${techniqueLabel(c.technique)}; ` : ''
  return { predictedGapMs: Math.round(p.gapMs), reason: `${a} -> ${b}: ${picks}players' gap ${p.words}` }
}
