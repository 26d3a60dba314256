import { describe, expect, it } from 'vitest'
import { releaseDelayMs } from './move'

describe('the source waits before its release so the destination is a BACKUP first', () => {
  it('waits a margin when nothing was measured yet', () => expect(releaseDelayMs(undefined, 300)).toBe(40))
  it('waits longer for a far destination than for a near one (lab: strasbourg -> montreal, stuttgart -> strasbourg)', () => {
    // First lines back after ~2.5 RTT: strasbourg (50 ms RTT) ~170 ms, montreal (133 ms) ~360 ms.
    expect(releaseDelayMs(170, 360)).toBe(86)
    expect(releaseDelayMs(90, 160)).toBe(46)
  })
  it('does not wait beyond the margin for a near destination, and never past a second', () => {
    expect(releaseDelayMs(430, 200)).toBe(40)
    expect(releaseDelayMs(0, 50_000)).toBe(1000)
  })
})
