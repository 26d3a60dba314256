import { describe, expect, it } from 'vitest'
import { CONFIRM_WINDOW_MS, onEscape } from './cancel-confirm'

describe('Esc and cancel', () => {
  it('one press never cancels: it arms', () => {
    expect(onEscape({ now: 1000, armedAt: null, helpOpen: false, busy: true })).toBe('arm')
  })
  it('a second press within the window cancels', () => {
    expect(onEscape({ now: 1000 + CONFIRM_WINDOW_MS, armedAt: 1000, helpOpen: false, busy: true })).toBe('cancel')
  })
  it('a second press after the window only arms again', () => {
    expect(onEscape({ now: 1001 + CONFIRM_WINDOW_MS, armedAt: 1000, helpOpen: false, busy: true })).toBe('arm')
  })
  it('closes the help first, and does nothing when nothing runs', () => {
    expect(onEscape({ now: 1500, armedAt: 1000, helpOpen: true, busy: true })).toBe('close-help')
    expect(onEscape({ now: 1500, armedAt: 1000, helpOpen: false, busy: false })).toBe('nothing')
  })
})
