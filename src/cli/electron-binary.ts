// Finds Electron's binary without require('electron'), which would try to download it.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string }

export function findElectronBinary(): ElectronBinary {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH
  let pkg: string
  try {
    pkg = createRequire(import.meta.url).resolve('electron/package.json')
  } catch {
    return { ok: false, reason: 'Electron binary not installed (the electron package is missing)' }
  }
  const dir = path.dirname(pkg)
  const pathTxt = path.join(dir, 'path.txt')
  const rel = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : process.platform === 'linux' ? 'electron' : ''
  const bin = override ? path.join(override, rel || 'electron') : path.join(dir, 'dist', rel)
  if (rel && existsSync(bin)) return { ok: true, path: bin }
  return { ok: false, reason: `Electron binary not installed (${bin} missing: npm could not download it on this machine)` }
}

/** args for Electron, or why the Electron window must not open (then args is empty). */
export interface SandboxChoice {
  args: string[]
  refused?: string
}

/** Chromium's sandbox does not start for root, and Electron then refuses to run without --no-sandbox.
 * That flag is never added silently: as root without the user's explicit opt-in (`open --no-sandbox`
 * or GLOBEHOP_NO_SANDBOX=1) the caller shows the browser host instead and says why. */
export function sandboxChoice(o: { uid: number | undefined; noSandbox: boolean; env: NodeJS.ProcessEnv }): SandboxChoice {
  // Also for a normal user: some distributions block the user namespaces the sandbox needs.
  if (o.noSandbox || o.env.GLOBEHOP_NO_SANDBOX === '1') return { args: ['--no-sandbox'] }
  if (o.uid === 0) {
    return {
      args: [],
      refused:
        "not opening the Electron window as root: Chromium's sandbox cannot start for root, and without it a bug reached " +
        "through the window would run with root's rights. Showing the browser host instead (open its URL in a browser " +
        'running as a normal user; `globehop serve` does the same). Or run `globehop open` as a normal user, or accept ' +
        'the risk with `globehop open --no-sandbox` (or GLOBEHOP_NO_SANDBOX=1)',
    }
  }
  return { args: [] }
}
