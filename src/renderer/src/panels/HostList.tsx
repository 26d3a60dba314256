import type { EngineState } from '../../../shared/contract'

const CONN_TEXT = { idle: 'not connected', connecting: 'connecting…', connected: 'connected', error: 'error' } as const

export function HostList({ state }: { state: EngineState }) {
  const tour = state.tour
  if (!tour) return null
  return (
    <section className="panel hosts" aria-label="Hosts">
      <h2>Hosts</h2>
      <ul>
        {tour.hosts.map((h) => (
          <li key={h.name} data-testid="host" data-host={h.name} data-conn={h.conn} className={h.name === state.currentHost ? 'current' : ''}>
            <span className={`dot ${h.conn}`} aria-hidden="true" />
            <span className="label">{h.label}</span>
            <span className="addr">{h.address}</span>
            <span className="conn" title={h.connDetail}>
              {CONN_TEXT[h.conn]}
              {h.name === state.currentHost ? ' · game here' : ''}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
