import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileJournal, journalPath, openHop, readJournal, stateDir, type JournalEntry } from './journal'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-journal-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const start = (hopId: string, extra: Partial<Extract<JournalEntry, { event: 'start' }>> = {}): JournalEntry => ({
  event: 'start',
  hopId,
  from: 'stuttgart',
  to: 'strasbourg',
  technique: 'stop-and-copy',
  lazy: false,
  hopDir: `/var/lib/globehop/images/xonotic/${hopId}`,
  img: `/var/lib/globehop/images/xonotic/${hopId}/img`,
  ...extra,
})

describe('FileJournal', () => {
  it('appends one JSON line per entry, with version and time, creating its directory', () => {
    const file = path.join(dir, 'nested', 'state', 'tour.jsonl')
    const j = new FileJournal(file)
    const t0 = Date.now()
    j.record(start('1-a-b'))
    j.record({ event: 'state', hopId: '1-a-b', flag: 'frozen' })
    const lines = readFileSync(file, 'utf8').split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe('')
    const first = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(first).toMatchObject({ v: 1, event: 'start', hopId: '1-a-b', from: 'stuttgart' })
    expect(first.at).toBeGreaterThanOrEqual(t0)
    expect(JSON.parse(lines[1]!)).toMatchObject({ v: 1, event: 'state', flag: 'frozen' })
    // Private to the user: the journal names hosts and paths.
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('keeps what an earlier process wrote', () => {
    const file = path.join(dir, 'tour.jsonl')
    new FileJournal(file).record(start('1-a-b'))
    new FileJournal(file).record({ event: 'end', hopId: '1-a-b', ok: true, containerOn: 'strasbourg' })
    expect(readJournal(file).map((l) => l.event)).toEqual(['start', 'end'])
  })
})

describe('readJournal', () => {
  it('a missing file is an empty journal', () => {
    expect(readJournal(path.join(dir, 'none.jsonl'))).toEqual([])
  })

  it('skips a torn last line (a crash mid-write) and keeps the entries before it', () => {
    const file = path.join(dir, 'tour.jsonl')
    const j = new FileJournal(file)
    j.record(start('1-a-b'))
    j.record({ event: 'state', hopId: '1-a-b', flag: 'frozen' })
    appendFileSync(file, '{"v":1,"at":17,"event":"state","hopId":"1-a-b","fl')
    const lines = readJournal(file)
    expect(lines.map((l) => l.event)).toEqual(['start', 'state'])
    expect(openHop(lines)?.reached).toEqual(['frozen'])
  })

  it('an entry appended after a torn line stands on its own line (a recover after a crash counts)', () => {
    const file = path.join(dir, 'tour.jsonl')
    const j = new FileJournal(file)
    j.record(start('1-a-b'))
    appendFileSync(file, '{"v":1,"at":17,"event":"sta')
    new FileJournal(file).record({ event: 'recovered', hopId: '1-a-b', containerOn: 'stuttgart', detail: 'the game runs on stuttgart' })
    const lines = readJournal(file)
    expect(lines.map((l) => l.event)).toEqual(['start', 'recovered'])
    expect(openHop(lines)).toBeNull()
  })

  it('skips blank lines and JSON that is not an entry', () => {
    const file = path.join(dir, 'tour.jsonl')
    appendFileSync(file, '\n42\nnull\n"x"\n{"no":"event"}\n')
    new FileJournal(file).record(start('1-a-b'))
    expect(readJournal(file).map((l) => l.event)).toEqual(['start'])
  })
})

describe('openHop', () => {
  const lines = (entries: JournalEntry[]) => {
    const file = path.join(dir, `j-${Math.random()}.jsonl`)
    const j = new FileJournal(file)
    for (const e of entries) j.record(e)
    return readJournal(file)
  }

  it('an empty journal has no open hop', () => {
    expect(openHop([])).toBeNull()
  })

  it('returns the unfinished hop with the flags it reached, in order', () => {
    const t0 = Date.now()
    const open = openHop(
      lines([
        start('1-a-b', { technique: 'pre-copy (rsync delta)' }),
        { event: 'state', hopId: '1-a-b', flag: 'frozen' },
        { event: 'state', hopId: '1-a-b', flag: 'sourceDumped' },
        { event: 'state', hopId: '1-a-b', flag: 'transferred' },
      ]),
    )
    expect(open).toMatchObject({
      hopId: '1-a-b',
      from: 'stuttgart',
      to: 'strasbourg',
      technique: 'pre-copy (rsync delta)',
      lazy: false,
      hopDir: '/var/lib/globehop/images/xonotic/1-a-b',
      img: '/var/lib/globehop/images/xonotic/1-a-b/img',
      reached: ['frozen', 'sourceDumped', 'transferred'],
    })
    expect(open!.startedAt).toBeGreaterThanOrEqual(t0)
  })

  it('null once the hop ended (ok or not)', () => {
    expect(openHop(lines([start('1-a-b'), { event: 'state', hopId: '1-a-b', flag: 'frozen' }, { event: 'end', hopId: '1-a-b', ok: true, containerOn: 'strasbourg' }]))).toBeNull()
    expect(openHop(lines([start('1-a-b'), { event: 'state', hopId: '1-a-b', flag: 'frozen' }, { event: 'end', hopId: '1-a-b', ok: false, containerOn: 'stuttgart', detail: 'rolled back' }]))).toBeNull()
  })

  it('still open when the hop ended with no host running the game: recover has work left', () => {
    const open = openHop(lines([start('1-a-b'), { event: 'state', hopId: '1-a-b', flag: 'sourceDumped' }, { event: 'end', hopId: '1-a-b', ok: false, containerOn: null, detail: 'source unreachable' }]))
    expect(open).toMatchObject({ hopId: '1-a-b', reached: ['sourceDumped'] })
  })

  it('null after a recover', () => {
    expect(openHop(lines([start('1-a-b'), { event: 'state', hopId: '1-a-b', flag: 'frozen' }, { event: 'recovered', hopId: '1-a-b', containerOn: 'stuttgart', detail: 'ok' }]))).toBeNull()
    // A recover without a journal's hop closes whatever was open too.
    expect(openHop(lines([start('1-a-b'), { event: 'recovered', hopId: null, containerOn: 'stuttgart', detail: 'ok' }]))).toBeNull()
  })

  it('the last started hop counts; entries of another hop are not mixed in', () => {
    const open = openHop(
      lines([
        start('1-a-b'),
        { event: 'state', hopId: '1-a-b', flag: 'frozen' },
        { event: 'end', hopId: '1-a-b', ok: true, containerOn: 'strasbourg' },
        start('2-b-c', { from: 'strasbourg', to: 'montreal', lazy: true, technique: 'post-copy' }),
        { event: 'state', hopId: '1-a-b', flag: 'served' },
        { event: 'state', hopId: '2-b-c', flag: 'frozen' },
        { event: 'end', hopId: '1-a-b', ok: true, containerOn: 'strasbourg' },
      ]),
    )
    expect(open).toMatchObject({ hopId: '2-b-c', from: 'strasbourg', to: 'montreal', lazy: true, technique: 'post-copy', reached: ['frozen'] })
  })

  it('a hop started after a recover is open again', () => {
    const open = openHop(lines([start('1-a-b'), { event: 'recovered', hopId: '1-a-b', containerOn: 'stuttgart', detail: 'ok' }, start('2-a-b')]))
    expect(open).toMatchObject({ hopId: '2-a-b', reached: [] })
  })
})

describe('journalPath', () => {
  const tour = { file: '/home/ada/tours/Europe tour.v2.yaml' }

  it('GLOBEHOP_STATE_DIR wins', () => {
    const env = { GLOBEHOP_STATE_DIR: '/srv/state', XDG_STATE_HOME: '/xdg' }
    expect(stateDir(env)).toBe('/srv/state')
    expect(journalPath(tour, env)).toMatch(/^\/srv\/state\/journal\/Europe_tour_v2-[0-9a-f]{12}\.jsonl$/)
  })

  it('then XDG_STATE_HOME/globehop', () => {
    const env = { XDG_STATE_HOME: '/xdg' }
    expect(stateDir(env)).toBe('/xdg/globehop')
    expect(journalPath(tour, env)).toMatch(/^\/xdg\/globehop\/journal\/Europe_tour_v2-[0-9a-f]{12}\.jsonl$/)
  })

  it('else ~/.local/state/globehop', () => {
    expect(stateDir({})).toBe(path.join(os.homedir(), '.local', 'state', 'globehop'))
    expect(journalPath(tour, {}).startsWith(path.join(os.homedir(), '.local', 'state', 'globehop', 'journal') + path.sep)).toBe(true)
  })

  it('one journal per tour file: same name elsewhere gets another file, same path the same', () => {
    const env = { GLOBEHOP_STATE_DIR: '/s' }
    const a = journalPath({ file: '/a/tour.yaml' }, env)
    const b = journalPath({ file: '/b/tour.yaml' }, env)
    expect(a).not.toBe(b)
    expect(path.basename(a)).toMatch(/^tour-/)
    expect(journalPath({ file: '/a/tour.yaml' }, env)).toBe(a)
  })
})
