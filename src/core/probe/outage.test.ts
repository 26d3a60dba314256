import { describe, expect, it } from 'vitest'
import type { Outage } from '../../shared/contract'
import { OutageTracker } from './outage'

const EPOCH = 1_700_000_000_000
function tracker() {
  return new OutageTracker({ outageAfterMs: 250, silentAfterMs: 2500, timeoutMs: 1000, toEpoch: (m) => EPOCH + m })
}

/**
 * Drives a tracker like the prober does: a probe every 50 ms, answered after `rtt` unless the
 * server is down at that moment; lost probes time out after 1000 ms. Returns emitted outages.
 */
function simulate(t: OutageTracker, opts: { until: number; rtt: number; down: (at: number) => boolean; hops?: Array<[number, string | null]> }) {
  const out: Outage[] = []
  const inflight: Array<{ sent: number; arrive: number | null }> = []
  const hops = [...(opts.hops ?? [])]
  t.start(0)
  for (let now = 0; now <= opts.until; now += 5) {
    while (hops.length && hops[0]![0] <= now) t.setHop(hops.shift()![1])
    if (now % 50 === 0) inflight.push({ sent: now, arrive: opts.down(now + opts.rtt / 2) ? null : now + opts.rtt })
    for (let i = inflight.length - 1; i >= 0; i--) {
      const p = inflight[i]!
      if (p.arrive !== null && p.arrive <= now) { t.reply(now, p.sent); inflight.splice(i, 1) }
      else if (p.arrive === null && now - p.sent > 1000) { t.lost(p.sent); inflight.splice(i, 1) }
    }
    out.push(...t.tick(now))
  }
  return out
}

describe('OutageTracker', () => {
  it('no outage while replies flow, state answering', () => {
    const t = tracker()
    expect(simulate(t, { until: 5000, rtt: 40, down: () => false })).toEqual([])
    expect(t.state).toBe('answering')
  })

  it('a 2 s gap: reported at start (endAt null) and at end with the reply gap as its length', () => {
    const t = tracker()
    const out = simulate(t, { until: 6000, rtt: 40, down: (at) => at >= 2000 && at < 4000 })
    expect(out).toHaveLength(2)
    const [start, end] = out as [Outage, Outage]
    expect(start.endAt).toBeNull()
    expect(end.startAt).toBe(start.startAt)
    const len = end.endAt! - end.startAt
    // The true gap is 2000 ms; replies are 50 ms apart, so the measured gap is within one interval.
    expect(Math.abs(len - 2000)).toBeLessThanOrEqual(50)
    // 2 s at 20 Hz: 40 probes unanswered.
    expect(end.probesLost).toBeGreaterThanOrEqual(39)
    expect(end.probesLost).toBeLessThanOrEqual(41)
    expect(t.state).toBe('answering')
  })

  it('is in state outage during the gap', () => {
    const t = tracker()
    simulate(t, { until: 3000, rtt: 40, down: (at) => at >= 2000 })
    expect(t.state).toBe('outage')
  })

  it('a single lost probe is not an outage', () => {
    const t = tracker()
    expect(simulate(t, { until: 4000, rtt: 40, down: (at) => at >= 1000 && at < 1050 })).toEqual([])
  })

  it('never answered: silent, not an outage', () => {
    const t = tracker()
    expect(simulate(t, { until: 1000, rtt: 40, down: () => true })).toEqual([])
    expect(t.state).toBe('probing')
    expect(simulate(t, { until: 4000, rtt: 40, down: () => true })).toEqual([])
    expect(t.state).toBe('silent')
  })

  it.each([
    [true, 0],
    [false, 20], // probes sent 1050..2000 timed out before 3010
  ])('late replies (queued while frozen) end the outage; reported late: %s -> lost %i', (reportLate, lostExpected) => {
    const t = tracker()
    t.start(0)
    const out: Outage[] = []
    for (let s = 0; s <= 1000; s += 50) t.reply(s + 10, s)
    // Frozen from 1010 to 3010: probes 1050..3000 are queued by the kernel and answered at 3010.
    // Those sent before 2010 time out first (reported lost), then turn out late.
    for (let now = 1015; now < 3010; now += 5) {
      if (now % 50 === 0 && now - 1000 >= 1050) t.lost(now - 1000)
      out.push(...t.tick(now))
    }
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ endAt: null })
    for (let s = 1050; s <= 3000; s += 50) {
      if (reportLate && s + 1000 < 3010) t.unlost(s)
      t.reply(3010, s)
    }
    // Normal replies again; the end is reported once every probe sent during the gap settled.
    for (let now = 3015; now <= 4100; now += 5) {
      if (now % 50 === 10) t.reply(now, now - 10)
      out.push(...t.tick(now))
    }
    expect(out).toHaveLength(2)
    expect(out[1]).toMatchObject({ startAt: EPOCH + 1010, endAt: EPOCH + 3010, probesLost: lostExpected })
  })

  it('attributes an outage to the hop running when it starts', () => {
    const t = tracker()
    const out = simulate(t, { until: 6000, rtt: 40, down: (at) => at >= 2000 && at < 3000, hops: [[1500, 'hop-1'], [4000, null]] })
    expect(out.map((o) => o.hopId)).toEqual(['hop-1', 'hop-1'])
  })

  it('an outage already running when a hop starts is that hop\'s; none outside hops', () => {
    const t = tracker()
    const out = simulate(t, {
      until: 9000, rtt: 40,
      down: (at) => (at >= 1000 && at < 2000) || (at >= 5000 && at < 6000),
      hops: [[1500, 'hop-2'], [3000, null]],
    })
    // Detected before the hop began: the start report has no hop, the end report names it.
    expect(out.map((o) => o.hopId)).toEqual([null, 'hop-2', null, null])
  })
})
