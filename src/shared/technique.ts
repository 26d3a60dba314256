// Which techniques restore before all of the memory has moved (CRIU lazy pages served by the
// source's page server): one answer for planning, the hop, its rollback, recovery and the journal.
// A technique's kind is spelled like the tour mode it implements ('post-copy', 'pre+post', ...).
import type { Mode } from './tour'

export const LAZY_MODES = ['post-copy', 'pre+post'] as const satisfies readonly Mode[]

/** True for a technique (or mode) whose restored copy still needs pages from the source. */
export function isLazyTechnique(kind: string): boolean {
  return (LAZY_MODES as readonly string[]).includes(kind)
}

