// The Electron window's security policy as plain functions. No electron import: unit tests call
// them directly, and src/main/index.ts only wires them to Electron's hooks.
import { readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The app's files are served as app://globehop/…: a real origin for the CSP's 'self' (file:// has
 * none, and would let the page read any file on the disk). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'globehop'
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`
/** standard: relative URLs and an origin; secure: treated like https. Nothing that bypasses CSP or CORS. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true } as const

/** scheme://host[:port], or undefined. (URL.origin is "null" for custom schemes, so it is built here.) */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url)
    return u.host ? `${u.protocol}//${u.host}` : undefined
  } catch {
    return undefined
  }
}

/** The page a URL names, without query and fragment. */
function pageOf(url: string): string | undefined {
  try {
    const u = new URL(url)
    u.search = ''
    u.hash = ''
    return u.href
  } catch {
    return undefined
  }
}

/** Navigation (and redirects, in any frame) may only stay on the app's own origin. */
export function isAllowedNavigation(url: string, entryUrl: string): boolean {
  const origin = originOf(url)
  return origin !== undefined && origin === originOf(entryUrl)
}

/**
 * A .jsonl file dropped on the window: Chromium turns the drop into a navigation to its file://
 * URL (a sandboxed page never sees the path). The main process stops that navigation and opens
 * the recording instead; any other file:// navigation stays blocked.
 */
export function droppedRecording(url: string): string | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost') || u.search || u.hash) return null
  if (!u.pathname.toLowerCase().endsWith('.jsonl')) return null
  try {
    return fileURLToPath(u)
  } catch {
    return null
  }
}

/** Only the app's own page may call the engine over IPC. */
export function isEntryPage(url: string, entryUrl: string): boolean {
  const page = pageOf(url)
  return page !== undefined && page === pageOf(entryUrl)
}

/** The app needs no permission (no camera, location, notifications, not even fullscreen). */
export function isPermissionAllowed(_permission: string): boolean {
  return false
}

export function isLoopbackHttpUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'http:' && !u.username && !u.password && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)
  } catch {
    return false
  }
}

export interface RendererEntryInput {
  /** process.env.ELECTRON_RENDERER_URL */
  envUrl: string | undefined
  /** import.meta.env.DEV: true only in bundles electron-vite builds for `electron-vite dev`. */
  devBuild: boolean
  /** process.env.NODE_ENV_ELECTRON_VITE: `electron-vite dev` sets 'development' for the process it starts. */
  electronViteMode: string | undefined
  isPackaged: boolean
}

/** Where the window loads from. ELECTRON_RENDERER_URL is electron-vite's dev server, and anything in
 * the environment can set it: a built or packaged app ignores it, so a stray variable cannot point
 * the window (and its IPC access to the engine) at someone else's page. */
export function rendererEntry(i: RendererEntryInput): { url: string; ignored?: string } {
  if (i.envUrl === undefined || i.envUrl === '') return { url: APP_ENTRY }
  const why = !i.devBuild || i.electronViteMode !== 'development'
    ? 'not a development build started by electron-vite dev'
    : i.isPackaged
      ? 'the app is packaged'
      : !isLoopbackHttpUrl(i.envUrl)
        ? 'not an http://localhost or http://127.0.0.1 URL'
        : undefined
  return why ? { url: APP_ENTRY, ignored: `ignoring ELECTRON_RENDERER_URL (${why}); loading the built renderer` } : { url: i.envUrl }
}

/** Printed by the main process whenever it runs with --no-sandbox (only ever the user's explicit choice). */
export function noSandboxWarning(uid: number | undefined): string {
  const who = uid === 0 ? 'root' : 'this user'
  return (
    `globehop: warning: running with --no-sandbox: Chromium's sandbox is off, so a bug reached through the window ` +
    `(WebGL, text from a tour file) runs with ${who}'s full rights instead of inside the sandbox. ` +
    'Prefer a normal user, where the sandbox works, or `globehop serve` (the browser host).'
  )
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
}

function inside(root: string, file: string): boolean {
  const rel = path.relative(root, file)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/** The handler for protocol.handle('app'): files under rootDir only, nothing else on the disk. */
export function appProtocolHandler(rootDir: string, csp: string): (request: { url: string; method: string }) => Promise<Response> {
  const root = path.resolve(rootDir)
  const realRoot = realpath(root).catch(() => root)
  const reply = (status: number, body: Uint8Array | string | null, type = 'text/plain; charset=utf-8') =>
    new Response(body, { status, headers: { 'Content-Type': type, 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' } })
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed')
    let u: URL
    let rel: string
    try {
      u = new URL(request.url)
      rel = decodeURIComponent(u.pathname)
    } catch {
      return reply(400, 'bad URL')
    }
    if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return reply(403, 'forbidden')
    // Percent-encoded `..` and `/` survive URL normalisation: check the decoded path as a file path.
    if (rel.includes('\0') || rel.includes('\\')) return reply(400, 'bad path')
    if (rel.endsWith('/')) rel += 'index.html'
    const file = path.resolve(root, `.${rel}`)
    if (!inside(root, file)) return reply(403, 'forbidden')
    try {
      // A symlink in the build output must not lead out of it either.
      const real = await realpath(file)
      if (!inside(await realRoot, real)) return reply(403, 'forbidden')
      if (!(await stat(real)).isFile()) return reply(404, 'not found')
      const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(real))
      return reply(200, body, MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream')
    } catch {
      return reply(404, 'not found')
    }
  }
}
