// Podman's checkpoint/restore command lines (podman 5; flags from `podman container checkpoint
// --help`). Podman drives crun or runc, which drive CRIU, and hands the result over as one archive
// (`--export`) that `restore --import` turns back into the same container on another host. The
// archive, uncompressed, is the hop's image: rsync's delta and the one-way page delta work on it
// like on any other file (the CRIU images sit inside it at stable offsets between dumps).
// Podman reports CRIU's figures with `--print-stats` (JSON, microseconds) instead of leaving
// stats-dump beside the images. No lazy pages (podman has no page server option) and no
// pre-dump chain: `--pre-checkpoint` keeps a single pre-dump inside podman's own storage and needs
// `--with-previous` / `--import-previous`, not `--parent-path` (and soft-dirty, which lab kernels lack).
import type { CriuStats } from '../../../shared/contract'
import type { CheckpointArgs, RestoreArgs, Runtime } from './types'

/** The checkpoint archive's name in the image dir; it appears only once the export is whole. */
export const PODMAN_ARCHIVE = 'checkpoint.tar'
const STATS_FILE = 'podman-stats.json'

// The archive and the figures are written under temporary names and renamed on success, so a file
// under its final name is always complete (`recover` trusts an image by its marker file).
const CHECKPOINT = [
  'img=$1 work=$2; shift 2',
  'mkdir -p "$img" "$work" || exit 1',
  `podman container checkpoint --export "$img/${PODMAN_ARCHIVE}.part" --compress none --print-stats "$@" >"$work/${STATS_FILE}.part" || exit`,
  `mv "$img/${PODMAN_ARCHIVE}.part" "$img/${PODMAN_ARCHIVE}" && mv "$work/${STATS_FILE}.part" "$work/${STATS_FILE}"`,
].join('\n')

const RESTORE = [
  'img=$1 work=$2; shift 2',
  'mkdir -p "$work" || exit 1',
  `podman container restore --import "$img/${PODMAN_ARCHIVE}" --print-stats "$@" >"$work/${STATS_FILE}.part" || exit`,
  `mv "$work/${STATS_FILE}.part" "$work/${STATS_FILE}"`,
].join('\n')

// `podman inspect`'s states in runc's words: the pipeline reads runc's JSON (status, pid).
const STATE_FORMAT =
  '{"status":"{{if eq .State.Status "exited" "stopped"}}stopped{{else if eq .State.Status "configured"}}created{{else}}{{.State.Status}}{{end}}","pid":{{.State.Pid}}}'

type PodmanCriuFigures = Partial<Record<'freezing_time' | 'frozen_time' | 'memdump_time' | 'memwrite_time' | 'pages_scanned' | 'pages_written' | 'pages_skipped_parent' | 'pages_lazy' | 'forking_time' | 'restore_time' | 'pages_restored', number>>
const FIELDS: [keyof PodmanCriuFigures, keyof CriuStats][] = [
  ['freezing_time', 'freezingTimeUs'],
  ['frozen_time', 'frozenTimeUs'],
  ['memdump_time', 'memdumpTimeUs'],
  ['memwrite_time', 'memwriteTimeUs'],
  ['pages_scanned', 'pagesScanned'],
  ['pages_skipped_parent', 'pagesSkippedParent'],
  ['pages_written', 'pagesWritten'],
  ['pages_lazy', 'pagesLazy'],
  ['forking_time', 'forkingTimeUs'],
  ['restore_time', 'restoreTimeUs'],
  ['pages_restored', 'pagesRestored'],
]

/**
 * `--print-stats` output of one container -> CRIU's figures. Podman leaves zero fields out, so a
 * missing count is 0 only where CRIU reports it as such; times stay missing.
 */
export function decodePodmanStats(bytes: Buffer): CriuStats {
  const o = JSON.parse(bytes.toString('utf8')) as { container_statistics?: { criu_statistics?: PodmanCriuFigures }[] | null }
  const c = o.container_statistics?.[0]?.criu_statistics
  if (!c) throw new Error('podman --print-stats: no container_statistics (the checkpoint or restore failed)')
  const out: CriuStats = {}
  for (const [from, to] of FIELDS) if (typeof c[from] === 'number') out[to] = c[from]
  return out
}

export const podman: Runtime = {
  name: 'podman',
  capabilities: { leaveRunning: true, preDump: false, lazyPages: false },
  missing: { preDump: "globehop does not chain podman's --pre-checkpoint (a single pre-dump in podman's storage, restored with --import-previous)" },
  stats: { dump: STATS_FILE, restore: STATS_FILE, decode: decodePodmanStats },
  imageMarker: PODMAN_ARCHIVE,
  image: {
    ofContainer: (id) => ['podman', 'container', 'inspect', '--format', '{{.Image}}', id],
    list: () => ['podman', 'image', 'ls', '--no-trunc', '--format', '{{.ID}}'],
    copyHint: 'podman save | podman load',
  },
  version: () => ['podman', '--version'],
  parseVersion: (out) => /^podman version (\S+)/m.exec(out)?.[1] ?? null,
  cannotCheckpoint: () => null,
  state: (id) => ['podman', 'container', 'inspect', '--format', STATE_FORMAT, id],
  checkpoint(a: CheckpointArgs): string[] {
    if (a.lazy) throw new Error('podman cannot checkpoint with lazy pages')
    if (a.preDump || a.parentPath) throw new Error('globehop does not chain podman pre-checkpoints')
    const argv = ['sh', '-c', CHECKPOINT, 'sh', a.imagePath, a.workPath ?? a.imagePath]
    if (a.leaveRunning) argv.push('--leave-running')
    argv.push(a.id)
    return argv
  },
  // The archive carries the container's whole configuration: no bundle on the destination.
  restore(a: RestoreArgs): string[] {
    if (a.lazyPages) throw new Error('podman cannot restore with lazy pages')
    return ['sh', '-c', RESTORE, 'sh', a.imagePath, a.workPath ?? a.imagePath]
  },
  delete: (id) => ['podman', 'container', 'rm', id],
  forceDelete: (id) => ['podman', 'container', 'rm', '--force', '--time', '0', id],
  resume: (id) => ['podman', 'container', 'unpause', id],
  // `checkpoint --export` leaves the checkpoint in the container's own storage too (measured on the
  // lab's podman 5.8): a rollback restores from it without removing the container first.
  restoreHere: (id) => ['podman', 'container', 'restore', id],
}
