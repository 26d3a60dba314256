// Where a hop keeps its files on each host. Same layout on source and destination, so an rsync
// of a directory lands where the restore looks for it; one directory per hop, removed at cleanup.
import path from 'node:path/posix'

export interface HopPaths {
  hopDir: string
  /** The final image (source writes it, destination restores from it). */
  img: string
  /** Source: CRIU log + stats-dump of the final checkpoint. */
  dumpWork: string
  /** Destination: CRIU log + stats-restore. */
  restoreWork: string
  /** Source: where the snapshots are when not in the hop dir (RAM: decide.ts snapshotsInRam); null otherwise. */
  snapDir: string | null
  /**
   * Source, with snapDir: the final image and its dump's work dir in RAM beside the snapshots. The
   * hop dir's `img` and `dump-work` are links to them, so every reader (the delta, a rollback,
   * `recover`'s survey) finds them where it always looks; null otherwise.
   */
  finalDir: string | null
  /** rsync-tracked pre-copy: snapshot i on the source (sent into `img` on the destination). */
  snap(i: number): string
  snapWork(i: number): string
  /** CRIU pre-dump i (same name on both hosts so `--parent-path ../pre-i` chains survive rsync). */
  pre(i: number): string
  preWork(i: number): string
  /** Named pipe the post-copy status fd writes its "page server ready" byte into. */
  statusFifo: string
  /** stderr of detached restores, read back on failure. */
  restoreErr: string
  /** Source: the FIFO pre-copy's one-command tail streams through (transfer/tail-chain.ts). */
  tailFifo: string
  /** Destination: the tail's verified copy leaves this file; the restore gate waits for it. */
  tailMarker: string
  /** Destination: the restore claim (mkdir) the restore gate or a rollback takes first, and the
   *  file the gate's restore writes its exit status to. */
  restoreClaim: string
  restoreDone: string
  /** Destination: the pid of a restore the gate started before its go-ahead (held in CRIU's shim,
   *  transfer/criu-hold.ts), the shim's directory and the FIFO the gate says its word into. */
  restoreHeld: string
  criuShimDir: string
  restoreGo: string
  /** Both hosts: the hop's IP claim, which orders the move's and the rollback's track-file writes
   *  (floating-ip/argv.ts writeTrackFileFenced). */
  ipClaim: string
}

export function hopPaths(imageDir: string, containerId: string, hopId: string, snapshotRoot?: string): HopPaths {
  const hopDir = path.join(imageDir, containerId, hopId)
  const p = (n: string) => path.join(hopDir, n)
  const snapDir = snapshotRoot ? path.join(snapshotRoot, containerId, hopId) : null
  // Apart from the snapshots: a rollback drops those, while the final image stays for `recover`.
  const finalDir = snapshotRoot ? path.join(snapshotRoot, containerId, `${hopId}.final`) : null
  const s = (n: string) => (snapDir ? path.join(snapDir, n) : p(n))
  return {
    hopDir,
    snapDir,
    finalDir,
    img: p('img'),
    dumpWork: p('dump-work'),
    restoreWork: p('restore-work'),
    snap: (i) => s(`snap-${i}`),
    snapWork: (i) => s(`snap-${i}-work`),
    pre: (i) => p(`pre-${i}`),
    preWork: (i) => p(`pre-${i}-work`),
    statusFifo: p('status.fifo'),
    restoreErr: p('restore.err'),
    tailFifo: p('tail.fifo'),
    tailMarker: p('tail.verified'),
    ...restoreClaim(hopDir),
    criuShimDir: p('criu-hold'),
    ipClaim: ipClaim(hopDir),
  }
}

/** The restore claim of a hop directory (the restore gate, a rollback, `recover`). */
export function restoreClaim(hopDir: string): Pick<HopPaths, 'restoreClaim' | 'restoreDone' | 'restoreHeld' | 'restoreGo'> {
  const p = (n: string) => path.join(hopDir, n)
  return { restoreClaim: p('restore.claim'), restoreDone: p('restore.done'), restoreHeld: p('restore.held'), restoreGo: p('restore.go') }
}

/** The IP claim of a hop directory (the move, a rollback, `recover`). */
export function ipClaim(hopDir: string): string {
  return path.join(hopDir, 'ip.claim')
}

/** A hop id that is safe as a directory name and unique across runs. */
export function makeHopId(index: number, from: string, to: string, now = Date.now()): string {
  return `${index}-${from}-${to}-${now.toString(36)}`
}
