// How engine parts report to the UI: one typed emit function, validated by the hosts at the edge.
import type { EventName, EventPayload } from '../shared/contract'

export type Emit = <K extends EventName>(name: K, payload: EventPayload<K>) => void

export const noEmit: Emit = () => {}
