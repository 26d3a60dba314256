// Electron's main process: a thin shell around the engine. One window, locked down per Electron's
// security checklist (the pure policy is in ./policy); everything else lives in src/core.
import { app, BrowserWindow, powerSaveBlocker, protocol, screen, session, type WebContents } from 'electron'
import path from 'node:path'
import { Engine } from '../core/engine'
import { fallbackCandidates, fallbackDirs } from '../core/fallback/candidates'
import { StageEngine } from '../core/fallback/stage-engine'
import { guardProcess } from '../core/interrupt-guard'
import { defaultTourPath } from '../core/tour/default'
import type { EngineLike } from '../core/engine-like'
import { ReplayEngine } from '../core/replay/replay-engine'
import { CSP } from '../shared/csp'
import { wireIpc } from './ipc'
import { installRecordingOpener } from './open-recording'
import {
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  appProtocolHandler,
  droppedRecording,
  isAllowedNavigation,
  isEntryPage,
  isPermissionAllowed,
  noSandboxWarning,
  rendererEntry,
} from './policy'
import { chooseDisplay, presenterArgs, presenterUrl } from './presenter'

const rendererDir = path.join(import.meta.dirname, '../renderer')
const entry = rendererEntry({
  envUrl: process.env.ELECTRON_RENDERER_URL,
  devBuild: import.meta.env.DEV,
  electronViteMode: process.env.NODE_ENV_ELECTRON_VITE,
  isPackaged: app.isPackaged,
})
if (entry.ignored) console.warn(`globehop: ${entry.ignored}`)
const isTrustedUrl = (url: string) => isEntryPage(url, entry.url)
const stage = presenterArgs(process.argv)

function tourArg(): string | undefined {
  const i = process.argv.indexOf('--tour')
  return i >= 0 ? process.argv[i + 1] : process.env.GLOBEHOP_TOUR
}

/** `--replay FILE`: the app driven by a recording (what `globehop open` shows with no tour and no lab). */
function replayArg(): string | undefined {
  const i = process.argv.indexOf('--replay')
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** Opens a recording in the window (set once the window exists): what a dropped .jsonl calls. */
let openDropped: ((file: string) => void) | null = null

/** Every web contents (the window, and anything Chromium might create) stays on the app's origin. */
function lockDown(contents: WebContents): void {
  const guard = (e: { preventDefault(): void }, url: string) => {
    if (isAllowedNavigation(url, entry.url)) return
    e.preventDefault()
    console.warn(`globehop: blocked navigation to ${url}`)
  }
  contents.on('will-navigate', (e) => {
    // A .jsonl dropped on the window: replay it instead of navigating (policy.ts droppedRecording).
    const dropped = droppedRecording(e.url)
    if (dropped && openDropped) {
      e.preventDefault()
      openDropped(dropped)
      return
    }
    guard(e, e.url)
  })
  contents.on('will-frame-navigate', (e) => guard(e, e.url))
  contents.on('will-redirect', (e) => guard(e, e.url))
  contents.on('will-attach-webview', (e) => e.preventDefault())
  // The app has no external links: no new windows, no hand-off to the system browser.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}

async function createWindow(): Promise<void> {
  const recording = replayArg()
  const live = recording ? null : new Engine({ host: 'electron', version: app.getVersion(), record: {} })
  // A live tour's window can show a recording instead (R, File > Open Recording…, a dropped file)
  // while the live engine runs on underneath (src/core/fallback/stage-engine.ts).
  const stageEngine = live ? new StageEngine(live, { candidates: fallbackCandidates(fallbackDirs()) }) : null
  let engine: EngineLike = stageEngine ?? ReplayEngine.open(recording!, { start: 'first-page' })
  // --presenter: full screen on the chosen display (the projector), else the primary.
  const chosen = chooseDisplay(screen.getAllDisplays(), screen.getPrimaryDisplay(), stage.display)
  if (chosen.warning) console.warn(`globehop: ${chosen.warning}`)
  const area = chosen.display.bounds
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    ...(stage.presenter || stage.display !== undefined ? { x: area.x, y: area.y } : {}),
    fullscreen: stage.presenter,
    backgroundColor: '#05070d',
    title: 'globehop',
    show: false,
    webPreferences: {
      // Bundled into one CommonJS file (electron.vite.config.ts): a sandboxed preload may only require electron.
      preload: path.join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  let unwire = wireIpc(engine, win.webContents, isTrustedUrl)
  // A replay-only window (--replay) swaps its replay for the opened one and reloads the page.
  const openRecording = stageEngine
    ? (file: string) => stageEngine.showRecording(file)
    : async (file: string) => {
        const next = ReplayEngine.open(file, { start: 'first-page' })
        unwire()
        void engine.close()
        engine = next
        unwire = wireIpc(engine, win.webContents, isTrustedUrl)
        win.webContents.reload()
      }
  openDropped = installRecordingOpener(win, openRecording)
  // Closing the window (or Ctrl-C / SIGTERM / SIGHUP to this process) never abandons a frozen
  // hop: the hop finishes or rolls back first (src/core/interrupt-guard.ts).
  let closing = false
  win.on('close', (e) => {
    const t = live?.guardTarget()
    if (!t || t.control.busy === 'idle' || closing) return
    e.preventDefault()
    closing = true
    win.setTitle(t.control.frozen ? 'globehop: the container is frozen: finishing the hop, then closing' : 'globehop: cancelling, then closing')
    t.cancel()
    void t.control.idle().then(() => win.close())
  })
  guardProcess({ target: () => live?.guardTarget() ?? null, exit: (code) => app.exit(code), beforeExit: () => engine.close() })
  win.once('ready-to-show', () => {
    // Window managers may place a new window where they like: move it to the chosen display first.
    if (stage.presenter) {
      win.setBounds(area)
      win.setFullScreen(true)
    }
    win.show()
  })
  win.on('closed', () => {
    unwire()
    void engine.close()
  })
  await live?.loadTour(tourArg() ?? defaultTourPath()).catch(() => {
    // The problems are in the engine state; the renderer shows them.
  })
  // Loading sent nothing; `globehop open --connect` (and the demo) asked to connect at once.
  if (live && process.argv.includes('--connect')) live.handle('connect', {}).catch((err: Error) => console.error(`globehop: connect: ${err.message}`))
  await win.loadURL(presenterUrl(entry.url, stage.presenter))
}

// `globehop open` passes --no-sandbox only when the user asked for it; say what it costs.
if (app.commandLine.hasSwitch('no-sandbox')) console.warn(noSandboxWarning(process.getuid?.()))
app.enableSandbox()
// Must happen before ready: the scheme's privileges are fixed when Chromium starts.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }])
app.on('web-contents-created', (_e, contents) => lockDown(contents))
app.whenReady().then(() => {
  // The display stays awake while the app runs: a projector must not blank mid-talk.
  const blocker = powerSaveBlocker.start('prevent-display-sleep')
  app.on('will-quit', () => powerSaveBlocker.stop(blocker))
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir, CSP))
  const ses = session.defaultSession
  // app:// responses carry the CSP themselves; this covers the dev server's pages.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  // No permission at all, full screen included (the F key then says to use F11: Electron's own
  // View menu toggles full screen there, and --presenter opens full screen already).
  ses.setPermissionRequestHandler((_wc, permission, callback) => callback(isPermissionAllowed(permission)))
  ses.setPermissionCheckHandler((_wc, permission) => isPermissionAllowed(permission))
  ses.setDevicePermissionHandler(() => false)
  void createWindow()
})
app.on('window-all-closed', () => app.quit())
