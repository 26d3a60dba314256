import { describe, expect, it } from 'vitest'
import type { ServerStatus } from '../../shared/contract'
import { HopLedger, median } from './hop-ledger'

function status(frags: number[]): ServerStatus {
  return {
    at: 0, hostname: 'h', map: 'dieselpower', game: 'Nexuiz', clients: frags.length, bots: frags.length, maxClients: 8,
    players: frags.map((f, i) => ({ name: `b${i}`, frags: f, ping: 0, bot: true })),
  }
}

/** A probe every 50 ms; RTT from `rtt(t)`, none while `down(t)`; status every 1000 ms from `st(t)`. */
function run(l: HopLedger, from: number, to: number, o: { rtt: (t: number) => number; down: (t: number) => boolean; st?: (t: number) => ServerStatus }) {
  for (let t = from; t < to; t += 50) {
    if (o.down(t)) l.lost(t)
    else l.reply(t + o.rtt(t), t, o.rtt(t), false, false)
    if (o.st && t % 1000 === 0 && !o.down(t)) l.status(o.st(t), t + o.rtt(t))
  }
}

describe('HopLedger (per-hop client view)', () => {
  it('downtime, probes lost, RTT before/after across a move from a near to a far host', () => {
    const l = new HopLedger()
    const rtt = (t: number) => (t < 5000 ? 15 : 283)
    const down = (t: number) => t >= 4000 && t < 5000
    const st = (t: number) => status([Math.floor(t / 1000), 2])
    run(l, 0, 3000, { rtt, down, st })
    l.begin('h1', 3000)
    run(l, 3000, 6000, { rtt, down, st })
    l.end(6000)
    run(l, 6000, 8000, { rtt, down, st })
    const v = l.view('h1', 8000)
    expect(v.rttBeforeMs).toBe(15)
    expect(v.rttAfterMs).toBe(283)
    expect(v.probesLost).toBe(20)
    // Last reply before: probe at 3950 arrives 3965; first after: probe at 5000 arrives 5283.
    expect(v.downtimeMs).toBeCloseTo(5283 - 3965, 6)
    expect(v.stateCarried).toBe(true)
  })

  it('state reset detected when frags come back at zero', () => {
    const l = new HopLedger()
    const down = (t: number) => t >= 4000 && t < 5000
    const st = (t: number) => (t < 4000 ? status([7, 3]) : status([0, 0]))
    run(l, 0, 3000, { rtt: () => 20, down, st })
    l.begin('h', 3000)
    run(l, 3000, 7000, { rtt: () => 20, down, st })
    l.end(7000)
    expect(l.view('h', 7000).stateCarried).toBe(false)
  })

  it('late replies are not lost and do not count into RTT', () => {
    const l = new HopLedger()
    run(l, 0, 1000, { rtt: () => 10, down: () => false })
    l.begin('h', 1000)
    l.lost(1000)
    l.reply(3000, 1000, 2000, true, true)
    run(l, 3000, 4000, { rtt: () => 12, down: () => false })
    l.end(4000)
    const v = l.view('h', 4000)
    expect(v.probesLost).toBe(0)
    expect(v.rttAfterMs).toBe(12)
    expect(v.downtimeMs).toBeCloseTo(3000 - 960, 6)
  })

  it('a hop that ends while the server is still silent reports the silence so far', () => {
    const l = new HopLedger()
    run(l, 0, 1000, { rtt: () => 10, down: () => false })
    l.begin('h', 1000)
    l.end(2000)
    const v = l.view('h', 5000)
    expect(v.downtimeMs).toBeCloseTo(5000 - 960, 6)
    expect(v.rttAfterMs).toBeNull()
  })

  it('an unknown hop or a prober that never got a reply: nothing to report', () => {
    const l = new HopLedger()
    expect(l.view('nope', 0)).toEqual({ downtimeMs: null, probesLost: 0, rttBeforeMs: null, rttAfterMs: null, stateCarried: null })
    l.begin('h', 0)
    l.lost(10)
    expect(l.view('h', 2000)).toMatchObject({ downtimeMs: null, probesLost: 1, rttBeforeMs: null })
  })

  it('median', () => {
    expect(median([])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
  })
})
