import { describe, expect, it } from 'vitest'
import type { EngineState, ReplayStatus } from '../../../shared/contract'
import { bannerText, isPauseKey, livePosition, replayRootAttrs, stepSpeed } from './replay-banner-model'

const R: ReplayStatus = { file: 'r.jsonl', recordedAt: Date.UTC(2025, 4, 17, 8, 30), speed: 2, paused: false, positionMs: 12_000, durationMs: 90_000 }

describe('REPLAY banner', () => {
  it('says REPLAY, the date, the speed and where it is, plainly', () => {
    expect(bannerText(R, 12_400)).toBe('REPLAY · recorded 2025-05-17 08:30 UTC · 2× · 0:12/1:30')
    expect(bannerText({ ...R, paused: true, hop: 2, speed: 0.5 }, 61_000)).toBe('REPLAY · recorded 2025-05-17 08:30 UTC · 0.5× · 1:01/1:30 · hop 2 · paused')
    expect(bannerText({ ...R, paused: true }, 90_000)).toMatch(/1:30\/1:30 · ended$/)
  })

  it('moves the position on between states at the replay speed; a paused one stays', () => {
    expect(livePosition(R, 1000, 1500)).toBe(13_000)
    expect(livePosition(R, 1000, 1_000_000)).toBe(90_000)
    expect(livePosition({ ...R, paused: true }, 1000, 5000)).toBe(12_000)
  })

  it('marks the root only for a replay', () => {
    expect(replayRootAttrs({ replay: R } as EngineState)).toEqual({ 'data-replay': 'true' })
    expect(replayRootAttrs({ replay: null } as EngineState)).toEqual({})
    expect(replayRootAttrs(null)).toEqual({})
  })

  it('steps speeds and takes K once, not while typing or with a modifier', () => {
    expect(stepSpeed(1, 1)).toBe(2)
    expect(stepSpeed(1, -1)).toBe(0.5)
    expect(stepSpeed(3, -1)).toBe(2)
    expect(stepSpeed(16, 1)).toBeNull()
    expect(stepSpeed(0.25, -1)).toBeNull()
    expect(isPauseKey({ key: 'k' })).toBe(true)
    expect(isPauseKey({ key: 'K' })).toBe(true)
    expect(isPauseKey({ key: 'k', repeat: true })).toBe(false)
    expect(isPauseKey({ key: 'k', ctrlKey: true })).toBe(false)
    expect(isPauseKey({ key: 'k', typing: true })).toBe(false)
    expect(isPauseKey({ key: 'j' })).toBe(false)
  })
})
