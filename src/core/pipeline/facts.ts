// What preflight learned about each host, in a form mode selection and planning can reason on.

export type ContainerState = 'running' | 'stopped' | 'paused' | 'created' | 'absent' | 'unknown'

/** A capability with the words that explain it when it is missing. */
export interface Capability {
  ok: boolean
  detail: string
}

export interface HostFacts {
  host: string
  reachable: Capability
  /** The tour's container runtime (runc, crun): its version, null when it is not installed. */
  runtimeVersion: string | null
  /** Why this runtime's build cannot checkpoint (e.g. crun without CRIU); null when it can. */
  runtimeProblem: string | null
  criuVersion: number[] | null
  kernel: string | null
  criuCheck: Capability
  /** `criu check --feature mem_dirty_track`: soft-dirty, needed by CRIU pre-dump. */
  dirtyTrack: Capability
  /** `criu check --feature uffd-noncoop`: userfaultfd, needed by lazy pages. */
  uffd: Capability
  rsync: Capability & { zstd: boolean }
  bundle: Capability & { configSha: string | null; configShaNoCgroup: string | null; rootfs: string | null }
  /** Image runtimes (podman): the image IDs this host holds, and the container's where it has it. */
  images: { held: string[]; container: string | null } | null
  diskFreeBytes: number | null
  keepalived: boolean
  holdsIp: boolean
  container: ContainerState
  /** Resident memory of the container's init, when it runs here. */
  containerRssBytes: number | null
  /** net.ipv4.ip_nonlocal_bind: restore may bind the floating IP before it arrives. */
  nonlocalBind: boolean
  pipeMaxSize: number | null
  /** Transparent huge pages' mode (always, madvise, never): CRIU's restore faults the game's memory in. */
  hugePages: string | null
  /** perl, gzip and cksum: the one-way final delta (transfer/page-delta.ts) needs them on both ends;
   *  zstd(1) as well: a whole image streams one way only with it (else rsync, with its own zstd). */
  deltaTools: Capability & { missing: string[]; zstd: boolean }
  /** /dev/shm (RAM) and the memory left: pre-copy's snapshots may be written there (decide.ts). */
  shm: ShmFacts | null
  /**
   * The host hands freed memory back to its hypervisor (virtio-balloon free page reporting): memory
   * touched first after that is slow, so the hop keeps some warm (steps/warm-memory.ts). null: not known.
   */
  freePageReporting: boolean | null
}

export interface ShmFacts {
  /** /dev/shm is a tmpfs. */
  tmpfs: boolean
  availBytes: number | null
  /** MemAvailable. */
  memAvailBytes: number | null
}

/** Measured between two hosts, from the source. */
export interface LinkFacts {
  rttMs: number | null
  mbitPerSec: number | null
}

export function unreachableFacts(host: string, why: string): HostFacts {
  const no = { ok: false, detail: 'not checked: host unreachable' }
  return {
    host,
    reachable: { ok: false, detail: why },
    runtimeVersion: null,
    runtimeProblem: null,
    criuVersion: null,
    kernel: null,
    criuCheck: no,
    dirtyTrack: no,
    uffd: no,
    rsync: { ...no, zstd: false },
    bundle: { ...no, configSha: null, configShaNoCgroup: null, rootfs: null },
    images: null,
    diskFreeBytes: null,
    keepalived: false,
    holdsIp: false,
    container: 'unknown',
    containerRssBytes: null,
    nonlocalBind: false,
    pipeMaxSize: null,
    hugePages: null,
    deltaTools: { ...no, missing: [], zstd: false },
    shm: null,
    freePageReporting: null,
  }
}
