import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EventHub } from '../event-hub'
import { startRecording } from './attach'
import { castHeader } from './asciicast'
import { RECORDING_VERSION } from './format'
import { castFile, recordingBase, recordingsDir, tourSlug } from './paths'
import { readRecording, RecordingError } from './reader'
import { HOSTILE_LINE, TEST_PREFLIGHT, TEST_TOUR, testEvents } from './testing/events'
import { RecordingWriter } from './writer'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-recording-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const STARTED = new Date(2025, 4, 17, 10, 30, 5).getTime()

function record(preflight?: typeof TEST_PREFLIGHT | null): RecordingWriter {
  let tick = 0
  const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '9.9.9', preflight, dir, now: () => STARTED + tick, clock: () => (tick += 250) })
  for (const e of testEvents()) w.listener(e)
  w.close()
  return w
}

describe('paths', () => {
  it('GLOBEHOP_RECORDINGS_DIR, else XDG_DATA_HOME, else ~/.local/share', () => {
    expect(recordingsDir({ GLOBEHOP_RECORDINGS_DIR: '/r', XDG_DATA_HOME: '/x' })).toBe('/r')
    expect(recordingsDir({ XDG_DATA_HOME: '/x' })).toBe(path.join('/x', 'globehop', 'recordings'))
    expect(recordingsDir({})).toBe(path.join(os.homedir(), '.local', 'share', 'globehop', 'recordings'))
  })
  it('names: local start time, then the tour slug; casts beside it', () => {
    expect(recordingBase(STARTED, 'Rhine, two hops')).toBe('20250517-103005-rhine-two-hops')
    expect(recordingBase(STARTED, 'Rhine', 3)).toBe('20250517-103005-rhine-3')
    expect(tourSlug('../../etc 東京')).toBe('etc')
    expect(tourSlug('東京')).toBe('tour')
    expect(castFile('/d/20250517-103005-rhine.jsonl', 'recover')).toBe('/d/20250517-103005-rhine.recover.cast')
    expect(castFile('/d/a.jsonl', '../x y')).toBe('/d/a.___x_y.cast')
  })
})

describe('RecordingWriter and readRecording', () => {
  it('round trip: a header with the tour and the preflight versions, then every event with its times', () => {
    const w = record()
    expect(path.basename(w.file)).toBe('20250517-103005-rhine-two-hops.jsonl')
    expect(w.problem).toBeNull()
    const rec = readRecording(w.file)
    expect(rec.truncated).toBe(false)
    expect(rec.warning).toBeNull()
    expect(rec.header).toEqual({
      type: 'header',
      format: 'globehop-recording',
      version: RECORDING_VERSION,
      globehop: '9.9.9',
      startedAt: STARTED,
      tour: TEST_TOUR,
      preflight: [
        { host: 'stuttgart', runtime: 'runc 1.3.6', criu: '4.2.1', kernel: '6.18.3' },
        { host: 'strasbourg', runtime: 'runc 1.3.6', criu: '4.2.1', kernel: '6.18.3' },
      ],
    })
    expect(rec.events.map((e) => e.event)).toEqual(testEvents())
    expect(rec.events.map((e) => e.t)).toEqual([250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250])
    expect(rec.events[0]).toMatchObject({ line: 2, at: STARTED + 250 })
  })

  it('with a preflight known at the start, the header is written at once; with null it says none ran', () => {
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', preflight: null, dir })
    const first = JSON.parse(readFileSync(w.file, 'utf8').split('\n')[0]!)
    expect(first).toMatchObject({ type: 'header', preflight: null })
    w.close()
    const w2 = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', dir })
    w2.listener({ name: 'step', payload: { hopId: 'h', step: 'checkpoint', phase: 'start', at: 1 } })
    // A hop step before any preflight: the header goes out (preflight null) and the step after it.
    expect(readFileSync(w2.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).type ?? JSON.parse(l).event.name)).toEqual(['header', 'step'])
    w2.close()
  })

  it('two runs started in the same second get distinct files', () => {
    const a = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', preflight: null, dir, now: () => STARTED })
    const b = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', preflight: null, dir, now: () => STARTED })
    a.close()
    b.close()
    expect(path.basename(b.file)).toBe('20250517-103005-rhine-two-hops-2.jsonl')
  })

  it('a last line cut short: the events before it, truncated and a warning with file:line', () => {
    const w = record()
    appendFileSync(w.file, '{"t":9000,"at":1,"event":{"name":"lo')
    const rec = readRecording(w.file)
    expect(rec.truncated).toBe(true)
    expect(rec.events).toHaveLength(testEvents().length)
    expect(rec.warning).toBe(`${w.file}:11: the last line is cut short (the run ended without closing the recording); read the 9 events before it`)
  })

  it('without close() (a crash), every line written so far reads back', () => {
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', dir })
    for (const e of testEvents()) w.listener(e)
    const rec = readRecording(w.file)
    expect(rec.events).toHaveLength(testEvents().length)
    expect(rec.truncated).toBe(false)
    w.close()
  })

  it('a failed write never throws into the run: the recording stops and says why', () => {
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', preflight: null, dir })
    expect(() => w.listener({ name: 'log', payload: { host: 'h', stream: 'stdout', line: 'x', at: 10n } } as never)).not.toThrow()
    expect(w.problem).toMatch(/^recording stopped: .*BigInt/)
    expect(() => w.listener(testEvents()[0]!)).not.toThrow()
    w.close()
    expect(readRecording(w.file).events).toEqual([])
  })

  it('a newer format version is refused, naming the file and both versions', () => {
    const file = path.join(dir, 'future.jsonl')
    writeFileSync(file, `${JSON.stringify({ type: 'header', format: 'globehop-recording', version: 7, whatever: 'new' })}\n`)
    expect(() => readRecording(file)).toThrow(new RecordingError(`${file}: recording format version 7 is newer than this globehop reads (version 1); update globehop to read it`))
  })

  it('garbage is refused with file:line', () => {
    const w = record()
    const lines = readFileSync(w.file, 'utf8').split('\n')
    const put = (i: number, s: string) => {
      const copy = [...lines]
      copy[i] = s
      writeFileSync(w.file, copy.join('\n'))
    }
    put(3, 'not json at all')
    expect(() => readRecording(w.file)).toThrow(`${w.file}:4: not JSON`)
    put(3, '{"t":"soon","at":1,"event":{"name":"log","payload":{}}}')
    expect(() => readRecording(w.file)).toThrow(`${w.file}:4: not a recorded event: t:`)
    // A complete last line without its newline that is wrong is garbage, not a cut.
    writeFileSync(w.file, `${lines.slice(0, 3).join('\n')}\n{"t":1}`)
    expect(() => readRecording(w.file)).toThrow(`${w.file}:4: not a recorded event`)
    writeFileSync(w.file, 'hello\n')
    expect(() => readRecording(w.file)).toThrow(`${w.file}:1: not JSON: not a globehop recording`)
    writeFileSync(w.file, '{"type":"header","format":"other"}\n')
    expect(() => readRecording(w.file)).toThrow(`${w.file}:1: not a globehop recording`)
    writeFileSync(w.file, '')
    expect(() => readRecording(w.file)).toThrow(`${w.file}: empty`)
    expect(() => readRecording(path.join(dir, 'missing.jsonl'))).toThrow(RecordingError)
  })

  it('a well-formed line whose payload breaks the contract is left out and listed, the rest kept', () => {
    const w = record()
    const lines = readFileSync(w.file, 'utf8').split('\n')
    lines[3] = '{"t":1,"at":1,"event":{"name":"step","payload":{"hopId":"x","step":"checkpoint","phase":"end","at":1,"elapsedMs":null}}}'
    writeFileSync(w.file, lines.join('\n'))
    const rec = readRecording(w.file)
    expect(rec.events).toHaveLength(testEvents().length - 1)
    expect(rec.skipped).toEqual([`${w.file}:4: bad "step" event, left out: elapsedMs: Invalid input: expected number, received null`])
  })

  it('keeps events of names it does not know (a newer engine at the same format version)', () => {
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', preflight: null, dir })
    w.listener({ name: 'replayCursor', payload: { at: 5 } } as never)
    w.close()
    expect(readRecording(w.file).events[0]!.event).toEqual({ name: 'replayCursor', payload: { at: 5 } })
  })

  it('attaches to an event source and detaches on close', () => {
    const hub = new EventHub('test')
    const h = startRecording(hub, TEST_TOUR as never, { dir, preflight: TEST_PREFLIGHT, globehop: '2' })
    for (const e of testEvents()) hub.publish(e)
    h.close()
    hub.publish({ name: 'log', payload: { host: 'x', stream: 'cmd', line: 'after close', at: 1 } })
    const rec = readRecording(h.file)
    expect(rec.events).toHaveLength(testEvents().length)
    expect(readdirSync(dir).sort()).toEqual([path.basename(h.file), path.basename(castFile(h.file, 'strasbourg')), path.basename(castFile(h.file, 'stuttgart'))].sort())
  })
})

describe('asciicast files', () => {
  it('one per host: a version 2 header, then [seconds, "o", text] lines with CRLF', () => {
    const w = record()
    const lines = readFileSync(castFile(w.file, 'stuttgart'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)
    expect(lines[0]).toEqual({ version: 2, width: 120, height: 40, timestamp: Math.floor(STARTED / 1000), title: 'globehop Rhine, two hops on stuttgart' })
    for (const e of lines.slice(1)) {
      expect(e).toEqual([expect.any(Number), 'o', expect.any(String)])
      expect((e as [number, string, string])[2].endsWith('\r\n')).toBe(true)
    }
    expect(lines.slice(1).map((e) => (e as unknown[])[0])).toEqual([0.5, 0.75])
    expect((lines[1] as unknown[])[2]).toBe('$ runc checkpoint xonotic\r\n')
    const other = readFileSync(castFile(w.file, 'strasbourg'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)
    expect(other.slice(1)).toEqual([[2, 'o', 'restored\r\n']])
  })

  it('no escape sequence or control character of a hostile host survives', () => {
    const w = record()
    const text = (JSON.parse(readFileSync(castFile(w.file, 'stuttgart'), 'utf8').trimEnd().split('\n')[2]!) as [number, string, string])[2]
    expect(HOSTILE_LINE).toMatch(/\u001b/)
    // Only the CRLF the writer adds: no ESC, BEL, CR mid-line, C1 CSI or bidi override.
    expect(text.slice(0, -2)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
    expect(text).toBe('ok\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x9b31mred\\u202e\r\n')
    expect(castHeader(0, 'evil\u001b]0;x\u0007', 'h')).not.toMatch(/\\u001b|\\u0007/)
  })
})
