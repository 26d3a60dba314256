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
