import { describe, expect, it } from 'vitest'
import type { EngineState, HopResult, StepEvent } from '../../../shared/contract'
import { headline, outageElapsed, outageWindow } from './hop-figures'
import { hopCount, nextPress, nextPressText, tourStops } from './tour-progress'

const HOPS = ['stuttgart', 'strasbourg', 'montreal', 'singapore', 'strasbourg']
const label = (h: string) => h[0]!.toUpperCase() + h.slice(1)

function state(p: Partial<EngineState> = {}): EngineState {
  return {
    version: '0',
    host: 'browser',
    tour: {
      file: 't.yaml',
      name: 't',
      hosts: [...new Set(HOPS)].map((name) => ({ name, label: label(name), lat: 0, lon: 0, address: 'x', conn: 'idle' as const })),
      hops: HOPS,
      containerId: 'c',
      floatingIp: '1.2.3.4',
      gamePort: 1,
      mode: 'auto',
      probeHz: 20,
    },
    tourProblems: [],
    currentHost: 'stuttgart',
    nextHopIndex: 1,
    busy: 'idle',
    hopRunning: false,
    frozen: false,
    notices: [],
    ...p,
  }
}

function hop(from: string, to: string, p: Partial<HopResult> = {}): HopResult {
  return {
    hopId: `${from}-${to}`,
    from,
    to,
    mode: 'pre-copy',
    technique: 'pre-copy (rsync delta)',
    ok: true,
    startedAt: 0,
    endedAt: 1,
    steps: [],
    wireBytes: 21 * (1 << 20),
    client: { downtimeMs: 840, probesLost: 3, rttBeforeMs: 10, rttAfterMs: 50, stateCarried: true },
    containerOn: to,
    ...p,
  }
}

const step = (s: Partial<StepEvent> & Pick<StepEvent, 'step' | 'phase' | 'at'>): StepEvent => ({ hopId: 'h1', ...s })

describe('nextPress', () => {
  it('starts the next hop when idle, nexts a waiting step-mode tour', () => {
    expect(nextPress(state())).toEqual({ kind: 'hop', to: 'strasbourg' })
    expect(nextPress(state({ busy: 'tour', nextHopIndex: 2, currentHost: 'strasbourg' }))).toEqual({ kind: 'next', to: 'montreal' })
  })

  it('does nothing while a hop runs, or while the press is on its way', () => {
    expect(nextPress(state({ busy: 'tour', hopRunning: true })).kind).toBe('running')
    expect(nextPress(state({ busy: 'hop' })).kind).toBe('running')
    expect(nextPress(state(), true).kind).toBe('running')
    expect(nextPress(state({ busy: 'preflight' })).kind).toBe('preflight')
  })

  it('says when the tour is done or missing', () => {
    expect(nextPress(state({ nextHopIndex: null, currentHost: 'strasbourg' })).kind).toBe('done')
    expect(nextPress(state({ tour: null })).kind).toBe('no-tour')
    expect(nextPress(null).kind).toBe('no-tour')
  })

  it('tells the presenter in words', () => {
    expect(nextPressText(nextPress(state({ nextHopIndex: 2 })), label)).toBe('→ hop to Montreal')
    expect(nextPressText({ kind: 'running' }, label)).toBe('a hop is running')
    expect(nextPressText({ kind: 'done' }, label)).toBe('tour done')
  })
})

describe('tourStops', () => {
  it('marks done, current and next with the downtime of the hop that reached each stop', () => {
    const hops = [hop('stuttgart', 'strasbourg', { client: { downtimeMs: 500, probesLost: 1, rttBeforeMs: 1, rttAfterMs: 1, stateCarried: true } }), hop('strasbourg', 'montreal')]
    const stops = tourStops(state({ nextHopIndex: 3, currentHost: 'montreal' }), hops)
    expect(stops.map((s) => s.status)).toEqual(['done', 'done', 'current', 'next', 'later'])
    expect(stops.map((s) => s.downtimeMs)).toEqual([null, 500, 840, null, null])
  })

  it('tells the two visits of Strasbourg apart by where the hop came from', () => {
    const hops = [hop('stuttgart', 'strasbourg', { client: { downtimeMs: 111, probesLost: 0, rttBeforeMs: 1, rttAfterMs: 1, stateCarried: true } }), hop('strasbourg', 'montreal'), hop('montreal', 'singapore'), hop('singapore', 'strasbourg', { client: { downtimeMs: 999, probesLost: 0, rttBeforeMs: 1, rttAfterMs: 1, stateCarried: true } })]
    const stops = tourStops(state({ nextHopIndex: null, currentHost: 'strasbourg' }), hops)
    expect(stops.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'current'])
    expect(stops[1]!.downtimeMs).toBe(111)
    expect(stops[4]!.downtimeMs).toBe(999)
  })

  it('shows the stop under way as travelling and a failed try on the next stop', () => {
    expect(tourStops(state({ busy: 'hop', hopRunning: true }), [])[1]).toMatchObject({ status: 'next', travelling: true })
    const failed = tourStops(state(), [hop('stuttgart', 'strasbourg', { ok: false, error: 'restore failed', containerOn: 'stuttgart' })])
    expect(failed[1]).toMatchObject({ status: 'next', failed: 'restore failed', downtimeMs: null })
    expect(failed[0]!.status).toBe('current')
  })

  it('has no current stop when the game is where the tour does not expect it', () => {
    expect(tourStops(state({ nextHopIndex: null, currentHost: 'montreal' }), []).every((s) => s.status === 'later')).toBe(true)
  })
})

describe('hopCount', () => {
  it('counts hops, not stops', () => {
    expect(hopCount(state())).toEqual({ n: 1, of: 4, done: false })
    expect(hopCount(state({ nextHopIndex: 2 }))).toEqual({ n: 2, of: 4, done: false })
    expect(hopCount(state({ nextHopIndex: null }))).toEqual({ n: 4, of: 4, done: true })
    expect(hopCount(state({ tour: null }))).toBeNull()
  })
})

describe('outageWindow', () => {
  it('starts at the final freeze (not a pre-copy snapshot) and runs while the hop does', () => {
    const steps = [step({ step: 'snapshot', phase: 'start', at: 100, frozen: true }), step({ step: 'checkpoint', phase: 'start', at: 1000, frozen: true }), step({ step: 'transfer', phase: 'progress', at: 1300 })]
    const w = outageWindow(steps, true)
    expect(w).toEqual({ startAt: 1000, endAt: null })
    expect(outageElapsed(w!, 1750)).toBe(750)
  })

  it('stops when the restore is done', () => {
    const steps = [step({ step: 'checkpoint', phase: 'start', at: 1000 }), step({ step: 'restore', phase: 'end', at: 1840 }), step({ step: 'verify', phase: 'end', at: 3000 })]
    const w = outageWindow(steps, true)!
    expect(w.endAt).toBe(1840)
    expect(outageElapsed(w, 99_999)).toBe(840)
  })

  it('after a failed restore, runs until the rollback ends', () => {
    const steps = [step({ step: 'checkpoint', phase: 'start', at: 1000 }), step({ step: 'restore', phase: 'fail', at: 1500 }), step({ step: 'rollback', phase: 'start', at: 1510 })]
    expect(outageWindow(steps, true)).toEqual({ startAt: 1000, endAt: null })
    expect(outageWindow([...steps, step({ step: 'rollback', phase: 'end', at: 2500 })], false)).toEqual({ startAt: 1000, endAt: 2500 })
  })

  it('is null before the freeze, and ends at the last event of a hop that stopped otherwise', () => {
    expect(outageWindow([step({ step: 'preflight', phase: 'start', at: 1 })], true)).toBeNull()
    expect(outageWindow([step({ step: 'checkpoint', phase: 'start', at: 10 }), step({ step: 'checkpoint', phase: 'fail', at: 40 })], false)).toEqual({ startAt: 10, endAt: 40 })
    expect(outageElapsed({ startAt: 10, endAt: null }, 5)).toBe(0)
  })
})

describe('headline', () => {
  it('gives downtime, what moved and how', () => {
    expect(headline(hop('stuttgart', 'strasbourg'), label)).toEqual({
      route: 'Stuttgart → Strasbourg',
      ok: true,
      downtime: '840 ms',
      moved: '21.0 MiB on the wire',
      technique: 'pre-copy (rsync delta)',
      outcome: null,
    })
  })

  it('says where the game is after a failure and what was not measured', () => {
    const h = headline(hop('stuttgart', 'strasbourg', { ok: false, client: undefined, wireBytes: undefined, containerOn: 'stuttgart' }), label)
    expect(h).toMatchObject({ downtime: 'not measured', moved: 'size not measured', outcome: 'failed; the game stayed on Stuttgart' })
  })
})
