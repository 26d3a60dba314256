// Reads a recording back: the header is checked first (a newer format is refused, never
// half-read), then every line; a last line cut short by a crash is dropped with a warning, a line
// that is not a recorded event is refused with file:line. A well-formed line whose payload breaks
// the contract (a NaN the CLI wrote as null) is skipped and listed: one bad step must not cost
// the figures of a whole tour.
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { events, type EventName, type EventPayload } from '../../shared/contract'
import { RECORDING_FORMAT, RECORDING_VERSION, RecordedLineSchema, RecordingHeaderSchema, type RecordingHeader } from './format'

/** Far above an hour of tour (a few MB per minute): refuse before reading a mistaken huge file. */
export const MAX_RECORDING_BYTES = 512 * 1024 * 1024

export class RecordingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecordingError'
  }
}

export interface RecordedEvent {
  /** 1-based line in the file. */
  line: number
  /** ms since the header's startedAt. */
  t: number
  /** Epoch ms. */
  at: number
  /** Known names' payloads are checked against the contract; other names (a newer globehop's) are kept as they are. */
  event: { name: string; payload: unknown }
}

export interface Recording {
  file: string
  header: RecordingHeader
  events: RecordedEvent[]
  /** The last line was cut short (the run ended without closing the recording). */
  truncated: boolean
  warning: string | null
  /** Lines left out because their payload breaks the contract, with file:line and why. */
  skipped: string[]
}

export function readRecording(file: string): Recording {
  let text: string
  try {
    const size = statSync(file).size
    if (size > MAX_RECORDING_BYTES) throw new RecordingError(`${file}: ${size} bytes, more than a recording can be (${MAX_RECORDING_BYTES})`)
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if (err instanceof RecordingError) throw err
    throw new RecordingError(`${file}: ${(err as Error).message}`)
  }
  return parseRecording(text, file)
}

const isKnown = (name: string): name is EventName => Object.prototype.hasOwnProperty.call(events, name)

/** What the reader (and the catalog's quick scan) says of a last line without its newline. */
export function cutShortText(file: string, lineNo: number): string {
  return `${file}:${lineNo}: the last line is cut short (the run ended without closing the recording)`
}

/** The reader's words start with the whole path; a list or a page that names the file already shows its name only. */
export function withFileName(message: string, file: string): string {
  return message.split(file).join(path.basename(file))
}

export function parseRecording(text: string, file: string): Recording {
  const lines = text.split('\n')
  // Every line the writer wrote ends with \n; a last piece without one was cut short.
  const tail = lines.pop() ?? ''
  const header = parseHeader(lines.length ? lines[0]! : tail, file, lines.length === 0)
  const out: RecordedEvent[] = []
  const skipped: string[] = []
  const keep = (e: RecordedEvent | string) => (typeof e === 'string' ? skipped.push(e) : out.push(e))
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue
    keep(parseLine(lines[i]!, file, i + 1))
  }
  let truncated = false
  let warning: string | null = null
  if (lines.length && tail.trim() !== '') {
    // Only unfinished JSON is a cut: a complete line that is wrong is refused like any other.
    if (isJson(tail)) keep(parseLine(tail, file, lines.length + 1))
    else {
      truncated = true
      warning = `${cutShortText(file, lines.length + 1)}; read the ${out.length} events before it`
    }
  }
  return { file, header, events: out, truncated, warning, skipped }
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

function parseHeader(line: string, file: string, cutShort: boolean): RecordingHeader {
  if (line.trim() === '') throw new RecordingError(`${file}: empty, not a globehop recording (no header line)`)
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    throw new RecordingError(`${file}:1: ${cutShort ? 'the header line is cut short' : 'not JSON'}: not a globehop recording`)
  }
  const h = raw as { type?: unknown; format?: unknown; version?: unknown } | null
  if (typeof h !== 'object' || h === null || h.type !== 'header' || h.format !== RECORDING_FORMAT) {
    throw new RecordingError(`${file}:1: not a globehop recording (no "${RECORDING_FORMAT}" header)`)
  }
  if (typeof h.version === 'number' && h.version > RECORDING_VERSION) {
    throw new RecordingError(
      `${file}: recording format version ${h.version} is newer than this globehop reads (version ${RECORDING_VERSION}); update globehop to read it`,
    )
  }
  const parsed = RecordingHeaderSchema.safeParse(raw)
  if (!parsed.success) throw new RecordingError(`${file}:1: bad header: ${issues(parsed.error)}`)
  return parsed.data
}

/** The event, or why its payload was left out. */
function parseLine(line: string, file: string, n: number): RecordedEvent | string {
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    throw new RecordingError(`${file}:${n}: not JSON`)
  }
  const parsed = RecordedLineSchema.safeParse(raw)
  if (!parsed.success) throw new RecordingError(`${file}:${n}: not a recorded event: ${issues(parsed.error)}`)
  const { t, at, event } = parsed.data
  if (isKnown(event.name)) {
    const p = events[event.name].safeParse(event.payload)
    if (!p.success) return `${file}:${n}: bad "${event.name}" event, left out: ${issues(p.error)}`
    return { line: n, t, at, event: { name: event.name, payload: p.data } }
  }
  return { line: n, t, at, event }
}

function issues(e: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'line'}: ${i.message}`)
    .join('; ')
}

/** The payloads of one event kind, in order (checked against the contract on reading). */
export function payloadsOf<K extends EventName>(rec: Recording, name: K): EventPayload<K>[] {
  return rec.events.filter((e) => e.event.name === name).map((e) => e.event.payload as EventPayload<K>)
}
