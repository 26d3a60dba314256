// What the Recordings panel says about each recording and how it names what it saves. Pure.
import type { RecordingEntry, RecordingList } from '../../../../shared/contract'
import { recordedAtText, replayClockText } from '../../../../shared/replay-text'
import { formatBytes } from '../../../../shared/format'

export interface RecordingRowText {
  date: string
  /** What is wrong with the file, or that it is still being written; null when it is whole. */
  note: string | null
  tour: string
  hops: string
  length: string
  size: string
}

export function recordingRowText(r: RecordingEntry): RecordingRowText {
  return {
    date: recordedAtText(r.startedAt),
    // The catalog's word for the file a run writes now (src/core/recording/catalog.ts BEING_RECORDED).
    note: !r.problem ? null : r.problem === 'being recorded right now' ? 'recording now' : `incomplete: ${r.problem}`,
    tour: r.tourName || '(unknown tour)',
    hops: r.hops === 0 ? 'no hops' : `${r.okHops}/${r.hops} ok`,
    length: replayClockText(r.durationMs),
    size: formatBytes(r.bytes),
  }
}

export function totalText(list: RecordingList): string {
  const n = list.recordings.length
  return n === 0 ? 'No recordings yet: every hop or tour run is recorded.' : `${n} recording${n === 1 ? '' : 's'}, ${formatBytes(list.totalBytes)} on disk`
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `globehop-view-YYYYMMDD-HHMMSS.png` in local time, like the recordings' own names. */
export function pngName(now: Date): string {
  const d = now
  return `globehop-view-${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}.png`
}

export const EXPORT_BUTTONS = [
  { kind: 'csv', label: 'CSV' },
  { kind: 'json', label: 'JSON' },
  { kind: 'md', label: 'Markdown' },
  { kind: 'ping-csv', label: 'Ping CSV' },
] as const
