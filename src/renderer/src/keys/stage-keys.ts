// Clicker-safe keys as a pure mapping: a key press (and what the screen shows) to one action.
// Presentation remotes act as keyboards: "next" sends PageDown, Right or Space; "previous"
// PageUp or Left; "blank" sends `.` or B; the slideshow button alternates F5 and Esc. So Esc is
// never destructive here (cancel needs two presses: cancel-confirm.ts) and auto-repeat never
// fires a second action.

export type StageAction =
  | 'next'
  | 'previous'
  | 'blackout'
  | 'fullscreen'
  | 'view'
  | 'theme'
  | 'help'
  | 'escape'
  | 'preflight'
  | 'connect'
  /** Stage fallback: the recording of this tour instead of the live run, or back to live. */
  | 'fallback'
  /** Esc inside a text field: give the keys back to the page (focus is never trapped). */
  | 'leave-field'

export interface StageKey {
  key: string
  repeat?: boolean
  ctrlKey?: boolean
  metaKey?: boolean
  altKey?: boolean
  /** The event comes from a text field, a select or an editable element. */
  typing?: boolean
}

export interface StageKeyContext {
  blackout: boolean
}

const KEYMAP: Record<string, StageAction> = {
  ArrowRight: 'next',
  ' ': 'next',
  PageDown: 'next',
  ArrowLeft: 'previous',
  PageUp: 'previous',
  b: 'blackout',
  B: 'blackout',
  '.': 'blackout',
  f: 'fullscreen',
  F: 'fullscreen',
  v: 'view',
  V: 'view',
  t: 'theme',
  T: 'theme',
  '?': 'help',
  Escape: 'escape',
  p: 'preflight',
  P: 'preflight',
  c: 'connect',
  C: 'connect',
  r: 'fallback',
  R: 'fallback',
}

/** Keys a black screen answers to, as in reveal.js: the blank key brings the picture back and
 * nothing else happens behind the black (no hop starts unseen). The fallback switch is the one
 * exception: cutting to black, switching to the recording and coming back is how a presenter hides
 * a failing network. */
const WHILE_DARK: ReadonlySet<StageAction> = new Set(['blackout', 'fullscreen', 'fallback'])

export function stageKeyAction(k: StageKey, ctx: StageKeyContext): StageAction | null {
  // Browser and system shortcuts (Ctrl+R, Alt+Tab, Cmd+F) stay theirs.
  if (k.ctrlKey || k.metaKey || k.altKey) return null
  if (k.typing) return k.key === 'Escape' && !k.repeat ? 'leave-field' : null
  // A held key (or a clicker that repeats) acts once.
  if (k.repeat) return null
  const action = KEYMAP[k.key] ?? null
  if (action && ctx.blackout && !WHILE_DARK.has(action)) return null
  return action
}

/** Where a key press counts as typing: text inputs, text areas, selects, editable content. */
export function isTypingTarget(t: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(t instanceof HTMLElement)) return false
  if (t.isContentEditable) return true
  if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true
  if (t instanceof HTMLInputElement) return !['button', 'submit', 'reset', 'checkbox', 'radio'].includes(t.type)
  return false
}
