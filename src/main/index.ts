// Electron's main process: a thin shell around the engine. One window, locked down per Electron's
// security checklist; everything else lives in src/core.
import { app, BrowserWindow, powerSaveBlocker, session } from 'electron'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Engine } from '../core/engine'
import { defaultTourPath } from '../core/tour/default'
import { CSP } from '../server/csp'
import { wireIpc } from './ipc'

const rendererFile = path.join(import.meta.dirname, '../renderer/index.html')
const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(rendererFile).href
const isTrustedUrl = (url: string) => url.split('#')[0]!.split('?')[0] === rendererUrl.split('?')[0]

function tourArg(): string | undefined {
  const i = process.argv.indexOf('--tour')
  return i >= 0 ? process.argv[i + 1] : process.env.GLOBEHOP_TOUR
}

async function createWindow(): Promise<void> {
  const engine = new Engine({ host: 'electron', version: app.getVersion() })
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#05070d',
    title: 'globehop',
    show: false,
    webPreferences: {
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  const unwire = wireIpc(engine, win.webContents, isTrustedUrl)
  win.webContents.on('will-navigate', (e, url) => {
    if (!isTrustedUrl(url)) e.preventDefault()
  })
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }))
  win.once('ready-to-show', () => win.show())
  // Keep the projector awake during a talk.
  const blocker = powerSaveBlocker.start('prevent-display-sleep')
  win.on('closed', () => {
    powerSaveBlocker.stop(blocker)
    unwire()
    void engine.close()
  })
  await engine.loadTour(tourArg() ?? defaultTourPath()).catch(() => {
    // The problems are in the engine state; the renderer shows them.
  })
  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(rendererUrl)
  else await win.loadFile(rendererFile)
}

app.enableSandbox()
app.whenReady().then(() => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  void createWindow()
})
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault())
})
app.on('window-all-closed', () => app.quit())
