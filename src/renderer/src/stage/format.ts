// One formatter per meaning for the renderer (tables and stage alike).

/** A duration: ms below 10 s (what a hop's downtime usually is), seconds above. */
export function fmtMs(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–'
  if (v < 1000) return `${Math.round(v)} ms`
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${(v / 1000).toFixed(2)} s`
}

export function fmtBytes(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–'
  if (v >= 1 << 30) return `${(v / (1 << 30)).toFixed(2)} GiB`
  if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(1)} MiB`
  if (v >= 1024) return `${(v / 1024).toFixed(0)} KiB`
  return `${Math.round(v)} B`
}
