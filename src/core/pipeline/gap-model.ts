// What the players will feel on the next hop in each technique, predicted before anything is
// frozen from the measured link (RTT, bulk rate) and the image's size. Pure; a model, not a
// measurement: it exists so `auto` never trades a short freeze for a long post-copy stall, and so
// a forced post-copy hop waits for its game as long as the stall will take.
//
// Pre-copy and stop-and-copy: the gap is the final dump, the bytes that must cross after the
// freeze at the link's bulk rate, one one-way delay, and the restore (issue 12's physical limit,
// with step times, which carry the orchestration, in place of CRIU's inner times when a previous
// hop measured them).
//
// Post-copy: the same for the small non-lazy image, then a stall while the restored game faults
// its working set in page by page: stall ~ faulted pages x (RTT + queueing) / concurrency.
// What this assumes, honestly:
// - The game's main loop is one thread, so its faults are served one at a time (concurrency 1),
//   each costing one round trip to the source's page server.
// - How many pages it faults before it answers a query again is a fixed share of the image's
//   pages. Fitted on two lab runs of the one game (~88 MB image, ~21.5k pages): 24.6 s stall at
//   148 ms RTT unthrottled (~165 faults) and ~29 s at ~0 ms RTT but 10 Mbit/s (lab.md); a busier
//   map or more players fault more, an idle server fewer.
// - On a slow link CRIU's background fetch of the remaining pages fills the bottleneck, so each
//   fault also queues behind about one background batch (~256 KiB, also fitted on the 10 Mbit/s
//   run). Faults that the background fetch happens to serve first are not counted (it pushes the
//   image in address order, not in the game's order).
// - It predicts the first stall, not what follows. Checked on a forced post-copy hop stuttgart ->
//   strasbourg (66 ms RTT, 8 Mbit/s, 6 bots): ~54 s predicted; the game answered verify after 4 s,
//   then the prober saw a 125 s gap while the remaining pages took 181 s. On slow links the model
//   is low by ~2x; it still puts post-copy far behind pre-copy (1.5 s) there, which is what `auto`
//   needs of it.
import { compressLevel } from '../transfer/rsync'
import type { HopResult } from '../../shared/contract'
import { formatBytes, formatDuration } from '../../shared/format'
import type { LinkFacts } from './facts'
import type { Technique } from './modes'

export const PAGE_BYTES = 4096
/** Share of the image's pages the game faults, one after the other, before it answers again. */
export const FAULT_SHARE = 0.0075
/** Fault concurrency: one game thread, one outstanding fault. */
export const FAULT_CONCURRENCY = 1
/** What a fault waits behind on a link the background fetch keeps full. */
export const QUEUE_BYTES = 256 * 1024
/** Share of the image's pages rewritten between the last snapshot and the final dump (lab: 4.5 of 88 MB). */
export const DIRTY_SHARE = 0.05
/**
 * Bytes on the wire per image byte at the zstd level rsync and the streamed image use for a link
 * (transfer/rsync.ts compressLevel: the 88 MB lab game went to 11.2 MB at level 1, 10.2 at 3, 9.4
 * at 9).
 */
export function compressedShare(mbitPerSec: number): number {
  const level = compressLevel(mbitPerSec)
  return level >= 9 ? 0.107 : level >= 3 ? 0.116 : 0.127
}
/** The final delta's changed pages compress far better (lab tour: 145-184 KiB on the wire for ~4.5 MB changed). */
export const DELTA_COMPRESSED_SHARE = 0.04
/** The final delta's own round trips beyond its bytes and one way: the restore gate's go-ahead
 *  (transfer/tail-chain.ts; before it the delta and the restore were separate commands, 3-6 RTTs). */
export const DELTA_ROUND_TRIPS = 1
/** The non-lazy part of a lazy dump (lab.md: ~1.5 MB). */
export const NON_LAZY_BYTES = 1.5e6
/**
 * Step times of a hop when no earlier hop measured them: a fixed part plus the image's bytes at
 * CRIU's rate. Lab, shaping off, 2026-12-04 (95 MB image, its pages written to tmpfs): the final
 * checkpoint step took 130-250 ms (CRIU frozen 92-230, the game's memory 68-84 of it) and the
 * restore step, runc's start held beside the copy, 70-100 ms. (0.45 and 0.55 s before, from the
 * first lab hops, when rsync and a restore started after the copy were in those steps.)
 */
export const DUMP_FIXED_MS = 85
export const DUMP_BYTES_PER_MS = 1.2e6
export const RESTORE_FIXED_MS = 40
export const RESTORE_BYTES_PER_MS = 2.5e6
export const defaultDumpMs = (imageBytes: number) => DUMP_FIXED_MS + imageBytes / DUMP_BYTES_PER_MS
export const defaultRestoreMs = (imageBytes: number) => RESTORE_FIXED_MS + imageBytes / RESTORE_BYTES_PER_MS
/** A lazy dump writes no memory: only the freeze and the small image (lab: checkpoint ~0.2 s). */
export const LAZY_DUMP_MS = 200
/** rsync's start (ssh session, file list, checksums): a few round trips before the first byte. */
export const RSYNC_ROUND_TRIPS = 3
/**
 * Post-copy's steps that pre-copy's tail does not have, beyond their round trips: rsync of the
 * non-lazy image (its ssh session and process starts) and the page server's start before the
 * restore. Lab, shaping off, 4 post-copy hops (2026-12-04): the transfer step took 75-87 ms and the
 * page server's 60-62 ms at ~0.1 ms RTT, and the game answered ~15 ms after the restore step, not
 * the ~90 ms the stall term gives there. Without them, on a machine where the last full dump was
 * slow, `auto` predicted post-copy shorter on that link and chose it for 2 of 8 hops: 863 and 489 ms
 * against pre-copy's median 244.
 */
export const POST_COPY_STEPS_MS = 140
/** How long a forced post-copy hop may wait for its game at most. */
export const MAX_VERIFY_MS = 120_000
export const MIN_VERIFY_MS = 15_000

/** What earlier hops or the hosts say about the image; undefined figures take the defaults. */
export interface ImageFigures {
  /** The image's size: the last full dump's, else the container's resident memory. */
  imageBytes: number | null
  /** The last final dump's checkpoint step, ms (the freeze until the image is on disk). */
  dumpMs?: number
  restoreMs?: number
  /** The last rsync-tracked pre-copy's final delta on the wire. */
  deltaWireBytes?: number
}

export interface GapPrediction {
  /** The players' outage, ms. */
  gapMs: number
  /** Post-copy only: the part of it after the restore, while pages fault in. */
  stallMs?: number
  /** The sum in words, for the preflight table and the hop's log. */
  words: string
}

/** A technique's kind (a type-only import: modes.ts imports this file at run time, not the reverse). */
export type Kind = Technique['kind']

const s = (ms: number) => formatDuration(ms)

/** ms to send `bytes` at `mbit`. */
export const sendMs = (bytes: number, mbit: number) => (bytes * 8) / (mbit * 1000)

/** The stall alone: faulted pages x (RTT + queueing behind the background fetch) / concurrency. */
export function postCopyStallMs(imageBytes: number, link: { rttMs: number; mbitPerSec: number }): { ms: number; faults: number } {
  const faults = Math.ceil((imageBytes / PAGE_BYTES) * FAULT_SHARE)
  const perFault = link.rttMs + sendMs(PAGE_BYTES + QUEUE_BYTES, link.mbitPerSec)
  return { ms: (faults * perFault) / FAULT_CONCURRENCY, faults }
}

/**
 * The players' gap for `kind`, or null when the link or the image size is unknown. `streamed`:
 * stop-and-copy's image goes one way in the tail chain (decide.ts), with the go-ahead's round trip
 * only, instead of rsync's.
 */
export function predictGap(kind: Kind, link: LinkFacts | null, f: ImageFigures, compress: boolean, streamed = false): GapPrediction | null {
  if (!link || link.rttMs === null || link.mbitPerSec === null || !(link.mbitPerSec > 0) || !f.imageBytes) return null
  const l = { rttMs: link.rttMs, mbitPerSec: link.mbitPerSec }
  const dump = f.dumpMs ?? defaultDumpMs(f.imageBytes)
  const restore = f.restoreMs ?? defaultRestoreMs(f.imageBytes)
  const oneWay = l.rttMs / 2
  const wire = (bytes: number) => (compress ? bytes * compressedShare(l.mbitPerSec) : bytes)
  const tail = `${s(dump)} dump + `
  const end = ` + ${s(oneWay)} one way + ${s(restore)} restore`
  if (kind === 'stop-and-copy') {
    const bytes = wire(f.imageBytes)
    const copy = sendMs(bytes, l.mbitPerSec) + (streamed ? DELTA_ROUND_TRIPS : RSYNC_ROUND_TRIPS) * l.rttMs
    const gap = dump + copy + oneWay + restore
    return { gapMs: gap, words: `~${s(gap)}: ${tail}${s(copy)} for the whole image (${formatBytes(bytes)} on the wire${streamed ? ', streamed' : ''})${end}` }
  }
  if (kind === 'pre-copy') {
    const bytes = f.deltaWireBytes ?? f.imageBytes * DIRTY_SHARE * (compress ? DELTA_COMPRESSED_SHARE : 1)
    const copy = sendMs(bytes, l.mbitPerSec) + DELTA_ROUND_TRIPS * l.rttMs
    const gap = dump + copy + oneWay + restore
    const what = f.deltaWireBytes !== undefined ? 'the last hop measured' : `~${(DIRTY_SHARE * 100).toFixed(0)}% of the image`
    return { gapMs: gap, words: `~${s(gap)}: ${tail}${s(copy)} for the final delta (${formatBytes(bytes)}, ${what})${end}` }
  }
  const copy = sendMs(NON_LAZY_BYTES, l.mbitPerSec) + RSYNC_ROUND_TRIPS * l.rttMs
  const stall = postCopyStallMs(f.imageBytes, l)
  // A lazy restore reads the non-lazy image only: no more than a full one took, or its default.
  const lazyRestore = Math.min(restore, defaultRestoreMs(NON_LAZY_BYTES))
  const gap = LAZY_DUMP_MS + copy + POST_COPY_STEPS_MS + oneWay + lazyRestore + stall.ms
  return {
    gapMs: gap,
    stallMs: stall.ms,
    words: `~${s(gap)}: ${s(LAZY_DUMP_MS)} lazy dump + ${s(copy)} for the non-lazy image + ${s(POST_COPY_STEPS_MS)} for rsync's and the page server's starts + ${s(oneWay)} one way + ${s(lazyRestore)} restore + ~${s(stall.ms)} stall (~${stall.faults} page faults, one at a time, each ${l.rttMs.toFixed(0)} ms RTT${l.mbitPerSec < 200 ? ' plus queueing behind the background fetch' : ''})`,
  }
}

/** How long verify waits for a post-copy game: twice the predicted gap, at least 15 s, at most 120 s. */
export function verifyWaitMs(p: GapPrediction | null, floorMs = MIN_VERIFY_MS): number {
  if (!p) return floorMs
  return Math.round(Math.min(MAX_VERIFY_MS, Math.max(floorMs, 2 * p.gapMs)))
}

/** Figures learnt from earlier hops: the image, step times and what rsync-tracked snapshots did. */
export interface HopFigures extends ImageFigures {
  /** What a second snapshot took off the final delta, on the wire (its delta minus the final one). */
  savedWireBytes?: number
}

/**
 * The figures after hop `r`: a full dump's size and step times (a lazy hop's are not a full
 * dump's, so they are kept from before), and after rsync-tracked pre-copy its final delta on the
 * wire and, when it took a second snapshot, what that one saved (rsync's zstd against the page
 * delta's gzip: a rough difference, never below zero). A failed hop teaches nothing.
 */
export function learnFromHop(prev: HopFigures | null, r: HopResult): HopFigures | null {
  if (!r.ok) return prev
  const out: HopFigures = { ...(prev ?? { imageBytes: null }) }
  const step = (name: string, it?: number) => r.steps.find((x) => x.step === name && (it === undefined || x.iteration === it))
  if (/post-copy/.test(r.technique)) return out
  if (r.imageBytes) out.imageBytes = r.imageBytes
  const ck = step('checkpoint')
  const rs = step('restore')
  if (ck) out.dumpMs = ck.ms
  if (rs) out.restoreMs = rs.ms
  const tr = step('transfer')
  if (/rsync delta/.test(r.technique) && tr?.bytes !== undefined) {
    out.deltaWireBytes = tr.bytes
    const s2 = step('snapshot-transfer', 2)
    if (s2?.bytes !== undefined) out.savedWireBytes = Math.max(0, s2.bytes - tr.bytes)
  }
  return out
}
