import type { CriuStats } from '../../../shared/contract'

// What the pipeline needs from a container runtime: its argv and what it can do. A new runtime is
// one new file implementing Runtime plus one line in registry.ts; preflight and the mode choice
// read the capabilities, never the runtime's name.

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
  /** Thaws a paused container (a rollback after a failed checkpoint that left it frozen). */
  resume(id: string): string[]
  /**
   * Restores a stopped container in place from the checkpoint the runtime keeps of it, where it
   * keeps one: the rollback tries it before it removes the container to restore from the image.
   */
  restoreHere?(id: string): string[]
}

export interface RuntimeCapabilities {
  /** `checkpoint --leave-running`: rsync-tracked pre-copy snapshots. */
  leaveRunning: boolean
  /** `checkpoint --pre-dump` (CRIU's memory tracking; the kernel needs soft-dirty too). */
  preDump: boolean
  /** `checkpoint --lazy-pages --page-server` and `restore --lazy-pages`: post-copy. */
  lazyPages: boolean
}

/** Where a runtime leaves CRIU's figures (in the checkpoint's or restore's work path) and how they read. */
export interface StatsReport {
  readonly dump: string
  readonly restore: string
  decode(bytes: Buffer): CriuStats
}

export interface Runtime extends RuntimeArgv {
  readonly capabilities: RuntimeCapabilities
  /** Why a capability is missing, where "<runtime> has no …" would mislead. */
  readonly missing?: Partial<Record<keyof RuntimeCapabilities, string>>
  readonly stats: StatsReport
  /** A file in the image dir that exists only once the image is whole (what `recover` trusts). */
  readonly imageMarker: string
  /** The version out of `version()`'s output, e.g. "1.3.6"; null when it is not this runtime. */
  parseVersion(output: string): string | null
  /**
   * CRIU's log in the checkpoint's work path, for a runtime that writes nothing into the image once
   * CRIU ended: pre-copy's last pages go out on the log's "finished" line instead of the exit.
   */
  readonly dumpLog?: string
  /**
   * Files the runtime writes into the image dir before it starts CRIU and never after: a whole
   * image's stream sends them first (transfer/tail-chain.ts leadFiles).
   */
  readonly leadFiles?: readonly string[]
  /**
   * CRIU freezes this runtime's container through the container's cgroup freezer (runc hands it
   * over as freeze_cgroup) and logs to `dumpLog`: a `--leave-running` snapshot may freeze the cgroup
   * itself just before CRIU looks, which spares the game CRIU's 100 ms freezer sleep (criu/freeze-first.ts).
   */
  readonly freezerCgroup?: boolean
  /**
   * The restore runs CRIU as `criu` found on PATH (`criu swrk`): the restore gate may start it before
   * the go-ahead, CRIU held in a shim until the copy is verified and the go-ahead comes
   * (transfer/criu-hold.ts). Only where a lab test saw the hold take: a restore that bypassed the
   * shim would not wait (a rollback would then remove what it restored, as after a failed restore).
   */
  readonly restoreRunsCriu?: boolean
  /**
   * Runtimes whose checkpoint archive carries the container's configuration and names its image
   * (podman): the destination must hold that image, and the tour's bundle is not used. Each argv
   * prints image IDs, one per line (a `sha256:` prefix is allowed); `copyHint` tells the user how
   * to bring an image to a host that lacks it.
   */
  readonly image?: { ofContainer(id: string): string[]; list(): string[]; copyHint: string }
  /** Why this build cannot checkpoint at all (e.g. compiled without CRIU), from `version()`'s output; null when it can. */
  cannotCheckpoint(output: string): string | null
}
