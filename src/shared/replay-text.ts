// How a replay's times read, on the stage banner and in the engine's refusals alike.

const pad = (n: number) => String(n).padStart(2, '0')

/** A recording's start in UTC: every screen and terminal says the same, whatever its time zone. */
export function recordedAtText(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
}

/** A position in a replay: m:ss, or h:mm:ss from an hour on. */
export function replayClockText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`
}

/** 1×, 0.5×, 2×, 1.25×: no trailing zeros. */
export function speedText(speed: number): string {
  return `${Number(speed.toFixed(2))}×`
}
