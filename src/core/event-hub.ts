// Contract events to any number of listeners (UI clients, a recording). One broken listener must
// not starve the others, nor throw into whatever emitted the event (the prober's timer, a hop step,
// the replay's timeline): its failure is logged under the hub's name and the rest still get it.
import type { AnyEvent } from '../shared/contract'

export type EventListener = (event: AnyEvent) => void

export class EventHub {
  private readonly listeners = new Set<EventListener>()

  /** `who` names the hub in the log line when a listener throws (e.g. "engine", "replay"). */
  constructor(private readonly who: string) {}

  /** Returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  publish(event: AnyEvent): void {
    for (const l of this.listeners) {
      try {
        l(event)
      } catch (err) {
        console.error(`${this.who}: a "${event.name}" event listener failed: ${(err as Error).message}`)
      }
    }
  }

  clear(): void {
    this.listeners.clear()
  }
}
