// A stand-in for the `electron` module that records what the main process registers, so tests can
// run the built main bundle without Electron's binary (it cannot be downloaded on these machines).
// It keeps Electron's ordering rules that matter here: privileged schemes only before ready,
// protocol handlers only after, and 'web-contents-created' for a new window's contents.
import { EventEmitter } from 'node:events'

export interface FakeEvent {
  url: string
  defaultPrevented: boolean
  preventDefault(): void
}

export function fakeEvent(url = ''): FakeEvent {
  return {
    url,
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true
    },
  }
}

/** A menu template as Menu.buildFromTemplate gets it (only what the tests read). */
export type MenuTemplate = { label?: string; role?: string; accelerator?: string; click?: () => void; submenu?: MenuTemplate }[]
type WindowOpenHandler = (details: { url: string }) => { action: string }
type IpcHandler = (event: unknown, args: unknown) => Promise<unknown>
type ProtocolHandler = (request: Request) => Promise<Response>
type PermissionRequestHandler = (wc: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void
type PermissionCheckHandler = (wc: unknown, permission: string, origin: string, details: unknown) => boolean

export class FakeWebContents extends EventEmitter {
  windowOpenHandler?: WindowOpenHandler
  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler
  }
  send(): void {}
  isDestroyed(): boolean {
    return false
  }
  /** Emits a navigation-like event the way Electron does; true when a listener prevented it. */
  prevents(event: 'will-navigate' | 'will-frame-navigate' | 'will-redirect', url: string): boolean {
    const e = fakeEvent(url)
    this.emit(event, e, url)
    return e.defaultPrevented
  }
}

export interface ElectronFakeOptions {
  isPackaged?: boolean
  /** Chromium command-line switches, without the leading dashes. */
  switches?: string[]
}

export function createElectronFake(options: ElectronFakeOptions = {}) {
  let isReady = false
  let resolveReady!: () => void
  const ready = new Promise<void>((resolve) => (resolveReady = resolve))

  const record = {
    sandboxEnabledBeforeReady: false,
    privilegedSchemes: [] as { scheme: string; privileges?: Record<string, boolean> }[],
    protocolHandlers: new Map<string, ProtocolHandler>(),
    permissionRequestHandler: undefined as PermissionRequestHandler | undefined,
    permissionCheckHandler: undefined as PermissionCheckHandler | undefined,
    devicePermissionHandler: undefined as ((details: unknown) => boolean) | undefined,
    windows: [] as FakeBrowserWindow[],
    ipcHandlers: new Map<string, IpcHandler>(),
    /** The template of the last Menu.setApplicationMenu. */
    appMenu: null as MenuTemplate | null,
    /** What dialog.showOpenDialog was asked, and the error boxes shown. */
    openDialogs: [] as unknown[],
    errorBoxes: [] as { title: string; content: string }[],
  }
  /** What the next dialog.showOpenDialog answers (a test sets it before clicking the menu item). */
  let openDialogAnswer: { canceled: boolean; filePaths: string[] } = { canceled: true, filePaths: [] }

  const app = Object.assign(new EventEmitter(), {
    isPackaged: options.isPackaged ?? false,
    commandLine: { hasSwitch: (name: string) => (options.switches ?? []).includes(name) },
    enableSandbox() {
      if (isReady) throw new Error('app.enableSandbox() must be called before the app is ready')
      record.sandboxEnabledBeforeReady = true
    },
    whenReady: () => ready,
    getVersion: () => '0.0.0-test',
    quit() {},
  })

  class FakeBrowserWindow extends EventEmitter {
    readonly webContents = new FakeWebContents()
    readonly loaded: string[] = []
    constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
      super()
      record.windows.push(this)
      app.emit('web-contents-created', fakeEvent(), this.webContents)
    }
    async loadURL(url: string): Promise<void> {
      this.loaded.push(url)
    }
    async loadFile(file: string): Promise<void> {
      this.loaded.push(`loadFile:${file}`)
    }
    show(): void {}
  }

  const protocol = {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges?: Record<string, boolean> }[]) {
      if (isReady) throw new Error('registerSchemesAsPrivileged must be called before the app is ready')
      record.privilegedSchemes.push(...schemes)
    },
    handle(scheme: string, handler: ProtocolHandler) {
      if (!isReady) throw new Error('protocol.handle must be called after the app is ready')
      record.protocolHandlers.set(scheme, handler)
    },
  }

  const session = {
    defaultSession: {
      webRequest: { onHeadersReceived() {} },
      setPermissionRequestHandler(h: PermissionRequestHandler) {
        record.permissionRequestHandler = h
      },
      setPermissionCheckHandler(h: PermissionCheckHandler) {
        record.permissionCheckHandler = h
      },
      setDevicePermissionHandler(h: (details: unknown) => boolean) {
        record.devicePermissionHandler = h
      },
    },
  }

  const ipcMain = {
    handle(channel: string, handler: IpcHandler) {
      record.ipcHandlers.set(channel, handler)
    },
    removeHandler(channel: string) {
      record.ipcHandlers.delete(channel)
    },
  }

  const Menu = {
    buildFromTemplate: (template: MenuTemplate) => ({ template }),
    setApplicationMenu(menu: { template: MenuTemplate } | null) {
      record.appMenu = menu?.template ?? null
    },
  }
  const dialog = {
    async showOpenDialog(_win: unknown, options: unknown) {
      record.openDialogs.push(options)
      return openDialogAnswer
    },
    showErrorBox(title: string, content: string) {
      record.errorBoxes.push({ title, content })
    },
  }

  const powerSaveBlocker = { start: () => 1, stop() {} }
  const display = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }
  const screen = { getAllDisplays: () => [display], getPrimaryDisplay: () => display }

  return {
    module: { app, BrowserWindow: FakeBrowserWindow, protocol, session, ipcMain, powerSaveBlocker, screen, Menu, dialog },
    record,
    answerOpenDialog(answer: { canceled: boolean; filePaths: string[] }) {
      openDialogAnswer = answer
    },
    /** Fires app ready, as Chromium would once it started. */
    ready() {
      isReady = true
      resolveReady()
    },
  }
}

export type ElectronFake = ReturnType<typeof createElectronFake>
