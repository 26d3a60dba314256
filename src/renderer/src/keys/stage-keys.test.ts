import { describe, expect, it } from 'vitest'
import { isTypingTarget, stageKeyAction } from './stage-keys'

const lit = { blackout: false }
const dark = { blackout: true }

describe('stageKeyAction', () => {
  it('maps the clicker keys: Right, Space and PageDown are next; Left and PageUp previous', () => {
    for (const key of ['ArrowRight', ' ', 'PageDown']) expect(stageKeyAction({ key }, lit)).toBe('next')
    for (const key of ['ArrowLeft', 'PageUp']) expect(stageKeyAction({ key }, lit)).toBe('previous')
  })

  it('maps B and . to blackout, F fullscreen, V view, T theme, ? help, P preflight, C connect', () => {
    expect(stageKeyAction({ key: 'b' }, lit)).toBe('blackout')
    expect(stageKeyAction({ key: 'B' }, lit)).toBe('blackout')
    expect(stageKeyAction({ key: '.' }, lit)).toBe('blackout')
    expect(stageKeyAction({ key: 'f' }, lit)).toBe('fullscreen')
    expect(stageKeyAction({ key: 'V' }, lit)).toBe('view')
    expect(stageKeyAction({ key: 't' }, lit)).toBe('theme')
    expect(stageKeyAction({ key: '?' }, lit)).toBe('help')
    expect(stageKeyAction({ key: 'p' }, lit)).toBe('preflight')
    expect(stageKeyAction({ key: 'C' }, lit)).toBe('connect')
    expect(stageKeyAction({ key: 'Escape' }, lit)).toBe('escape')
  })

  it('R switches between the live run and its recording, under a black screen too (cut away, switch, come back)', () => {
    expect(stageKeyAction({ key: 'r' }, lit)).toBe('fallback')
    expect(stageKeyAction({ key: 'R' }, dark)).toBe('fallback')
    expect(stageKeyAction({ key: 'r', repeat: true }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'ArrowRight' }, dark)).toBeNull()
  })

  it('ignores unknown keys and modified presses (browser shortcuts stay the browser\'s)', () => {
    expect(stageKeyAction({ key: 'x' }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'F5' }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'f', ctrlKey: true }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'ArrowRight', altKey: true }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'c', metaKey: true }, lit)).toBeNull()
  })

  it('never fires a second action on auto-repeat', () => {
    for (const key of ['ArrowRight', ' ', 'PageDown', 'b', 'Escape', 'v']) expect(stageKeyAction({ key, repeat: true }, lit)).toBeNull()
  })

  it('while typing in a field acts on nothing but Esc, which leaves the field', () => {
    expect(stageKeyAction({ key: ' ', typing: true }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'p', typing: true }, lit)).toBeNull()
    expect(stageKeyAction({ key: 'Escape', typing: true }, lit)).toBe('leave-field')
    expect(stageKeyAction({ key: 'Escape', typing: true, repeat: true }, lit)).toBeNull()
  })

  it('behind a black screen only B / . (and F) act: no hop starts unseen, Esc arms nothing', () => {
    expect(stageKeyAction({ key: 'b' }, dark)).toBe('blackout')
    expect(stageKeyAction({ key: '.' }, dark)).toBe('blackout')
    expect(stageKeyAction({ key: 'f' }, dark)).toBe('fullscreen')
    for (const key of ['ArrowRight', ' ', 'PageDown', 'Escape', 'v', '?', 'c', 'p']) expect(stageKeyAction({ key }, dark)).toBeNull()
  })
})

describe('isTypingTarget', () => {
  it('is false outside a DOM (and for non-elements)', () => {
    expect(isTypingTarget(null)).toBe(false)
  })
})
