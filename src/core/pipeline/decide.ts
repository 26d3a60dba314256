// The technique for one hop and everything the hop needs to know about it, from the hosts'
// facts and the measured link, in words for the hop's preflight step. Pure.
import type { Mode, Tour } from '../../shared/tour'
import { formatBytes } from '../../shared/format'
import type { HostFacts, LinkFacts } from './facts'
import { SHM_DIR } from './host-facts'
import { predictGap, type HopFigures } from './gap-model'
import type { Decision } from './hop'
import { chooseCompression, chooseTechnique, techniqueLabel, type Technique, type Tracking } from './modes'

export interface DecideInput {
  mode: Mode
  tour: Tour
  sf: HostFacts
  df: HostFacts
  link: LinkFacts | null
  tracking?: Tracking
  /** The image's figures for the gap model (earlier hops, else the source's RSS). */
  image: HopFigures
  /** Earlier hops' figures for the snapshot stop rule. */
  past: HopFigures | null
}

/**
 * Stop-and-copy streams its image one way as CRIU writes it (the delta's tools on both hosts, zstd(1)
 * too when it compresses, and ip_nonlocal_bind on the destination: the tail chain's conditions):
 * no rsync protocol round trips and no command start while the game is frozen.
 */
export function streamsImage(kind: Technique['kind'], sf: HostFacts, df: HostFacts, compress: boolean): boolean {
  return kind === 'stop-and-copy' && sf.deltaTools.ok && df.deltaTools.ok && df.nonlocalBind && (!compress || (sf.deltaTools.zstd && df.deltaTools.zstd))
}

/**
 * rsync-tracked pre-copy writes its snapshots and its final image to RAM (/dev/shm) on a source
 * where two images fit with room to spare (the last snapshot and the final image are the most that
 * exist at once): every dump holds the game while CRIU writes the image, and on the lab the game's
 * memory took ~42 ms into tmpfs against ~115 ms onto ext4 (Stuttgart, 3 dumps each; more when
 * earlier hops' files were still being written back). The final image outlives a crash of the
 * engine there (`recover` finds it through the hop dir's link), not a reboot of the source, which
 * ends the game anyway; the disk copy was never synced either.
 */
export function snapshotsInRam(sf: HostFacts, imageBytes: number | null): boolean {
  const s = sf.shm
  if (!s?.tmpfs || s.availBytes === null || s.memAvailBytes === null || !imageBytes) return false
  return s.availBytes >= 2.5 * imageBytes && s.memAvailBytes >= 2 * imageBytes + 2 ** 30
}

/** The most a hop keeps warm on a host (steps/warm-memory.ts): touched every 0.3 s at nice 19. */
export const WARM_MAX_BYTES = 256 * 2 ** 20

/**
 * How much free memory the hop keeps warm on a host whose hypervisor takes freed memory back: as
 * much as the image (what CRIU's dump writes and its restore reads in), up to WARM_MAX_BYTES and a
 * quarter of what the host has available; 0 elsewhere.
 */
export function warmBytes(f: HostFacts, imageBytes: number | null | undefined): number {
  const avail = f.shm?.memAvailBytes
  if (!f.freePageReporting || !imageBytes || !avail) return 0
  return Math.max(0, Math.floor(Math.min(imageBytes, WARM_MAX_BYTES, avail / 4) / 2 ** 20)) * 2 ** 20
}

/** Where the snapshots go in RAM (the container's and the hop's dirs below it). */
export const RAM_SNAPSHOTS = `${SHM_DIR}/globehop`

export function decideHop(i: DecideInput): { ok: true; decision: Decision; words: string } | { ok: false; reason: string } {
  const { sf, df, link } = i
  // Container states are checked live right after; the facts say what the hosts can do.
  const c = chooseTechnique(i.mode, i.tour, { ...sf, container: 'running' }, { ...df, container: 'absent' }, link, i.tracking, i.image)
  if (!c.ok) return c
  const lw = link?.mbitPerSec != null ? ` (link ${link.mbitPerSec.toFixed(0)} Mbit/s, ${link.rttMs?.toFixed(1) ?? '?'} ms RTT)` : ''
  const compress = chooseCompression(i.tour, sf, link)
  const oneWayDelta = sf.deltaTools.ok && df.deltaTools.ok
  // perl on the source (not checked: an empty list that is not ok).
  const freezeFirst = sf.deltaTools.ok || (sf.deltaTools.missing.length > 0 && !sf.deltaTools.missing.includes('perl'))
  const streamImage = streamsImage(c.technique.kind, sf, df, compress)
  const prediction = predictGap(c.technique.kind, link, i.image, compress, streamImage)
  const decision: Decision = { technique: c.technique, why: c.why + (c.why === 'asked for' ? lw : ''), compress, dstNonlocalBind: df.nonlocalBind, link, prediction, oneWayDelta, streamImage, freezeFirst, past: i.past }
  const rsyncTracked = c.technique.kind === 'pre-copy' && c.technique.tracking === 'rsync'
  const imageBytes = i.image.imageBytes ?? sf.containerRssBytes
  if (rsyncTracked && !i.tour.options.sharedStorage && snapshotsInRam(sf, imageBytes)) decision.snapshotRoot = RAM_SNAPSHOTS
  const warm = { src: warmBytes(sf, imageBytes), dst: warmBytes(df, imageBytes) }
  if (warm.src || warm.dst) decision.warm = warm
  const warmed = [[sf, warm.src] as const, [df, warm.dst] as const].filter(([, b]) => b > 0).map(([f, b]) => `${f.host} (${formatBytes(b)})`)
  const ww = warmed.length ? `; free memory kept warm on ${warmed.join(' and ')}: the hypervisor takes freed memory back there` : ''
  const missing = [sf, df].filter((f) => !f.deltaTools.ok).map((f) => `${f.host}: ${f.deltaTools.detail}`)
  const noDelta = rsyncTracked && !oneWayDelta ? `; final delta with rsync (${missing.join('; ')})` : ''
  const pw = prediction ? `; predicted gap ${prediction.words}` : ''
  const sw = streamImage ? '; the image streams one way as CRIU writes it' : decision.snapshotRoot ? `; snapshots and the final image in RAM (${SHM_DIR})` : ''
  return { ok: true, decision, words: `${techniqueLabel(c.technique)}: ${decision.why}${compress ? '; zstd compression' : ''}${noDelta}${sw}${ww}${pw}` }
}
