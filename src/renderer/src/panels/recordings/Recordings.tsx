// The recordings on disk and what this run's figures export to: total disk use, one row per
// recording (date, tour, hops ok/total, length, size) with Delete behind a confirm step, the
// Export buttons (CSV, JSON, Markdown, ping CSV, and a PNG of this view). Refreshed when a hop
// ends or a run starts. Normal view only: the presenter view shows no tables.
import { useCallback, useEffect, useRef, useState } from 'react'
import type { GlobehopApi, RecordingList } from '../../../../shared/contract'
import { useEngineStore } from '../../store/use-engine-store'
import { EXPORT_BUTTONS, pngName, recordingRowText, totalText } from './recordings-model'
import { saveBlob, saveText } from './save-file'
import { viewPng } from './view-png'
import './recordings.css'

type Note = { kind: 'status' | 'error'; text: string } | null

export function Recordings({ api }: { api: GlobehopApi }) {
  const [list, setList] = useState<RecordingList | null>(null)
  const [confirming, setConfirming] = useState<string | null>(null)
  const [note, setNote] = useState<Note>(null)
  const [working, setWorking] = useState(false)
  // A finished hop or a run that starts (a new recording) refreshes the list.
  const hops = useEngineStore(api, (s) => s.history.hops().length)
  const busy = useEngineStore(api, (s) => s.history.state?.busy ?? 'idle')
  const asked = useRef(0)

  const refresh = useCallback(() => {
    const n = ++asked.current
    api.recordings({}).then(
      (l) => n === asked.current && setList(l),
      (err: Error) => n === asked.current && setNote({ kind: 'error', text: `Could not list the recordings: ${err.message}` }),
    )
  }, [api])
  useEffect(refresh, [refresh, hops, busy])

  const act = async (what: string, fn: () => Promise<string | null>) => {
    setWorking(true)
    try {
      const text = await fn()
      setNote(text ? { kind: 'status', text } : null)
    } catch (err) {
      setNote({ kind: 'error', text: `${what}: ${(err as Error).message}` })
    } finally {
      setWorking(false)
    }
  }

  const exportRun = (kind: (typeof EXPORT_BUTTONS)[number]['kind']) =>
    act('Export', async () => {
      const f = await api.exportRun({ kind })
      saveText(f.text, f.filename, f.mime)
      return `Saved ${f.filename}${f.warning ? `. Warning: ${f.warning}` : ''}`
    })

  const exportPng = () =>
    act('PNG', async () => {
      const name = pngName(new Date())
      saveBlob(await viewPng(), name)
      return `Saved ${name}`
    })

  const remove = (name: string) =>
    act('Delete', async () => {
      setConfirming(null)
      asked.current++ // a list asked for before the delete must not bring the row back
      setList(await api.deleteRecording({ name }))
      return `Deleted ${name}`
    })

  return (
    <section className="panel recordings" aria-label="Recordings and export" data-testid="recordings" data-png="skip">
      <h2>Recordings and export</h2>
      <div className="export-row" role="group" aria-label="Export this run">
        <span className="export-what">Export this run:</span>
        {EXPORT_BUTTONS.map((b) => (
          <button key={b.kind} disabled={working} onClick={() => void exportRun(b.kind)} data-testid={`export-${b.kind}`}>
            {b.label}
          </button>
        ))}
        <button disabled={working} onClick={() => void exportPng()} data-testid="export-png">
          PNG of this view
        </button>
      </div>
      {note && (
        <p className={note.kind === 'error' ? 'rec-note rec-error' : 'rec-note'} role={note.kind === 'error' ? 'alert' : 'status'} data-testid="recordings-note">
          {note.text}
        </p>
      )}
      <p className="rec-total" data-testid="recordings-total">
        {list ? totalText(list) : 'Listing the recordings…'}{' '}
        <button className="link" onClick={refresh} aria-label="Refresh the list of recordings">
          Refresh
        </button>
      </p>
      {list && list.recordings.length > 0 && (
        <table data-testid="recordings-table">
          <thead>
            <tr>
              <th scope="col">Recorded</th>
              <th scope="col">Tour</th>
              <th scope="col">Hops</th>
              <th scope="col">Length</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.recordings.map((r) => {
              const t = recordingRowText(r)
              const asking = confirming === r.name
              return (
                <tr key={r.name} data-testid="recording-row" data-name={r.name} data-bytes={r.bytes} title={r.file}>
                  <td>{t.date}</td>
                  <td>
                    {t.tour}
                    {t.note && (
                      <span className="rec-problem" title={r.problem}>
                        {' '}
                        ({t.note})
                      </span>
                    )}
                  </td>
                  <td>{t.hops}</td>
                  <td>{t.length}</td>
                  <td data-testid="recording-size">{t.size}</td>
                  <td className="rec-actions">
                    {asking ? (
                      <span role="group" aria-label={`Delete ${r.name}?`}>
                        Delete for good?{' '}
                        <button className="danger" disabled={working} onClick={() => void remove(r.name)} data-testid="recording-delete-confirm" autoFocus>
                          Yes, delete
                        </button>{' '}
                        <button onClick={() => setConfirming(null)} data-testid="recording-delete-cancel">
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button disabled={working} onClick={() => setConfirming(r.name)} aria-label={`Delete the recording of ${t.date}, ${t.tour}`} data-testid="recording-delete">
                        Delete…
                      </button>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
