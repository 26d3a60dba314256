import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { csvField, csvRow } from './csv'
import { formatHops, hopRows, pingCsv } from './export'
import { readRecording } from './reader'
import { TEST_TOUR, testEvents } from './testing/events'
import { RecordingWriter } from './writer'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-export-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function recorded() {
  const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '1', dir })
  for (const e of testEvents()) w.listener(e)
  w.close()
  return readRecording(w.file)
}

describe('CSV escaping (RFC 4180)', () => {
  it('quotes fields with commas, quotes or line breaks and doubles the quotes; CRLF rows', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\rhere')).toBe('"cr\rhere"')
    expect(csvField(null)).toBe('')
    expect(csvField(undefined)).toBe('')
    expect(csvField(0)).toBe('0')
    expect(csvField(-1.5)).toBe('-1.5')
    expect(csvRow(['a', 1, null, 'x,y'])).toBe('a,1,,"x,y"\r\n')
  })
  it('text a spreadsheet would run as a formula is defused; negative numbers stay numbers', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`)
    expect(csvField('-rf')).toBe("'-rf")
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvField(-3)).toBe('-3')
  })
})

const HEADER =
  'hop,from,to,mode,technique,result,started,client_downtime_ms,criu_frozen_ms,snapshot_pause_ms,snapshot_pause_max_ms,checkpoint_ms,transfer_ms,restore_ms,ip_move_ms,image_bytes,wire_bytes,rtt_before_ms,rtt_after_ms,probes_lost,state_carried,error\r\n'

describe('export', () => {
  it('CSV: one row per hop, a failed hop with its error and rollback', () => {
    expect(formatHops(hopRows(recorded()), 'csv')).toBe(
      HEADER +
        '1,stuttgart,strasbourg,stop-and-copy,stop-and-copy,ok,2025-05-17T08:30:00.000Z,1950.4,798.123,,,812.5,640,410,305.25,93000000,13000000,0.41,0.3,39,yes,\r\n' +
        '2,strasbourg,stuttgart,stop-and-copy,stop-and-copy,failed,2025-05-17T08:31:00.000Z,,,,,790,1200,,,,,0.3,,0,,' +
        '"rsync: connection closed, ""stuttgart"" unreachable\nexit 12; rollback: restored on strasbourg, IP back"\r\n',
    )
  })

  it('JSON: the same rows, figures as numbers and unknowns as null', () => {
    const rows = JSON.parse(formatHops(hopRows(recorded()), 'json')) as Record<string, unknown>[]
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ hop: 1, result: 'ok', client_downtime_ms: 1950.4, criu_frozen_ms: 798.123, state_carried: true, error: '' })
    expect(rows[1]).toMatchObject({ hop: 2, result: 'failed', client_downtime_ms: null, restore_ms: null, state_carried: null })
  })

  it('Markdown: titles, numbers right-aligned, pipes and line breaks kept inside their cell', () => {
    const md = formatHops(hopRows(recorded()), 'md').split('\n')
    expect(md[0]).toMatch(/^\| hop \| from \| to \| mode \| technique \| result \| started \| client downtime ms \| CRIU frozen ms \|/)
    expect(md[1]).toMatch(/^\| ---: \| --- \| --- \|/)
    expect(md[3]).toContain('| rsync: connection closed, "stuttgart" unreachable<br>exit 12; rollback: restored on strasbourg, IP back |')
    expect(md).toHaveLength(5)
    const rec = recorded()
    ;(rec.events.find((e) => e.event.name === 'hop')!.event.payload as { error?: string }).error = 'a | b'
    expect(formatHops(hopRows(rec), 'md').split('\n')[2]).toMatch(/ \| a \\\| b \|$/)
  })

  it('host text with terminal escapes comes out as visible escapes in every format', () => {
    const rec = recorded()
    const hop = rec.events.find((e) => e.event.name === 'hop')!
    ;(hop.event.payload as { error?: string }).error = 'bad\u001b]0;x\u0007'
    for (const f of ['csv', 'json', 'md'] as const) expect(formatHops(hopRows(rec), f)).not.toMatch(/[\u001b\u0007]/)
  })

  it('--ping: the probe series, a late reply replacing its loss', () => {
    expect(pingCsv(recorded())).toBe(
      'seq,at_iso,at_ms,rtt_ms,lost,late\r\n' +
        '1,2025-05-17T08:30:00.000Z,1747470600000.5,0.41,0,0\r\n' +
        '2,2025-05-17T08:30:00.050Z,1747470600050,812.25,0,1\r\n' +
        '3,2025-05-17T08:30:00.100Z,1747470600100,,1,0\r\n',
    )
  })
})
