// Electron hardening, asserted on the BUILT main bundle: electron-vite builds the app into a private
// directory, then out/main/index.js runs against a fake `electron` (test/electron-fake.ts) that
// records every window option, session handler and protocol registration.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { CSP } from '../src/shared/csp'
import { commandChannel } from '../src/shared/channels'
import { writeSyntheticRecording } from '../src/core/replay/testing/recording'
import { createElectronFake, fakeEvent, FakeWebContents, type ElectronFake, type ElectronFakeOptions } from './electron-fake'

const state = vi.hoisted(() => ({ fake: undefined as ElectronFake | undefined }))
vi.mock('electron', () => {
  // Getters: every launch below gets a fresh fake behind the same mocked module.
  const m = () => {
    if (!state.fake) throw new Error('no electron fake installed')
    return state.fake.module
  }
  return {
    get app() { return m().app },
    get BrowserWindow() { return m().BrowserWindow },
    get protocol() { return m().protocol },
    get session() { return m().session },
    get ipcMain() { return m().ipcMain },
    get powerSaveBlocker() { return m().powerSaveBlocker },
    get screen() { return m().screen },
    get Menu() { return m().Menu },
    get dialog() { return m().dialog },
  }
})

const ROOT = path.resolve(import.meta.dirname, '..')
// Inside the repo (out/ is ignored) so the bundle's own imports (ssh2, ws, zod) resolve.
const OUT = path.join(ROOT, 'out', `.test-electron-hardening-${process.pid}`)
const TOUR = path.join(ROOT, 'e2e/fixtures/loopback.yaml')
const ENTRY = 'app://globehop/index.html'

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(ROOT, 'node_modules/.bin/electron-vite'), ['build', '--outDir', OUT, '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    p.stdout.on('data', (d: Buffer) => (output += d))
    p.stderr.on('data', (d: Buffer) => (output += d))
    p.on('error', reject)
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`electron-vite build exited ${code}:\n${output}`))))
  })
}

interface Launched {
  fake: ElectronFake
  win: ElectronFake['record']['windows'][number]
  warnings: string[]
}

const launched: Launched[] = []

/** Runs the built main bundle once, as Electron would start it, and waits for its window to load. */
async function launch(options: ElectronFakeOptions & { env?: Record<string, string> } = {}): Promise<Launched> {
  const fake = createElectronFake(options)
  state.fake = fake
  const warnings: string[] = []
  const warn = vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void warnings.push(a.join(' ')))
  const env = { GLOBEHOP_TOUR: TOUR, ELECTRON_RENDERER_URL: undefined, NODE_ENV_ELECTRON_VITE: undefined, ...options.env }
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  try {
    setEnv(env)
    vi.resetModules()
    await import(pathToFileURL(path.join(OUT, 'main/index.js')).href)
    fake.ready()
    await vi.waitFor(() => expect(fake.record.windows[0]?.loaded.length).toBe(1), { timeout: 20_000 })
  } finally {
    setEnv(saved)
    warn.mockRestore()
  }
  const result = { fake, win: fake.record.windows[0]!, warnings }
  launched.push(result)
  return result
}

beforeAll(build, 180_000)
afterAll(() => {
  // 'closed' unwires IPC and closes each launch's engine.
  for (const l of launched) l.win.emit('closed')
  rmSync(OUT, { recursive: true, force: true })
})

describe('the built Electron main process', () => {
  let app: Launched
  beforeAll(async () => {
    app = await launch()
  }, 60_000)
  // Blocked navigations are logged; keep the test output readable.
  beforeEach(() => void vi.spyOn(console, 'warn').mockImplementation(() => {}))
  afterEach(() => vi.restoreAllMocks())

  it('opens one sandboxed, context-isolated window without Node and with web security', () => {
    expect(app.fake.record.windows).toHaveLength(1)
    const prefs = app.win.options.webPreferences!
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true })
    for (const risky of ['nodeIntegrationInSubFrames', 'nodeIntegrationInWorker', 'allowRunningInsecureContent', 'webviewTag', 'experimentalFeatures', 'enableRemoteModule']) {
      expect(prefs[risky], risky).toBeFalsy()
    }
    expect(app.fake.record.sandboxEnabledBeforeReady).toBe(true)
    // No remote module: Electron removed it; the bundle must not bring @electron/remote back.
    expect(readFileSync(path.join(OUT, 'main/index.js'), 'utf8')).not.toMatch(/@electron\/remote|enableRemoteModule/)
  })

  it('uses a bundled preload that requires nothing but electron (a sandboxed preload can load nothing else)', () => {
    const preload = app.win.options.webPreferences!.preload as string
    expect(preload).toBe(path.join(OUT, 'preload/index.cjs'))
    const requires = [...readFileSync(preload, 'utf8').matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])
    expect(new Set(requires)).toEqual(new Set(['electron']))
  })

  it('loads the renderer from app://, never file://', () => {
    expect(app.win.loaded).toEqual([ENTRY])
    const schemes = app.fake.record.privilegedSchemes
    expect(schemes.map((s) => s.scheme)).toEqual(['app'])
    expect(schemes[0]!.privileges).toMatchObject({ standard: true, secure: true })
    // Nothing that would lift the page's own protections.
    expect(schemes[0]!.privileges).not.toMatchObject({ bypassCSP: true })
    expect(app.fake.record.protocolHandlers.has('app')).toBe(true)
  })

  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'] as const)('%s: only the app origin, on every web contents', (event) => {
    // The window's contents and any other contents Chromium creates later (a webview, a popup).
    const other = new FakeWebContents()
    app.fake.module.app.emit('web-contents-created', fakeEvent(), other)
    for (const contents of [app.win.webContents, other]) {
      for (const url of ['https://evil.example/', 'http://127.0.0.1:5173/', 'file:///etc/passwd', 'app://evil/index.html', 'javascript:alert(1)', 'data:text/html,hi']) {
        expect(contents.prevents(event, url), url).toBe(true)
      }
      expect(contents.prevents(event, `${ENTRY}#hop`)).toBe(false)
    }
  })

  it('denies new windows and webviews', () => {
    expect(app.win.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' })
    expect(app.win.webContents.windowOpenHandler?.({ url: ENTRY })).toEqual({ action: 'deny' })
    const attach = fakeEvent('https://evil.example/')
    app.win.webContents.emit('will-attach-webview', attach, {}, {})
    expect(attach.defaultPrevented).toBe(true)
  })

  it.each(['media', 'geolocation', 'notifications', 'fullscreen', 'clipboard-read', 'openExternal', 'midiSysex'])('denies the %s permission, when asked and when checked', async (permission) => {
    const { permissionRequestHandler, permissionCheckHandler, devicePermissionHandler } = app.fake.record
    const granted = await new Promise<boolean>((resolve) => permissionRequestHandler!(app.win.webContents, permission, resolve, { requestingUrl: ENTRY }))
    expect(granted).toBe(false)
    expect(permissionCheckHandler!(app.win.webContents, permission, 'app://globehop', {})).toBe(false)
    expect(devicePermissionHandler!({ deviceType: 'usb', origin: 'app://globehop' })).toBe(false)
  })

  describe('the app:// protocol', () => {
    const get = (url: string, method = 'GET') => app.fake.record.protocolHandlers.get('app')!(new Request(url, { method }))

    it('serves the built renderer with the CSP header and the right types', async () => {
      const res = await get(ENTRY)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
      expect(res.headers.get('content-security-policy')).toBe(CSP)
      const html = await res.text()
      expect(html).toContain('id="root"')
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!
      const js = await get(`app://globehop/${script}`)
      expect(js.status).toBe(200)
      // Module scripts load only with a JavaScript type.
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/)
      expect(js.headers.get('x-content-type-options')).toBe('nosniff')
    })

    it.each([
      ['app://x/../../etc/passwd', 403],
      ['app://globehop/..%2f..%2f..%2f..%2fetc%2fpasswd', 403],
      ['app://globehop/%2e%2e%2f%2e%2e%2fmain%2findex.js', 403],
      ['app://globehop/..%2fmain%2findex.js', 403],
      ['app://globehop/assets/..%2f..%2fpreload/index.cjs', 403],
      ['app://globehop/..%5cmain%5cindex.js', 400],
      ['app://globehop/index.html%00.png', 400],
      ['app://globehop/%E0%A4%A', 400],
      ['app://globehop/etc/passwd', 404],
      ['app://globehop/assets', 404],
    ])('refuses %s (%i)', async (url, status) => {
      const res = await get(url)
      expect(res.status).toBe(status)
      const body = await res.text()
      expect(body).not.toMatch(/root:|import |<html/)
    })

    it('refuses a symlink that leads out of the renderer directory', async () => {
      symlinkSync(path.join(OUT, 'main/index.js'), path.join(OUT, 'renderer/escape.js'))
      expect((await get('app://globehop/escape.js')).status).toBe(403)
    })

    it('answers only GET and HEAD', async () => {
      expect((await get(ENTRY, 'POST')).status).toBe(405)
      const head = await get(ENTRY, 'HEAD')
      expect(head.status).toBe(200)
      expect(await head.text()).toBe('')
    })
  })

  it('answers IPC only from the app page', async () => {
    const getState = app.fake.record.ipcHandlers.get(commandChannel('getState'))!
    const from = (url: string, sender: unknown = app.win.webContents) => getState({ sender, senderFrame: { url } }, {})
    expect(await from('https://evil.example/')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await from('app://evil/index.html')).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await from(ENTRY, new FakeWebContents())).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect(await from(`${ENTRY}#x`)).toMatchObject({ ok: true })
  })

  it('opens a recording from File > Open Recording… (CmdOrCtrl+O, .jsonl only) and from a .jsonl dropped on the window', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'globehop-electron-open-'))
    try {
      const getState = app.fake.record.ipcHandlers.get(commandChannel('getState'))!
      const state = async () => ((await getState({ sender: app.win.webContents, senderFrame: { url: ENTRY } }, {})) as { result: { replay?: { file: string } | null } }).result
      expect((await state()).replay ?? null).toBeNull()
      const file = app.fake.record.appMenu!.find((m) => m.label === 'File')!.submenu!.find((i) => i.label === 'Open Recording…')!
      expect(file.accelerator).toBe('CmdOrCtrl+O')
      const first = writeSyntheticRecording(dir)
      app.fake.answerOpenDialog({ canceled: false, filePaths: [first] })
      file.click!()
      await vi.waitFor(async () => expect((await state()).replay?.file).toBe(first))
      expect(app.fake.record.openDialogs.at(-1)).toMatchObject({ properties: ['openFile'], filters: [{ extensions: ['jsonl'] }] })

      // A drop is a navigation to the file: stopped, and the recording shown instead.
      const second = writeSyntheticRecording(dir)
      expect(app.win.webContents.prevents('will-navigate', pathToFileURL(second).href)).toBe(true)
      await vi.waitFor(async () => expect((await state()).replay?.file).toBe(second))
      // Not a recording: stopped too, and the reason shown.
      const bad = path.join(dir, 'bad.jsonl')
      writeFileSync(bad, 'hello\n')
      expect(app.win.webContents.prevents('will-navigate', pathToFileURL(bad).href)).toBe(true)
      await vi.waitFor(() => expect(app.fake.record.errorBoxes.at(-1)?.content).toMatch(/not a globehop recording/))
      expect(app.win.webContents.prevents('will-navigate', 'file:///etc/passwd')).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('says nothing about the sandbox when it is on', () => {
    expect(app.warnings.join('\n')).not.toMatch(/sandbox/i)
  })
})

describe('development overrides in the built app', () => {
  it.each([
    ['packaged, foreign URL', { isPackaged: true, url: 'http://evil.example/' }],
    ['packaged, loopback URL', { isPackaged: true, url: 'http://127.0.0.1:5173/' }],
    ['unpackaged, loopback URL, electron-vite dev env', { isPackaged: false, url: 'http://localhost:5173/' }],
  ])('ignores ELECTRON_RENDERER_URL: %s', async (_name, o) => {
    const { fake, win, warnings } = await launch({ isPackaged: o.isPackaged, env: { ELECTRON_RENDERER_URL: o.url, NODE_ENV_ELECTRON_VITE: 'development' } })
    expect(win.loaded).toEqual([ENTRY])
    expect(warnings.join('\n')).toContain('ignoring ELECTRON_RENDERER_URL')
    // The override must not widen what navigation or IPC accept either.
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    expect(win.webContents.prevents('will-navigate', o.url)).toBe(true)
    vi.restoreAllMocks()
    const getState = fake.record.ipcHandlers.get(commandChannel('getState'))!
    expect(await getState({ sender: win.webContents, senderFrame: { url: o.url } }, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } })
  }, 60_000)

  it('warns what --no-sandbox costs when the user chose it', async () => {
    const { warnings } = await launch({ switches: ['no-sandbox'] })
    expect(warnings.join('\n')).toMatch(/--no-sandbox: Chromium's sandbox is off.*full rights/)
  }, 60_000)
})

describe('the built files', () => {
  it('exist where the main process looks for them', () => {
    for (const f of ['main/index.js', 'preload/index.cjs', 'renderer/index.html']) expect(existsSync(path.join(OUT, f)), f).toBe(true)
  })
})
