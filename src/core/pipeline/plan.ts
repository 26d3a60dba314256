// A hop's exact command lines, from its technique and the tour. Pure: nothing here runs, so
// every argv can be checked in a unit test and shown to the user before it runs.
import path from 'node:path/posix'
import { isLazyTechnique } from '../../shared/technique'
import type { Host, Tour } from '../../shared/tour'
import { criuLazyPages } from '../criu/commands'
import { freezeFirstArgv } from '../criu/freeze-first'
import { SNAPSHOT_CRIU_CONF } from '../criu/snapshot-mounts'
import { crcTableDir, crcTablesArgv } from '../transfer/page-crcs'
import { pageDeltaArgv } from '../transfer/page-delta'
import { fenceArgv, gateArgv, tailChainArgv } from '../transfer/tail-chain'
import { compressLevel, hostSshArgv, rsyncArgv } from '../transfer/rsync'
import type { Technique } from './modes'
import { hopPaths, type HopPaths } from './paths'
import { runtimeOf } from './runtime/registry'
import type { Runtime } from './runtime/types'

/** TCP port of the post-copy page server on the source (the 2017 demo used a fixed one too). */
export const PAGE_SERVER_PORT = 27027
/** fd number the post-copy status byte is written to; opened write-only on a FIFO. */
export const STATUS_FD = 3
export const PAGE_SERVER_READY = 'globehop: page server ready'

export interface PlanInput {
  tour: Tour
  hopId: string
  from: Host
  to: Host
  technique: Technique
  compress: boolean
  /** perl, gzip and cksum on both hosts (preflight): else the final delta goes with rsync. */
  oneWayDelta?: boolean
  /** Default: the tour's `container.runtime`. */
  runtime?: Runtime
  /** The link's measured rate: zstd's level follows it (transfer/rsync.ts compressLevel). */
  mbitPerSec?: number | null
  /** Stop-and-copy: the tail chain streams the whole image one way (decide.ts), else rsync. */
  streamImage?: boolean
  /** perl on the source: rsync-tracked snapshots and the final dump freeze the game's cgroup just
   *  before CRIU looks (criu/freeze-first.ts), where the runtime says CRIU freezes it through its cgroup. */
  freezeFirst?: boolean
  /** rsync-tracked pre-copy: the source's snapshots below this dir (RAM, decide.ts), else in the hop dir. */
  snapshotRoot?: string
}

export interface Snapshot {
  checkpoint: string[]
  /** null with shared storage. */
  transfer: string[] | null
  workDir: string
  imageDir: string
  /** Source files no longer needed once this snapshot was sent. */
  dropPrevious: string[] | null
  /**
   * Once it was sent: the per-page CRC tables of what both hosts now hold (transfer/page-crcs.ts),
   * which spare the final one-way delta a cksum of each pages file on either host while the game
   * is frozen; null where no one-way delta can follow.
   */
  crcTables: { src: string[]; dst: string[] } | null
}

/** Pre-copy's tail: the source's one command and the destination's restore gate. */
export interface TailCommands {
  source: string[]
  /** `idleMs`: the gate gives up once no byte of the copy arrived for that long (a whole image). */
  gate: (waitMs: number, idleMs?: number) => string[]
}

export interface HopPlan {
  paths: HopPaths
  /** The container runtime every command of the hop goes through. */
  runtime: Runtime
  technique: Technique
  /** Empty hop directory on each host before anything else. */
  prepare: { src: string[]; dst: string[] }
  snapshot(i: number): Snapshot
  /** The final checkpoint (stop-and-copy, pre-copy); `lastSnapshot` chains CRIU pre-dumps. */
  checkpoint(lastSnapshot: number): string[]
  /** Post-copy: the lazy dump wrapped so "page server ready" arrives as a stdout line. */
  lazyCheckpoint(lastSnapshot: number): string[]
  transfer: string[] | null
  /**
   * rsync-tracked pre-copy after snapshot `last`: the changed pages against that snapshot, one way
   * (transfer/page-delta.ts); null for every other technique, with shared storage, and when a
   * host lacks the delta's tools (then `transfer`, rsync's delta against the same basis, runs).
   */
  finalDelta(last: number): string[] | null
  /**
   * The same final delta with the final dump before it, as one command on the source, and the
   * destination's restore gate (transfer/tail-chain.ts); null wherever `finalDelta` is, except for
   * a stop-and-copy that streams its image (`streamImage`): the whole image, every file new there.
   */
  tailChain(last: number): TailCommands | null
  /** Destination: take the restore claim (or wait for the gate's restore to end) before undoing. */
  fenceDestination(waitMs: number): string[]
  /** Destination lazy-pages daemon (post-copy). */
  lazyDaemon: string[]
  restore: string[]
  /** Rollback: bring the container back on the source from its own final image. */
  restoreOnSource: string[]
  /** The runtime's restore in place from its own kept checkpoint (podman), tried first; null when it keeps none. */
  restoreHereOnSource: string[] | null
  /** CRIU's figures of the final dump and of the restore: the runtime's file, read by its decoder. */
  dumpStats: string
  restoreStats: string
  cleanup: {
    /** The source's stopped container, once the destination serves (`<runtime> delete`, never --force). */
    deleteSourceContainer: string[]
    removeSourceImages: string[]
    /** Snapshots kept apart (RAM): they go after a rollback too, while the hop dir's image stays. */
    removeSnapshots: string[] | null
    removeDestinationImages: string[]
    /** tour options.keepLogs: the dump's work dir (CRIU's log, stats) aside on the source, before its removal. */
    keepSourceLogs: string[] | null
    /** The same for the restore's, on the destination. */
    keepDestinationLogs: string[] | null
  }
  /** Destination after a failed restore: the container must not linger there. */
  discardOnDestination: string[]
}

function address(h: Host): string {
  return h.address
}

/**
 * Detached restores must get /dev/null stdio: the container was started with it, and CRIU needs
 * the same kind of files back (lab.md). runc's own stderr goes to a file that is printed on
 * failure, so the error still reaches the user.
 */
export function withNullStdio(argv: string[], errFile: string): string[] {
  return ['sh', '-c', 'e=$1; shift; "$@" </dev/null >/dev/null 2>"$e"; rc=$?; [ "$rc" -eq 0 ] || cat "$e" >&2; exit "$rc"', 'sh', errFile, ...argv]
}

/**
 * The lazy dump's status fd must be write-only (CRIU rejects O_RDWR): a FIFO opened with `3>`.
 * A reader turns the single 0x00 byte into a line and keeps the FIFO open until CRIU closes it.
 */
export function withStatusFifo(argv: string[], fifo: string): string[] {
  const script = [
    'f=$1; shift',
    'rm -f "$f"; mkfifo "$f" || exit 97',
    `"$@" ${STATUS_FD}>"$f" &`,
    'pid=$!',
    `{ if [ "$(head -c1 | wc -c)" -eq 1 ]; then echo '${PAGE_SERVER_READY}'; fi; cat >/dev/null; } <"$f" &`,
    'wait "$pid"; rc=$?',
    'wait; rm -f "$f"; exit "$rc"',
  ].join('\n')
  return ['sh', '-c', script, 'sh', fifo, ...argv]
}

// A hop's fresh dir ($1) with the technique ($2) that fills it, on either host.
const HOP_DIR = 'rm -rf "$1" && mkdir -p "$1" && printf "%s\\n" "$2" >"$1/technique"'

/** Where tour options.keepLogs puts a hop's CRIU logs on a host: beside the container's hop dirs,
 *  not among them (`recover` surveys every dir there as a hop's). */
export function logsDir(tour: Tour, hopId: string): string {
  return path.posix.join(tour.options.imageDir, `${tour.container.id}.logs`, hopId)
}

// Copies a work dir's files under 8 MiB (its logs and figures; not a lazy restore's pages, whose
// work dir is the image) into the logs dir, following the source's link to RAM and keeping their
// times: a log's mtime is when its last line was written, which dates its other lines.
function keepLogs(work: string, dir: string): string[] {
  return ['sh', '-c', 'mkdir -p -- "$2" && find -L "$1" -maxdepth 1 -type f -size -8M -exec cp -p -- {} "$2/" \\;', 'sh', work, dir]
}

export function planHop(input: PlanInput): HopPlan {
  const { tour, technique, from, to } = input
  const rt = input.runtime ?? runtimeOf(tour)
  const id = tour.container.id
  const paths = hopPaths(tour.options.imageDir, id, input.hopId, input.snapshotRoot)
  const shared = tour.options.sharedStorage
  const target = { address: address(to), port: to.ssh.port, user: to.ssh.user ?? 'root' }
  const rsync = (fromDir: string, toDir: string, delta: boolean): string[] | null =>
    shared ? null : rsyncArgv({ from: fromDir, to: toDir, target, compress: input.compress, mbitPerSec: input.mbitPerSec, delta })
  const criuTracked = (technique.kind === 'pre-copy' || technique.kind === 'pre+post') && technique.tracking === 'criu'
  const rsyncTracked = technique.kind === 'pre-copy' && technique.tracking === 'rsync'

  // The runtime's checkpoint inside the freeze-first wrapper, where it can be (criu/freeze-first.ts);
  // a snapshot's also leaves the tmpfs mounts unarchived (criu/snapshot-mounts.ts).
  const freezingFirst = (checkpoint: string[], work: string, img: string, snapshotConf?: string): string[] =>
    input.freezeFirst && rt.freezerCgroup && rt.dumpLog ? freezeFirstArgv({ checkpoint, state: rt.state(id), log: `${work}/${rt.dumpLog}`, img, snapshotConf }) : checkpoint
  const parentOf = (last: number) => (criuTracked && last > 0 ? `../${`pre-${last}`}` : undefined)

  const oneWayOk = (last: number) => rsyncTracked && !shared && last > 0 && input.oneWayDelta !== false

  const snapshot = (i: number): Snapshot => {
    if (criuTracked) {
      return {
        checkpoint: rt.checkpoint({ id, imagePath: paths.pre(i), workPath: paths.preWork(i), preDump: true, parentPath: parentOf(i - 1) }),
        transfer: rsync(paths.pre(i), paths.pre(i), false),
        workDir: paths.preWork(i),
        imageDir: paths.pre(i),
        // Earlier pre-dumps stay: the chain of parents needs every link.
        dropPrevious: null,
        crcTables: null,
      }
    }
    if (rsyncTracked) {
      return {
        checkpoint: freezingFirst(rt.checkpoint({ id, imagePath: paths.snap(i), workPath: paths.snapWork(i), leaveRunning: true }), paths.snapWork(i), paths.snap(i), `${paths.snapWork(i)}/${SNAPSHOT_CRIU_CONF}`),
        // Every snapshot lands in the destination's final image dir: each is the basis of the next delta.
        transfer: rsync(paths.snap(i), paths.img, i > 1),
        workDir: paths.snapWork(i),
        imageDir: paths.snap(i),
        dropPrevious: i > 1 ? ['rm', '-rf', paths.snap(i - 1), paths.snapWork(i - 1), crcTableDir(paths.snap(i - 1))] : null,
        crcTables: oneWayOk(i) ? { src: crcTablesArgv(paths.snap(i)), dst: crcTablesArgv(paths.img) } : null,
      }
    }
    throw new Error(`${technique.kind} takes no snapshots`)
  }

  const lazy = isLazyTechnique(technique.kind)
  const statsDir = lazy ? paths.img : paths.restoreWork
  // Not after CRIU pre-dumps: their chain is CRIU's own memory tracking, kept as it was measured.
  const finalCheckpoint = (last: number) => {
    const ck = rt.checkpoint({ id, imagePath: paths.img, workPath: paths.dumpWork, parentPath: parentOf(last) })
    return criuTracked ? ck : freezingFirst(ck, paths.dumpWork, paths.img)
  }
  const wholeOk = technique.kind === 'stop-and-copy' && !shared && input.streamImage === true
  const restore = withNullStdio(
    rt.restore(
      lazy
        ? { id, bundle: tour.container.bundle, imagePath: paths.img, lazyPages: true }
        : { id, bundle: tour.container.bundle, imagePath: paths.img, workPath: paths.restoreWork },
    ),
    paths.restoreErr,
  )
  return {
    runtime: rt,
    paths,
    technique,
    // The hop dir says which technique filled it: `recover` never restores from a lazy image.
    prepare: {
      // Snapshots kept in RAM: an earlier hop's that died with its engine go first (one hop of a
      // container runs at a time), then this hop's dirs: its snapshots', and its final image's
      // (paths.finalDir), linked from the hop dir.
      src: paths.snapDir && paths.finalDir
        ? [
            'sh',
            '-c',
            `${HOP_DIR} && rm -rf "$3" && mkdir -p "$4" "$5/img" "$5/dump-work" && ln -s "$5/img" "$1/img" && ln -s "$5/dump-work" "$1/dump-work"`,
            'sh',
            paths.hopDir,
            technique.kind,
            path.posix.dirname(paths.snapDir),
            paths.snapDir,
            paths.finalDir,
          ]
        : ['sh', '-c', HOP_DIR, 'sh', paths.hopDir, technique.kind],
      dst: ['sh', '-c', HOP_DIR, 'sh', paths.hopDir, technique.kind],
    },
    snapshot,
    checkpoint: finalCheckpoint,
    lazyCheckpoint: (last) =>
      withStatusFifo(
        rt.checkpoint({
          id,
          imagePath: paths.img,
          workPath: paths.dumpWork,
          parentPath: parentOf(last),
          lazy: { pageServer: `${address(from)}:${PAGE_SERVER_PORT}`, statusFd: STATUS_FD },
        }),
        paths.statusFifo,
      ),
    transfer: rsync(paths.img, paths.img, rsyncTracked),
    finalDelta: (last) =>
      oneWayOk(last)
        ? pageDeltaArgv({ img: paths.img, basis: paths.snap(last), remoteImg: paths.img, ssh: hostSshArgv(target), compress: input.compress, mbitPerSec: input.mbitPerSec })
        : null,
    tailChain: (last) =>
      oneWayOk(last) || wholeOk
        ? {
            source: tailChainArgv({
              checkpoint: finalCheckpoint(last),
              dumpLog: rt.dumpLog && `${paths.dumpWork}/${rt.dumpLog}`,
              leadFiles: rt.leadFiles,
              img: paths.img,
              // No snapshot for a whole image: a dir that is not there, so every file goes whole.
              basis: wholeOk ? `${paths.hopDir}/no-basis` : paths.snap(last),
              remoteImg: paths.img,
              ssh: hostSshArgv(target),
              compress: input.compress,
              mbitPerSec: input.mbitPerSec,
              zstdLevel: wholeOk ? compressLevel(input.mbitPerSec) : undefined,
              fifo: paths.tailFifo,
              marker: paths.tailMarker,
            }),
            gate: (waitMs, idleMs) =>
              gateArgv({
                marker: paths.tailMarker,
                waitMs,
                idle: idleMs ? { dir: paths.img, ms: idleMs } : undefined,
                claim: paths.restoreClaim,
                done: paths.restoreDone,
                restore,
                hold: rt.restoreRunsCriu ? { shimDir: paths.criuShimDir, fifo: paths.restoreGo, held: paths.restoreHeld, images: paths.img } : undefined,
              }),
          }
        : null,
    fenceDestination: (waitMs) => fenceArgv({ hopDir: paths.hopDir, claim: paths.restoreClaim, done: paths.restoreDone, held: paths.restoreHeld, go: paths.restoreGo }, waitMs),
    lazyDaemon: criuLazyPages({ imageDir: paths.img, address: address(from), port: PAGE_SERVER_PORT, logFile: 'lazy-pages.log' }),
    restore,
    restoreOnSource: withNullStdio(rt.restore({ id, bundle: tour.container.bundle, imagePath: paths.img, workPath: `${paths.hopDir}/rollback-work` }), paths.restoreErr),
    restoreHereOnSource: rt.restoreHere ? withNullStdio(rt.restoreHere(id), paths.restoreErr) : null,
    dumpStats: `${paths.dumpWork}/${rt.stats.dump}`,
    restoreStats: `${statsDir}/${rt.stats.restore}`,
    cleanup: {
      deleteSourceContainer: rt.delete(id),
      removeSourceImages: ['rm', '-rf', '--', paths.hopDir, ...[paths.snapDir, paths.finalDir].filter((d): d is string => d !== null)],
      removeSnapshots: paths.snapDir ? ['rm', '-rf', '--', paths.snapDir] : null,
      removeDestinationImages: ['rm', '-rf', '--', paths.hopDir],
      keepSourceLogs: tour.options.keepLogs ? keepLogs(paths.dumpWork, logsDir(tour, input.hopId)) : null,
      keepDestinationLogs: tour.options.keepLogs ? keepLogs(statsDir, logsDir(tour, input.hopId)) : null,
    },
    discardOnDestination: rt.forceDelete(id),
  }
}
