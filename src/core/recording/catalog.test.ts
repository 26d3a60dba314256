import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DURATION_MS, STARTED_AT, writeSyntheticRecording } from '../replay/testing/recording'
import { deleteRecording, goodRecordingsOf, listRecordings, recordingsParsed } from './catalog'
import { RECORDING_VERSION } from './format'
import { TEST_TOUR, testEvents } from './testing/events'
import { RecordingWriter } from './writer'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-catalog-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A second tour's recording an hour after the synthetic one. */
function laterRecording(tourName = 'Another tour'): string {
  let t = 0
  const w = new RecordingWriter({ tour: { ...TEST_TOUR, name: tourName }, globehop: '9.9.9', dir, now: () => STARTED_AT + 3_600_000 + t, clock: () => (t += 100) })
  for (const e of testEvents()) w.listener(e)
  w.close()
  return w.file
}

/** Every file of one recording: the .jsonl and the casts named after it. */
function filesOf(file: string): string[] {
  const base = path.basename(file, '.jsonl')
  return readdirSync(dir).filter((n) => n === `${base}.jsonl` || (n.startsWith(`${base}.`) && n.endsWith('.cast')))
}
const bytesOf = (file: string) => filesOf(file).reduce((s, n) => s + statSync(path.join(dir, n)).size, 0)

describe('listRecordings', () => {
  it('a missing folder is an empty list', () => {
    expect(listRecordings(path.join(dir, 'nope'))).toEqual({ dir: path.join(dir, 'nope'), totalBytes: 0, recordings: [] })
  })

  it('newest first, with tour, hops, length and the disk use of the .jsonl and its casts', () => {
    const first = writeSyntheticRecording(dir)
    const later = laterRecording()
    writeFileSync(path.join(dir, 'notes.txt'), 'not a recording')
    const list = listRecordings(dir)
    expect(list.recordings.map((r) => r.name)).toEqual([path.basename(later), path.basename(first)])
    const synth = list.recordings[1]!
    expect(filesOf(first).filter((n) => n.endsWith('.cast')).length).toBe(2)
    expect(synth).toEqual({
      name: path.basename(first),
      file: first,
      bytes: bytesOf(first),
      startedAt: STARTED_AT,
      tourName: TEST_TOUR.name,
      hops: 2,
      okHops: 1,
      durationMs: DURATION_MS,
    })
    expect(synth.bytes).toBeGreaterThan(statSync(first).size)
    expect(list.totalBytes).toBe(bytesOf(first) + bytesOf(later))
  })

  it('lists a file that cannot be read whole with what is wrong, and the others as usual', () => {
    const good = writeSyntheticRecording(dir)
    const text = readFileSync(good, 'utf8')
    writeFileSync(path.join(dir, 'cut.jsonl'), text.slice(0, text.length - 20))
    writeFileSync(path.join(dir, 'junk.jsonl'), 'hello\n')
    const lines = text.split('\n')
    const hopLine = lines.findIndex((l) => l.includes('"name":"hop"'))
    writeFileSync(path.join(dir, 'bad-hop.jsonl'), [...lines.slice(0, hopLine), '{"t":1,"event":{"name":"hop"', ...lines.slice(hopLine + 1)].join('\n'))
    writeFileSync(path.join(dir, 'newer.jsonl'), `${JSON.stringify({ type: 'header', format: 'globehop-recording', version: RECORDING_VERSION + 1 })}\n`)
    const list = listRecordings(dir)
    const by = (n: string) => list.recordings.find((r) => r.name === n)!
    expect(list.recordings).toHaveLength(5)
    expect(by('bad-hop.jsonl').problem).toBe(`bad-hop.jsonl:${hopLine + 1}: not JSON`)
    expect(by(path.basename(good)).problem).toBeUndefined()
    expect(by('cut.jsonl').problem).toMatch(/^cut\.jsonl:\d+: the last line is cut short/)
    expect(by('cut.jsonl').hops).toBe(2)
    expect(by('junk.jsonl').problem).toMatch(/not a globehop recording/)
    expect(by('newer.jsonl').problem).toMatch(/newer than this globehop reads/)
    expect(by('newer.jsonl').problem).not.toContain(dir)
  })

  it('reads a file again only when its size or mtime changed', () => {
    const file = writeSyntheticRecording(dir)
    laterRecording()
    listRecordings(dir)
    const before = recordingsParsed()
    listRecordings(dir)
    expect(recordingsParsed()).toBe(before)
    appendFileSync(file, `${JSON.stringify({ t: DURATION_MS + 5000, at: STARTED_AT + DURATION_MS + 5000, event: { name: 'log', payload: { host: 'x', stream: 'stdout', line: 'late', at: 1 } } })}\n`)
    const list = listRecordings(dir)
    expect(recordingsParsed()).toBe(before + 1)
    expect(list.recordings.find((r) => r.file === file)!.durationMs).toBe(DURATION_MS + 5000)
  })
})

describe('goodRecordingsOf', () => {
  it("this tour's whole recordings with a good hop, newest first", () => {
    const a = writeSyntheticRecording(dir)
    const b = writeSyntheticRecording(dir) // same start: named -2
    laterRecording() // another tour
    const text = readFileSync(a, 'utf8')
    writeFileSync(path.join(dir, 'zz-cut.jsonl'), text.slice(0, -20))
    expect(goodRecordingsOf(dir, TEST_TOUR.name).map((r) => r.file)).toEqual([b, a])
    expect(goodRecordingsOf(dir, 'Nobody')).toEqual([])
  })

  it('leaves out a recording without a good hop', () => {
    laterRecording(TEST_TOUR.name) // testEvents: one good hop
    let t = 0
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '9.9.9', dir, now: () => STARTED_AT + 7_200_000 + t, clock: () => (t += 100) })
    for (const e of testEvents().filter((e) => e.name !== 'hop' || !e.payload.ok)) w.listener(e)
    w.close()
    expect(listRecordings(dir).recordings).toHaveLength(2)
    expect(goodRecordingsOf(dir, TEST_TOUR.name)).toHaveLength(1)
  })
})

describe('deleteRecording', () => {
  it('removes the .jsonl and its casts, and nothing else', () => {
    const a = writeSyntheticRecording(dir)
    const b = writeSyntheticRecording(dir)
    const aFiles = filesOf(a)
    expect(aFiles.length).toBe(3)
    const list = deleteRecording(dir, path.basename(a), null)
    expect(list.recordings.map((r) => r.file)).toEqual([b])
    for (const n of aFiles) expect(existsSync(path.join(dir, n))).toBe(false)
    expect(filesOf(b).length).toBe(3)
  })

  it('refuses names that are not a listed name, and the recording in use', () => {
    const a = writeSyntheticRecording(dir)
    const name = path.basename(a)
    writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-outside.jsonl`), 'x')
    try {
      for (const bad of ['../x.jsonl', `../${path.basename(dir)}-outside.jsonl`, 'a/b.jsonl', '..', name.replace('.jsonl', '.cast')]) {
        expect(() => deleteRecording(dir, bad, null), bad).toThrow(/not a recording's name/)
      }
      expect(() => deleteRecording(dir, 'other.jsonl', null)).toThrow('no recording named "other.jsonl"')
      expect(() => deleteRecording(dir, name, a)).toThrow(`${name} is in use right now`)
      expect(existsSync(a)).toBe(true)
    } finally {
      rmSync(path.join(path.dirname(dir), `${path.basename(dir)}-outside.jsonl`), { force: true })
    }
  })
})

describe('the recording a run writes now', () => {
  it('is listed as being recorded, never as a good recording', () => {
    const a = writeSyntheticRecording(dir)
    const list = listRecordings(dir, a)
    expect(list.recordings[0]).toMatchObject({ file: a, hops: 2, okHops: 1, problem: 'being recorded right now' })
    expect(listRecordings(dir).recordings[0]!.problem).toBeUndefined()
  })
})
