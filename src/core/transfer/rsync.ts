// Host-to-host copy of an image directory: rsync runs on the source and pushes over SSH to the
// destination, so image bytes never pass through the app's machine.
import { hostSshOpts } from '../ssh/peer-known-hosts'
import type { Remote } from '../ssh/types'
import { parseProgressText, parseRsyncStats, type RsyncProgress, type RsyncStats } from './rsync-progress'

export interface RsyncTarget {
  /** Address the source uses to reach the destination. */
  address: string
  port: number
  user: string
}

export interface RsyncArgs {
  from: string
  to: string
  target: RsyncTarget
  /** zstd, its level from `mbitPerSec` (compressLevel). */
  compress: boolean
  /** The link's measured bulk rate, when known: slow links get a higher zstd level. */
  mbitPerSec?: number | null
  /** Delta against what the destination already holds (rsync-tracked pre-copy). */
  delta?: boolean
}

// Host-to-host ssh checks the destination strictly against the host keys globehop itself verified
// (peer-known-hosts.ts writes them on the source before each hop): never trust on first use. One
// master connection per host pair is shared by the link probe, the snapshots and the final
// transfer: over a 280 ms RTT a fresh SSH handshake costs ~1 s of the players' outage.
export const HOST_SSH_OPTS = hostSshOpts()

/**
 * zstd level for rsync from the link's rate. The link, not the CPU, bounds a slow link: a 88 MB game
 * image from stuttgart to strasbourg at 10 Mbit/s (lab, master connection open) took 10.19 s at
 * level 1 (11.2 MB on the wire), 9.45 s at 3 (10.2 MB), 9.08 s at 6 (9.7 MB), 9.00 s at 9 (9.4 MB),
 * 9.00 s at 12 (9.35 MB) and 11.3 s at 15 (CPU-bound on 2 busy cores). Compression must still keep
 * ahead of the link: at ~9x, 10 Mbit/s drains ~11 MB/s of image, 100 Mbit/s ~110 MB/s (zstd -9 does
 * ~40-60 MB/s on a core, -3 ~250, -1 ~500). Without a rate: level 1, as before (the fastest).
 */
export function compressLevel(mbitPerSec: number | null | undefined): number {
  if (mbitPerSec == null || !(mbitPerSec > 0)) return 1
  if (mbitPerSec <= 25) return 9
  if (mbitPerSec <= 100) return 3
  return 1
}

/** rsync's own I/O timeout: an rsync left behind by a dead app connection still ends. */
export const RSYNC_IO_TIMEOUT_S = 60

const SAFE_WORD = /^[A-Za-z0-9._:-]+$/

function checkTarget(t: RsyncTarget): void {
  for (const [what, v] of [['address', t.address], ['user', t.user]] as const) {
    // rsync splits --rsh on spaces itself: only plain words may go into it, and none an option.
    if (!SAFE_WORD.test(v) || v.startsWith('-')) throw new Error(`rsync: unsafe ${what} ${JSON.stringify(v)} for the remote shell`)
  }
}

/** The host-to-host ssh command up to the destination (the same master connection rsync uses). */
export function hostSshArgv(t: RsyncTarget): string[] {
  checkTarget(t)
  return ['ssh', ...HOST_SSH_OPTS, '-p', String(t.port), '-l', t.user, '--', t.address]
}

export function rsyncArgv(a: RsyncArgs): string[] {
  checkTarget(a.target)
  // rsync appends the host and its server command to --rsh: the `--` keeps ssh from reading the host as an option.
  const rsh = ['ssh', ...HOST_SSH_OPTS, '-p', String(a.target.port), '-l', a.target.user, '--'].join(' ')
  // --ignore-times: rsync's quick check skips a file whose size and mtime match, and it compares
  // whole seconds (--modify-window 0). Two snapshots dumped within one second leave pages-1.img
  // and most small images at equal sizes: the destination kept the first one's (lab, unthrottled
  // link), and the final delta, made against the second, failed its verify ("size or CRC
  // differs"). Every file goes through rsync's own block checksums instead; a new dir costs nothing.
  const argv = ['rsync', '--archive', '--ignore-times', '--delete', '--no-inc-recursive', '--stats', '--info=progress2', `--timeout=${RSYNC_IO_TIMEOUT_S}`]
  if (a.delta) argv.push('--no-whole-file')
  if (a.compress) argv.push('--compress', '--compress-choice=zstd', `--compress-level=${compressLevel(a.mbitPerSec)}`)
  argv.push('--rsh', rsh, '--', trailing(a.from), `${hostPart(a.target.address)}:${trailing(a.to)}`)
  return argv
}

const trailing = (dir: string) => (dir.endsWith('/') ? dir : `${dir}/`)
/** An IPv6 literal needs brackets, or rsync splits `host:path` at its first colon. */
const hostPart = (address: string) => (address.includes(':') ? `[${address}]` : address)

export interface RsyncOutcome {
  stats: RsyncStats
  ms: number
}

export async function runRsync(
  src: Remote,
  argv: string[],
  onProgress: (p: RsyncProgress) => void,
  signal?: AbortSignal,
): Promise<RsyncOutcome> {
  const out: string[] = []
  // The Remote splits rsync's `\r`-separated progress updates into lines.
  const res = await src.run(argv, {
    signal,
    onLine: (stream, line) => {
      if (stream !== 'stdout') return
      const progress = parseProgressText(line)
      if (progress.length > 0) onProgress(progress[progress.length - 1]!)
      else out.push(line)
    },
  })
  return { stats: parseRsyncStats(out.length > 0 ? out.join('\n') : res.stdout), ms: res.ms }
}
