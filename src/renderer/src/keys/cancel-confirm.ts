// Esc alone never cancels a hop: a presentation clicker sends Esc, and a stray press must not
// stop a migration on stage. The first press arms, a second one within the window confirms.
export const CONFIRM_WINDOW_MS = 2000

export type EscAction = 'close-help' | 'arm' | 'cancel' | 'nothing'

export interface EscInput {
  now: number
  /** When the last press armed the cancel, or null. */
  armedAt: number | null
  helpOpen: boolean
  busy: boolean
}

export function onEscape(i: EscInput): EscAction {
  if (i.helpOpen) return 'close-help'
  if (!i.busy) return 'nothing'
  if (i.armedAt !== null && i.now - i.armedAt <= CONFIRM_WINDOW_MS) return 'cancel'
  return 'arm'
}
