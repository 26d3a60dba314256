import { describe, expect, it } from 'vitest'
import type { EngineState } from '../../../shared/contract'
import { fallbackPress } from './fallback-press'

const state = (extra: Partial<EngineState>) => ({ replay: null, ...extra }) as EngineState

describe('fallbackPress', () => {
  it('live with a recording of the tour: to the recording; showing it: back to live', () => {
    expect(fallbackPress(state({ fallback: { recording: '/r/a.jsonl', active: false } }))).toMatchObject({ to: 'replay' })
    expect(fallbackPress(state({ fallback: { recording: '/r/a.jsonl', active: true } }))).toMatchObject({ to: 'live' })
  })

  it('says why not when there is nothing to switch to', () => {
    expect(fallbackPress(state({ fallback: { recording: null, active: false } }))).toEqual({ hint: 'R: no recording of this tour yet (every hop is recorded: run one first)' })
    expect(fallbackPress(state({ replay: { file: 'x', recordedAt: 0, speed: 1, paused: false, positionMs: 0, durationMs: 1 } }))).not.toHaveProperty('to')
    expect(fallbackPress(null)).not.toHaveProperty('to')
  })
})
