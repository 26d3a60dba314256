// `globehop preflight|migrate|tour`: the pipeline from a terminal. Human output prints each
// hop's figures the way the 2017 demo's script did (dump time and size, transfer time and
// bytes, restore time) plus CRIU's frozen time and the client gap a UDP prober saw; `--json`
// prints every event as one JSON line. migrate and tour record every event to a file (the last
// stderr line names it) unless --no-record.
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import type { AnyEvent, EventName, EventPayload, HopResult, PreflightReport, StepEvent } from '../shared/contract'
import { MIGRATION_MODES, type Mode, type Tour } from '../shared/tour'
import type { Emit } from '../core/events'
import type { PipelineSession } from '../core/pipeline/session'
import { guardProcess } from '../core/interrupt-guard'
import { EventHub } from '../core/event-hub'
import { startTourRuntime, type TourRuntime } from '../core/tour-runtime'
import { loadTour, TourError } from '../core/tour/load'
import { LiveProgress, stderrSink, type ProgressSink } from './live-progress'
import { formatHop, formatPreflight, formatStepLine } from './pipeline-format'
import { RunRecording, type Out } from './run-recording'
import { usageFor } from './usage'

export const PIPELINE_USAGE = `${usageFor('preflight', 'migrate', 'tour', 'recover')}
modes: ${MIGRATION_MODES.join(', ')} (default: the tour's options.mode)
tour without --auto waits for Enter before each hop after the first.
migrate and tour record the run under ~/.local/share/globehop/recordings/ (\`globehop export FILE\`).`

class UsageError extends Error {}

interface Common {
  tourPath: string
  mode?: Mode
  json: boolean
}

function modeArg(v: string | undefined): Mode | undefined {
  if (v === undefined) return undefined
  if (!(MIGRATION_MODES as readonly string[]).includes(v)) throw new UsageError(`unknown mode "${v}"; modes are: ${MIGRATION_MODES.join(', ')}`)
  return v as Mode
}

function trackingArg(v: string | undefined): 'criu' | 'rsync' | undefined {
  if (v === undefined || v === 'criu' || v === 'rsync') return v
  throw new UsageError(`--tracking must be criu or rsync, got "${v}"`)
}

const COMMON = { mode: { type: 'string' }, json: { type: 'boolean' } } as const
const HOP = { ...COMMON, tracking: { type: 'string' }, 'no-probe': { type: 'boolean' }, 'no-record': { type: 'boolean' } } as const

function oneTour(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing TOUR' : `one TOUR expected, got: ${positionals.join(' ')}`)
  return positionals[0]!
}

export function parsePreflightArgs(argv: string[]): Common {
  const { values, positionals } = parseArgs({ args: argv, options: COMMON, allowPositionals: true, strict: true })
  return { tourPath: oneTour(positionals), mode: modeArg(values.mode), json: values.json ?? false }
}

export function parseMigrateArgs(argv: string[]): Common & { to: string; tracking?: 'criu' | 'rsync'; probe: boolean; record: boolean } {
  const { values, positionals } = parseArgs({ args: argv, options: { ...HOP, to: { type: 'string' } }, allowPositionals: true, strict: true })
  if (!values.to) throw new UsageError('missing --to HOST')
  return {
    tourPath: oneTour(positionals),
    to: values.to,
    mode: modeArg(values.mode),
    tracking: trackingArg(values.tracking),
    json: values.json ?? false,
    probe: !values['no-probe'],
    record: !values['no-record'],
  }
}

export function parseTourArgs(argv: string[]): Common & { auto: boolean; tracking?: 'criu' | 'rsync'; probe: boolean; record: boolean } {
  const { values, positionals } = parseArgs({ args: argv, options: { ...HOP, auto: { type: 'boolean' } }, allowPositionals: true, strict: true })
  return {
    tourPath: oneTour(positionals),
    auto: values.auto ?? false,
    mode: modeArg(values.mode),
    tracking: trackingArg(values.tracking),
    json: values.json ?? false,
    probe: !values['no-probe'],
    record: !values['no-record'],
  }
}

/** Where the CLI writes; `progress`: where running steps show (live-progress.ts), none when absent. */
export type PipelineOut = Out & { progress?: ProgressSink }

const err = (s: string) => void process.stderr.write(`${s}\n`)
const stdio: PipelineOut = { out: (s) => process.stdout.write(`${s}\n`), err, progress: stderrSink(err) }

/** Events to the terminal: JSON lines, or step lines as they finish (and the running ones live). */
function makeEmit(json: boolean, io: Out, live: LiveProgress | null): Emit {
  const line = (s: string) => {
    live?.clear()
    io.out(s)
    live?.redraw()
  }
  return <K extends EventName>(name: K, payload: EventPayload<K>) => {
    if (json) {
      io.out(JSON.stringify({ name, payload } as AnyEvent))
      return
    }
    if (name === 'step') {
      live?.onStep(payload as StepEvent)
      const text = formatStepLine(payload as StepEvent)
      if (text) line(text)
    } else if (name === 'hop') line(formatHop(payload as HopResult))
  }
}

async function withSession<T>(
  c: Common & { probe?: boolean },
  io: PipelineOut,
  fn: (s: PipelineSession, tour: Tour, rt: TourRuntime) => Promise<T>,
  recording?: RunRecording,
): Promise<T> {
  const tour = await loadTour(c.tourPath)
  const live = !c.json && io.progress ? new LiveProgress(io.progress) : null
  const terminal = makeEmit(c.json, io, live)
  const hub = new EventHub('recording')
  const recorded = recording?.start(hub, tour) ?? false
  const toRecording: Emit = (name, payload) => hub.publish({ name, payload } as AnyEvent)
  const emit: Emit = recorded ? (name, payload) => (toRecording(name, payload), terminal(name, payload)) : terminal
  // Human output shows steps and hops; --json shows everything, remote lines and probes included;
  // the recording keeps everything either way.
  const everything = c.json ? emit : recorded ? toRecording : undefined
  const rt = startTourRuntime(tour, { emit, sshEmit: everything, proberEmit: everything, probe: c.probe })
  // Ctrl-C, a hang-up or a closed pipe never abandon a frozen hop (see interrupt-guard.ts).
  const guard = guardProcess({
    target: () => rt.pipeline,
    beforeExit: async () => {
      live?.stop()
      await Promise.race([rt.close(), new Promise<void>((r) => setTimeout(r, 3000))])
      recording?.end(io)
    },
  })
  try {
    return await fn(rt.pipeline, tour, rt)
  } finally {
    live?.stop()
    await rt.close()
    guard.dispose()
  }
}

/** Before a new hop: a hop a killed process left unfinished is recovered first. */
async function recoverFirst(rt: TourRuntime, io: Out): Promise<void> {
  const open = rt.openHop()
  if (!open) return
  io.err(`an earlier hop ${open.from} -> ${open.to} did not finish (journal ${rt.journalFile}): recovering first`)
  const r = await rt.recover((l) => io.err(`recover: ${l}`))
  if (!r.ok) throw new Error(`recover could not repair everything; no new hop until it can (run \`globehop recover ${rt.tour.file}\`)`)
}

async function guard(io: Out, cmd: string, parse: () => unknown, body: () => Promise<number>): Promise<number> {
  try {
    parse()
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`globehop ${cmd}: ${(err as Error).message}\n\n${PIPELINE_USAGE}`)
      return 2
    }
    throw err
  }
  try {
    return await body()
  } catch (err) {
    io.err(err instanceof TourError ? err.message : `globehop ${cmd}: ${(err as Error).message}`)
    return 1
  }
}

export async function runPreflightCli(argv: string[], io: PipelineOut = stdio): Promise<number> {
  let c!: Common
  return guard(io, 'preflight', () => (c = parsePreflightArgs(argv)), async () => {
    const report: PreflightReport = await withSession(c, io, (s) => s.preflight(c.mode))
    if (!c.json) io.out(formatPreflight(report, c.mode))
    if (!report.ok) io.err(preflightFailure(report, c.mode))
    return report.ok ? 0 : 1
  })
}

function preflightFailure(r: PreflightReport, mode?: Mode): string {
  const m = mode ? r.modes.find((x) => x.mode === mode) : undefined
  if (m && !m.available) return `preflight: ${m.reason ?? `${mode} unavailable`}`
  const fails = r.hosts.flatMap((h) => h.checks.filter((x) => x.status === 'fail').map((x) => `${h.host} ${x.id}: ${x.detail}`))
  return `preflight failed:\n${fails.map((f) => `  ${f}`).join('\n')}`
}

export async function runMigrateCli(argv: string[], io: PipelineOut = stdio): Promise<number> {
  let c!: ReturnType<typeof parseMigrateArgs>
  const recording = new RunRecording()
  const code = await guard(io, 'migrate', () => (c = parseMigrateArgs(argv)), async () => {
    const r = await withSession(c, io, async (s, tour, rt) => {
      if (!tour.hosts.some((h) => h.name === c.to)) throw new Error(`unknown host "${c.to}"; hosts are: ${tour.hosts.map((h) => h.name).join(', ')}`)
      await recoverFirst(rt, io)
      const pre = await s.preflight()
      if (pre.containerOn === null) {
        // Say why (an unreachable host is the usual cause), not only that nothing was found.
        const why = pre.ok ? '' : `\n${preflightFailure(pre)}`
        throw new Error(`preflight: the container runs on no host (or on more than one): nothing to migrate${why}`)
      }
      return s.hop({ to: c.to, mode: c.mode, tracking: c.tracking })
    }, c.record ? recording : undefined)
    if (!r.ok) io.err(hopFailure(r))
    return r.ok ? 0 : 1
  })
  recording.end(io)
  return code
}

function hopFailure(r: HopResult): string {
  return `hop ${r.from} -> ${r.to} failed: ${r.error ?? 'unknown error'}${r.rollback ? `\nrollback: ${r.rollback}` : ''}`
}

export async function runTourCli(argv: string[], io: PipelineOut = stdio): Promise<number> {
  let c!: ReturnType<typeof parseTourArgs>
  const recording = new RunRecording()
  const code = await guard(io, 'tour', () => (c = parseTourArgs(argv)), async () => {
    const results = await withSession(c, io, async (s, _tour, rt) => {
      await recoverFirst(rt, io)
      const pre = await s.preflight(c.mode)
      if (!c.json) io.out(formatPreflight(pre, c.mode))
      if (!pre.ok) throw new Error(preflightFailure(pre, c.mode))
      const rl = c.auto ? null : createInterface({ input: process.stdin })
      if (rl) {
        rl.on('line', () => s.next())
        rl.on('close', () => s.cancel())
        io.err('step mode: press Enter for each next hop (Ctrl-D stops before the next freeze)')
      }
      try {
        return await s.runTour({ auto: c.auto, mode: c.mode, tracking: c.tracking })
      } finally {
        rl?.close()
      }
    }, c.record ? recording : undefined)
    if (!c.json) io.out(formatTourSummary(results))
    const failed = results.find((r) => !r.ok)
    if (failed) io.err(hopFailure(failed))
    return failed ? 1 : 0
  })
  recording.end(io)
  return code
}

function formatTourSummary(rs: HopResult[]): string {
  return `tour: ${rs.filter((r) => r.ok).length} of ${rs.length} hops ok; the container is on ${rs.at(-1)?.containerOn ?? '?'}`
}
