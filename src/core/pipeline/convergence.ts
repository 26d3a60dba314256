// When to stop pre-copy iterations and take the final dump. One rule set for both trackers:
// CRIU's pre-dump reports pages written / skipped because unchanged since the parent; rsync's
// delta reports literal / matched bytes, counted here in 4 KiB pages.
// Rules (all from tour.options.preCopy): p.haul stops at <= 64 pages written or when an
// iteration grows by > 10%, at most 8 iterations; LXD stops when the skipped share exceeds its
// goal (70%). rsync's tracker also stops once the delta no longer shrinks (each snapshot costs a
// short freeze, so one that buys nothing is not taken).

export interface PreCopyOptions {
  maxIterations: number
  minPagesWritten: number
  skippedGoal: number
  maxGrowth: number
}

export interface IterationFigures {
  pagesWritten: number
  pagesSkipped: number
}

export interface Verdict {
  stop: boolean
  reason: string
}

export const PAGE = 4096

export function rsyncFigures(literalBytes: number, matchedBytes: number): IterationFigures {
  return { pagesWritten: Math.ceil(literalBytes / PAGE), pagesSkipped: Math.floor(matchedBytes / PAGE) }
}

export function converged(history: readonly IterationFigures[], o: PreCopyOptions, tracker: 'criu' | 'rsync'): Verdict {
  const n = history.length
  const last = history[n - 1]
  if (!last) return { stop: false, reason: 'no iteration yet' }
  if (last.pagesWritten <= o.minPagesWritten) {
    return { stop: true, reason: `iteration ${n} wrote ${last.pagesWritten} pages, at or below the threshold of ${o.minPagesWritten}` }
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
