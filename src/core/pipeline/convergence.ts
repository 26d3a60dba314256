// When to stop pre-copy iterations and take the final dump. One rule set for both trackers:
// CRIU's pre-dump reports pages written / skipped because unchanged since the parent; rsync's
// delta reports literal / matched bytes, counted here in 4 KiB pages.
// Rules (all from tour.options.preCopy): p.haul stops at <= 64 pages written or when an
// iteration grows by > 10%, at most 8 iterations; LXD stops when the skipped share exceeds its
// goal (70%). rsync's tracker also stops once the delta no longer shrinks (each snapshot costs a
// short freeze, so one that buys nothing is not taken).
// rsync's tracker also weighs each snapshot's pause against what it can save (`SnapshotWeigh`):
// another snapshot can at best take the delta it would leave behind off the frozen transfer. The
// game rewrites a working set all the time, so the final delta after one snapshot is about what
// it is after two (issue 12: 124 KiB either way); where an earlier hop measured what a second
// snapshot saved, that figure is used, else the delta itself (an upper bound), else a share of the
// image. When that transfer time at the link's rate is below the pause players would feel for
// the snapshot, the snapshot is not taken.
import { formatBytes, formatDuration } from '../../shared/format'
import { DELTA_COMPRESSED_SHARE, DIRTY_SHARE, sendMs } from './gap-model'

export interface PreCopyOptions {
  maxIterations: number
  minPagesWritten: number
  skippedGoal: number
  maxGrowth: number
}

export interface IterationFigures {
  pagesWritten: number
  pagesSkipped: number
  /** The pause players felt for this snapshot (steps/snapshot.ts), ms. */
  pauseMs?: number
  /** The snapshot's image size, and what its transfer put on the wire. */
  imageBytes?: number
  wireBytes?: number
}

/** What rsync's stop rule weighs a snapshot's pause against. */
export interface SnapshotWeigh {
  /** The link's bulk rate. */
  mbitPerSec: number
  /** The final delta is compressed (gzip -1) on the wire. */
  compress: boolean
  /** An earlier hop: what its second snapshot took off its final delta, on the wire. */
  savedWireBytes?: number
  /** An earlier hop: its final delta on the wire after its snapshots. */
  deltaWireBytes?: number
}

/** The most the next snapshot can take off the frozen transfer, ms, and from what. */
export function nextSnapshotSaving(history: readonly IterationFigures[], w: SnapshotWeigh): { ms: number; from: string } | null {
  const n = history.length
  const last = history[n - 1]
  if (!last) return null
  const at = (bytes: number) => sendMs(bytes, w.mbitPerSec)
  if (n >= 2 && last.wireBytes !== undefined) return { ms: at(last.wireBytes), from: `snapshot ${n}'s delta was ${formatBytes(last.wireBytes)} on the wire` }
  if (w.savedWireBytes !== undefined) return { ms: at(w.savedWireBytes), from: `a second snapshot saved ${formatBytes(w.savedWireBytes)} on the wire last hop` }
  if (w.deltaWireBytes !== undefined) return { ms: at(w.deltaWireBytes), from: `the final delta was ${formatBytes(w.deltaWireBytes)} on the wire last hop` }
  if (last.imageBytes === undefined) return null
  const guess = last.imageBytes * DIRTY_SHARE * (w.compress ? DELTA_COMPRESSED_SHARE : 1)
  return { ms: at(guess), from: `~${(DIRTY_SHARE * 100).toFixed(0)}% of the image rewritten, ${formatBytes(guess)} on the wire` }
}

export interface Verdict {
  stop: boolean
  reason: string
}

export const PAGE = 4096

export function rsyncFigures(literalBytes: number, matchedBytes: number): IterationFigures {
  return { pagesWritten: Math.ceil(literalBytes / PAGE), pagesSkipped: Math.floor(matchedBytes / PAGE) }
}

export function converged(history: readonly IterationFigures[], o: PreCopyOptions, tracker: 'criu' | 'rsync', weigh?: SnapshotWeigh): Verdict {
  const n = history.length
  const last = history[n - 1]
  if (!last) return { stop: false, reason: 'no iteration yet' }
  if (last.pagesWritten <= o.minPagesWritten) {
    return { stop: true, reason: `iteration ${n} wrote ${last.pagesWritten} pages, at or below the threshold of ${o.minPagesWritten}` }
  }
  if (tracker === 'rsync' && weigh && last.pauseMs !== undefined && weigh.mbitPerSec > 0) {
    const save = nextSnapshotSaving(history, weigh)
    if (save && save.ms < last.pauseMs) {
      return { stop: true, reason: `snapshot ${n + 1} would pause the game ~${formatDuration(last.pauseMs)} to save at most ${formatDuration(save.ms)} of the frozen transfer (${save.from}, ${weigh.mbitPerSec.toFixed(0)} Mbit/s)` }
    }
  }
  const total = last.pagesWritten + last.pagesSkipped
  const skipped = total > 0 ? (100 * last.pagesSkipped) / total : 0
  if (n >= 2 && skipped >= o.skippedGoal) {
    return { stop: true, reason: `iteration ${n} skipped ${skipped.toFixed(1)}% of pages, at or above the goal of ${o.skippedGoal}%` }
  }
  const prev = history[n - 2]
  if (prev && prev.pagesWritten > 0) {
    const growth = (100 * (last.pagesWritten - prev.pagesWritten)) / prev.pagesWritten
    if (growth > o.maxGrowth) return { stop: true, reason: `iteration ${n} grew by ${growth.toFixed(1)}%, more than ${o.maxGrowth}%` }
    if (tracker === 'rsync' && last.pagesWritten >= prev.pagesWritten) {
      return { stop: true, reason: `iteration ${n}'s delta (${last.pagesWritten} pages) did not shrink from ${prev.pagesWritten}` }
    }
  }
  if (n >= o.maxIterations) return { stop: true, reason: `iteration cap of ${o.maxIterations} reached` }
  return { stop: false, reason: `iteration ${n} wrote ${last.pagesWritten} pages (${skipped.toFixed(1)}% skipped): another one` }
}
