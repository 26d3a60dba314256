import { describe, expect, it } from 'vitest'
import { isLazyTechnique, LAZY_MODES } from './technique'
import { MIGRATION_MODES } from './tour'

describe('isLazyTechnique', () => {
  it('post-copy and pre+post leave pages on the source; the others move everything before the restore', () => {
    expect(MIGRATION_MODES.filter(isLazyTechnique)).toEqual(['post-copy', 'pre+post'])
    expect(isLazyTechnique('stop-and-copy')).toBe(false)
    expect(isLazyTechnique('pre-copy')).toBe(false)
    expect(isLazyTechnique('auto')).toBe(false)
    expect(isLazyTechnique('post-copy (CRIU lazy pages)')).toBe(false)
  })
  it('every lazy mode is a mode', () => {
    for (const m of LAZY_MODES) expect(MIGRATION_MODES).toContain(m)
  })
})
