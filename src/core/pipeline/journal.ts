// The hop journal: before each irreversible step a hop appends what it is about to do (and what
// it did) to a local JSON-lines file, fsync'ed, so a process killed mid-hop (SIGKILL, a crash, a
// power cut) leaves enough for `globehop recover` to know which hop was open and how far it got.
// One file per tour file; each line stands alone, and a torn last line is skipped on reading.
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Tour } from '../../shared/tour'
import type { HopState } from './hop-context'

export const JOURNAL_VERSION = 1

export type JournalEntry =
  | { event: 'start'; hopId: string; from: string; to: string; technique: string; lazy: boolean; hopDir: string; img: string }
  | { event: 'state'; hopId: string; flag: keyof HopState }
  | { event: 'end'; hopId: string; ok: boolean; containerOn: string | null; detail?: string }
  | { event: 'recovered'; hopId: string | null; containerOn: string | null; detail: string }

export type JournalLine = JournalEntry & { v: number; at: number }

export interface Journal {
  record(entry: JournalEntry): void
}

export const noJournal: Journal = { record: () => {} }

/** `$GLOBEHOP_STATE_DIR`, else `$XDG_STATE_HOME/globehop`, else ~/.local/state/globehop. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GLOBEHOP_STATE_DIR) return env.GLOBEHOP_STATE_DIR
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state')
  return path.join(base, 'globehop')
}

/** The journal of one tour file: its name plus a digest of its absolute path. */
export function journalPath(tour: Pick<Tour, 'file'>, env: NodeJS.ProcessEnv = process.env): string {
  const digest = createHash('sha256').update(tour.file).digest('hex').slice(0, 12)
  const stem = path.basename(tour.file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)
  return path.join(stateDir(env), 'journal', `${stem}-${digest}.jsonl`)
}

/** Appends and fsyncs every entry before returning: the step it announces runs after that. */
export class FileJournal implements Journal {
  constructor(readonly file: string) {}

  record(entry: JournalEntry): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 })
    const fd = openSync(this.file, 'a+', 0o600)
    try {
      // After a line torn by a crash, start a new line: glued to the fragment this entry would be lost.
      const size = fstatSync(fd).size
      const last = Buffer.alloc(1)
      const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a
      writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify({ v: JOURNAL_VERSION, at: Date.now(), ...entry })}\n`)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
}

export function readJournal(file: string): JournalLine[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: JournalLine[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const j = JSON.parse(line) as JournalLine
      if (typeof j === 'object' && j && typeof j.event === 'string') out.push(j)
    } catch {
      // A line torn by a crash mid-write: the entries before it still count.
    }
  }
  return out
}

export interface OpenHop {
  hopId: string
  from: string
  to: string
  technique: string
  lazy: boolean
  hopDir: string
  img: string
  startedAt: number
  /** Every state flag the hop reached, in order. */
  reached: (keyof HopState)[]
}

/** The last hop that started and neither ended with the game running nor was recovered. */
export function openHop(lines: JournalLine[]): OpenHop | null {
  let open: OpenHop | null = null
  for (const l of lines) {
    if (l.event === 'start') open = { hopId: l.hopId, from: l.from, to: l.to, technique: l.technique, lazy: l.lazy, hopDir: l.hopDir, img: l.img, startedAt: l.at, reached: [] }
    else if (l.event === 'state' && open?.hopId === l.hopId) open.reached.push(l.flag)
    // A hop that ended with no host running the game stays open: recover still has work to do.
    else if ((l.event === 'end' && open?.hopId === l.hopId && l.containerOn !== null) || l.event === 'recovered') open = null
  }
  return open
}
