import { describe, expect, it } from 'vitest'
import { chooseDisplay, presenterArgs, presenterUrl } from './presenter'
import { isEntryPage } from './policy'

const d = (id: number, x: number) => ({ id, bounds: { x, y: 0, width: 1920, height: 1080 } })

describe('presenter window', () => {
  it('reads --presenter and --display N', () => {
    expect(presenterArgs(['electron', '.', '--presenter', '--display', '1'])).toEqual({ presenter: true, display: 1 })
    expect(presenterArgs(['electron', '.'])).toEqual({ presenter: false, display: undefined })
    expect(presenterArgs(['--display', 'projector'])).toEqual({ presenter: false, display: undefined })
    expect(presenterArgs(['--display', '-1']).display).toBeUndefined()
  })

  it('opens on the display asked for, else on the primary with a word why', () => {
    const all = [d(10, 0), d(11, 1920)]
    expect(chooseDisplay(all, all[0]!, undefined)).toEqual({ display: all[0] })
    expect(chooseDisplay(all, all[0]!, 1)).toEqual({ display: all[1] })
    const missing = chooseDisplay(all, all[0]!, 2)
    expect(missing.display).toBe(all[0])
    expect(missing.warning).toContain('2 displays')
  })

  it('asks the renderer for the presenter view in the query, still the entry page', () => {
    const url = presenterUrl('app://globehop/index.html', true)
    expect(url).toBe('app://globehop/index.html?view=presenter')
    expect(isEntryPage(url, 'app://globehop/index.html')).toBe(true)
    expect(presenterUrl('app://globehop/index.html', false)).toBe('app://globehop/index.html')
  })
})
