// What the pipeline needs from a container runtime, as argv. A new runtime (crun, Podman) is one
// new file implementing this; everything else (CRIU, rsync, the IP) stays as it is.

export interface CheckpointArgs {
  id: string
  imagePath: string
  /** CRIU logs and stats-dump go here; default is the image dir. */
  workPath?: string
  /** Dump and let the container run on (rsync-tracked pre-copy snapshots). */
  leaveRunning?: boolean
  /** CRIU pre-dump (memory only, needs soft-dirty tracking). */
  preDump?: boolean
  /** Relative to imagePath, e.g. `../pre-1` (CRIU resolves it against the new image dir). */
  parentPath?: string
  /** Post-copy: serve memory from a page server instead of writing it. */
  lazy?: { pageServer: string; statusFd: number }
}

export interface RestoreArgs {
  id: string
  bundle: string
  imagePath: string
  workPath?: string
  /** Post-copy: fault pages in through `criu lazy-pages` (its socket lives in the image dir). */
  lazyPages?: boolean
}

export interface RuntimeArgv {
  readonly name: string
  version(): string[]
  /** Prints the container's state as JSON; exits non-zero when it does not exist. */
  state(id: string): string[]
  checkpoint(a: CheckpointArgs): string[]
  /** Detached restore. The caller supplies /dev/null stdio (see plan.withNullStdio). */
  restore(a: RestoreArgs): string[]
  /** Removes a stopped container; refuses a running one. */
  delete(id: string): string[]
  /** Kills and removes whatever state the container is in (rollback on the destination only). */
  forceDelete(id: string): string[]
}
