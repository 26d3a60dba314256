import { describe, expect, it } from 'vitest'
import { readStageOptions, writeStageOptions } from './url-options'

describe('stage options in the URL', () => {
  it('reads view and theme, anything else is the default', () => {
    expect(readStageOptions('?view=presenter&theme=light')).toEqual({ view: 'presenter', theme: 'light' })
    expect(readStageOptions('')).toEqual({ view: 'normal', theme: 'dark' })
    expect(readStageOptions('?view=<script>&theme=neon')).toEqual({ view: 'normal', theme: 'dark' })
  })

  it('writes them back keeping other parameters, leaving defaults out', () => {
    expect(writeStageOptions('?x=1', { view: 'presenter', theme: 'dark' })).toBe('?x=1&view=presenter')
    expect(writeStageOptions('?view=presenter&theme=light', { view: 'normal', theme: 'dark' })).toBe('')
  })
})
