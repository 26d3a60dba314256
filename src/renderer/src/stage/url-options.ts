// `?view=presenter` and `?theme=light` in the page's address: what `--presenter` puts there, and
// what a reload keeps.
export type StageView = 'normal' | 'presenter'
export type StageTheme = 'dark' | 'light'

export interface StageOptions {
  view: StageView
  theme: StageTheme
}

export function readStageOptions(search: string): StageOptions {
  const q = new URLSearchParams(search)
  return { view: q.get('view') === 'presenter' ? 'presenter' : 'normal', theme: q.get('theme') === 'light' ? 'light' : 'dark' }
}

/** The query for these options, other parameters kept; defaults are left out. */
export function writeStageOptions(search: string, o: StageOptions): string {
  const q = new URLSearchParams(search)
  if (o.view === 'presenter') q.set('view', 'presenter')
  else q.delete('view')
  if (o.theme === 'light') q.set('theme', 'light')
  else q.delete('theme')
  const s = q.toString()
  return s ? `?${s}` : ''
}
