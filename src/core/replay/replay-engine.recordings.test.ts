// A replay answers the Recordings panel and the Export buttons too: the list of the recordings
// folder, the replayed recording's figures, and no delete of the file on screen.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatHops, hopRows, pingCsv } from '../recording/export'
import { readRecording } from '../recording/reader'
import { ReplayEngine } from './replay-engine'
import { writeSyntheticRecording } from './testing/recording'

let dir: string
const engines: ReplayEngine[] = []
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-replay-rec-'))
})
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(file: string): ReplayEngine {
  const e = ReplayEngine.open(file, { start: 'paused', recordingsDir: dir })
  engines.push(e)
  return e
}

describe('ReplayEngine: recordings and export', () => {
  it('exports the replayed recording as `globehop export` prints it', async () => {
    const file = writeSyntheticRecording(dir)
    const engine = open(file)
    const rec = readRecording(file)
    const base = path.basename(file, '.jsonl')
    expect(await engine.handle('exportRun', { kind: 'csv' })).toEqual({ filename: `${base}.csv`, mime: 'text/csv', text: formatHops(hopRows(rec), 'csv') })
    expect(await engine.handle('exportRun', { kind: 'md' })).toMatchObject({ filename: `${base}.md`, mime: 'text/markdown', text: formatHops(hopRows(rec), 'md') })
    expect(await engine.handle('exportRun', { kind: 'json' })).toMatchObject({ filename: `${base}.json`, text: formatHops(hopRows(rec), 'json') })
    expect(await engine.handle('exportRun', { kind: 'ping-csv' })).toMatchObject({ filename: `${base}.ping.csv`, text: pingCsv(rec) })
    await expect(engine.handle('exportRun', { kind: 'pdf' })).rejects.toThrow(/exportRun: kind/)
  })

  it('a recording cut short exports what it holds, with a warning naming the file only', async () => {
    const text = readFileSync(writeSyntheticRecording(dir), 'utf8')
    const cut = path.join(dir, 'cut.jsonl')
    writeFileSync(cut, text.slice(0, -30))
    const out = await open(cut).handle('exportRun', { kind: 'csv' })
    expect(out.text.trim().split('\r\n')).toHaveLength(3) // header and both hops: the cut line is the last probe
    expect(out.warning).toMatch(/^cut\.jsonl:\d+: the last line is cut short/)
  })

  it('lists the folder and deletes any recording but the one on screen', async () => {
    const shown = writeSyntheticRecording(dir)
    const other = writeSyntheticRecording(dir)
    const engine = open(shown)
    expect((await engine.handle('recordings', {})).recordings.map((r) => r.file)).toEqual([other, shown])
    await expect(engine.handle('deleteRecording', { name: path.basename(shown) })).rejects.toThrow('is in use right now')
    expect((await engine.handle('deleteRecording', { name: path.basename(other) })).recordings.map((r) => r.file)).toEqual([shown])
    expect(existsSync(other)).toBe(false)
  })
})
