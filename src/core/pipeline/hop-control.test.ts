import { describe, expect, it } from 'vitest'
import { HopControl } from './hop-control'

describe('HopControl', () => {
  it('claim marks the activity, release makes it idle again', () => {
    const c = new HopControl()
    expect(c.busy).toBe('idle')
    c.claim('hop')
    expect(c.busy).toBe('hop')
    c.release()
    expect(c.busy).toBe('idle')
    c.claim('tour')
    expect(c.busy).toBe('tour')
  })

  it('one at a time: a second claim throws and leaves the first in place', () => {
    const c = new HopControl()
    c.claim('tour')
    expect(() => c.claim('hop')).toThrow(/busy with a tour: one at a time/)
    expect(() => c.claim('preflight')).toThrow(/busy with a tour/)
    expect(c.busy).toBe('tour')
  })

  it('stop before the freeze aborts the signal at once and says cancelled', () => {
    const c = new HopControl()
    c.claim('hop')
    const signal = c.signal
    expect(signal.aborted).toBe(false)
    const o = c.stop()
    expect(o).toMatchObject({ cancelled: true, deferred: false, detail: expect.stringMatching(/before the freeze; the container stays on the source/) })
    expect(signal.aborted).toBe(true)
    expect(c.stopRequested).toBe(true)
  })

  it('stop of a tour says the tour stopped', () => {
    const c = new HopControl()
    c.claim('tour')
    expect(c.stop()).toMatchObject({ cancelled: true, detail: expect.stringMatching(/tour stopped/) })
  })

  it('stop while frozen is deferred: the signal stays, the request is kept', () => {
    const c = new HopControl()
    c.claim('hop')
    c.freeze()
    expect(c.frozen).toBe(true)
    const o = c.stop()
    expect(o).toMatchObject({ cancelled: false, deferred: true, detail: expect.stringMatching(/frozen/) })
    expect(c.signal.aborted).toBe(false)
    expect(c.stopRequested).toBe(true)
    // Once thawed, the hop's owner sees the request and starts nothing new.
    c.thaw()
    expect(c.frozen).toBe(false)
    expect(c.stopRequested).toBe(true)
    expect(c.signal.aborted).toBe(false)
  })

  it('stop when idle cancels nothing and asks nothing', () => {
    const c = new HopControl()
    expect(c.stop()).toEqual({ cancelled: false, deferred: false, detail: 'nothing to cancel' })
    expect(c.stopRequested).toBe(false)
    expect(c.signal.aborted).toBe(false)
  })

  it('a new claim starts with a fresh signal and no stop request', () => {
    const c = new HopControl()
    c.claim('hop')
    c.stop()
    const old = c.signal
    c.release()
    c.claim('hop')
    expect(old.aborted).toBe(true)
    expect(c.signal.aborted).toBe(false)
    expect(c.stopRequested).toBe(false)
  })

  it('release clears the frozen flag', () => {
    const c = new HopControl()
    c.claim('hop')
    c.freeze()
    c.release()
    expect(c.frozen).toBe(false)
  })

  it('idle() resolves at once when idle, and on release otherwise', async () => {
    const c = new HopControl()
    await c.idle()
    c.claim('hop')
    let done = false
    const p = c.idle().then(() => (done = true))
    const q = c.idle()
    await new Promise((r) => setTimeout(r, 10))
    expect(done).toBe(false)
    c.freeze()
    c.thaw()
    await new Promise((r) => setTimeout(r, 10))
    expect(done).toBe(false)
    c.release()
    await Promise.all([p, q])
    expect(done).toBe(true)
  })

  it('onChange fires on claim, freeze, thaw, stop and release until unsubscribed', () => {
    const c = new HopControl()
    const seen: string[] = []
    const off = c.onChange(() => seen.push(`${c.busy}${c.frozen ? '+frozen' : ''}`))
    c.claim('hop')
    c.freeze()
    c.thaw()
    c.stop()
    c.release()
    expect(seen).toEqual(['hop', 'hop+frozen', 'hop', 'hop', 'idle'])
    off()
    c.claim('tour')
    expect(seen).toHaveLength(5)
  })
})
