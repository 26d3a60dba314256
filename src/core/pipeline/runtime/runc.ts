// runc's checkpoint/restore command lines (runc 1.3; flags from `runc checkpoint --help`). runc
// runs the criu binary, so every runc can checkpoint where CRIU is installed.
import { CRIU_IMAGE_MARKER, CRIU_STATS_FILES } from '../../criu/stats'
import type { CheckpointArgs, RestoreArgs, Runtime } from './types'

/**
 * `runc restore` bind-mounts the bundle's rootfs at <state dir>/criu-root for CRIU and unmounts it
 * when it returns; one that was killed (a deadline, a lost session) leaves the mount behind. `runc
 * delete`, even of a container it no longer knows, then removes the state dir recursively, through
 * the mount: on the lab (runc 1.3.6) that emptied the bundle's rootfs and exited 0. So every delete
 * first detaches leftover mounts there (stacked ones too), and fails rather than delete through one
 * it cannot.
 * (`sh -c SCRIPT sh ID ARGV...`; the tour's container id is checked to be a plain name.)
 */
export const DETACH_CRIU_ROOT = String.raw`m=/run/runc/$1/criu-root; shift
i=0; while grep -qF " $m " /proc/self/mountinfo; do
  [ "$i" -lt 8 ] && umount -l "$m" || { echo "cannot unmount $m, left by a restore that did not finish: not deleting through it" >&2; exit 1; }; i=$((i + 1))
done
exec "$@"`

const detachingCriuRoot = (id: string, argv: string[]): string[] => ['sh', '-c', DETACH_CRIU_ROOT, 'sh', id, ...argv]

export const runc: Runtime = {
  name: 'runc',
  capabilities: { leaveRunning: true, preDump: true, lazyPages: true },
  // runc writes descriptors.json before it starts CRIU and only its state dir after (the "post-dump"
  // notification); CRIU's log is `dump.log` in the work path.
  dumpLog: 'dump.log',
  leadFiles: ['descriptors.json'],
  freezerCgroup: true,
  // runc (1.0-1.3) and its go-criu run `criu swrk FD` by name, for the version check and the restore.
  restoreRunsCriu: true,
  stats: CRIU_STATS_FILES,
  imageMarker: CRIU_IMAGE_MARKER,
  version: () => ['runc', '--version'],
  parseVersion: (out) => /runc version (\S+)/.exec(out)?.[1] ?? null,
  cannotCheckpoint: () => null,
  state: (id) => ['runc', 'state', id],
  checkpoint(a: CheckpointArgs): string[] {
    const argv = ['runc', 'checkpoint', '--image-path', a.imagePath]
    if (a.workPath) argv.push('--work-path', a.workPath)
    if (a.preDump) argv.push('--pre-dump')
    if (a.leaveRunning) argv.push('--leave-running')
    if (a.parentPath) argv.push('--parent-path', a.parentPath)
    if (a.lazy) argv.push('--lazy-pages', '--page-server', a.lazy.pageServer, '--status-fd', String(a.lazy.statusFd))
    argv.push(a.id)
    return argv
  },
  restore(a: RestoreArgs): string[] {
    const argv = ['runc', 'restore', '--detach', '--bundle', a.bundle, '--image-path', a.imagePath]
    if (a.workPath) argv.push('--work-path', a.workPath)
    if (a.lazyPages) argv.push('--lazy-pages')
    argv.push(a.id)
    return argv
  },
  delete: (id) => detachingCriuRoot(id, ['runc', 'delete', id]),
  forceDelete: (id) => detachingCriuRoot(id, ['runc', 'delete', '--force', id]),
  resume: (id) => ['runc', 'resume', id],
}
