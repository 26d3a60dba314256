import { describe, expect, it } from 'vitest'
import { converged, rsyncFigures } from './convergence'

const o = { maxIterations: 8, minPagesWritten: 64, skippedGoal: 70, maxGrowth: 10 }
const it_ = (pagesWritten: number, pagesSkipped = 0) => ({ pagesWritten, pagesSkipped })

describe('pre-copy convergence', () => {
  it('goes on after a first full iteration', () => {
    expect(converged([it_(23000)], o, 'criu')).toMatchObject({ stop: false })
    expect(converged([it_(23000)], o, 'rsync')).toMatchObject({ stop: false })
  })
  it('stops when few pages were written (p.haul: <= 64)', () => {
    expect(converged([it_(23000), it_(64, 10)], o, 'criu')).toEqual({ stop: true, reason: 'iteration 2 wrote 64 pages, at or below the threshold of 64' })
    expect(converged([it_(23000), it_(65, 0)], o, 'criu').stop).toBe(false)
  })
  it('stops when the skipped share reaches the goal (LXD: 70%)', () => {
    const v = converged([it_(23000), it_(3000, 7000)], o, 'criu')
    expect(v).toEqual({ stop: true, reason: 'iteration 2 skipped 70.0% of pages, at or above the goal of 70%' })
    expect(converged([it_(23000), it_(3001, 6999)], o, 'criu').stop).toBe(false)
  })
  it('does not apply the skipped goal to the first iteration', () => {
    expect(converged([it_(100, 1000)], o, 'rsync').stop).toBe(false)
  })
  it('stops when an iteration grows by more than the limit (p.haul: 10%)', () => {
    expect(converged([it_(23000), it_(1000), it_(1101)], o, 'criu')).toMatchObject({ stop: true, reason: expect.stringMatching(/grew by 10\.1%, more than 10%/) })
    expect(converged([it_(23000), it_(1000), it_(1100)], o, 'criu').stop).toBe(false)
  })
  it("rsync's tracker also stops once the delta stops shrinking", () => {
    expect(converged([it_(23000), it_(1000), it_(1000)], o, 'rsync')).toMatchObject({ stop: true, reason: expect.stringMatching(/did not shrink/) })
    expect(converged([it_(23000), it_(1000), it_(999)], o, 'rsync').stop).toBe(false)
  })
  it('stops at the iteration cap', () => {
    const h = [it_(50000), it_(40000), it_(30000)]
    expect(converged(h, { ...o, maxIterations: 3 }, 'criu')).toEqual({ stop: true, reason: 'iteration cap of 3 reached' })
    expect(converged(h, { ...o, maxIterations: 4 }, 'criu').stop).toBe(false)
  })
  it('counts rsync bytes as 4 KiB pages', () => {
    // lab.md: the final delta of an idle server: 265 KB literal, 94.7 MB matched.
    const f = rsyncFigures(265_000, 94_700_000)
    expect(f).toEqual({ pagesWritten: 65, pagesSkipped: 23120 })
    expect(converged([it_(23000), f], o, 'rsync')).toMatchObject({ stop: true, reason: expect.stringMatching(/skipped 99\.7%/) })
  })
})

describe("rsync's stop rule weighs a snapshot's pause against what it saves", () => {
  const first = { pagesWritten: 23000, pagesSkipped: 0, pauseMs: 300, imageBytes: 88e6, wireBytes: 13e6 }
  it('skips the second snapshot when the last hop says a second one saved little', () => {
    // 10 Mbit/s: 100 KiB is ~80 ms of transfer, less than a 300 ms pause.
    const v = converged([first], o, 'rsync', { mbitPerSec: 10, compress: true, savedWireBytes: 100 * 1024 })
    expect(v).toEqual({ stop: true, reason: 'snapshot 2 would pause the game ~300 ms to save at most 82 ms of the frozen transfer (a second snapshot saved 100 KiB on the wire last hop, 10 Mbit/s)' })
  })
  it('skips it when the final delta itself was small (no second snapshot to learn from)', () => {
    expect(converged([first], o, 'rsync', { mbitPerSec: 10, compress: true, deltaWireBytes: 124 * 1024 }).stop).toBe(true)
  })
  it('takes it when the delta would cost more to send frozen than the pause', () => {
    expect(converged([first], o, 'rsync', { mbitPerSec: 10, compress: true, deltaWireBytes: 2e6 })).toMatchObject({ stop: false })
    // Nothing learnt yet: a share of the image (~170 KiB compressed); at 1 Mbit/s that outweighs a
    // 300 ms pause, at 10 Mbit/s it does not; uncompressed on a fast link (4.4 MB) at 100 Mbit/s it does.
    expect(converged([first], o, 'rsync', { mbitPerSec: 1, compress: true }).stop).toBe(false)
    expect(converged([first], o, 'rsync', { mbitPerSec: 10, compress: true })).toMatchObject({ stop: true, reason: expect.stringMatching(/~5% of the image rewritten, 172 KiB on the wire/) })
    expect(converged([first], o, 'rsync', { mbitPerSec: 100, compress: false }).stop).toBe(false)
  })
  it("later snapshots weigh the last measured delta; CRIU's tracker and no link leave the old rules", () => {
    const second = { pagesWritten: 1100, pagesSkipped: 1000, pauseMs: 250, wireBytes: 120 * 1024 }
    expect(converged([first, second], { ...o, skippedGoal: 100 }, 'rsync', { mbitPerSec: 10, compress: true })).toMatchObject({ stop: true, reason: expect.stringMatching(/^snapshot 3 would pause the game ~250 ms .*snapshot 2's delta was 120 KiB/) })
    expect(converged([first], o, 'criu', { mbitPerSec: 1000, compress: true }).stop).toBe(false)
    expect(converged([first], o, 'rsync').stop).toBe(false)
  })
})
