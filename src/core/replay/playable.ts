// What of a recording a replay can play: the events of kinds this globehop knows, each at its
// time, and what the screen must say about the rest (a cut last line, lines left out).
import { events as eventSchemas, type AnyEvent, type EventName } from '../../shared/contract'
import type { Recording } from '../recording/reader'

export interface Timed {
  /** ms from the recording's start. */
  t: number
  event: AnyEvent
}

const isEventName = (name: string): name is EventName => Object.prototype.hasOwnProperty.call(eventSchemas, name)

export function playable(rec: Recording): { events: Timed[]; notices: string[] } {
  // A newer globehop's event kinds mean nothing to this renderer: left out, and said so.
  const events = rec.events.filter((e) => isEventName(e.event.name)).map((e) => ({ t: e.t, event: e.event as AnyEvent }))
  const unknown = rec.events.length - events.length
  const notices = [
    ...(rec.warning ? [rec.warning] : []),
    ...(rec.skipped.length ? [`${rec.skipped.length} recorded event(s) broke the contract and are left out (first: ${rec.skipped[0]})`] : []),
    ...(unknown ? [`${unknown} recorded event(s) of a kind this globehop does not know are left out`] : []),
  ]
  return { events, notices }
}

/** Each hop's first event (a step or its result), in the order hops began. */
export function hopStarts(events: Timed[]): number[] {
  const seen = new Set<string>()
  const starts: number[] = []
  events.forEach((e, i) => {
    const id = e.event.name === 'step' || e.event.name === 'hop' ? e.event.payload.hopId : null
    if (id === null || seen.has(id)) return
    seen.add(id)
    starts.push(i)
  })
  return starts
}
