// The tour file's shape. Pure zod so the renderer can share the types; YAML parsing and
// file/line reporting live in src/core/tour.
import { z } from 'zod'
import {
  floatingIpValue,
  hostValue,
  interfaceName,
  jumpValue,
  localPath,
  remotePath,
  subnetEdge,
  text,
  TOUR_LIMITS,
  trackFileValue,
  userValue,
} from './tour-values'

export { TOUR_LIMITS } from './tour-values'

export const MIGRATION_MODES = ['stop-and-copy', 'pre-copy', 'post-copy', 'pre+post', 'auto'] as const
export const ModeSchema = z.enum(MIGRATION_MODES)
export type Mode = z.infer<typeof ModeSchema>

const hostName = z
  .string()
  .max(63, 'at most 63 characters')
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" or "_" (it names the host in hops and on the CLI)')

export const SshTargetSchema = z.strictObject({
  host: hostValue,
  port: z.number().int().min(1).max(65535).default(22),
  user: userValue.optional(),
  /** Path to a private key; relative paths resolve against the tour file's folder. */
  identityFile: localPath.optional(),
  /** Use ssh-agent (SSH_AUTH_SOCK) when present. */
  agent: z.boolean().default(true),
  /** `[user@]host[:port]` of a jump host, like OpenSSH's ProxyJump. */
  jump: jumpValue.optional(),
  /** known_hosts file; relative paths resolve against the tour file's folder. Default ~/.ssh/known_hosts. */
  knownHosts: localPath.optional(),
})
export type SshTarget = z.infer<typeof SshTargetSchema>

/** Per-host SSH fields with no required ones: `defaults.ssh` in the tour. */
export const SshDefaultsSchema = SshTargetSchema.partial()

export const HostSchema = z.strictObject({
  name: hostName,
  label: text(TOUR_LIMITS.label),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  ssh: SshTargetSchema.partial(),
  /** Address other hosts use to reach this one (rsync, page server). Defaults to ssh.host. */
  address: hostValue.optional(),
})
export type HostInput = z.infer<typeof HostSchema>

/** Container runtimes globehop drives (one file each in src/core/pipeline/runtime). */
export const RUNTIME_NAMES = ['runc', 'crun', 'podman'] as const
export type RuntimeName = (typeof RUNTIME_NAMES)[number]

export const ContainerSchema = z.strictObject({
  id: z.string().max(128, 'at most 128 characters').regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a runc container id: letters, digits, ".", "_" or "-"'),
  /** runc and crun restore from it (the same on every host); podman never reads it (its checkpoint archive and the container's image hold all). */
  bundle: remotePath,
  runtime: z.enum(RUNTIME_NAMES).default('runc'),
  /** UDP port of the game server, probed at the floating IP. */
  gamePort: z.number().int().min(1).max(65535).default(26000),
})

export const FloatingIpSchema = z
  .strictObject({
    address: floatingIpValue,
    interface: interfaceName.default('eth0'),
    /** Prefix length used by the manual method. */
    prefix: z.number().int().min(0).max(32).default(24),
    method: z.enum(['keepalived', 'manual']).default('keepalived'),
    /** keepalived vrrp_track_file the pipeline writes: 1 on the owner, 0 elsewhere. */
    trackFile: trackFileValue.default('/run/globehop/vrrp-owner'),
  })
  .superRefine((f, ctx) => {
    // The manual method adds address/prefix itself: a subnet's edge address is no host's.
    const edge = f.method === 'manual' ? subnetEdge(f.address, f.prefix) : null
    if (edge) ctx.addIssue({ code: 'custom', path: ['address'], message: `the ${edge} address of its /${f.prefix}, not a host address` })
  })

export const PreCopySchema = z.strictObject({
  tracking: z.enum(['auto', 'criu', 'rsync']).default('auto'),
  maxIterations: z.number().int().min(1).max(32).default(8),
  /** Stop iterating when an iteration writes at most this many pages (p.haul: 64). */
  minPagesWritten: z.number().int().min(0).default(64),
  /** Stop when skipped pages reach this share, in percent (LXD: 70). */
  skippedGoal: z.number().min(0).max(100).default(70),
  /** Stop when an iteration grows by more than this, in percent (p.haul: 10). */
  maxGrowth: z.number().min(0).default(10),
})

export const OptionsSchema = z.strictObject({
  mode: ModeSchema.default('auto'),
  compression: z.enum(['auto', 'none', 'zstd']).default('auto'),
  /** Images live on storage every host sees: skip the copy. */
  sharedStorage: z.boolean().default(false),
  /** Where images are written on every host. */
  imageDir: remotePath.default('/var/lib/globehop/images'),
  preCopy: PreCopySchema.default(PreCopySchema.parse({})),
  /** Probe rate of the UDP prober, per second. */
  probeHz: z.number().int().min(1).max(50).default(20),
  /**
   * Keep each hop's CRIU logs and figures on its hosts after a hop that served (a failed hop keeps
   * its whole dir anyway): <imageDir>/<container>.logs/<hop>/, the dump's on the source, the
   * restore's on the destination. For a bug report or a look at where a hop's time went
   * (bench/hop-timeline.mts); nothing prunes them.
   */
  keepLogs: z.boolean().default(false),
})

export const TourSchema = z.strictObject({
  name: text(TOUR_LIMITS.name),
  description: text(TOUR_LIMITS.description, { multiline: true }).optional(),
  defaults: z.strictObject({ ssh: SshDefaultsSchema.optional() }).optional(),
  hosts: z.array(HostSchema).min(2, 'a tour needs at least two hosts').max(TOUR_LIMITS.hosts, `at most ${TOUR_LIMITS.hosts} hosts`),
  container: ContainerSchema,
  floatingIp: FloatingIpSchema,
  /** Host names in order; the first is where the container runs when the tour starts. */
  hops: z.array(hostName).min(2, 'hops needs a start host and at least one destination').max(TOUR_LIMITS.hops, `at most ${TOUR_LIMITS.hops} hops`),
  options: OptionsSchema.default(OptionsSchema.parse({})),
})
export type TourInput = z.infer<typeof TourSchema>

/** A host after defaults were merged and paths resolved. */
export interface Host extends Omit<HostInput, 'ssh' | 'address'> {
  ssh: SshTarget
  address: string
}

export interface Tour extends Omit<TourInput, 'hosts' | 'defaults'> {
  /** Absolute path of the file the tour came from. */
  file: string
  hosts: Host[]
}

/** One problem found in a tour file. line/column are 1-based; 0 when unknown. */
export const TourProblemSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  field: z.string(),
  message: z.string(),
  /** The offending source line (at most 200 characters, control characters escaped), where it helps. */
  excerpt: z.string().optional(),
})
export type TourProblem = z.infer<typeof TourProblemSchema>

export function formatProblem(p: TourProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`
}
