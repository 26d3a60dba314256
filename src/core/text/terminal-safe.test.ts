import { describe, expect, it } from 'vitest'
import { terminalSafe } from './terminal-safe'

describe('terminalSafe', () => {
  it('shows escape sequences as text: ESC, BEL, CR, C1 CSI, DEL', () => {
    expect(terminalSafe('a\u001b[2J\u001b]0;title\u0007b')).toBe('a\\x1b[2J\\x1b]0;title\\x07b')
    expect(terminalSafe('50%\rok')).toBe('50%\\x0dok')
    expect(terminalSafe('\u009b2J\u007f')).toBe('\\x9b2J\\x7f')
  })
  it('shows bidi controls, line separators and lone surrogates', () => {
    expect(terminalSafe('abc\u202Efed\u2066x\u2028y')).toBe('abc\\u202efed\\u2066x\\u2028y')
    expect(terminalSafe('x\uD800y')).toBe('x\\ud800y')
  })
  it('keeps newlines and tabs unless the text must stay on one line', () => {
    expect(terminalSafe('a\n\tb')).toBe('a\n\tb')
    expect(terminalSafe('a\n\tb', { oneLine: true })).toBe('a\\x0a\\x09b')
  })
  it('leaves ordinary text alone, accents, CJK and emoji included', () => {
    const s = 'Montréal → 東京 🌍 "quoted" \\ back'
    expect(terminalSafe(s)).toBe(s)
  })
})
