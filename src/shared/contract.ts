// The one contract between the engine (src/core) and any UI host (Electron IPC or the browser
// host's WebSocket). Commands go UI -> engine and return a result; events go engine -> UI.
// Every payload is validated with these schemas where it crosses a process boundary.
import { z } from 'zod'
import type { CommandNameList } from './command-names'
import { ModeSchema, TourProblemSchema } from './tour'

// ---------- building blocks ----------

export const HostConnStateSchema = z.enum(['idle', 'connecting', 'connected', 'error'])
export type HostConnState = z.infer<typeof HostConnStateSchema>

export const HostViewSchema = z.object({
  name: z.string(),
  label: z.string(),
  lat: z.number(),
  lon: z.number(),
  address: z.string(),
  conn: HostConnStateSchema,
  connDetail: z.string().optional(),
})
export type HostView = z.infer<typeof HostViewSchema>

export const TourViewSchema = z.object({
  file: z.string(),
  name: z.string(),
  hosts: z.array(HostViewSchema),
  hops: z.array(z.string()),
  containerId: z.string(),
  floatingIp: z.string(),
  gamePort: z.number(),
  mode: ModeSchema,
  probeHz: z.number(),
})
export type TourView = z.infer<typeof TourViewSchema>

/** Where a replay of a recording stands (`globehop replay`); the renderer shows it in one banner only. */
export const ReplayStatusSchema = z.object({
  /** The recording file as it was given. */
  file: z.string(),
  /** When the recording started, epoch ms. */
  recordedAt: z.number(),
  /** 1 = real time. */
  speed: z.number().positive(),
  paused: z.boolean(),
  /** Where the replay is, ms from the recording's start (at the moment this state was sent). */
  positionMs: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** 1-based hop the position is in; absent before the first hop. */
  hop: z.number().int().positive().optional(),
})
export type ReplayStatus = z.infer<typeof ReplayStatusSchema>

export const EngineStateSchema = z.object({
  version: z.string(),
  /** Which host runs the UI: the renderer shows it but never branches on it. */
  host: z.enum(['electron', 'browser']),
  tour: TourViewSchema.nullable(),
  tourProblems: z.array(TourProblemSchema),
  /** Host the container runs on now (as far as the engine knows). */
  currentHost: z.string().nullable(),
  /** Index into tour.hops of the next destination; null when the tour is over. */
  nextHopIndex: z.number().int().nullable(),
  busy: z.enum(['idle', 'preflight', 'hop', 'tour']),
  /** A hop is under way (false while a step-mode tour waits for `next`). */
  hopRunning: z.boolean(),
  /** The container is frozen mid-hop: nothing may stop the hop now (the UI says so). */
  frozen: z.boolean(),
  /** Honest limitations of this machine/host the user should see (e.g. no Electron binary). */
  notices: z.array(z.string()),
  /** Set while a recording is replayed; null (or absent) for a live engine. */
  replay: ReplayStatusSchema.nullish(),
  /** Stage fallback (a live tour's host only): the recording R would switch to, and whether the
   * screen shows it now instead of the live run. Absent where there is no live run to fall back from. */
  fallback: z.object({ recording: z.string().nullable(), active: z.boolean(), detail: z.string().optional() }).nullish(),
})
export type EngineState = z.infer<typeof EngineStateSchema>

// Preflight: one row per host, one cell per check.
export const CheckStatusSchema = z.enum(['ok', 'warn', 'fail', 'skip'])
export const PreflightCheckSchema = z.object({
  id: z.string(), // e.g. 'reachable', 'runtime', 'criu', 'criu-check', 'mem-dirty-track', 'uffd', 'bundle' (or 'image'), 'disk', 'rsync', 'keepalived', 'container'
  status: CheckStatusSchema,
  detail: z.string(),
})
export const PreflightHostSchema = z.object({
  host: z.string(),
  checks: z.array(PreflightCheckSchema),
})
export const PreflightReportSchema = z.object({
  ok: z.boolean(),
  hosts: z.array(PreflightHostSchema),
  /** Which modes every host of the tour can do, and why not where not. */
  modes: z.array(
    z.object({
      mode: ModeSchema,
      available: z.boolean(),
      reason: z.string().optional(),
      /** What the players would see as the outage of the next hop in this mode, predicted from the link and the image. */
      predictedGapMs: z.number().nonnegative().optional(),
    }),
  ),
  /** What the floating IP and container look like right now. */
  floatingIpOwner: z.string().nullable(),
  containerOn: z.string().nullable(),
})
export type PreflightReport = z.infer<typeof PreflightReportSchema>

// Steps of a hop. One unit of src/core/pipeline per step.
export const STEP_NAMES = [
  'preflight',
  'snapshot', // pre-copy: checkpoint --leave-running or --pre-dump iteration
  'snapshot-transfer',
  'checkpoint', // the final freeze + dump
  'transfer',
  'ip-move',
  'page-server',
  'restore',
  'lazy-pages', // post-copy: pages still flowing after the restore
  'verify',
  'cleanup',
  'rollback',
] as const
export const StepNameSchema = z.enum(STEP_NAMES)
export type StepName = z.infer<typeof StepNameSchema>

export const StepEventSchema = z.object({
  hopId: z.string(),
  step: StepNameSchema,
  /** Iteration number for repeated steps (pre-copy snapshots), starting at 1. */
  iteration: z.number().int().optional(),
  phase: z.enum(['start', 'progress', 'end', 'fail']),
  host: z.string().optional(),
  /** Wall clock, ms since epoch. */
  at: z.number(),
  /** Duration so far (progress) or total (end/fail), ms. */
  elapsedMs: z.number().optional(),
  bytesDone: z.number().optional(),
  bytesTotal: z.number().optional(),
  /** Human text: what happens, or why it failed. */
  detail: z.string().optional(),
  /** True for steps during which the container is frozen (players feel it). */
  frozen: z.boolean().optional(),
})
export type StepEvent = z.infer<typeof StepEventSchema>

export const CriuStatsSchema = z.object({
  freezingTimeUs: z.number().optional(),
  frozenTimeUs: z.number().optional(),
  memdumpTimeUs: z.number().optional(),
  memwriteTimeUs: z.number().optional(),
  pagesScanned: z.number().optional(),
  pagesSkippedParent: z.number().optional(),
  pagesWritten: z.number().optional(),
  pagesLazy: z.number().optional(),
  restoreTimeUs: z.number().optional(),
  forkingTimeUs: z.number().optional(),
  pagesRestored: z.number().optional(),
})
export type CriuStats = z.infer<typeof CriuStatsSchema>

export const ClientViewSchema = z.object({
  /** Longest stretch without replies during the hop, as the prober saw it. */
  downtimeMs: z.number().nullable(),
  probesLost: z.number(),
  rttBeforeMs: z.number().nullable(),
  rttAfterMs: z.number().nullable(),
  /** Bots' frags / client slots carried over; null when it could not be told. */
  stateCarried: z.boolean().nullable(),
})
export type ClientView = z.infer<typeof ClientViewSchema>

export const HopResultSchema = z.object({
  hopId: z.string(),
  from: z.string(),
  to: z.string(),
  mode: ModeSchema,
  /** Concrete technique used, e.g. 'pre-copy (rsync delta)'. */
  technique: z.string(),
  ok: z.boolean(),
  startedAt: z.number(),
  endedAt: z.number(),
  steps: z.array(
    z.object({ step: StepNameSchema, iteration: z.number().optional(), ms: z.number(), bytes: z.number().optional(), frozen: z.boolean().optional() }),
  ),
  imageBytes: z.number().optional(),
  wireBytes: z.number().optional(),
  criuDump: CriuStatsSchema.optional(),
  criuRestore: CriuStatsSchema.optional(),
  /** Sum of the game's pauses for pre-copy snapshots before the final freeze (CRIU freezing + frozen time, or globehop's hold where it froze the game first). */
  snapshotPauseMs: z.number().nonnegative().optional(),
  /** The longest of those pauses: what one player felt at worst (issue 12's per-pause target). */
  snapshotPauseMaxMs: z.number().nonnegative().optional(),
  client: ClientViewSchema.optional(),
  error: z.string().optional(),
  /** What the rollback did, in words, when there was one. */
  rollback: z.string().optional(),
  /** Where the container runs and who holds the floating IP after the hop. */
  containerOn: z.string().nullable(),
})
export type HopResult = z.infer<typeof HopResultSchema>

// Prober
export const ProbeSampleSchema = z.object({
  seq: z.number().int(),
  /** Send time, ms since epoch (fractional). */
  at: z.number(),
  /** Round trip in ms; null = lost (no reply within the timeout). A later sample with the same
   * seq, rttMs set and late: true replaces it (the reply came after all). */
  rttMs: z.number().nullable(),
  late: z.boolean().optional(),
})
export type ProbeSample = z.infer<typeof ProbeSampleSchema>

export const OutageSchema = z.object({
  startAt: z.number(),
  endAt: z.number().nullable(),
  probesLost: z.number().int(),
  hopId: z.string().nullable(),
})
export type Outage = z.infer<typeof OutageSchema>

export const ServerStatusSchema = z.object({
  at: z.number(),
  hostname: z.string(),
  map: z.string(),
  game: z.string(),
  clients: z.number(),
  bots: z.number(),
  maxClients: z.number(),
  players: z.array(z.object({ name: z.string(), frags: z.number(), ping: z.number(), bot: z.boolean() })),
})
export type ServerStatus = z.infer<typeof ServerStatusSchema>

export const ProbeStateSchema = z.enum(['off', 'probing', 'answering', 'outage', 'silent'])
export type ProbeState = z.infer<typeof ProbeStateSchema>

/** One remote command line or a line of its output. */
export const LogLineSchema = z.object({ host: z.string(), stream: z.enum(['cmd', 'stdout', 'stderr']), line: z.string(), at: z.number() })
export type LogLine = z.infer<typeof LogLineSchema>

export const ProbeBatchSchema = z.object({ samples: z.array(ProbeSampleSchema), state: ProbeStateSchema, target: z.string() })

// ---------- the run's history (engine-kept, so a reload or a second screen shows it at once) ----------

/** What a history holds at most (src/shared/run-history.ts folds events into it). */
export const HISTORY_LIMITS = {
  hops: 500,
  /** Step events of the current (or last) hop; earlier hops' steps are summed up in their HopResult. */
  steps: 500,
  log: 500,
  outages: 1000,
  /** Probe samples of this span before the newest one. */
  probeWindowMs: 10 * 60_000,
  /** 10 minutes at the prober's 50 Hz maximum. */
  samples: 30_000,
} as const

export const RunHistorySchema = z.object({
  state: EngineStateSchema.nullable(),
  preflight: PreflightReportSchema.nullable(),
  hops: z.array(HopResultSchema).max(HISTORY_LIMITS.hops),
  steps: z.array(StepEventSchema).max(HISTORY_LIMITS.steps),
  log: z.array(LogLineSchema).max(HISTORY_LIMITS.log),
  probe: ProbeBatchSchema.extend({ samples: z.array(ProbeSampleSchema).max(HISTORY_LIMITS.samples) }),
  outages: z.array(OutageSchema).max(HISTORY_LIMITS.outages),
  serverStatus: ServerStatusSchema.nullable(),
})
export type RunHistory = z.infer<typeof RunHistorySchema>

// ---------- commands (UI -> engine) ----------

const none = z.object({}).strict()

/** Slowest and fastest replay speeds. */
export const REPLAY_SPEED = { min: 0.1, max: 100 } as const
const ReplayArgsSchema = z
  .object({
    action: z.enum(['pause', 'resume', 'seek', 'speed']),
    toMs: z.number().nonnegative().optional(),
    hop: z.number().int().positive().optional(),
    speed: z.number().min(REPLAY_SPEED.min).max(REPLAY_SPEED.max).optional(),
  })
  .strict()
  .refine((a) => a.action !== 'seek' || (a.toMs === undefined) !== (a.hop === undefined), { message: 'seek takes either toMs or hop', path: ['toMs'] })
  .refine((a) => a.action !== 'speed' || a.speed !== undefined, { message: 'speed takes a speed', path: ['speed'] })
/** One recording on disk, as the app lists it (src/core/recording/catalog.ts). */
export const RecordingEntrySchema = z.object({
  /** File name inside the recordings folder (what deleteRecording takes). */
  name: z.string(),
  /** Absolute path of the .jsonl. */
  file: z.string(),
  /** The .jsonl and its .cast files together. */
  bytes: z.number().nonnegative(),
  startedAt: z.number(),
  tourName: z.string(),
  hops: z.number().int().nonnegative(),
  okHops: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** Set when the file cannot be read whole (cut short, newer version): what is wrong. */
  problem: z.string().optional(),
})
export type RecordingEntry = z.infer<typeof RecordingEntrySchema>
export const RecordingListSchema = z.object({
  dir: z.string(),
  totalBytes: z.number().nonnegative(),
  /** Newest first. */
  recordings: z.array(RecordingEntrySchema),
})
export type RecordingList = z.infer<typeof RecordingListSchema>
/** An export as text, for the page to save under `filename`. */
export const ExportFileSchema = z.object({ filename: z.string(), mime: z.string(), text: z.string(), warning: z.string().optional() })
export type ExportFile = z.infer<typeof ExportFileSchema>
export const EXPORT_KINDS = ['csv', 'json', 'md', 'ping-csv'] as const

/** Force pre-copy's way of tracking changed memory (default: the tour's preCopy.tracking). */
const TrackingSchema = z.enum(['criu', 'rsync'])

export const commands = {
  getState: { args: none, result: EngineStateSchema },
  /** Everything a freshly opened page needs to show the run so far. */
  getHistory: { args: none, result: RunHistorySchema },
  loadTour: { args: z.object({ path: z.string().min(1) }), result: EngineStateSchema },
  connect: { args: none, result: EngineStateSchema },
  preflight: { args: z.object({ mode: ModeSchema.optional() }).strict(), result: PreflightReportSchema },
  /** One hop to the next host of the tour (or `to`). */
  hop: { args: z.object({ to: z.string().optional(), mode: ModeSchema.optional(), tracking: TrackingSchema.optional() }).strict(), result: HopResultSchema },
  /** Run the rest of the tour; `auto` false waits for `next` between hops. */
  tour: { args: z.object({ auto: z.boolean(), mode: ModeSchema.optional(), tracking: TrackingSchema.optional() }).strict(), result: z.array(HopResultSchema) },
  next: { args: none, result: z.object({ accepted: z.boolean() }) },
  cancel: { args: none, result: z.object({ cancelled: z.boolean(), detail: z.string() }) },
  /** Drives a replay (a live engine refuses it): seek takes toMs or hop (1-based), speed takes speed. */
  replay: { args: ReplayArgsSchema, result: EngineStateSchema },
  /** Recordings on disk, with their disk use. */
  recordings: { args: none, result: RecordingListSchema },
  /** Deletes one recording (its .jsonl and .cast files) by its name in the list; answers the new list. */
  deleteRecording: { args: z.object({ name: z.string().min(1).max(255) }).strict(), result: RecordingListSchema },
  /** The figures of the run on screen (the live run's recording, or the replayed one) as a file's text. */
  exportRun: { args: z.object({ kind: z.enum(EXPORT_KINDS) }).strict(), result: ExportFileSchema },
  /** Stage fallback: show the most recent good recording of this tour from the matching hop
   * ('replay'), or the live run again after a preflight ('live'). */
  fallback: { args: z.object({ to: z.enum(['replay', 'live']) }).strict(), result: EngineStateSchema },
} as const

export type Commands = typeof commands
export type CommandName = keyof Commands
export type CommandArgs<K extends CommandName> = z.input<Commands[K]['args']>
export type CommandResult<K extends CommandName> = z.infer<Commands[K]['result']>

// ---------- events (engine -> UI) ----------

export const events = {
  state: EngineStateSchema,
  log: LogLineSchema,
  preflight: PreflightReportSchema,
  step: StepEventSchema,
  hop: HopResultSchema,
  /** Batched at ~5 Hz so a 20 Hz prober costs few messages. */
  probe: ProbeBatchSchema,
  outage: OutageSchema,
  serverStatus: ServerStatusSchema,
  /** A whole history that replaces what a UI holds (a new tour was loaded, or a page reconnected). */
  history: RunHistorySchema,
} as const

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<K extends EventName> = z.infer<Events[K]>

/** An event on the wire. */
export type AnyEvent = { [K in EventName]: { name: K; payload: EventPayload<K> } }[EventName]

/** What the renderer gets: one function per command plus a subscription. */
export type GlobehopApi = {
  [K in CommandName]: (args: CommandArgs<K>) => Promise<CommandResult<K>>
} & {
  /** Subscribe to every engine event; returns the unsubscribe function. */
  onEvent(listener: (event: AnyEvent) => void): () => void
}

/** Errors crossing the boundary keep their message and a stable code. */
export const WireErrorSchema = z.object({ code: z.string(), message: z.string() })
export type WireError = z.infer<typeof WireErrorSchema>

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(commands, name)
}

export { COMMAND_NAMES } from './command-names'
// Compile-time: the zod-free name list and the commands map have exactly the same keys.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const namesMatch: Same<CommandName, CommandNameList> = true
void namesMatch
