// The running hop, step by step, with progress on long steps.
import type { StepEvent } from '../../../shared/contract'
import { formatDuration } from '../../../shared/format'

interface Row {
  key: string
  step: string
  phase: StepEvent['phase']
  detail?: string
  pct?: number
  elapsedMs?: number
  frozen?: boolean
}

function rows(steps: StepEvent[]): Row[] {
  const byKey = new Map<string, Row>()
  for (const e of steps) {
    const key = `${e.step}#${e.iteration ?? 0}`
    const prev = byKey.get(key)
    byKey.set(key, {
      key,
      step: e.iteration ? `${e.step} ${e.iteration}` : e.step,
      phase: e.phase,
      detail: e.detail ?? prev?.detail,
      pct: e.bytesTotal ? Math.min(100, (100 * (e.bytesDone ?? 0)) / e.bytesTotal) : prev?.pct,
      elapsedMs: e.elapsedMs ?? prev?.elapsedMs,
      frozen: e.frozen ?? prev?.frozen,
    })
  }
  return [...byKey.values()]
}

export function StepList({ steps }: { steps: StepEvent[] }) {
  const list = rows(steps)
  return (
    <section className="panel steps" aria-label="Current hop steps" aria-live="polite">
      <h2>Steps</h2>
      {list.length === 0 ? (
        <p className="muted">Idle.</p>
      ) : (
        <ol>
          {list.map((r) => (
            <li key={r.key} data-step={r.step} data-phase={r.phase} className={`${r.phase}${r.frozen ? ' frozen' : ''}`}>
              <span className="name">{r.step}</span>
              <span className="phase">{r.phase === 'progress' ? (r.pct != null ? `${r.pct.toFixed(0)}%` : '…') : r.phase}</span>
              {r.elapsedMs != null && <span className="time">{formatDuration(r.elapsedMs)}</span>}
              {r.detail && <span className="detail">{r.detail}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
