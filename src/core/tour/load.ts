// Reads a tour file: YAML -> zod -> cross-field checks, every problem with file, line and field.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { isAlias, isNode, LineCounter, parseDocument, type Document } from 'yaml'
import type { z } from 'zod'
import { formatProblem, TourSchema, type Host, type Tour, type TourInput, type TourProblem } from '../../shared/tour'

export class TourError extends Error {
  constructor(readonly problems: TourProblem[]) {
    super(problems.map(formatProblem).join('\n'))
    this.name = 'TourError'
  }
}

type Path = readonly (string | number)[]

function fieldName(p: Path): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '')
}

/** Position of the deepest node along `p` that exists in the document. */
function locate(doc: Document, lc: LineCounter, p: Path): { line: number; column: number } {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true)
    if (isNode(node) && !isAlias(node) && node.range) {
      const pos = lc.linePos(node.range[0])
      return { line: pos.line, column: pos.col }
    }
  }
  return { line: 0, column: 0 }
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing (expected ${issue.expected})`
  return issue.message
}

/** Parses tour text. `file` is used for messages and to resolve relative paths. */
export function parseTour(text: string, file: string): Tour {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new TourError(
      doc.errors.map((e) => {
        const pos = lc.linePos(e.pos[0])
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` }
      }),
    )
  }
  const raw: unknown = doc.toJS()
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
  return resolveTour(parsed.data, file)
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
    if (names.has(h.name)) out.push({ path: ['hosts', i, 'name'], message: `duplicate host name "${h.name}" (also hosts[${names.get(h.name)}])` })
    else names.set(h.name, i)
    if (!h.ssh?.host && !t.defaults?.ssh?.host) out.push({ path: ['hosts', i, 'ssh', 'host'], message: 'missing (expected string): no ssh.host here or in defaults.ssh' })
  })
  const hops: unknown[] = Array.isArray(t.hops) ? t.hops : []
  hops.forEach((name, i) => {
    if (typeof name !== 'string') return
    if (!names.has(name)) out.push({ path: ['hops', i], message: `unknown host "${name}"; hosts are: ${[...names.keys()].join(', ')}` })
    else if (i > 0 && hops[i - 1] === name) out.push({ path: ['hops', i], message: `hop from "${name}" to itself` })
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
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new TourError([{ file, line: 0, column: 0, field: '', message: code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}` }])
  }
  return parseTour(text, file)
}

export function hostByName(tour: Tour, name: string): Host {
  const h = tour.hosts.find((x) => x.name === name)
  if (!h) throw new Error(`unknown host "${name}" in tour ${tour.file}; hosts are: ${tour.hosts.map((x) => x.name).join(', ')}`)
  return h
}
