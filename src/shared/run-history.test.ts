import { describe, expect, it } from 'vitest'
import { HISTORY_LIMITS, RunHistorySchema, type AnyEvent, type EngineState, type HopResult, type ProbeSample, type StepEvent } from './contract'
import { Deque, emptyHistory, foldHistory, RunHistoryFold } from './run-history'

const T0 = 1_800_000_000_000
const ev = <E extends AnyEvent>(e: E): AnyEvent => e
const state = (currentHost: string): EngineState => ({
  version: 't',
  host: 'browser',
  tour: null,
  tourProblems: [],
  currentHost,
  nextHopIndex: 1,
  busy: 'idle',
  hopRunning: false,
  frozen: false,
  notices: [],
})
const step = (hopId: string, at: number, phase: StepEvent['phase'] = 'start'): AnyEvent => ({ name: 'step', payload: { hopId, step: 'checkpoint', phase, at } })
const hop = (hopId: string): HopResult => ({ hopId, from: 'a', to: 'b', mode: 'stop-and-copy', technique: 'x', ok: true, startedAt: T0, endedAt: T0 + 1, steps: [], containerOn: 'b' })
const log = (host: string, line: string): AnyEvent => ({ name: 'log', payload: { host, stream: 'stdout', line, at: T0 } })
/** n samples at 20 Hz from seq `from`. */
const probes = (from: number, n: number, rtt: number | null = 20): ProbeSample[] => Array.from({ length: n }, (_, k) => ({ seq: from + k, at: T0 + (from + k) * 50, rttMs: rtt }))
const probe = (samples: ProbeSample[], s: 'answering' | 'outage' = 'answering'): AnyEvent => ({ name: 'probe', payload: { samples, state: s, target: '198.51.100.100:26000' } })

describe('run history fold', () => {
  it('keeps the last state, preflight and server status', () => {
    const f = new RunHistoryFold()
    expect(f.snapshot()).toEqual(emptyHistory())
    f.apply(ev({ name: 'state', payload: state('a') }))
    f.apply(ev({ name: 'state', payload: state('b') }))
    const report = { ok: true, hosts: [], modes: [], floatingIpOwner: null, containerOn: 'b' }
    f.apply(ev({ name: 'preflight', payload: report }))
    const status = { at: T0, hostname: 'h', map: 'dm4', game: 'xonotic', clients: 1, bots: 1, maxClients: 8, players: [] }
    f.apply(ev({ name: 'serverStatus', payload: status }))
    const h = f.snapshot()
    expect(h.state?.currentHost).toBe('b')
    expect(h.preflight).toEqual(report)
    expect(h.serverStatus).toEqual(status)
    expect(RunHistorySchema.safeParse(h).success).toBe(true)
  })

  it('keeps the steps of the current hop only, capped, and every hop capped', () => {
    const f = new RunHistoryFold()
    f.apply(step('h1', T0))
    f.apply(step('h1', T0 + 1, 'end'))
    expect(f.steps()).toHaveLength(2)
    f.apply(step('h2', T0 + 2))
    expect(f.steps().map((s) => s.hopId)).toEqual(['h2'])
    for (let i = 0; i < HISTORY_LIMITS.steps + 20; i++) f.apply(step('h2', T0 + 10 + i, 'progress'))
    expect(f.steps()).toHaveLength(HISTORY_LIMITS.steps)
    expect(f.steps().at(-1)!.at).toBe(T0 + 10 + HISTORY_LIMITS.steps + 19)
    for (let i = 0; i < HISTORY_LIMITS.hops + 3; i++) f.apply(ev({ name: 'hop', payload: hop(`h${i}`) }))
    expect(f.hops()).toHaveLength(HISTORY_LIMITS.hops)
    expect(f.hops()[0]!.hopId).toBe('h3')
  })

  it('keeps the last log lines; an rsync progress redraw replaces the one before it on the same host', () => {
    const f = new RunHistoryFold()
    f.apply(log('a', '$ rsync ...'))
    f.apply(log('a', '   1,024  10%  1.00MB/s  0:00:09'))
    f.apply(log('b', '   9,999  50%  1.00MB/s  0:00:01'))
    f.apply(log('a', '   2,048  20%  1.00MB/s  0:00:08'))
    f.apply(log('a', '   4,096  40%  1.00MB/s  0:00:06'))
    expect(f.log().map((l) => `${l.host} ${l.line.trim().split(' ')[0]}`)).toEqual(['a $', 'a 1,024', 'b 9,999', 'a 4,096'])
    for (let i = 0; i < HISTORY_LIMITS.log + 5; i++) f.apply(log('a', `line ${i}`))
    expect(f.log()).toHaveLength(HISTORY_LIMITS.log)
    expect(f.log()[0]!.line).toBe('line 5')
    expect(f.logStart).toBe(4 + 5)
  })

  it('one outage per startAt (the end updates it), capped', () => {
    const f = new RunHistoryFold()
    f.apply(ev({ name: 'outage', payload: { startAt: T0, endAt: null, probesLost: 3, hopId: 'h1' } }))
    f.apply(ev({ name: 'outage', payload: { startAt: T0, endAt: T0 + 900, probesLost: 18, hopId: 'h1' } }))
    expect(f.outages()).toEqual([{ startAt: T0, endAt: T0 + 900, probesLost: 18, hopId: 'h1' }])
    for (let i = 1; i <= HISTORY_LIMITS.outages; i++) f.apply(ev({ name: 'outage', payload: { startAt: T0 + i * 1000, endAt: T0 + i * 1000 + 100, probesLost: 2, hopId: null } }))
    expect(f.outages()).toHaveLength(HISTORY_LIMITS.outages)
    expect(f.outages()[0]!.startAt).toBe(T0 + 1000)
  })

  it('keeps 10 minutes of samples by send time, the probe state and target, and the latest timely RTT', () => {
    const f = new RunHistoryFold()
    const tenMin = HISTORY_LIMITS.probeWindowMs / 50
    for (let q = 0; q < tenMin + 2000; q += 4) f.apply(probe(probes(q, 4, 10 + (q % 7))))
    const h = f.snapshot()
    expect(h.probe.samples).toHaveLength(tenMin + 1)
    expect(h.probe.samples[0]!.seq).toBe(2000 - 1)
    expect(h.probe.samples.at(-1)!.seq).toBe(tenMin + 1999)
    expect(h.probe).toMatchObject({ state: 'answering', target: '198.51.100.100:26000' })
    expect(f.probe.latest).toMatchObject({ seq: tenMin + 1999 })
    f.apply(probe([], 'outage'))
    expect(f.probe.state).toBe('outage')
  })

  it('a late reply replaces its lost sample (same seq), and does not become the latest RTT', () => {
    const f = new RunHistoryFold()
    f.apply(probe([...probes(0, 2), { seq: 2, at: T0 + 100, rttMs: null }, ...probes(3, 2)]))
    f.apply(probe([{ seq: 2, at: T0 + 100, rttMs: 1500, late: true }]))
    expect(f.samples().map((s) => s.rttMs)).toEqual([20, 20, 1500, 20, 20])
    expect(f.samples()[2]!.late).toBe(true)
    expect(f.probe.latest).toMatchObject({ seq: 4, rttMs: 20 })
    // A late reply whose lost sample is gone is kept as a sample of its own.
    f.apply(probe([{ seq: 1, at: T0 + 50, rttMs: 900, late: true }]))
    expect(f.samples()).toHaveLength(6)
  })

  it('a hard cap holds even when send times do not advance', () => {
    const f = new RunHistoryFold()
    const flat = Array.from({ length: HISTORY_LIMITS.samples + 50 }, (_, k) => ({ seq: k, at: T0, rttMs: 5 }))
    f.apply(probe(flat))
    expect(f.sampleCount).toBe(HISTORY_LIMITS.samples)
    expect(f.samples()[0]!.seq).toBe(50)
  })

  it('a history event replaces everything; reset empties', () => {
    const f = new RunHistoryFold()
    f.apply(probe(probes(0, 10)))
    f.apply(log('a', 'old'))
    f.apply(step('h1', T0))
    const other = new RunHistoryFold()
    other.apply(ev({ name: 'state', payload: state('z') }))
    other.apply(probe(probes(100, 3, null), 'outage'))
    f.apply(ev({ name: 'history', payload: other.snapshot() }))
    expect(f.snapshot()).toEqual(other.snapshot())
    expect(f.log()).toEqual([])
    expect(f.steps()).toEqual([])
    // The replaced fold goes on from there: late replies still find their lost probes.
    f.apply(probe([{ seq: 101, at: T0 + 101 * 50, rttMs: 1200, late: true }]))
    expect(f.samples().map((s) => s.rttMs)).toEqual([null, 1200, null])
    f.reset()
    expect(f.snapshot()).toEqual(emptyHistory())
  })

  it('snapshots share what did not change and are never mutated afterwards', () => {
    const f = new RunHistoryFold()
    f.apply(log('a', 'one'))
    f.apply(probe(probes(0, 4)))
    const a = f.snapshot()
    expect(f.snapshot()).toBe(a)
    f.apply(probe(probes(4, 4)))
    const b = f.snapshot()
    expect(b.log).toBe(a.log)
    expect(b.probe.samples).not.toBe(a.probe.samples)
    expect(a.probe.samples).toHaveLength(4)
    expect(b.probe.samples).toHaveLength(8)
  })

  it('foldHistory: the same fold as a pure function', () => {
    const h = foldHistory(foldHistory(emptyHistory(), log('a', 'x')), probe(probes(0, 2)))
    expect(h.log).toHaveLength(1)
    expect(h.probe.samples).toHaveLength(2)
  })
})

describe('Deque', () => {
  it('keeps absolute indices across compaction', () => {
    const d = new Deque<number>()
    const idx: number[] = []
    for (let i = 0; i < 5000; i++) idx.push(d.push(i))
    for (let i = 0; i < 4000; i++) expect(d.shift()).toBe(i)
    expect(d.length).toBe(1000)
    expect(d.start).toBe(4000)
    expect(d.get(idx[3999]!)).toBeUndefined()
    expect(d.get(idx[4500]!)).toBe(4500)
    d.set(idx[4500]!, -1)
    expect(d.toArray()[500]).toBe(-1)
    expect(d.findLast((x) => x === 4999)).toBe(4999)
  })
})
