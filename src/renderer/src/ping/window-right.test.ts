import { describe, expect, it } from 'vitest'
import { windowRight, type WindowRightInput } from './window-right'

/** Frames of a page at 10 Hz: the edge each frame draws, carrying `held` as the chart does. */
function frames(from: number, to: number, input: Omit<WindowRightInput, 'engineNow' | 'held'>, held: number | null): { rights: number[]; held: number | null } {
  const rights: number[] = []
  for (let now = from; now <= to; now += 100) {
    const r = windowRight({ ...input, engineNow: now, held })
    held = r.held
    rights.push(r.right)
  }
  return { rights, held }
}

describe('windowRight', () => {
  const playing = { probing: true, newestAt: 900, paused: false }

  it('live and playing: the edge is the engine clock (the window slides)', () => {
    const { rights, held } = frames(1000, 3000, playing, null)
    expect(rights[0]).toBe(1000)
    expect(rights.at(-1)).toBe(3000)
    expect(held).toBeNull()
  })

  it('paused: the edge stays where the pause found it for as long as it lasts', () => {
    const { rights, held } = frames(5000, 7000, { ...playing, paused: true }, null)
    expect(new Set(rights)).toEqual(new Set([5000]))
    expect(held).toBe(5000)
  })

  it('resume: the edge follows the clock again from the first frame', () => {
    const paused = frames(5000, 7000, { ...playing, paused: true }, null)
    const resumed = frames(7100, 8000, playing, paused.held)
    expect(resumed.rights[0]).toBe(7100)
    expect(resumed.rights.at(-1)).toBe(8000)
  })

  it('a seek while paused (held dropped): the edge is taken again once, then held', () => {
    const first = frames(5000, 6000, { ...playing, paused: true }, null)
    const afterSeek = frames(6100, 9000, { ...playing, paused: true }, null)
    expect(first.held).toBe(5000)
    expect(new Set(afterSeek.rights)).toEqual(new Set([6100]))
  })

  it('a stopped prober keeps its newest sample in view, paused or not', () => {
    expect(windowRight({ engineNow: 9999, probing: false, newestAt: 900, paused: false, held: null }).right).toBe(900)
    expect(windowRight({ engineNow: 9999, probing: false, newestAt: null, paused: false, held: null }).right).toBe(9999)
    expect(windowRight({ engineNow: 9999, probing: false, newestAt: 900, paused: true, held: null })).toEqual({ right: 900, held: 900 })
  })
})
