// `globehop export FILE`: a recording's figures for spreadsheets and slides. One row per hop as
// CSV (RFC 4180), JSON or Markdown, or with --ping the probe series as CSV. A recording cut short
// exports what it holds and warns on stderr.
import { parseArgs } from 'node:util'
import { EXPORT_FORMATS, formatHops, hopRows, pingCsv, type ExportFormat } from '../core/recording/export'
import { readRecording, RecordingError } from '../core/recording/reader'
import { terminalSafe } from '../core/text/terminal-safe'

export const EXPORT_USAGE = `usage:
  globehop export FILE [--format csv|json|md]   one row per hop (default csv)
  globehop export FILE --ping                   the probe series as CSV: seq,at_iso,at_ms,rtt_ms,lost,late
FILE is a recording (.jsonl) under ~/.local/share/globehop/recordings/ (the CLI names it when a run ends).
exit: 0 ok, 1 a file that is not a readable recording, 2 bad arguments`

type Out = { out: (s: string) => void; err: (s: string) => void }
// Exports are files: written as they are, no newline added (CSV ends each row with CRLF itself).
const stdio: Out = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(`${s}\n`) }

export function parseExportArgs(argv: string[]): { file: string; format: ExportFormat; ping: boolean } {
  const { values, positionals } = parseArgs({ args: argv, options: { format: { type: 'string' }, ping: { type: 'boolean' } }, allowPositionals: true, strict: true })
  if (positionals.length !== 1) throw new Error(positionals.length === 0 ? 'missing FILE' : `one FILE expected, got: ${positionals.join(' ')}`)
  const format = values.format ?? 'csv'
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new Error(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`)
  if (values.ping && format !== 'csv') throw new Error('--ping prints CSV only')
  return { file: positionals[0]!, format: format as ExportFormat, ping: values.ping ?? false }
}

export async function runExport(argv: string[], io: Out = stdio): Promise<number> {
  // `export … | head`: a reader that leaves early is normal for a pipe, not a crash (exit as a
  // closed pipe does, 141, without a stack trace).
  if (io === stdio) process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(141) : undefined))
  const say = (s: string) => io.err(terminalSafe(s, { oneLine: true }))
  let args: ReturnType<typeof parseExportArgs>
  try {
    args = parseExportArgs(argv)
  } catch (err) {
    say(`globehop export: ${(err as Error).message}`)
    io.err(`\n${EXPORT_USAGE}`)
    return 2
  }
  try {
    const rec = readRecording(args.file)
    if (rec.warning) say(`globehop export: warning: ${rec.warning}`)
    for (const w of rec.skipped.slice(0, 5)) say(`globehop export: warning: ${w}`)
    if (rec.skipped.length > 5) say(`globehop export: warning: ${rec.skipped.length - 5} more events left out`)
    io.out(args.ping ? pingCsv(rec) : formatHops(hopRows(rec), args.format))
    return 0
  } catch (err) {
    if (!(err instanceof RecordingError)) throw err
    say(`globehop export: ${err.message}`)
    return 1
  }
}
