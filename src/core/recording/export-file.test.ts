import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeSyntheticRecording } from '../replay/testing/recording'
import { exportRunRecording } from './export-file'
import { TEST_TOUR } from './testing/events'
import { RecordingWriter } from './writer'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'globehop-export-file-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe("a live run's export", () => {
  it('before the run wrote its header: nothing recorded yet (while under way), unreadable (after)', () => {
    // No preflight known: the writer holds the header until the run's own preflight.
    const w = new RecordingWriter({ tour: TEST_TOUR, globehop: '9.9.9', dir })
    try {
      expect(() => exportRunRecording(null, false, 'csv')).toThrow(/^nothing recorded yet: export works after the first hop/)
      expect(() => exportRunRecording(w.file, true, 'csv')).toThrow(/^nothing recorded yet/)
      expect(() => exportRunRecording(w.file, false, 'csv')).toThrow(`${path.basename(w.file)}: empty, not a globehop recording`)
    } finally {
      w.close()
    }
  })

  it('a deleted recording says so; a whole one exports', () => {
    const file = writeSyntheticRecording(dir)
    expect(exportRunRecording(file, false, 'md').filename).toBe(path.basename(file).replace('.jsonl', '.md'))
    rmSync(file)
    expect(() => exportRunRecording(file, false, 'csv')).toThrow(`this run's recording ${path.basename(file)} was deleted`)
  })
})
