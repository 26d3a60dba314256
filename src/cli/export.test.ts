import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TEST_TOUR, testEvents } from '../core/recording/testing/events'
import { RecordingWriter } from '../core/recording/writer'
import { parseExportArgs, runExport } from './export'

let dir: string
let file: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-export-cli-'))
  const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', dir })
  for (const e of testEvents()) w.listener(e)
  w.close()
  file = w.file
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err }
}

describe('globehop export', () => {
  it('arguments: FILE, --format csv|json|md (csv by default), --ping', () => {
    expect(parseExportArgs(['r.jsonl'])).toEqual({ file: 'r.jsonl', format: 'csv', ping: false })
    expect(parseExportArgs(['r.jsonl', '--format', 'md'])).toEqual({ file: 'r.jsonl', format: 'md', ping: false })
    expect(parseExportArgs(['--ping', 'r.jsonl'])).toEqual({ file: 'r.jsonl', format: 'csv', ping: true })
  })

  it('exit 2 with usage on bad arguments', async () => {
    for (const argv of [[], ['a', 'b'], ['r.jsonl', '--format', 'xlsx'], ['r.jsonl', '--ping', '--format', 'md'], ['r.jsonl', '--bogus']]) {
      const c = capture()
      expect(await runExport(argv, c.io), argv.join(' ')).toBe(2)
      expect(c.err.join('\n')).toMatch(/usage:\n {2}globehop export FILE/)
      expect(c.out).toEqual([])
    }
  })

  it('prints the hop rows (exit 0)', async () => {
    const c = capture()
    expect(await runExport([file], c.io)).toBe(0)
    expect(c.out.join('')).toMatch(/^hop,from,to,.*\r\n1,stuttgart,strasbourg,.*\r\n2,strasbourg,stuttgart,/s)
    expect(c.err).toEqual([])
    const p = capture()
    expect(await runExport([file, '--ping'], p.io)).toBe(0)
    expect(p.out.join('').split('\r\n')[0]).toBe('seq,at_iso,at_ms,rtt_ms,lost,late')
  })

  it('a recording cut short exports what it holds and warns on stderr (exit 0)', async () => {
    appendFileSync(file, '{"t":1,"at":1,"event":{"na')
    const c = capture()
    expect(await runExport([file, '--format', 'json'], c.io)).toBe(0)
    expect(JSON.parse(c.out.join(''))).toHaveLength(2)
    expect(c.err).toEqual([`globehop export: warning: ${file}:11: the last line is cut short (the run ended without closing the recording); read the 9 events before it`])
  })

  it('an event whose payload breaks the contract is left out with a warning; the hops still export', async () => {
    appendFileSync(file, '{"t":1,"at":1,"event":{"name":"probe","payload":{"samples":"many"}}}\n')
    const c = capture()
    expect(await runExport([file], c.io)).toBe(0)
    expect(c.out.join('').split('\r\n')).toHaveLength(4)
    expect(c.err).toHaveLength(1)
    expect(c.err[0]).toMatch(new RegExp(`^globehop export: warning: .*:11: bad "probe" event, left out: `))
  })

  it('exit 1 for a file that is no readable recording, a newer version included', async () => {
    const c = capture()
    expect(await runExport([path.join(dir, 'missing.jsonl')], c.io)).toBe(1)
    writeFileSync(file, '{"type":"header","format":"globehop-recording","version":2}\n')
    expect(await runExport([file], c.io)).toBe(1)
    expect(c.err[1]).toBe(`globehop export: ${file}: recording format version 2 is newer than this globehop reads (version 1); update globehop to read it`)
    writeFileSync(file, '\u001b]0;evil\u0007\n')
    expect(await runExport([file], c.io)).toBe(1)
    expect(c.err[2]).toBe(`globehop export: ${file}:1: not JSON: not a globehop recording`)
    expect(c.out).toEqual([])
  })
})
