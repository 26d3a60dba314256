// crun's checkpoint/restore command lines. crun links CRIU as a library, and only when it was built
// with it: `crun --version` lists +CRIU then (Debian 12's crun 1.8.1 is built without; Debian
// forky's 1.28 with, loading libcriu2 at run time). crun has no lazy pages, so no post-copy.
import { CRIU_IMAGE_MARKER, CRIU_STATS_FILES } from '../../criu/stats'
import type { CheckpointArgs, RestoreArgs, Runtime } from './types'

export const crun: Runtime = {
  name: 'crun',
  capabilities: { leaveRunning: true, preDump: true, lazyPages: false },
  stats: CRIU_STATS_FILES,
  imageMarker: CRIU_IMAGE_MARKER,
  version: () => ['crun', '--version'],
  parseVersion: (out) => /^crun version (\S+)/m.exec(out)?.[1] ?? null,
  cannotCheckpoint: (out) => (/^\+CRIU\b|\s\+CRIU\b/m.test(out) ? null : 'this crun was built without CRIU (`crun --version` does not list +CRIU)'),
  state: (id) => ['crun', 'state', id],
  checkpoint(a: CheckpointArgs): string[] {
    if (a.lazy) throw new Error('crun cannot checkpoint with lazy pages')
    const argv = ['crun', 'checkpoint', '--image-path', a.imagePath]
    if (a.workPath) argv.push('--work-path', a.workPath)
    if (a.preDump) argv.push('--pre-dump')
    if (a.leaveRunning) argv.push('--leave-running')
    if (a.parentPath) argv.push('--parent-path', a.parentPath)
    argv.push(a.id)
    return argv
  },
  restore(a: RestoreArgs): string[] {
    if (a.lazyPages) throw new Error('crun cannot restore with lazy pages')
    const argv = ['crun', 'restore', '--detach', '--bundle', a.bundle, '--image-path', a.imagePath]
    if (a.workPath) argv.push('--work-path', a.workPath)
    argv.push(a.id)
    return argv
  },
  delete: (id) => ['crun', 'delete', id],
  forceDelete: (id) => ['crun', 'delete', '--force', id],
  resume: (id) => ['crun', 'resume', id],
}
