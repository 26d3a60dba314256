// Which migration technique a hop uses, or why it cannot: decided from preflight facts before
// anything is frozen, so a refusal never costs the players a pause.
import type { Mode, Tour } from '../../shared/tour'
import type { HostFacts, LinkFacts } from './facts'
import { predictGap, type GapPrediction, type ImageFigures } from './gap-model'
import { runtimeOf } from './runtime/registry'

export type Tracking = 'criu' | 'rsync'

export type Technique =
  | { kind: 'stop-and-copy' }
  | { kind: 'pre-copy'; tracking: Tracking }
  | { kind: 'post-copy' }
  | { kind: 'pre+post'; tracking: 'criu' }

export type Choice = { ok: true; technique: Technique; why: string } | { ok: false; reason: string }

// lab.md: post-copy halves the gap on a fast LAN but stalled ~29 s faulting pages at 10 Mbit/s.
export const FAST_LINK_MBIT = 200
export const LOW_LATENCY_MS = 10

export function techniqueLabel(t: Technique): string {
  if (t.kind === 'pre-copy') return t.tracking === 'criu' ? 'pre-copy (CRIU pre-dump)' : 'pre-copy (rsync delta)'
  if (t.kind === 'pre+post') return 'pre-copy (CRIU pre-dump) + post-copy'
  return t.kind
}

const criuTrackingMissing = (f: HostFacts) => `kernel has no soft-dirty memory tracking (criu check --feature mem_dirty_track: ${f.dirtyTrack.detail})`

/** Requirements every mode shares; the first unmet one, in words. */
export function baseProblem(tour: Tour, src: HostFacts, dst: HostFacts): string | null {
  for (const f of [src, dst]) {
    if (!f.reachable.ok) return `${f.host} is unreachable: ${f.reachable.detail}`
    if (!f.runtimeVersion) return `${runtimeOf(tour).name} is missing on ${f.host}`
    if (f.runtimeProblem) return `${runtimeOf(tour).name} on ${f.host} cannot checkpoint: ${f.runtimeProblem}`
    if (!f.criuVersion) return `criu is missing on ${f.host}`
    if (!f.criuCheck.ok) return `criu check failed on ${f.host}: ${f.criuCheck.detail}`
    if (!f.bundle.ok) return `bundle problem on ${f.host}: ${f.bundle.detail}`
    if (!tour.options.sharedStorage && !f.rsync.ok) return `rsync is missing on ${f.host}: ${f.rsync.detail}`
  }
  const image = src.images?.container
  const rt = runtimeOf(tour)
  if (image && dst.images && !dst.images.held.includes(image)) {
    return `the container's image ${image.slice(0, 12)} is not on ${dst.host}: ${rt.name} restores the checkpoint onto it there${rt.image ? ` (copy it: ${rt.image.copyHint})` : ''}`
  }
  if (src.bundle.configShaNoCgroup !== dst.bundle.configShaNoCgroup) return `bundle config.json differs between ${src.host} and ${dst.host}`
  if (src.bundle.rootfs !== dst.bundle.rootfs) return `bundle rootfs differs between ${src.host} and ${dst.host}`
  if (src.container !== 'running') return `the container is not running on ${src.host} (${src.container})`
  if (dst.container === 'running' || dst.container === 'paused') return `a container "${tour.container.id}" already runs on ${dst.host}: two servers must never run`
  return null
}

function tracking(tour: Tour, src: HostFacts, dst: HostFacts, forced?: Tracking): { ok: true; tracking: Tracking } | { ok: false; reason: string } {
  const want = forced ?? tour.options.preCopy.tracking
  const rt = runtimeOf(tour)
  const criuOk = rt.capabilities.preDump && src.dirtyTrack.ok
  const rsyncOk = rt.capabilities.leaveRunning && !tour.options.sharedStorage && src.rsync.ok && dst.rsync.ok
  if (want === 'criu' || (want === 'auto' && criuOk)) {
    if (!rt.capabilities.preDump) {
      // Both reasons where both hold: the kernel's would remain once the runtime learnt it.
      const kernel = src.dirtyTrack.ok ? '' : `; nor could ${src.host} track memory (${criuTrackingMissing(src)})`
      return { ok: false, reason: `pre-copy with CRIU's tracking unavailable: ${rt.missing?.preDump ?? `${rt.name} has no pre-dump`}${kernel}` }
    }
    return criuOk ? { ok: true, tracking: 'criu' } : { ok: false, reason: `pre-copy with CRIU's tracking unavailable on ${src.host}: ${criuTrackingMissing(src)}` }
  }
  if (rsyncOk) return { ok: true, tracking: 'rsync' }
  const why = tour.options.sharedStorage ? 'shared storage leaves nothing for rsync to track' : `rsync is missing on ${src.rsync.ok ? dst.host : src.host}`
  return { ok: false, reason: `pre-copy unavailable: ${want === 'auto' ? `CRIU's tracking is unavailable on ${src.host} (${criuTrackingMissing(src)}) and ` : ''}rsync's tracking cannot work: ${why}` }
}

function postCopyProblem(tour: Tour, dst: HostFacts): string | null {
  const rt = runtimeOf(tour)
  if (!rt.capabilities.lazyPages) return `post-copy unavailable: ${rt.name} has no lazy pages (checkpoint --lazy-pages)`
  if (!dst.uffd.ok) return `post-copy unavailable on ${dst.host}: no userfaultfd for lazy pages (criu check --feature uffd-noncoop: ${dst.uffd.detail})`
  return null
}

export function isFastLink(link: LinkFacts | null): boolean {
  return !!link && link.mbitPerSec !== null && link.rttMs !== null && link.mbitPerSec >= FAST_LINK_MBIT && link.rttMs <= LOW_LATENCY_MS
}

/** The image figures the hosts' facts give when no earlier hop measured any: the container's RSS. */
export function imageFromFacts(src: HostFacts): ImageFigures {
  return { imageBytes: src.containerRssBytes }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/**
 * The technique for one hop in `mode`, or the reason it is refused. `image` (earlier hops'
 * figures, else the source's RSS) lets `auto` weigh post-copy's predicted stall (gap-model.ts).
 */
export function chooseTechnique(
  mode: Mode,
  tour: Tour,
  src: HostFacts,
  dst: HostFacts,
  link: LinkFacts | null,
  forcedTracking?: Tracking,
  image: ImageFigures = imageFromFacts(src),
): Choice {
  const base = baseProblem(tour, src, dst)
  if (base) return { ok: false, reason: `${mode} refused: ${base}` }
  switch (mode) {
    case 'stop-and-copy':
      return { ok: true, technique: { kind: 'stop-and-copy' }, why: 'asked for' }
    case 'pre-copy': {
      const t = tracking(tour, src, dst, forcedTracking)
      return t.ok ? { ok: true, technique: { kind: 'pre-copy', tracking: t.tracking }, why: 'asked for' } : { ok: false, reason: t.reason }
    }
    case 'post-copy': {
      const p = postCopyProblem(tour, dst)
      return p ? { ok: false, reason: p } : { ok: true, technique: { kind: 'post-copy' }, why: 'asked for' }
    }
    case 'pre+post': {
      if ((forcedTracking ?? tour.options.preCopy.tracking) === 'rsync') {
        return { ok: false, reason: "pre+post needs CRIU's tracking: a lazy restore cannot start from rsync snapshots" }
      }
      if (!src.dirtyTrack.ok) return { ok: false, reason: `pre+post unavailable: pre-copy with CRIU's tracking unavailable on ${src.host}: ${criuTrackingMissing(src)}` }
      const p = postCopyProblem(tour, dst)
      return p ? { ok: false, reason: `pre+post unavailable: ${p}` } : { ok: true, technique: { kind: 'pre+post', tracking: 'criu' }, why: 'asked for' }
    }
    case 'auto': {
      const linkWords = link && link.mbitPerSec !== null ? `link ${link.mbitPerSec.toFixed(0)} Mbit/s, ${link.rttMs?.toFixed(1) ?? '?'} ms RTT` : 'link not measured'
      const t = tracking(tour, src, dst)
      const copy: Technique = t.ok ? { kind: 'pre-copy', tracking: t.tracking } : { kind: 'stop-and-copy' }
      const compress = chooseCompression(tour, src, link)
      const lazyOk = !postCopyProblem(tour, dst)
      const post = lazyOk ? predictGap('post-copy', link, image, compress) : null
      const other = predictGap(copy.kind, link, image, compress)
      const predicted = (p: GapPrediction) => `${secs(p.gapMs)}${p.stallMs !== undefined ? ` (${secs(p.stallMs)} of it a stall)` : ''}`
      if (post && other) {
        // Post-copy only where its whole gap, the stall included, is predicted shorter.
        if (post.gapMs < other.gapMs) return { ok: true, technique: { kind: 'post-copy' }, why: `auto: ${linkWords}; post-copy predicted ${predicted(post)} against ${copy.kind}'s ${predicted(other)}` }
      } else if (lazyOk && isFastLink(link)) {
        return { ok: true, technique: { kind: 'post-copy' }, why: `auto: fast, low-latency ${linkWords} (image size unknown: no stall predicted)` }
      }
      const vs = post && other ? `; predicted ${predicted(other)} against post-copy's ${predicted(post)}` : ''
      if (t.ok) return { ok: true, technique: copy, why: `auto: ${linkWords}, pre-copy keeps the freeze short${vs}` }
      return { ok: true, technique: copy, why: `auto: ${linkWords}; ${t.reason}${vs}` }
    }
  }
}

/** Compression for rsync: zstd on anything slower than a fast LAN (or when unmeasured). */
export function chooseCompression(tour: Tour, src: HostFacts, link: LinkFacts | null): boolean {
  const c = tour.options.compression
  if (c === 'none') return false
  if (c === 'zstd') return true
  if (!src.rsync.zstd) return false
  return !(link && link.mbitPerSec !== null && link.mbitPerSec >= FAST_LINK_MBIT)
}
