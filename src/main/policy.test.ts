// The pure parts of the Electron policy, from source: the branches a production bundle cannot reach
// (a real electron-vite dev build) and the URL edge cases. test/electron-hardening.test.ts checks
// the same policy wired into the built main bundle.
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { APP_ENTRY, droppedRecording, isAllowedNavigation, isEntryPage, isLoopbackHttpUrl, rendererEntry } from './policy'

const dev = { envUrl: 'http://localhost:5173', devBuild: true, electronViteMode: 'development', isPackaged: false }

describe('rendererEntry', () => {
  it('honours electron-vite dev: a dev build, its env mark, unpackaged, on loopback http', () => {
    expect(rendererEntry(dev)).toEqual({ url: 'http://localhost:5173' })
    expect(rendererEntry({ ...dev, envUrl: 'http://127.0.0.1:5173/' })).toEqual({ url: 'http://127.0.0.1:5173/' })
  })

  it.each([
    ['a production bundle', { devBuild: false }, 'not a development build'],
    ['no electron-vite dev mark', { electronViteMode: undefined }, 'not a development build'],
    ['a production electron-vite mark', { electronViteMode: 'production' }, 'not a development build'],
    ['a packaged app', { isPackaged: true }, 'packaged'],
    ['a foreign host', { envUrl: 'http://evil.example:5173' }, 'not an http://localhost'],
    ['https', { envUrl: 'https://localhost:5173' }, 'not an http://localhost'],
    ['a look-alike host', { envUrl: 'http://localhost.evil.example:5173' }, 'not an http://localhost'],
    ['credentials', { envUrl: 'http://user:pw@localhost:5173' }, 'not an http://localhost'],
    ['file://', { envUrl: 'file:///etc/passwd' }, 'not an http://localhost'],
    ['not a URL', { envUrl: 'localhost:5173' }, 'not an http://localhost'],
  ])('ignores ELECTRON_RENDERER_URL for %s', (_name, change, why) => {
    const r = rendererEntry({ ...dev, ...change })
    expect(r.url).toBe(APP_ENTRY)
    expect(r.ignored).toContain(why)
  })

  it('loads the built renderer silently when nothing is set', () => {
    expect(rendererEntry({ ...dev, envUrl: undefined })).toEqual({ url: APP_ENTRY })
  })
})

describe('URL checks', () => {
  it('isLoopbackHttpUrl takes loopback http only', () => {
    expect(['http://localhost:5173/', 'http://127.0.0.1:1/', 'http://[::1]:5173/'].map(isLoopbackHttpUrl)).toEqual([true, true, true])
    expect(['http://127.0.0.2/', 'http://0.0.0.0/', 'http://127.0.0.1.nip.io/', 'ws://localhost/'].map(isLoopbackHttpUrl)).toEqual([false, false, false, false])
  })

  it('navigation stays on the entry origin (scheme, host and port)', () => {
    expect(isAllowedNavigation('app://globehop/other.html?x#y', APP_ENTRY)).toBe(true)
    for (const url of ['app://globehop.evil/index.html', 'https://globehop/index.html', 'file:///index.html', 'about:blank', 'not a url']) {
      expect(isAllowedNavigation(url, APP_ENTRY), url).toBe(false)
    }
    expect(isAllowedNavigation('http://localhost:5174/', 'http://localhost:5173')).toBe(false)
  })

  it('IPC trusts the entry page only, ignoring query and fragment', () => {
    expect(isEntryPage(`${APP_ENTRY}?a=1#b`, APP_ENTRY)).toBe(true)
    expect(isEntryPage('http://localhost:5173/', 'http://localhost:5173')).toBe(true)
    expect(isEntryPage('app://globehop/other.html', APP_ENTRY)).toBe(false)
    expect(isEntryPage('', APP_ENTRY)).toBe(false)
  })
})

describe('droppedRecording', () => {
  // Where a user keeps recordings: any folder, spaces in names included (a run-time temp dir here).
  const dir = path.join(os.tmpdir(), 'globehop-drop', 'my runs')
  const at = (name: string) => path.join(dir, name)
  const url = (name: string) => pathToFileURL(at(name)).href

  it('a dropped .jsonl (a file:// navigation) is a recording to open, by its path', () => {
    expect(droppedRecording(url('20251117-093000-rhine.jsonl'))).toBe(at('20251117-093000-rhine.jsonl'))
    expect(url('a.JSONL')).toContain('my%20runs')
    expect(droppedRecording(url('a.JSONL'))).toBe(at('a.JSONL'))
    expect(droppedRecording(`file://localhost${pathToFileURL(at('a.jsonl')).pathname}`)).toBe(at('a.jsonl'))
  })

  it.each([
    'file:///etc/passwd',
    url('a.jsonl.exe'),
    `${url('a.jsonl')}?x=1`,
    `${url('a.jsonl')}#x`,
    'file://evil.example/share/a.jsonl',
    'https://evil.example/a.jsonl',
    'app://globehop/a.jsonl',
    'not a url',
  ])('anything else is not: %s', (u) => {
    expect(droppedRecording(u)).toBeNull()
  })
})
