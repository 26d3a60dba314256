// The recordings on disk as the app lists them: one entry per .jsonl with its disk use (the .jsonl
// plus its .cast files), its tour, hops and length. A file is read only when its mtime or size
// changed since the last listing, so a list asked for after every hop stays cheap. One bad file
// is listed with what is wrong with it, never fails the list. Deleting takes a listed name only.
import { readdirSync, statSync, unlinkSync, type Stats } from 'node:fs'
import path from 'node:path'
import type { RecordingEntry, RecordingList } from '../../shared/contract'
import { readRecording } from './reader'

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
    const rec = readRecording(file)
    const hops = rec.events.filter((e) => e.event.name === 'hop')
    const okHops = hops.filter((e) => (e.event.payload as { ok?: unknown }).ok === true).length
    const last = rec.events.length ? Math.max(0, ...rec.events.map((e) => e.t)) : 0
    const problem = rec.warning ?? (rec.skipped.length ? `${rec.skipped.length} event(s) left out: ${rec.skipped[0]}` : undefined)
    summary = { startedAt: rec.header.startedAt, tourName: rec.header.tour.name, hops: hops.length, okHops, durationMs: last, ...(problem ? { problem: withoutDir(problem, file) } : {}) }
  } catch (err) {
    summary = { startedAt: st.mtimeMs, tourName: '', hops: 0, okHops: 0, durationMs: 0, problem: withoutDir((err as Error).message, file) }
  }
  if (summaries.size >= MAX_CACHED) summaries.delete(summaries.keys().next().value as string)
  summaries.set(file, { mtimeMs: st.mtimeMs, size: st.size, summary })
  return summary
}

/** The reader's messages start with the whole path: the list shows the file's name already. */
function withoutDir(message: string, file: string): string {
  return message.split(file).join(path.basename(file))
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

/** Every recording in `dir`, newest first. A missing folder is an empty list. */
export function listRecordings(dir: string): RecordingList {
  const names = namesIn(dir)
  const recordings: RecordingEntry[] = []
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue
    const file = path.join(dir, name)
    const st = statOrNull(file)
    if (!st?.isFile()) continue
    const casts = castsOf(name.slice(0, -'.jsonl'.length), names)
    const bytes = st.size + casts.reduce((sum, c) => sum + (statOrNull(path.join(dir, c))?.size ?? 0), 0)
    recordings.push({ name, file, bytes, ...summarize(file, st) })
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
