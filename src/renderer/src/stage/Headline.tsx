// The last hop in three figures the back row can read: client downtime, what moved, how.
import type { HopResult } from '../../../shared/contract'
import { headline } from './hop-figures'

export function Headline({ hop, labelOf }: { hop: HopResult | null; labelOf: (host: string) => string }) {
  if (!hop) return null
  const h = headline(hop, labelOf)
  return (
    <section className="headline" data-testid="headline" data-ok={h.ok} aria-label="Last hop">
      <div className="headline-route">{h.route}</div>
      {h.outcome && <div className="headline-outcome">{h.outcome}</div>}
      <div className="headline-figure">
        <span className="figure-label">client downtime</span>
        <span className="figure-value">{h.downtime}</span>
      </div>
      <div className="headline-moved">
        {h.moved} · {h.technique}
      </div>
    </section>
  )
}
