// The tour's hosts: connection state and, when a host failed, its reason in words on its row.
import type { EngineState, HostView } from '../../../shared/contract'

const CONN_TEXT = { idle: 'not connected', connecting: 'connecting…', connected: 'connected', error: 'cannot connect' } as const

/** The row already names the host: drop a leading "name: " from the engine's detail. */
export function reasonOf(h: Pick<HostView, 'name' | 'label' | 'connDetail'>): string | null {
  let d = h.connDetail?.trim() ?? ''
  for (const prefix of [`${h.name}: `, `${h.label}: `]) while (d.startsWith(prefix)) d = d.slice(prefix.length)
  return d || null
}

export function HostList({ state }: { state: EngineState }) {
  const tour = state.tour
  if (!tour) return null
  return (
    <section className="panel hosts" aria-label="Hosts">
      <h2>Hosts</h2>
      <ul>
        {tour.hosts.map((h) => {
          const reason = h.conn === 'error' ? reasonOf(h) : null
          return (
            <li key={h.name} data-testid="host" data-host={h.name} data-conn={h.conn} className={h.name === state.currentHost ? 'current' : ''}>
              <span className="dot" data-conn={h.conn} aria-hidden="true" />
              <span className="label">{h.label}</span>
              <span className="addr">{h.address}</span>
              <span className="conn">
                {CONN_TEXT[h.conn]}
                {h.name === state.currentHost ? ' · game here' : ''}
              </span>
              {reason && (
                <span className="reason" data-testid="host-reason">
                  {reason}
                </span>
              )}
            </li>
          )
        })}
      </ul>
    </section>
  )
}
