import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, formatRate } from './format'

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [840, '840 ms'],
    [999.6, '1.00 s'],
    [1000, '1.00 s'],
    [560.4, '560 ms'],
    [9_994, '9.99 s'],
    [11_200, '11.2 s'],
    [599_940, '599.9 s'],
    [600_000, '10 min 00 s'],
    [3_725_000, '62 min 05 s'],
    [-1500, '-1.50 s'],
  ])('%d ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text))

  it('says what a missing value reads as', () => {
    expect(formatDuration(undefined)).toBe('–')
    expect(formatDuration(null, '?')).toBe('?')
    expect(formatDuration(Number.NaN, '?')).toBe('?')
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [30_720, '30 KiB'],
    [12.5 * 1048576, '12.5 MiB'],
    [92_000_000, '87.7 MiB'],
    [3 * 1024 ** 3, '3.00 GiB'],
  ])('%d bytes read %s', (b, text) => expect(formatBytes(b)).toBe(text))

  it('says what a missing value reads as', () => {
    expect(formatBytes(undefined)).toBe('–')
    expect(formatBytes(undefined, '?')).toBe('?')
  })
})

describe('formatRate', () => {
  it('is bytes per second in the same units', () => {
    expect(formatRate(12.5 * 1048576)).toBe('12.5 MiB/s')
    expect(formatRate(Number.POSITIVE_INFINITY, '?')).toBe('?')
  })
})
