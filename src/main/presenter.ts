// `--presenter [--display N]` for the Electron window, as plain functions (no electron import:
// unit tests call them directly; index.ts wires them to screen and BrowserWindow).

export interface DisplayLike {
  id: number
  bounds: { x: number; y: number; width: number; height: number }
}

export interface PresenterArgs {
  presenter: boolean
  /** The display asked for (0 is the first of screen.getAllDisplays()), or undefined for the primary. */
  display?: number
}

export function presenterArgs(argv: readonly string[]): PresenterArgs {
  const i = argv.indexOf('--display')
  const n = i >= 0 ? Number(argv[i + 1]) : NaN
  return { presenter: argv.includes('--presenter'), display: Number.isInteger(n) && n >= 0 ? n : undefined }
}

/** The display to open on, and a word when the one asked for does not exist (the projector is
 * unplugged): then the primary, so the show still starts. */
export function chooseDisplay<D extends DisplayLike>(all: readonly D[], primary: D, wanted: number | undefined): { display: D; warning?: string } {
  if (wanted === undefined) return { display: primary }
  const d = all[wanted]
  if (d) return { display: d }
  return { display: primary, warning: `--display ${wanted}: there ${all.length === 1 ? 'is 1 display' : `are ${all.length} displays`} (0 to ${all.length - 1}); using the primary` }
}

/** The renderer's address with the presenter view asked for (the query survives isEntryPage). */
export function presenterUrl(entryUrl: string, presenter: boolean): string {
  if (!presenter) return entryUrl
  const u = new URL(entryUrl)
  u.searchParams.set('view', 'presenter')
  return u.href
}
