// A recording's figures for slides and spreadsheets: one row per hop (from its `hop` events)
// as CSV, JSON or Markdown, and the probe series as CSV. Pure: the CLI and the app both print these.
import type { HopResult, ProbeSample } from '../../shared/contract'
import { terminalSafe } from '../text/terminal-safe'
import { csvRow, type Cell } from './csv'
import { payloadsOf, type Recording } from './reader'

export const EXPORT_FORMATS = ['csv', 'json', 'md'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export interface HopRow {
  hop: number
  from: string
  to: string
  mode: string
  technique: string
  result: 'ok' | 'failed'
  started: string
  client_downtime_ms: number | null
  criu_frozen_ms: number | null
  /** The game's pauses for pre-copy snapshots before the final freeze (players feel them as lag). */
  snapshot_pause_ms: number | null
  snapshot_pause_max_ms: number | null
  checkpoint_ms: number | null
  transfer_ms: number | null
  restore_ms: number | null
  ip_move_ms: number | null
  image_bytes: number | null
  wire_bytes: number | null
  rtt_before_ms: number | null
  rtt_after_ms: number | null
  probes_lost: number | null
  state_carried: boolean | null
  error: string
}

/** Column order and the Markdown titles; the keys are the CSV header and the JSON keys. */
export const HOP_COLUMNS: readonly { key: keyof HopRow; title: string }[] = [
  { key: 'hop', title: 'hop' },
  { key: 'from', title: 'from' },
  { key: 'to', title: 'to' },
  { key: 'mode', title: 'mode' },
  { key: 'technique', title: 'technique' },
  { key: 'result', title: 'result' },
  { key: 'started', title: 'started' },
  { key: 'client_downtime_ms', title: 'client downtime ms' },
  { key: 'criu_frozen_ms', title: 'CRIU frozen ms' },
  { key: 'snapshot_pause_ms', title: 'snapshot pauses ms' },
  { key: 'snapshot_pause_max_ms', title: 'longest snapshot pause ms' },
  { key: 'checkpoint_ms', title: 'checkpoint ms' },
  { key: 'transfer_ms', title: 'transfer ms' },
  { key: 'restore_ms', title: 'restore ms' },
  { key: 'ip_move_ms', title: 'IP move ms' },
  { key: 'image_bytes', title: 'image bytes' },
  { key: 'wire_bytes', title: 'wire bytes' },
  { key: 'rtt_before_ms', title: 'RTT before ms' },
  { key: 'rtt_after_ms', title: 'RTT after ms' },
  { key: 'probes_lost', title: 'probes lost' },
  { key: 'state_carried', title: 'state carried' },
  { key: 'error', title: 'error / rollback' },
]

/** Milliseconds to 3 decimals: float noise (0.30000000000000004) out, microseconds kept. */
const ms = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000)

function stepMs(h: HopResult, step: HopResult['steps'][number]['step']): number | null {
  const s = h.steps.filter((x) => x.step === step)
  return s.length ? ms(s.reduce((sum, x) => sum + x.ms, 0)) : null
}

/** ISO time, or empty for a time no Date can hold (a hand-edited file). */
const iso = (at: number): string => (Number.isFinite(at) && Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : '')

/** Text from hosts (errors, rollback words) never carries a terminal escape into the output. */
const text = (s: string): string => terminalSafe(s)

export function hopRow(h: HopResult, index: number): HopRow {
  const err = [h.error, h.rollback ? `rollback: ${h.rollback}` : undefined].filter((x): x is string => !!x).join('; ')
  return {
    hop: index + 1,
    from: text(h.from),
    to: text(h.to),
    mode: h.mode,
    technique: text(h.technique),
    result: h.ok ? 'ok' : 'failed',
    started: iso(h.startedAt),
    client_downtime_ms: ms(h.client?.downtimeMs),
    criu_frozen_ms: ms(h.criuDump?.frozenTimeUs === undefined ? null : h.criuDump.frozenTimeUs / 1000),
    snapshot_pause_ms: ms(h.snapshotPauseMs),
    snapshot_pause_max_ms: ms(h.snapshotPauseMaxMs),
    checkpoint_ms: stepMs(h, 'checkpoint'),
    transfer_ms: stepMs(h, 'transfer'),
    restore_ms: stepMs(h, 'restore'),
    ip_move_ms: stepMs(h, 'ip-move'),
    image_bytes: h.imageBytes ?? null,
    wire_bytes: h.wireBytes ?? null,
    rtt_before_ms: ms(h.client?.rttBeforeMs),
    rtt_after_ms: ms(h.client?.rttAfterMs),
    probes_lost: h.client?.probesLost ?? null,
    state_carried: h.client?.stateCarried ?? null,
    error: text(err),
  }
}

export function hopRows(rec: Recording): HopRow[] {
  return payloadsOf(rec, 'hop').map(hopRow)
}

const cellOf = (v: HopRow[keyof HopRow]): Cell => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : v)

export function hopsCsv(rows: HopRow[]): string {
  return csvRow(HOP_COLUMNS.map((c) => c.key)) + rows.map((r) => csvRow(HOP_COLUMNS.map((c) => cellOf(r[c.key])))).join('')
}

export function hopsJson(rows: HopRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`
}

const mdCell = (v: HopRow[keyof HopRow]): string => String(cellOf(v) ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')

export function hopsMarkdown(rows: HopRow[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |\n`
  // Figures right-aligned, words left: the usual way a table of measurements reads.
  const numeric = (k: keyof HopRow) => k === 'hop' || k.endsWith('_ms') || k.endsWith('_bytes') || k === 'probes_lost'
  return (
    line(HOP_COLUMNS.map((c) => c.title)) +
    line(HOP_COLUMNS.map((c) => (numeric(c.key) ? '---:' : '---'))) +
    rows.map((r) => line(HOP_COLUMNS.map((c) => mdCell(r[c.key])))).join('')
  )
}

export function formatHops(rows: HopRow[], format: ExportFormat): string {
  return format === 'csv' ? hopsCsv(rows) : format === 'json' ? hopsJson(rows) : hopsMarkdown(rows)
}

/**
 * The probe series, one row per probe: a late reply replaces the loss recorded for its seq
 * (the prober sends it again with late: true). lost and late are 1/0 so a spreadsheet sums them.
 */
export function pingCsv(rec: Recording): string {
  const rows: ProbeSample[] = []
  const bySeq = new Map<number, number>()
  for (const batch of payloadsOf(rec, 'probe')) {
    for (const s of batch.samples) {
      const i = bySeq.get(s.seq)
      if (s.late && i !== undefined) rows[i] = s
      else {
        bySeq.set(s.seq, rows.length)
        rows.push(s)
      }
    }
  }
  return (
    csvRow(['seq', 'at_iso', 'at_ms', 'rtt_ms', 'lost', 'late']) +
    rows.map((s) => csvRow([s.seq, iso(s.at), ms(s.at), ms(s.rttMs), s.rttMs === null ? 1 : 0, s.late ? 1 : 0])).join('')
  )
}
