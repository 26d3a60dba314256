// The recording file's shape (JSON lines): a header line, then one line per engine event. Kept
// here, apart from the writer and reader, so a replay or an export reads the same definition.
import { z } from 'zod'
import type { PreflightReport, TourView } from '../../shared/contract'
import type { Tour } from '../../shared/tour'

export const RECORDING_FORMAT = 'globehop-recording'
/** Raise on any change an older reader would misread; readers refuse newer versions. */
export const RECORDING_VERSION = 1

export const RecordedTourSchema = z.object({
  name: z.string(),
  file: z.string(),
  hosts: z.array(z.object({ name: z.string(), label: z.string(), lat: z.number(), lon: z.number() })),
  hops: z.array(z.string()),
  floatingIp: z.string(),
  gamePort: z.number(),
  mode: z.string(),
})
export type RecordedTour = z.infer<typeof RecordedTourSchema>

/** What each host ran, from the preflight table: the versions a run's figures depend on. */
export const HostVersionsSchema = z.object({
  host: z.string(),
  /** e.g. "runc 1.3.6"; null when the host was unreachable or has none. */
  runtime: z.string().nullable(),
  /** e.g. "4.2.1". */
  criu: z.string().nullable(),
  kernel: z.string().nullable(),
})
export type HostVersions = z.infer<typeof HostVersionsSchema>

export const RecordingHeaderSchema = z.object({
  type: z.literal('header'),
  format: z.literal(RECORDING_FORMAT),
  version: z.number().int().positive(),
  /** globehop's package version that wrote the file. */
  globehop: z.string(),
  /** Epoch ms; every event line's `t` counts from here. */
  startedAt: z.number(),
  tour: RecordedTourSchema,
  /** Null when no preflight ran before the run's first hop step. */
  preflight: z.array(HostVersionsSchema).nullable(),
})
export type RecordingHeader = z.infer<typeof RecordingHeaderSchema>

/** One event line: `t` ms since startedAt (monotonic), `at` epoch ms when it was recorded. */
export const RecordedLineSchema = z.object({
  t: z.number(),
  at: z.number(),
  event: z.object({ name: z.string(), payload: z.unknown() }),
})

/** The header's view of a tour, from the engine's TourView or a loaded Tour alike. */
export function recordedTour(t: TourView | Tour): RecordedTour {
  const hosts = t.hosts.map((h) => ({ name: h.name, label: h.label, lat: h.lat, lon: h.lon }))
  const common = { name: t.name, file: t.file, hosts, hops: [...t.hops] }
  if ('container' in t) return { ...common, floatingIp: t.floatingIp.address, gamePort: t.container.gamePort, mode: t.options.mode }
  return { ...common, floatingIp: t.floatingIp, gamePort: t.gamePort, mode: t.mode }
}

/** Versions out of the preflight checks' words (preflight-report.ts writes them). */
export function hostVersions(report: PreflightReport): HostVersions[] {
  return report.hosts.map(({ host, checks }) => {
    const detail = (id: string) => checks.find((c) => c.id === id)?.detail ?? ''
    // 'runc' is the check's id in recordings made before runtimes had their own files.
    const runc = checks.find((c) => (c.id === 'runtime' || c.id === 'runc') && c.status === 'ok')
    return {
      host,
      runtime: runc ? runc.detail : null,
      criu: /^criu (\d[\w.+~-]*)/.exec(detail('criu'))?.[1] ?? null,
      kernel: /kernel (\S+)/.exec(detail('reachable'))?.[1] ?? null,
    }
  })
}
