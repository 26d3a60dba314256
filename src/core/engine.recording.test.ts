// The app records every hop and tour run it starts (CLI runs record in src/cli): one file per run,
// readable by `globehop export` and `globehop replay`, even when the run fails at once.
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Engine } from './engine'
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
