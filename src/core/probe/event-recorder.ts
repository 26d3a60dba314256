// Test helper: an Emit that keeps what the prober reported.
import type { Outage, ProbeSample, ServerStatus } from '../../shared/contract'
import type { Emit } from '../events'

export function recorder() {
  const samples: ProbeSample[] = []
  const outages: Outage[] = []
  const statuses: ServerStatus[] = []
  const states: string[] = []
  const emit: Emit = (name, payload) => {
    if (name === 'probe') {
      const p = payload as { samples: ProbeSample[]; state: string }
      samples.push(...p.samples)
      states.push(p.state)
    } else if (name === 'outage') outages.push(payload as Outage)
    else if (name === 'serverStatus') statuses.push(payload as ServerStatus)
  }
  return { samples, outages, statuses, states, emit }
}
