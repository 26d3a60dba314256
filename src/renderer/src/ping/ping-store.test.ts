import { describe, expect, it } from 'vitest'
import type { ProbeSample } from '../../../shared/contract'
import { OVERVIEW_BUCKETS, Overview, PingStore, WINDOW_SLOTS } from './ping-store'

const T0 = 1_800_000_000_000
const batch = (samples: ProbeSample[], state: 'answering' | 'outage' = 'answering') => ({ samples, state, target: '198.51.100.100:26000' })

/** n probes at 20 Hz from seq `from`, RTT `rtt`, lost where `lost(seq)`. */
function probes(from: number, n: number, rtt: number, lost: (seq: number) => boolean = () => false): ProbeSample[] {
  return Array.from({ length: n }, (_, k) => ({ seq: from + k, at: T0 + (from + k) * 50, rttMs: lost(from + k) ? null : rtt }))
}

describe('PingStore window', () => {
  it('returns the last 60 s in send order with lost probes apart', () => {
    const s = new PingStore()
    s.addProbe(batch(probes(0, 2000, 20, (q) => q % 100 === 0)))
    const w = s.window(T0 + 2000 * 50, 60_000)
    expect(w.x.length).toBe(1200)
    expect(w.rtt.filter((r) => r === null)).toHaveLength(12)
    expect(w.x.every((x, i) => i === 0 || x > w.x[i - 1]!)).toBe(true)
    expect(w.lost).toHaveLength(12)
    expect(w.rtt.every((r) => r === 20 || r === null)).toBe(true)
    expect(s.points).toBe(2000)
    expect(s.current).toMatchObject({ rttMs: 20, seq: 1999 })
  })

  it('keeps x ascending when samples settle out of order, and a late reply replaces its lost sample', () => {
    const s = new PingStore()
    s.addProbe(batch([{ seq: 1, at: T0 + 50, rttMs: 10 }, { seq: 2, at: T0 + 100, rttMs: 11 }]))
    s.addProbe(batch([{ seq: 0, at: T0, rttMs: null }])) // timed out after 1 and 2 replied
    let w = s.window(T0 + 200, 60_000)
    expect(w.x).toEqual([T0 / 1000, (T0 + 50) / 1000, (T0 + 100) / 1000])
    expect(w.rtt).toEqual([null, 10, 11])
    expect(w.lost).toEqual([T0])
    s.addProbe(batch([{ seq: 0, at: T0, rttMs: 1500, late: true }]))
    w = s.window(T0 + 200, 60_000)
    expect(w.lost).toEqual([])
    expect(w.x[0]).toBe(T0 / 1000)
    expect(w.late[0]).toBe(1500)
    expect(w.rtt[0]).toBeNull()
    expect(w.maxTimelyRtt).toBe(11)
    expect(s.overview.lost[0]).toBe(0)
  })

  it('a restarted prober (seq back to 0, later times) starts a fresh window', () => {
    const s = new PingStore()
    s.addProbe(batch(probes(0, 500, 20)))
    s.addProbe(batch([{ seq: 0, at: T0 + 100_000, rttMs: 30 }]))
    const w = s.window(T0 + 100_050, 60_000)
    expect(w.rtt).toEqual([30])
    expect(s.current?.rttMs).toBe(30)
  })

  it('an hour at 20 Hz stays within the ring and the overview; memory does not grow', () => {
    const s = new PingStore()
    const before = s.bytes()
    for (let k = 0; k < 72_000; k += 1000) s.addProbe(batch(probes(k, 1000, 20 + (k % 7))))
    expect(s.bytes()).toBe(before)
    expect(s.points).toBe(72_000)
    const w = s.window(T0 + 72_000 * 50, 60_000)
    expect(w.x).toHaveLength(1200)
    const o = s.overview.series()
    expect(o.x.length).toBeLessThanOrEqual(OVERVIEW_BUCKETS)
    expect(o.x.length).toBeGreaterThan(OVERVIEW_BUCKETS / 4)
    // Every reply is still accounted for in the overview.
    expect(Array.from(s.overview.n.subarray(0, s.overview.used)).reduce((a, b) => a + b, 0)).toBe(72_000)
    expect(WINDOW_SLOTS).toBeGreaterThanOrEqual(60 * 50)
  })

  it('steps become bands, frozen ones flagged; outages keyed by start so the end updates the start', () => {
    const s = new PingStore()
    s.addStep({ hopId: 'h', step: 'checkpoint', phase: 'start', at: T0, frozen: true })
    s.addStep({ hopId: 'h', step: 'transfer', phase: 'start', at: T0 + 10 })
    s.addStep({ hopId: 'h', step: 'checkpoint', phase: 'end', at: T0 + 500, frozen: true })
    expect(s.steps).toEqual([
      { hopId: 'h', step: 'checkpoint', iteration: undefined, start: T0, end: T0 + 500, frozen: true },
      { hopId: 'h', step: 'transfer', iteration: undefined, start: T0 + 10, end: null, frozen: false },
    ])
    s.addOutage({ startAt: T0 + 5, endAt: null, probesLost: 0, hopId: 'h' })
    expect(s.openOutage()?.startAt).toBe(T0 + 5)
    s.addOutage({ startAt: T0 + 5, endAt: T0 + 900, probesLost: 17, hopId: 'h' })
    expect(s.outages.size).toBe(1)
    expect(s.openOutage()).toBeNull()
    s.addHop({ hopId: 'h', from: 'a', to: 'b', mode: 'stop-and-copy', technique: 't', ok: true, startedAt: T0, endedAt: T0 + 1000, steps: [], containerOn: 'b' })
    expect(s.steps[1]!.end).toBe(T0 + 1000)
  })
})

describe('Overview decimation', () => {
  it('halves resolution when full and keeps min/max/mean right', () => {
    const o = new Overview(1000)
    for (let sec = 0; sec < OVERVIEW_BUCKETS; sec++) o.addRtt(T0 + sec * 1000, sec % 2 ? 30 : 10)
    expect(o.bucketMs).toBe(1000)
    o.addRtt(T0 + OVERVIEW_BUCKETS * 1000, 50)
    expect(o.bucketMs).toBe(2000)
    expect(o.used).toBe(OVERVIEW_BUCKETS / 2 + 1)
    expect([o.min[0], o.max[0], o.sum[0]! / o.n[0]!]).toEqual([10, 30, 20])
    const s = o.series()
    expect(s.x[1]! - s.x[0]!).toBe(2)
    expect(s.max.at(-1)).toBe(50)
  })
})
