// The app records every hop and tour run it starts (CLI runs record in src/cli): one file per run,
// readable by `globehop export` and `globehop replay`, even when the run fails at once.
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from './engine'
import { HOP_COLUMNS } from './recording/export'
import { readRecording } from './recording/reader'

const REFUSING = path.resolve(import.meta.dirname, '../../e2e/fixtures/loopback.yaml')
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close()
})

describe('engine: recordings', () => {
  it('a hop command writes one recording (header, its events, the line naming the file), even when the hop fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-rec-'))
    const engine = new Engine({ host: 'browser', version: 'test', probe: false, record: { dir } })
    engines.push(engine)
    const lines: string[] = []
    engine.onEvent((e) => e.name === 'log' && lines.push(e.payload.line))
    await engine.loadTour(REFUSING)
    await expect(engine.handle('hop', {})).rejects.toThrow()
    const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
    expect(files).toHaveLength(1)
    expect(lines).toContain(`recording: ${path.join(dir, files[0]!)}`)
    const rec = readRecording(path.join(dir, files[0]!))
    expect(rec.header.tour.name).toBe('Loopback test tour')
    expect(rec.header.globehop).toBe('test')
    const names = rec.events.map((e) => e.event.name)
    expect(names).toContain('state')
    expect(rec.events.some((e) => e.event.name === 'state' && (e.event.payload as { busy?: string }).busy === 'hop')).toBe(true)
    // A preflight is not a run: nothing more is written.
    await engine.handle('preflight', {}).catch(() => {})
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1)
  })

  it('without the option nothing is recorded', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-rec-'))
    const engine = new Engine({ host: 'browser', version: 'test', probe: false })
    engines.push(engine)
    await engine.loadTour(REFUSING)
    await expect(engine.handle('hop', {})).rejects.toThrow()
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('engine: the recordings panel and export', () => {
  it('lists, exports the run under way or the last, refuses to delete the one being written, deletes the others', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gh-rec-'))
    const engine = new Engine({ host: 'browser', version: 'test', probe: false, record: { dir } })
    engines.push(engine)
    await engine.loadTour(REFUSING)
    expect(await engine.handle('recordings', {})).toEqual({ dir, totalBytes: 0, recordings: [] })
    await expect(engine.handle('exportRun', { kind: 'csv' })).rejects.toThrow(/^nothing recorded yet: export works after the first hop of this run/)

    await expect(engine.handle('hop', {})).rejects.toThrow()
    const first = (await engine.handle('recordings', {})).recordings
    expect(first).toHaveLength(1)
    // Its bytes: the .jsonl and the casts of the hosts' (and globehop's own) log lines.
    const files = readdirSync(dir)
    expect(files.some((f) => f.endsWith('.cast'))).toBe(true)
    expect(first[0]).toMatchObject({ tourName: 'Loopback test tour', bytes: files.reduce((s, f) => s + statSync(path.join(dir, f)).size, 0) })
    const csv = await engine.handle('exportRun', { kind: 'csv' })
    expect(csv.filename).toBe(first[0]!.name.replace(/\.jsonl$/, '.csv'))
    expect(csv.mime).toBe('text/csv')
    expect(csv.text.split('\r\n')[0]).toBe(HOP_COLUMNS.map((c) => c.key).join(','))
    expect(csv.warning).toBeUndefined()
    expect((await engine.handle('exportRun', { kind: 'ping-csv' })).filename).toBe(first[0]!.name.replace(/\.jsonl$/, '.ping.csv'))

    // A second run: while it is written it cannot be deleted, the first one can.
    const hop = engine.handle('hop', {})
    const during = (await engine.handle('recordings', {})).recordings
    expect(during).toHaveLength(2)
    const writing = during.find((r) => r.name !== first[0]!.name)!
    expect(writing.problem).toBe('being recorded right now')
    await expect(engine.handle('deleteRecording', { name: writing.name })).rejects.toThrow(`${writing.name} is in use right now`)
    const after = await engine.handle('deleteRecording', { name: first[0]!.name })
    expect(after.recordings.map((r) => [r.name, r.problem])).toEqual([[writing.name, 'being recorded right now']])
    expect(existsSync(first[0]!.file)).toBe(false)
    await hop.catch(() => {})
    expect((await engine.handle('recordings', {})).recordings[0]!.problem).toBeUndefined()
    await expect(engine.handle('deleteRecording', { name: '../x.jsonl' })).rejects.toThrow(/"..\/x.jsonl" is not a recording's name/)
    // Its run is over: now it goes too, and export says what happened to it.
    expect((await engine.handle('deleteRecording', { name: writing.name })).recordings).toEqual([])
    await expect(engine.handle('exportRun', { kind: 'csv' })).rejects.toThrow(`this run's recording ${writing.name} was deleted`)
  })

  it('an engine that does not record says there is nothing to export', async () => {
    const engine = new Engine({ host: 'browser', version: 'test', probe: false })
    engines.push(engine)
    await expect(engine.handle('exportRun', { kind: 'md' })).rejects.toThrow(/does not record its runs/)
  })
})
