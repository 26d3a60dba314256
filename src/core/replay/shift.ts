// A replay moves the recorded run in time, nothing else: every epoch-ms field of an event is moved
// by the same amount, so the page's clock (the ping graph's window, the outage timer) meets the
// samples where a live run would put them, and every duration the screen computes from two times
// stays what was recorded. Figures (elapsedMs, rttMs, downtimeMs, CRIU times) are never touched.
import type { AnyEvent, HopResult, Outage, ProbeSample, RunHistory, StepEvent } from '../../shared/contract'

const step = (s: StepEvent, by: number): StepEvent => ({ ...s, at: s.at + by })
const sample = (s: ProbeSample, by: number): ProbeSample => ({ ...s, at: s.at + by })
const outage = (o: Outage, by: number): Outage => ({ ...o, startAt: o.startAt + by, endAt: o.endAt === null ? null : o.endAt + by })
const hop = (h: HopResult, by: number): HopResult => ({ ...h, startedAt: h.startedAt + by, endedAt: h.endedAt + by })

export function shiftHistory(h: RunHistory, by: number): RunHistory {
  if (by === 0) return h
  return {
    ...h,
    hops: h.hops.map((x) => hop(x, by)),
    steps: h.steps.map((x) => step(x, by)),
    log: h.log.map((x) => ({ ...x, at: x.at + by })),
    probe: { ...h.probe, samples: h.probe.samples.map((x) => sample(x, by)) },
    outages: h.outages.map((x) => outage(x, by)),
    serverStatus: h.serverStatus && { ...h.serverStatus, at: h.serverStatus.at + by },
  }
}

/** The event with its times moved by `by` ms; events without times come back as they are. */
export function shiftEvent(e: AnyEvent, by: number): AnyEvent {
  if (by === 0) return e
  switch (e.name) {
    case 'step':
      return { name: e.name, payload: step(e.payload, by) }
    case 'hop':
      return { name: e.name, payload: hop(e.payload, by) }
    case 'outage':
      return { name: e.name, payload: outage(e.payload, by) }
    case 'probe':
      return { name: e.name, payload: { ...e.payload, samples: e.payload.samples.map((x) => sample(x, by)) } }
    case 'log':
      return { name: e.name, payload: { ...e.payload, at: e.payload.at + by } }
    case 'serverStatus':
      return { name: e.name, payload: { ...e.payload, at: e.payload.at + by } }
    case 'history':
      return { name: e.name, payload: shiftHistory(e.payload, by) }
    case 'state':
    case 'preflight':
      return e
  }
}
