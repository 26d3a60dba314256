import type { PreflightReport } from '../../../shared/contract'
import { fmtMs } from '../stage/format'

export function PreflightTable({ report }: { report: PreflightReport }) {
  const ids = [...new Set(report.hosts.flatMap((h) => h.checks.map((c) => c.id)))]
  const problems = report.hosts.flatMap((h) => h.checks.filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => ({ host: h.host, ...c })))
  return (
    <section className="panel preflight" aria-label="Preflight">
      <h2>Preflight {report.ok ? 'ok' : 'found problems'}</h2>
      <table data-testid="preflight-table">
        <thead>
          <tr>
            <th scope="col">Host</th>
            {ids.map((id) => (
              <th scope="col" key={id}>
                {id}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {report.hosts.map((h) => (
            <tr key={h.host}>
              <th scope="row">{h.host}</th>
              {ids.map((id) => {
                const c = h.checks.find((x) => x.id === id)
                return (
                  <td key={id} className={c?.status ?? 'skip'} title={c?.detail}>
                    {c ? (c.status === 'ok' ? '✓' : c.status === 'skip' ? '–' : c.status) : ''}
                  </td>
                )
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {problems.length > 0 && (
        // What failed and why, in words (not only in a tooltip).
        <ul className="check-problems" data-testid="preflight-problems">
          {problems.map((p) => (
            <li key={`${p.host}/${p.id}`} className={p.status}>
              <strong>
                {p.host} {p.id}
              </strong>
              : {p.detail}
            </li>
          ))}
        </ul>
      )}
      <ul className="modes">
        {report.modes.map((m) => (
          <li key={m.mode} className={m.available ? 'ok' : 'fail'} data-testid={`mode-${m.mode}`}>
            {m.mode}: {m.available ? 'available' : m.reason}
            {/* The next hop's predicted gap in this mode, and how the sum was made. */}
            {m.available && m.predictedGapMs !== undefined && (
              <>
                {`; ~${fmtMs(m.predictedGapMs)} gap predicted`}
                {m.reason && <div className="mode-prediction">{m.reason}</div>}
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
