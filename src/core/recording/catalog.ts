// The recordings on disk as the app lists them: one entry per .jsonl with its disk use (the .jsonl
// plus its .cast files), its tour, hops and length. A file is scanned only when its mtime or size
// changed since the last listing, and then lightly (scan()), so a list asked for after every hop
// stays cheap. One bad file
// is listed with what is wrong with it, never fails the list. Deleting takes a listed name only.
import { readdirSync, readFileSync, statSync, unlinkSync, type Stats } from 'node:fs'
import path from 'node:path'
import type { RecordingEntry, RecordingList } from '../../shared/contract'
import { cutShortText, MAX_RECORDING_BYTES, parseRecording, withFileName } from './reader'

/** A name or a state the catalog refuses, with a stable code for the wire (serializeError keeps it). */
export class CatalogError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CatalogError'
  }
}

type Summary = Pick<RecordingEntry, 'startedAt' | 'tourName' | 'hops' | 'okHops' | 'durationMs' | 'problem'>

/** Parsed summaries by absolute file, valid while mtime and size are unchanged. */
const summaries = new Map<string, { mtimeMs: number; size: number; summary: Summary }>()
/** Most files a list keeps summaries for (a folder of thousands still lists, it just reads more). */
const MAX_CACHED = 2000

let parsed = 0
/** Files read (not answered from the cache) since the process started: what tests and benches count. */
export function recordingsParsed(): number {
  return parsed
}

function summarize(file: string, st: Stats): Summary {
  const hit = summaries.get(file)
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.summary
  parsed++
  let summary: Summary
  try {
    summary = scan(file, st.size)
  } catch (err) {
    summary = { startedAt: st.mtimeMs, tourName: '', hops: 0, okHops: 0, durationMs: 0, problem: withFileName((err as Error).message, file) }
  }
  if (summaries.size >= MAX_CACHED) summaries.delete(summaries.keys().next().value as string)
  summaries.set(file, { mtimeMs: st.mtimeMs, size: st.size, summary })
  return summary
}

/** How the writer puts a hop result on its line (JSON.stringify of { t, at, event: { name, payload } }). */
const HOP_MARK = '"event":{"name":"hop"'

/**
 * A list's view of one file without reading every event through the contract (a whole lab tour
 * takes ~100 ms that way, and the engine's prober shares the process): the header checked as the
 * reader checks it (a newer version or another file is refused with the reader's words), the hop
 * lines parsed, the length from the last line, and a last line cut short said as the reader says it.
 * A bad line in the middle shows when the recording is replayed or exported.
 */
function scan(file: string, size: number): Summary {
  if (size > MAX_RECORDING_BYTES) throw new Error(`${file}: ${size} bytes, more than a recording can be (${MAX_RECORDING_BYTES})`)
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  const tail = lines.pop() ?? ''
  const { header } = parseRecording(lines.length ? `${lines[0]}\n` : tail, file)
  let hops = 0
  let okHops = 0
  let durationMs = 0
  const json = <T>(line: string, n: number): T => {
    try {
      return JSON.parse(line) as T
    } catch {
      throw new Error(`${file}:${n}: not JSON`)
    }
  }
  const take = (line: string, n: number) => {
    if (line.includes(HOP_MARK)) {
      hops++
      if (json<{ event: { payload: { ok?: unknown } } }>(line, n).event.payload.ok === true) okHops++
    }
  }
  for (let i = 1; i < lines.length; i++) take(lines[i]!, i + 1)
  let problem: string | undefined
  let last = lines.length > 1 ? lines[lines.length - 1]! : ''
  let lastN = lines.length
  if (lines.length && tail.trim() !== '') {
    try {
      JSON.parse(tail)
      take(tail, lines.length + 1)
      last = tail
      lastN = lines.length + 1
    } catch {
      problem = cutShortText(file, lines.length + 1)
    }
  }
  if (last.trim() !== '') {
    const t = json<{ t?: unknown }>(last, lastN).t
    if (typeof t === 'number' && Number.isFinite(t)) durationMs = Math.max(0, t)
  }
  return { startedAt: header.startedAt, tourName: header.tour.name, hops, okHops, durationMs, ...(problem ? { problem: withFileName(problem, file) } : {}) }
}


const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The .cast files of recording `base` (castFile(): `<base>.<host>.cast`, host without dots). */
function castsOf(base: string, names: string[]): string[] {
  const re = new RegExp(`^${escape(base)}\\.[A-Za-z0-9_-]+\\.cast$`)
  return names.filter((n) => re.test(n))
}

function statOrNull(file: string): Stats | null {
  try {
    return statSync(file)
  } catch {
    return null
  }
}

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new CatalogError('recordings-dir', `cannot list the recordings in ${dir}: ${(err as Error).message}`)
  }
}

/** What the list says of the recording a run is writing now: never whole yet, never a fallback. */
export const BEING_RECORDED = 'being recorded right now'

/** Every recording in `dir`, newest first. A missing folder is an empty list. `writing`: the file a run writes now. */
export function listRecordings(dir: string, writing: string | null = null): RecordingList {
  const now = writing === null ? null : path.resolve(writing)
  const names = namesIn(dir)
  const recordings: RecordingEntry[] = []
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue
    const file = path.join(dir, name)
    const st = statOrNull(file)
    if (!st?.isFile()) continue
    const casts = castsOf(name.slice(0, -'.jsonl'.length), names)
    const bytes = st.size + casts.reduce((sum, c) => sum + (statOrNull(path.join(dir, c))?.size ?? 0), 0)
    const summary = summarize(file, st)
    recordings.push({ name, file, bytes, ...summary, ...(path.resolve(file) === now ? { problem: BEING_RECORDED } : {}) })
  }
  // Same second: the writer's -2, -3 came later ("x-2" sorts after "x" once ".jsonl" is off).
  const base = (r: RecordingEntry) => r.name.slice(0, -'.jsonl'.length)
  recordings.sort((a, b) => b.startedAt - a.startedAt || (base(a) < base(b) ? 1 : base(a) > base(b) ? -1 : 0))
  return { dir, totalBytes: recordings.reduce((sum, r) => sum + r.bytes, 0), recordings }
}

/** What the stage fallback may switch to: this tour's recordings, whole, with at least one good hop; newest first. */
export function goodRecordingsOf(dir: string, tourName: string): RecordingEntry[] {
  return listRecordings(dir).recordings.filter((r) => r.tourName === tourName && !r.problem && r.okHops >= 1)
}

/**
 * Deletes the recording listed as `name` (its .jsonl and .cast files) and answers the new list.
 * `inUse`: the file being written or replayed right now, which is refused.
 */
export function deleteRecording(dir: string, name: string, inUse: string | null): RecordingList {
  const shown = JSON.stringify(name)
  if (name.includes('/') || name.includes('\\') || name.includes('\0') || name.includes('..') || !name.endsWith('.jsonl')) {
    throw new CatalogError('bad-recording-name', `${shown} is not a recording's name: give the name as the list shows it (a .jsonl file name, no folder)`)
  }
  const list = listRecordings(dir)
  const entry = list.recordings.find((r) => r.name === name)
  if (!entry) throw new CatalogError('no-such-recording', `no recording named ${shown} in ${dir}`)
  const file = path.resolve(dir, name)
  if (path.dirname(file) !== path.resolve(dir)) throw new CatalogError('bad-recording-name', `${shown} is outside the recordings folder ${dir}`)
  if (inUse !== null && path.resolve(inUse) === file) {
    throw new CatalogError('recording-in-use', `${name} is in use right now (being recorded or replayed): it can be deleted once that ends`)
  }
  const casts = castsOf(name.slice(0, -'.jsonl'.length), namesIn(dir))
  for (const f of [name, ...casts]) {
    try {
      unlinkSync(path.join(dir, f))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CatalogError('delete-failed', `could not delete ${f}: ${(err as Error).message}`)
    }
  }
  summaries.delete(file)
  return listRecordings(dir)
}
