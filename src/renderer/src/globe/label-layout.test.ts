import { describe, expect, it } from 'vitest'
import { placeLabels, type LabelInput } from './label-layout'

const overlap = (a: { left: number; top: number; w: number; h: number }, b: typeof a) =>
  a.left < b.left + b.w && b.left < a.left + a.w && a.top < b.top + b.h && b.top < a.top + a.h

describe('label layout', () => {
  it('a lone label sits right beside its marker, without a leader line', () => {
    const [p] = placeLabels([{ id: 'a', x: 100, y: 100, w: 80, h: 20, priority: 1 }], { w: 800, h: 600 }, 6, 7)
    expect(p).toMatchObject({ id: 'a', left: 113, top: 90, leader: false })
  })

  it('two close hosts (Stuttgart, Strasbourg) get labels that overlap neither each other nor a marker', () => {
    const labels: LabelInput[] = [
      { id: 'stuttgart', x: 420, y: 300, w: 120, h: 28, priority: 1 },
      { id: 'strasbourg', x: 380, y: 306, w: 130, h: 28, priority: 2 },
      { id: 'game', x: 400, y: 302, w: 90, h: 28, priority: 0 },
    ]
    const placed = placeLabels(labels, { w: 1280, h: 720 }, 6, 10)
    const boxes = placed.map((p) => ({ ...p, ...labels.find((l) => l.id === p.id)! }))
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!)).toBe(false)
      for (const m of labels) expect(overlap(boxes[i]!, { left: m.x - 10, top: m.y - 10, w: 20, h: 20 })).toBe(false)
    }
  })

  it('when the sides are taken, labels move out with a leader line to their marker', () => {
    const labels: LabelInput[] = [0, 1, 2, 3, 4, 5].map((i) => ({ id: `h${i}`, x: 400 + i * 3, y: 300, w: 100, h: 24, priority: i }))
    const placed = placeLabels(labels, { w: 1280, h: 720 }, 6, 8)
    const boxes = placed.map((p) => ({ ...p, ...labels.find((l) => l.id === p.id)! }))
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!)).toBe(false)
    const pushed = placed.filter((p) => p.leader)
    expect(pushed.length).toBeGreaterThan(0)
    for (const p of pushed) {
      // The line ends on the label's box.
      expect(p.lx).toBeGreaterThanOrEqual(p.left)
      expect(p.lx).toBeLessThanOrEqual(p.left + 100)
      expect(p.ly).toBeGreaterThanOrEqual(p.top)
      expect(p.ly).toBeLessThanOrEqual(p.top + 24)
    }
  })

  it('a label at the right edge flips to the left of its marker', () => {
    const [p] = placeLabels([{ id: 'a', x: 790, y: 300, w: 80, h: 20, priority: 1 }], { w: 800, h: 600 }, 6, 7)
    expect(p!.left + 80).toBeLessThanOrEqual(790)
    expect(p!.leader).toBe(false)
  })
})
