// Parses rsync 3.x output: `--info=progress2` updates and the `--stats` block.
// Facts from rsync's progress.c / main.c output and from real runs (rsync 3.5):
// - a progress2 update looks like `     10,846,208  30%   10.01MB/s    0:00:02  ` and, when a file
//   finishes, carries `(xfr#N, to-chk=R/T)` (`ir-chk` while the file list is still growing);
//   updates are separated by `\r`, the last one ends with `\n`.
// - the time column is the ETA on plain updates but the ELAPSED time on `xfr#` updates.
// - the rate column is always binary (kB/s = 1024 B/s, MB/s, GB/s, TB/s).
// - byte counts are plain with `,` separators by default (C locale); with `-h` they take a
//   suffix K/M/G/T/P in powers of 1000, with `-hh` powers of 1024 (pass `humanBase`).

export interface RsyncProgress {
  bytes: number
  percent: number
  bytesPerSec: number
  /** Seconds left, as rsync estimates it; null on `xfr#` updates (their time is elapsed) or `??:??:??`. */
  etaSec: number | null
  /** Seconds since the transfer started; only on `xfr#` updates. */
  elapsedSec: number | null
  /** Files transferred so far (xfr#N), when shown. */
  filesTransferred?: number
  /** Files left to check / total (`to-chk=R/T`); `listComplete` false for `ir-chk`. */
  toCheck?: number
  totalFiles?: number
  listComplete?: boolean
}

export interface RsyncStats {
  totalFileSize?: number
  totalTransferredFileSize?: number
  literalData?: number
  matchedData?: number
  totalBytesSent?: number
  totalBytesReceived?: number
  /** rsync's "speedup is X": total size / bytes on the wire. */
  speedup?: number
  filesTransferred?: number
  numberOfFiles?: number
}

export interface ParseOptions {
  /** Base of K/M/G suffixes in byte counts: 1000 for `-h` (default), 1024 for `-hh`. */
  humanBase?: 1000 | 1024
}

const SUFFIX = 'KMGTP'

/** `35,000,003`, `35.00M` -> bytes. Returns NaN when it is not a number. */
export function parseRsyncNumber(s: string, opts: ParseOptions = {}): number {
  const m = /^([\d,]+(?:\.\d+)?)([KMGTP])?$/.exec(s.trim())
  if (!m) return NaN
  const n = Number(m[1]!.replaceAll(',', ''))
  return m[2] ? Math.round(n * (opts.humanBase ?? 1000) ** (SUFFIX.indexOf(m[2]) + 1)) : n
}

const RATE_UNITS: Record<string, number> = { 'B/s': 1, 'kB/s': 1024, 'KB/s': 1024, 'MB/s': 1024 ** 2, 'GB/s': 1024 ** 3, 'TB/s': 1024 ** 4 }

function parseClock(s: string): number | null {
  if (s.includes('?')) return null
  const parts = s.split(':').map(Number)
  if (parts.some((p) => !Number.isFinite(p))) return null
  return parts.reduce((acc, p) => acc * 60 + p, 0)
}

const PROGRESS =
  /^\s*([\d,.]+[KMGTP]?)\s+(\d+)%\s+([\d.]+)([kKMGT]?B\/s)\s+([\d?]+:[\d?]{2}:[\d?]{2})(?:\s+\(xfr#(\d+),\s*(to|ir)-chk=(\d+)\/(\d+)\))?\s*$/

/** One progress2 update (one `\r`-separated piece), or null when the text is not one. */
export function parseProgressLine(line: string, opts: ParseOptions = {}): RsyncProgress | null {
  const m = PROGRESS.exec(line)
  if (!m) return null
  const bytes = parseRsyncNumber(m[1]!, opts)
  const unit = RATE_UNITS[m[4]!]
  if (!Number.isFinite(bytes) || unit === undefined) return null
  const clock = parseClock(m[5]!)
  const done = m[6] !== undefined
  const p: RsyncProgress = {
    bytes,
    percent: Number(m[2]),
    bytesPerSec: Math.round(Number(m[3]) * unit),
    etaSec: done ? null : clock,
    elapsedSec: done ? clock : null,
  }
  if (done) {
    p.filesTransferred = Number(m[6])
    p.toCheck = Number(m[8])
    p.totalFiles = Number(m[9])
    p.listComplete = m[7] === 'to'
  }
  return p
}

/** Every progress update in a chunk of output (split on `\r` and `\n`). */
export function parseProgressText(text: string, opts: ParseOptions = {}): RsyncProgress[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => parseProgressLine(l, opts))
    .filter((p): p is RsyncProgress => p !== null)
}

const STAT_LINES: [RegExp, keyof RsyncStats][] = [
  [/^Number of files:\s*([\d,.]+[KMGTP]?)/, 'numberOfFiles'],
  [/^Number of regular files transferred:\s*([\d,.]+[KMGTP]?)/, 'filesTransferred'],
  [/^Total file size:\s*([\d,.]+[KMGTP]?) bytes/, 'totalFileSize'],
  [/^Total transferred file size:\s*([\d,.]+[KMGTP]?) bytes/, 'totalTransferredFileSize'],
  [/^Literal data:\s*([\d,.]+[KMGTP]?) bytes/, 'literalData'],
  [/^Matched data:\s*([\d,.]+[KMGTP]?) bytes/, 'matchedData'],
  [/^Total bytes sent:\s*([\d,.]+[KMGTP]?)/, 'totalBytesSent'],
  [/^Total bytes received:\s*([\d,.]+[KMGTP]?)/, 'totalBytesReceived'],
]

/** The `--stats` block, from the whole output or any subset of its lines. */
export function parseRsyncStats(text: string, opts: ParseOptions = {}): RsyncStats {
  const out: RsyncStats = {}
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim()
    for (const [re, key] of STAT_LINES) {
      const m = re.exec(line)
      if (m) {
        const n = parseRsyncNumber(m[1]!, opts)
        if (Number.isFinite(n)) out[key] = n
      }
    }
    const sp = /speedup is ([\d,.]+)/.exec(line)
    if (sp) out.speedup = Number(sp[1]!.replaceAll(',', ''))
  }
  return out
}
