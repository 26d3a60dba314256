// What the app's Export buttons get: one recording's figures (export.ts, as `globehop export`
// prints them) as a file's text with a name beside the recording's own (`<base>.csv`,
// `<base>.ping.csv`), and a warning when the recording could not be read whole.
import path from 'node:path'
import type { ExportFile, EXPORT_KINDS } from '../../shared/contract'
import { CatalogError } from './catalog'
import { formatHops, hopRows, pingCsv } from './export'
import { readRecording, RecordingError, withFileName, type Recording } from './reader'

export type ExportKind = (typeof EXPORT_KINDS)[number]

const FILES: Record<ExportKind, { ext: string; mime: string }> = {
  csv: { ext: '.csv', mime: 'text/csv' },
  json: { ext: '.json', mime: 'application/json' },
  md: { ext: '.md', mime: 'text/markdown' },
  'ping-csv': { ext: '.ping.csv', mime: 'text/csv' },
}

export function exportFile(rec: Recording, kind: ExportKind): ExportFile {
  const base = path.basename(rec.file).replace(/\.jsonl$/, '')
  const { ext, mime } = FILES[kind]
  const text = kind === 'ping-csv' ? pingCsv(rec) : formatHops(hopRows(rec), kind)
  const warnings = [rec.warning, rec.skipped.length ? `${rec.skipped.length} event(s) left out (not what this globehop reads), first: ${rec.skipped[0]}` : null]
    .filter((w): w is string => !!w)
    .map((w) => withFileName(w, rec.file))
  return { filename: `${base}${ext}`, mime, text, ...(warnings.length ? { warning: warnings.join('; ') } : {}) }
}

/**
 * A live run's export: `file` is the run's latest recording (null before the first hop or tour
 * run), `underWay` while it is still being written (its header waits for the run's preflight).
 */
export function exportRunRecording(file: string | null, underWay: boolean, kind: ExportKind): ExportFile {
  const nothing = new CatalogError('nothing-recorded', 'nothing recorded yet: export works after the first hop of this run (each hop or tour run is recorded)')
  if (file === null) throw nothing
  let rec: Recording
  try {
    rec = readRecording(file)
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err
    if (underWay && /empty/.test(err.message)) throw nothing
    if (/ENOENT/.test(err.message)) throw new CatalogError('recording-deleted', `this run's recording ${path.basename(file)} was deleted: nothing to export until the next hop`)
    throw new CatalogError('recording-unreadable', withFileName(err.message, file))
  }
  return exportFile(rec, kind)
}
