import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RemoteTimeoutError, type Remote, type RemoteProcess, type RunOptions, type RunResult } from '../ssh/types'
import { testTour } from './testing/test-tour'
import { StallWatch, watchdogLimits, withDeadline } from './watchdog'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('StallWatch', () => {
  it('fires once after the limit without touch: signal aborted, stalled', () => {
    const onStall = vi.fn()
    const w = new StallWatch(1000, onStall)
    vi.advanceTimersByTime(999)
    expect(onStall).not.toHaveBeenCalled()
    expect(w.stalled).toBe(false)
    expect(w.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect(onStall).toHaveBeenCalledTimes(1)
    expect(w.stalled).toBe(true)
    expect(w.signal.aborted).toBe(true)
    // A late touch does not re-arm it.
    w.touch()
    vi.advanceTimersByTime(5000)
    expect(onStall).toHaveBeenCalledTimes(1)
  })

  it('does not fire while touched within the limit, and fires once the touches stop', () => {
    const onStall = vi.fn()
    const w = new StallWatch(1000, onStall)
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(900)
      w.touch()
    }
    expect(onStall).not.toHaveBeenCalled()
    expect(w.stalled).toBe(false)
    vi.advanceTimersByTime(1000)
    expect(onStall).toHaveBeenCalledTimes(1)
  })

  it('stop() ends the watch without firing', () => {
    const onStall = vi.fn()
    const w = new StallWatch(1000, onStall)
    vi.advanceTimersByTime(500)
    w.stop()
    vi.advanceTimersByTime(10_000)
    expect(onStall).not.toHaveBeenCalled()
    expect(w.stalled).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('watchdogLimits', () => {
  it('grows with the RTT', () => {
    const near = watchdogLimits({ rttMs: 2, mbitPerSec: 1000 })
    const far = watchdogLimits({ rttMs: 280, mbitPerSec: 10 })
    expect(far.commandMs).toBeGreaterThan(near.commandMs)
    expect(far.stallMs).toBeGreaterThan(near.stallMs)
    expect(near).toEqual({ commandMs: 45_100, stallMs: 15_080, unreachableMs: 120_000 })
    expect(far).toEqual({ commandMs: 59_000, stallMs: 26_200, unreachableMs: 120_000 })
  })

  it('an unknown link (or RTT) gets the limits of a 300 ms RTT', () => {
    const at300 = watchdogLimits({ rttMs: 300, mbitPerSec: null })
    expect(watchdogLimits(null)).toEqual(at300)
    expect(watchdogLimits({ rttMs: null, mbitPerSec: 50 })).toEqual(at300)
    expect(at300).toEqual({ commandMs: 60_000, stallMs: 27_000, unreachableMs: 120_000 })
  })

  it('is capped: a dead link is noticed within two minutes', () => {
    expect(watchdogLimits({ rttMs: 60_000, mbitPerSec: null })).toEqual({ commandMs: 120_000, stallMs: 90_000, unreachableMs: 120_000 })
  })
})

describe('withDeadline', () => {
  const host = testTour().hosts[0]!

  function fakeRemote(run: (argv: readonly string[], opts: RunOptions) => Promise<RunResult>) {
    const calls: RunOptions[] = []
    const proc: RemoteProcess = { done: new Promise(() => {}), kill: () => {} }
    const r: Remote = {
      host,
      run: (argv, opts = {}) => {
        calls.push(opts)
        return run(argv, opts)
      },
      start: vi.fn(() => proc),
      close: vi.fn(async () => {}),
    }
    return { r, calls, proc }
  }

  it('rejects with a RemoteTimeoutError when the remote never answers, and aborts the call', async () => {
    const { r, calls } = fakeRemote(() => new Promise<RunResult>(() => {}))
    const p = withDeadline(r, 5000).run(['runc', 'state', 'xonotic'])
    const seen = p.then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls[0]!.signal!.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(2000)
    const err = await seen
    expect(err).toBeInstanceOf(RemoteTimeoutError)
    expect(err).toMatchObject({ host: 'stuttgart', command: 'runc state xonotic', timeoutMs: 5000, code: 124 })
    expect((err as Error).message).toMatch(/stuttgart: `runc state xonotic` timed out after 5000 ms and was killed: no answer \(connection or command\)/)
    expect(calls[0]!.signal!.aborted).toBe(true)
  })

  it("passes its timeoutMs to the wrapped run; the caller's own timeoutMs wins", async () => {
    const { r, calls } = fakeRemote(async () => ({ code: 0, stdout: 'ok', stderr: '', ms: 1 }))
    const d = withDeadline(r, 5000)
    await expect(d.run(['true'])).resolves.toMatchObject({ stdout: 'ok' })
    await d.run(['true'], { timeoutMs: 750, allowFail: true, log: false })
    expect(calls[0]).toMatchObject({ timeoutMs: 5000 })
    expect(calls[1]).toMatchObject({ timeoutMs: 750, allowFail: true, log: false })
    expect(calls[0]!.signal).toBeInstanceOf(AbortSignal)
    // The deadline's timer is gone once the call settled.
    expect(vi.getTimerCount()).toBe(0)
  })

  it("the caller's timeoutMs sets the deadline too", async () => {
    const { r } = fakeRemote(() => new Promise<RunResult>(() => {}))
    const seen = withDeadline(r, 60_000)
      .run(['sleep', '1000'], { timeoutMs: 1000 })
      .catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(3000)
    expect(await seen).toMatchObject({ name: 'RemoteTimeoutError', timeoutMs: 1000 })
  })

  it("the wrapped run's own failure comes through unchanged", async () => {
    const boom = new Error('connection lost')
    const { r } = fakeRemote(async () => {
      throw boom
    })
    await expect(withDeadline(r, 5000).run(['true'])).rejects.toBe(boom)
    expect(vi.getTimerCount()).toBe(0)
  })

  it("the caller's signal still reaches the wrapped run", async () => {
    const { r, calls } = fakeRemote(() => new Promise<RunResult>(() => {}))
    const caller = new AbortController()
    void withDeadline(r, 5000)
      .run(['true'], { signal: caller.signal })
      .catch(() => undefined)
    expect(calls[0]!.signal!.aborted).toBe(false)
    caller.abort()
    expect(calls[0]!.signal!.aborted).toBe(true)
    await vi.advanceTimersByTimeAsync(7000)
  })

  it('start and close go to the wrapped remote', async () => {
    const { r, proc } = fakeRemote(async () => ({ code: 0, stdout: '', stderr: '', ms: 1 }))
    const d = withDeadline(r, 5000)
    expect(d.host).toBe(host)
    expect(d.start(['criu', 'page-server'])).toBe(proc)
    expect(r.start).toHaveBeenCalledWith(['criu', 'page-server'], undefined)
    await d.close()
    expect(r.close).toHaveBeenCalledTimes(1)
  })
})
