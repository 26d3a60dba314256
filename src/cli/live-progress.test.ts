import { describe, expect, it } from 'vitest'
import type { StepEvent } from '../shared/contract'
import { LiveProgress, progressText, type ProgressSink } from './live-progress'

const MiB = 1048576
const ev = (e: Partial<StepEvent> & Pick<StepEvent, 'step' | 'phase' | 'at'>): StepEvent => ({ hopId: 'h', ...e })

function harness(tty: boolean) {
  let now = 0
  const written: string[] = []
  const sink: ProgressSink = { tty, write: (s) => void written.push(s), columns: () => 200 }
  const live = new LiveProgress(sink, { now: () => now, timer: false, ttyEveryMs: 100, plainEveryMs: 5000 })
  return { live, written, at: (t: number) => (now = t) }
}

describe('progressText', () => {
  it('a transfer: bytes of the total, the rate over the last seconds and the time left', () => {
    const s = { key: 'k', step: 'transfer', host: 'b', frozen: true, startedAt: 0, bytesDone: 40 * MiB, bytesTotal: 80 * MiB, samples: [[1000, 10 * MiB], [3000, 40 * MiB]] as Array<[number, number]> }
    expect(progressText(s, 3000)).toBe('transfer on b 3.00 s frozen  40.0 MiB of 80.0 MiB (50%), 15.0 MiB/s, 2.67 s left')
  })
  it('a snapshot names its round; a step without bytes shows its time and what it said', () => {
    expect(progressText({ key: 'k', step: 'snapshot', iteration: 2, frozen: false, startedAt: 0, samples: [] }, 450)).toBe('snapshot 2 450 ms')
    expect(progressText({ key: 'k', step: 'restore', host: 'b', frozen: true, startedAt: 0, samples: [], detail: 'runc restore' }, 12_500)).toBe('restore on b 12.5 s frozen  runc restore')
  })
})

describe('LiveProgress on a terminal', () => {
  it('rewrites one status line while a step runs and clears it when the step ends', () => {
    const { live, written, at } = harness(true)
    live.onStep(ev({ step: 'transfer', phase: 'start', at: 0, host: 'b', frozen: true }))
    expect(written.at(-1)).toBe('\r\x1b[Ktransfer on b 0 ms frozen')
    at(2000)
    live.onStep(ev({ step: 'transfer', phase: 'progress', at: 2000, bytesDone: 20 * MiB, bytesTotal: 80 * MiB, detail: '25%' }))
    expect(written.at(-1)).toBe('\r\x1b[Ktransfer on b 2.00 s frozen  20.0 MiB of 80.0 MiB (25%), 10.0 MiB/s, 6.00 s left')
    at(2050)
    live.tick()
    expect(written).toHaveLength(2) // throttled: no redraw within 100 ms
    at(2500)
    live.tick()
    expect(written.at(-1)).toMatch(/^\r\x1b\[Ktransfer on b 2\.50 s frozen/)
    live.onStep(ev({ step: 'transfer', phase: 'end', at: 4000, elapsedMs: 4000 }))
    expect(written.at(-1)).toBe('\r\x1b[K')
    const n = written.length
    live.tick()
    live.redraw()
    expect(written).toHaveLength(n)
  })

  it('stop leaves no status line behind', () => {
    const { live, written } = harness(true)
    live.onStep(ev({ step: 'restore', phase: 'start', at: 0 }))
    live.stop()
    expect(written.at(-1)).toBe('\r\x1b[K')
  })
})

describe('LiveProgress without a terminal', () => {
  it('prints a plain line only for a step that runs long, every few seconds', () => {
    const { live, written, at } = harness(false)
    live.onStep(ev({ step: 'snapshot', iteration: 1, phase: 'start', at: 0 }))
    live.onStep(ev({ step: 'snapshot', iteration: 1, phase: 'end', at: 300, elapsedMs: 300 }))
    live.onStep(ev({ step: 'restore', phase: 'start', at: 1000, host: 'b', frozen: true }))
    at(4000)
    live.tick()
    expect(written).toEqual([])
    at(6000)
    live.tick()
    expect(written).toEqual(['  ... restore on b 5.00 s frozen'])
    at(8000)
    live.tick()
    expect(written).toHaveLength(1)
    at(11_000)
    live.tick()
    expect(written.at(-1)).toBe('  ... restore on b 10.0 s frozen')
    expect(written.every((w) => !w.includes('\r') && !w.includes('\x1b'))).toBe(true)
  })
  it('a progress event after its step ended (a snapshot\'s verdict) does not bring the step back', () => {
    const { live, written, at } = harness(false)
    live.onStep(ev({ step: 'snapshot', iteration: 1, phase: 'start', at: 0 }))
    live.onStep(ev({ step: 'snapshot', iteration: 1, phase: 'end', at: 300, elapsedMs: 300 }))
    live.onStep(ev({ step: 'snapshot', iteration: 1, phase: 'progress', at: 320, detail: 'enough: a second snapshot would pause ~200 ms to save at most 40 ms' }))
    at(20_000)
    live.tick()
    expect(written).toEqual([])
  })
})
