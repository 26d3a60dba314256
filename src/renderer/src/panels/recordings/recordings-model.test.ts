import { describe, expect, it } from 'vitest'
import type { RecordingEntry } from '../../../../shared/contract'
import { pngName, recordingRowText, totalText } from './recordings-model'

const entry: RecordingEntry = {
  name: '20251117-093000-rhine.jsonl',
  file: '/r/20251117-093000-rhine.jsonl',
  bytes: 3 * 1024 * 1024 + 512 * 1024,
  startedAt: Date.UTC(2025, 10, 17, 8, 30, 0),
  tourName: 'Rhine',
  hops: 4,
  okHops: 3,
  durationMs: 151_000,
}

describe('recordings panel text', () => {
  it('a row: UTC date as the REPLAY banner says it, hops ok/total, length, size', () => {
    expect(recordingRowText(entry)).toEqual({ date: '2025-11-17 08:30 UTC', note: null, tour: 'Rhine', hops: '3/4 ok', length: '2:31', size: '3.5 MiB' })
    expect(recordingRowText({ ...entry, problem: 'being recorded right now' }).note).toBe('recording now')
    expect(recordingRowText({ ...entry, problem: 'a.jsonl:9: the last line is cut short' }).note).toBe('incomplete: a.jsonl:9: the last line is cut short')
    expect(recordingRowText({ ...entry, hops: 0, okHops: 0, tourName: '' })).toMatchObject({ hops: 'no hops', tour: '(unknown tour)' })
  })

  it('the total, and what an empty folder says', () => {
    expect(totalText({ dir: '/r', totalBytes: 0, recordings: [] })).toMatch(/^No recordings yet/)
    expect(totalText({ dir: '/r', totalBytes: entry.bytes * 2, recordings: [entry, entry] })).toBe('2 recordings, 7.0 MiB on disk')
  })

  it('the PNG is named after the local time', () => {
    expect(pngName(new Date(2025, 0, 2, 3, 4, 5))).toBe('globehop-view-20250102-030405.png')
  })
})
