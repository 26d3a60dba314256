// A real lab hop recorded by the CLI and exported: the CSV's client downtime is the value the
// live `--json` output gave, and every host's .cast file parses as asciicast v2.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnyEvent, HopResult } from '../shared/contract'
import type { Tour } from '../shared/tour'
import { castFile } from '../core/recording/paths'
import { readRecording } from '../core/recording/reader'
import { loadTour } from '../core/tour/load'
import { labForTests, labResetGame } from '../../lab/testing'
import { runExport } from './export'

const lab = labForTests()
const skipWhy = lab.available ? '' : ` (skipped: ${lab.reason})`
const repo = path.resolve(import.meta.dirname, '../..')

let work: string
let tour: Tour

function globehop(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/globehop.mjs'), ...args], {
      cwd: repo,
      env: { ...process.env, GLOBEHOP_STATE_DIR: path.join(work, 'state'), GLOBEHOP_RECORDINGS_DIR: path.join(work, 'recordings') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"'
      i++
    } else if (ch === '"') quoted = !quoted
    else if (quoted) field += ch
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else field += ch
  }
  return rows
}

describe.skipIf(!lab.available)(`a recorded lab hop, exported${skipWhy}`, { timeout: 600_000 }, () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'globehop-export-lab-'))
    tour = await loadTour(lab.tourPath)
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('migrate --json records the hop; export --format csv gives the same client downtime; the casts parse', async () => {
    await labResetGame()
    const to = tour.hops[1]!
    const run = await globehop(['migrate', tour.file, '--to', to, '--mode', 'stop-and-copy', '--json'])
    expect(run.code, run.stderr).toBe(0)
    const live = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AnyEvent)
      .filter((e): e is Extract<AnyEvent, { name: 'hop' }> => e.name === 'hop')
      .map((e) => e.payload as HopResult)
    expect(live).toHaveLength(1)
    const downtime = live[0]!.client?.downtimeMs
    expect(downtime, 'the prober saw the hop').toEqual(expect.any(Number))

    const last = run.stderr.trimEnd().split('\n').at(-1)!
    expect(last).toMatch(/^recording: /)
    const file = last.slice('recording: '.length)
    const rec = readRecording(file)
    expect(rec.truncated).toBe(false)
    expect(rec.header.preflight?.map((h) => h.host).sort()).toEqual(tour.hosts.map((h) => h.name).sort())
    expect(rec.header.preflight?.every((h) => h.criu && h.runtime)).toBe(true)

    const out: string[] = []
    const err: string[] = []
    expect(await runExport([file, '--format', 'csv'], { out: (s) => out.push(s), err: (s) => err.push(s) })).toBe(0)
    expect(err).toEqual([])
    const [header, ...rows] = parseCsv(out.join(''))
    expect(rows).toHaveLength(1)
    const cell = (name: string) => rows[0]![header!.indexOf(name)]!
    expect(cell('result')).toBe('ok')
    expect(cell('to')).toBe(to)
    expect(Number(cell('client_downtime_ms'))).toBe(Math.round(downtime! * 1000) / 1000)
    expect(Number(cell('criu_frozen_ms'))).toBeGreaterThan(0)

    const ping: string[] = []
    expect(await runExport([file, '--ping'], { out: (s) => ping.push(s), err: () => {} })).toBe(0)
    expect(parseCsv(ping.join('')).length).toBeGreaterThan(10)

    // Both ends of the hop ran commands: each has its asciicast, header then output events.
    for (const host of [tour.hops[0]!, to]) {
      const cast = castFile(file, host)
      expect(existsSync(cast), cast).toBe(true)
      const [h, ...events] = readFileSync(cast, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)
      expect(h).toMatchObject({ version: 2, width: expect.any(Number), height: expect.any(Number), timestamp: expect.any(Number) })
      expect(events.length).toBeGreaterThan(0)
      let t = 0
      for (const e of events) {
        expect(e).toEqual([expect.any(Number), 'o', expect.any(String)])
        const [at, , text] = e as [number, string, string]
        expect(at).toBeGreaterThanOrEqual(t)
        t = at
        expect(text.slice(0, -2)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
      }
    }
  })
})
