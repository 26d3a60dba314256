import { describe, expect, it } from 'vitest'
import { ProbeBook } from './probe-book'

const opts = { timeoutMs: 1000, lateWindowMs: 2000, maxSlots: 8 }

describe('ProbeBook reply matching', () => {
  it('matches replies that come back out of order by their slot, not by order', () => {
    const b = new ProbeBook(opts)
    const p0 = b.send(0)
    const p1 = b.send(50)
    const p2 = b.send(100)
    expect(new Set([p0.slot, p1.slot, p2.slot]).size).toBe(3)
    // p2's reply overtakes p0's and p1's.
    expect(b.reply(p2.slot, 130)).toMatchObject({ seq: 2, rttMs: 30, late: false })
    expect(b.reply(p0.slot, 140)).toMatchObject({ seq: 0, rttMs: 140, late: false })
    expect(b.reply(p1.slot, 200)).toMatchObject({ seq: 1, rttMs: 150, late: false })
  })

  it('a lost probe does not shift the matching of the next ones (no FIFO guess)', () => {
    const b = new ProbeBook(opts)
    const p0 = b.send(0)
    const p1 = b.send(50)
    // p0's reply never comes; p1's does.
    expect(b.reply(p1.slot, 90)).toMatchObject({ seq: 1, rttMs: 40 })
    expect(b.expire(1001)).toEqual([{ seq: 0, slot: p0.slot, sentMono: 0, rttMs: null, late: false, wasLost: false }])
  })

  it('a reply after the timeout is late, attached to its own probe, and says it was reported lost', () => {
    const b = new ProbeBook(opts)
    const p0 = b.send(0)
    expect(b.expire(1500)).toHaveLength(1)
    const p1 = b.send(1500)
    expect(p1.slot).not.toBe(p0.slot) // the quarantined port is not reused
    expect(b.reply(p0.slot, 2500)).toMatchObject({ seq: 0, rttMs: 2500, late: true, wasLost: true })
    expect(b.reply(p1.slot, 1540)).toMatchObject({ seq: 1, rttMs: 40, late: false })
  })

  it('a reply past the timeout but before expire ran is late, not lost', () => {
    const b = new ProbeBook(opts)
    const p = b.send(0)
    expect(b.reply(p.slot, 1200)).toMatchObject({ rttMs: 1200, late: true, wasLost: false })
    expect(b.expire(2000)).toEqual([])
  })

  it('ignores stray replies on a free slot and duplicates', () => {
    const b = new ProbeBook(opts)
    const p = b.send(0)
    expect(b.reply(p.slot, 10)).not.toBeNull()
    expect(b.reply(p.slot, 11)).toBeNull()
    expect(b.reply(99, 11)).toBeNull()
  })

  it('reuses answered slots: steady state needs about rtt*rate sockets', () => {
    const b = new ProbeBook(opts)
    // 20 Hz, 120 ms RTT for 10 s.
    const pending: Array<{ slot: number; at: number }> = []
    for (let t = 0; t < 10_000; t += 50) {
      while (pending.length && pending[0]!.at <= t) b.reply(pending.shift()!.slot, t)
      const p = b.send(t)
      pending.push({ slot: p.slot, at: t + 120 })
    }
    expect(b.slotCount).toBeLessThanOrEqual(4)
  })

  it('is bounded during a long outage: slots stay within maxSlots, overflowing probes evict the oldest', () => {
    const b = new ProbeBook({ timeoutMs: 1000, lateWindowMs: 2000, maxSlots: 10 })
    const lost: number[] = []
    for (let t = 0; t < 10_000; t += 50) {
      for (const s of b.expire(t)) lost.push(s.seq)
      const p = b.send(t)
      if (p.evicted) lost.push(p.evicted.seq)
    }
    expect(b.slotCount).toBe(10)
    // Every probe but the ones still pending at the end got reported lost exactly once.
    expect(new Set(lost).size).toBe(lost.length)
    expect(lost.length).toBeGreaterThan(180)
  })
})
