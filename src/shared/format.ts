// One formatter per meaning, for the CLI and the app alike: a byte count, a duration, a rate.
// Pure (no Node, no DOM). What a missing value reads as is the caller's ('–' in the app's tables,
// '?' in the CLI's rows).

/** A duration: ms below 1 s, two decimals below 10 s (what a hop's downtime usually is), one above, minutes past 10 min. */
export function formatDuration(ms: number | null | undefined, missing = '–'): string {
  if (ms == null || !Number.isFinite(ms)) return missing
  if (ms < 0) return `-${formatDuration(-ms, missing)}`
  if (ms < 999.5) return `${Math.round(ms)} ms`
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`
  if (ms < 600_000) return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

/** A byte count in binary units: B, KiB (whole), MiB (one decimal), GiB (two decimals). */
export function formatBytes(bytes: number | null | undefined, missing = '–'): string {
  if (bytes == null || !Number.isFinite(bytes)) return missing
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`
  if (bytes >= KiB) return `${(bytes / KiB).toFixed(0)} KiB`
  return `${Math.round(bytes)} B`
}

/** A transfer rate from bytes per second, in the same units per second. */
export function formatRate(bytesPerSecond: number | null | undefined, missing = '–'): string {
  if (bytesPerSecond == null || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) return missing
  return `${formatBytes(bytesPerSecond)}/s`
}
