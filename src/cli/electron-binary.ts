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
