// Reads a tour file: size and text -> YAML -> document guard -> zod -> cross checks, every problem
// with file, line and field. Each stage bounds the work of the next (see prescan.ts, yaml-guard.ts).
import path from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import type { z } from 'zod'
import { TOUR_LIMITS, TourSchema, type Host, type Tour, type TourInput, type TourProblem } from '../../shared/tour'
import { unsafeCharProblem } from '../../shared/tour-values'
import { prescan } from './prescan'
import { fieldName, locate, sourceLine, TourError, unclosedFlowStart, type Path } from './problems'
import { readTourText } from './read'
import { fieldAt, guardDocument } from './yaml-guard'

export { TourError } from './problems'

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing (expected ${issue.expected})`
  return issue.message
}

/** Parses tour text. `file` is used for messages and to resolve relative paths. */
export function parseTour(text: string, file: string): Tour {
  const early = prescan(text, file)
  if (early.length > 0) throw new TourError(early)
  const lc = new LineCounter()
  // Duplicate keys are found by guardDocument: yaml's own check is quadratic.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false })
  if (doc.errors.length > 0) {
    // One slip (a missing `}`) makes yaml report every line after it too: the first is the one to fix.
    const e = doc.errors[0]!
    const opened = /end with an? [}\]]/.test(e.message) ? unclosedFlowStart(doc, e.pos[0]) : null
    const at = opened ?? e.pos[0]
    const pos = lc.linePos(at)
    const excerpt = sourceLine(text, lc.lineStarts, pos.line)
    const message = `YAML: ${e.message.split('\n')[0]}${opened === null ? '' : ` (opened here, not closed before line ${lc.linePos(e.pos[0]).line})`}`
    throw new TourError([{ file, line: pos.line, column: pos.col, field: fieldAt(doc, at), message, ...(excerpt ? { excerpt } : {}) }])
  }
  const guarded = guardDocument(doc, lc, file)
  if (guarded.length > 0) throw new TourError(guarded)
  let raw: unknown
  try {
    raw = doc.toJS({ maxAliasCount: TOUR_LIMITS.nodes })
  } catch (err) {
    // guardDocument already bounded aliases; this is yaml refusing something else.
    throw new TourError([{ file, line: 0, column: 0, field: '', message: `YAML: ${(err as Error).message.split('\n')[0]}` }])
  }
  const parsed = TourSchema.safeParse(raw ?? {})
  const problems: TourProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        // For unknown keys, point at the first offending key rather than its parent.
        const p: Path = issue.code === 'unrecognized_keys' && issue.keys[0] ? [...issue.path.map(toKey), issue.keys[0]] : issue.path.map(toKey)
        return { file, ...locate(doc, lc, p), field: fieldName(issue.path.map(toKey)), message: zodMessage(issue) }
      })
  // Cross-field checks run on the raw data too, so one run reports every problem.
  const seen = new Set(problems.map((p) => p.field))
  for (const c of crossCheck(raw)) {
    const field = fieldName(c.path)
    if (!seen.has(field)) problems.push({ file, ...locate(doc, lc, c.path), field, message: c.message })
  }
  if (problems.length > 0 || !parsed.success) throw new TourError(problems)
  const tour = resolveTour(parsed.data, file)
  const bad = resolvedPathProblems(parsed.data, tour)
  if (bad.length > 0) throw new TourError(bad.map((b) => ({ file, ...locate(doc, lc, b.path), field: fieldName(b.path), message: b.message })))
  return tour
}

/**
 * Relative key and known_hosts paths are joined to the tour's folder (or HOME for `~/`), which
 * the tour does not control: the joined path is checked again.
 */
function resolvedPathProblems(t: TourInput, tour: Tour): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = []
  tour.hosts.forEach((h, i) => {
    for (const key of ['identityFile', 'knownHosts'] as const) {
      const resolved = h.ssh[key]
      const problem = resolved === undefined ? null : unsafeCharProblem(resolved)
      if (!problem) continue
      const path: Path = t.hosts[i]!.ssh[key] !== undefined ? ['hosts', i, 'ssh', key] : ['defaults', 'ssh', key]
      if (!out.some((o) => fieldName(o.path) === fieldName(path))) out.push({ path, message: `resolves to ${JSON.stringify(resolved)}: ${problem}` })
    }
  })
  return out
}

function toKey(k: PropertyKey): string | number {
  return typeof k === 'number' ? k : String(k)
}

type Loose = { name?: unknown; ssh?: { host?: unknown } }

/** Checks across fields, on data zod may not have accepted yet: every access is guarded. */
function crossCheck(raw: unknown): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = []
  const t = (raw ?? {}) as { hosts?: unknown; hops?: unknown; defaults?: { ssh?: { host?: unknown } } }
  const hosts = Array.isArray(t.hosts) ? (t.hosts as Loose[]) : []
  const names = new Map<string, number>()
  hosts.forEach((h, i) => {
    if (typeof h?.name !== 'string') return
    if (names.has(h.name)) out.push({ path: ['hosts', i, 'name'], message: `duplicate host name ${JSON.stringify(h.name)} (also hosts[${names.get(h.name)}])` })
    else names.set(h.name, i)
    if (!h.ssh?.host && !t.defaults?.ssh?.host) out.push({ path: ['hosts', i, 'ssh', 'host'], message: 'missing (expected string): no ssh.host here or in defaults.ssh' })
  })
  const hops: unknown[] = Array.isArray(t.hops) ? t.hops : []
  hops.forEach((name, i) => {
    if (typeof name !== 'string') return
    if (!names.has(name)) out.push({ path: ['hops', i], message: `unknown host ${JSON.stringify(name)}; hosts are: ${[...names.keys()].join(', ')}` })
    else if (i > 0 && hops[i - 1] === name) out.push({ path: ['hops', i], message: `hop from ${JSON.stringify(name)} to itself` })
  })
  return out
}

function resolvePath(p: string | undefined, base: string): string | undefined {
  if (!p) return p
  if (p.startsWith('~/')) return path.join(process.env.HOME ?? '/root', p.slice(2))
  return path.resolve(base, p)
}

function resolveTour(t: TourInput, file: string): Tour {
  const base = path.dirname(path.resolve(file))
  const defaults = t.defaults?.ssh ?? {}
  const hosts: Host[] = t.hosts.map((h) => {
    const ssh = { port: 22, agent: true, ...stripUndefined(defaults), ...stripUndefined(h.ssh) }
    return {
      name: h.name,
      label: h.label,
      lat: h.lat,
      lon: h.lon,
      address: h.address ?? ssh.host!,
      ssh: {
        ...ssh,
        host: ssh.host!,
        identityFile: resolvePath(ssh.identityFile, base),
        knownHosts: resolvePath(ssh.knownHosts, base),
      },
    }
  })
  return { name: t.name, description: t.description, file: path.resolve(file), hosts, container: t.container, floatingIp: t.floatingIp, hops: t.hops, options: t.options }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

export async function loadTour(file: string): Promise<Tour> {
  return parseTour(await readTourText(file), file)
}

export function hostByName(tour: Tour, name: string): Host {
  const h = tour.hosts.find((x) => x.name === name)
  if (!h) throw new Error(`unknown host "${name}" in tour ${tour.file}; hosts are: ${tour.hosts.map((x) => x.name).join(', ')}`)
  return h
}
