// `globehop open` and Chromium's sandbox: --no-sandbox only when the user asked for it; as root
// without that, no Electron window and a notice that says why. A fake Electron binary (through
// ELECTRON_OVERRIDE_DIST_PATH) records the arguments it was started with.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sandboxChoice } from '../src/cli/electron-binary'

const ROOT = path.resolve(import.meta.dirname, '..')
const TOUR = path.join(ROOT, 'e2e/fixtures/loopback.yaml')
const isRoot = process.getuid?.() === 0

describe('sandboxChoice', () => {
  it('refuses the Electron window as root, saying why and what to do instead', () => {
    const c = sandboxChoice({ uid: 0, noSandbox: false, env: {} })
    expect(c.args).toEqual([])
    expect(c.refused).toMatch(/as root: Chromium's sandbox cannot start for root/)
    expect(c.refused).toContain('globehop serve')
    expect(c.refused).toContain('as a normal user')
    expect(c.refused).toContain('--no-sandbox')
    expect(sandboxChoice({ uid: 0, noSandbox: false, env: { GLOBEHOP_NO_SANDBOX: '0' } }).refused).toBeDefined()
  })

  it.each([
    ['root, --no-sandbox', 0, true, {}],
    ['root, GLOBEHOP_NO_SANDBOX=1', 0, false, { GLOBEHOP_NO_SANDBOX: '1' }],
    ['a user, --no-sandbox', 1000, true, {}],
  ])('passes --no-sandbox only on an explicit opt-in: %s', (_name, uid, noSandbox, env) => {
    expect(sandboxChoice({ uid, noSandbox, env })).toEqual({ args: ['--no-sandbox'] })
  })

  it('keeps the sandbox for a normal user', () => {
    expect(sandboxChoice({ uid: 1000, noSandbox: false, env: {} })).toEqual({ args: [] })
  })
})

describe('globehop open with an Electron binary', () => {
  const dist = mkdtempSync(path.join(os.tmpdir(), 'globehop-fake-electron-'))
  const argsFile = path.join(dist, 'args')
  writeFileSync(path.join(dist, 'electron'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\n`)
  chmodSync(path.join(dist, 'electron'), 0o755)
  const env = (extra: Record<string, string> = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dist, ...extra }
    if (!('GLOBEHOP_NO_SANDBOX' in extra)) delete e.GLOBEHOP_NO_SANDBOX
    return e
  }
  const open = (args: string[], extra?: Record<string, string>) => {
    rmSync(argsFile, { force: true })
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/globehop.mjs'), 'open', ...args], { cwd: ROOT, env: env(extra), encoding: 'utf8', timeout: 60_000 })
    return { ...r, electronArgs: existsSync(argsFile) ? readFileSync(argsFile, 'utf8').trim().split('\n') : undefined }
  }
  afterAll(() => rmSync(dist, { recursive: true, force: true }))

  it('passes --no-sandbox when the user gives it to open', () => {
    const r = open(['--no-sandbox', '--tour', TOUR])
    expect(r.status, r.stderr).toBe(0)
    expect(r.electronArgs).toEqual([ROOT, '--tour', TOUR, '--no-sandbox'])
  })

  it('passes --no-sandbox for GLOBEHOP_NO_SANDBOX=1', () => {
    const r = open(['--tour', TOUR], { GLOBEHOP_NO_SANDBOX: '1' })
    expect(r.status, r.stderr).toBe(0)
    expect(r.electronArgs).toContain('--no-sandbox')
  })

  it.runIf(!isRoot)('keeps the sandbox for a normal user', () => {
    const r = open(['--tour', TOUR])
    expect(r.status, r.stderr).toBe(0)
    expect(r.electronArgs).toEqual([ROOT, '--tour', TOUR])
  })

  it.runIf(isRoot)('as root without opt-in: never starts Electron, says why, falls back to the browser host', async () => {
    rmSync(argsFile, { force: true })
    // The fallback is `serve`, which runs until stopped: watch for the notice, then stop its process group.
    const p = spawn(process.execPath, [path.join(ROOT, 'bin/globehop.mjs'), 'open', '--tour', TOUR], { cwd: ROOT, env: env(), detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notice within 30 s:\n${stderr}`)), 30_000)
        p.stderr!.on('data', (d: Buffer) => {
          stderr += d
          if (/not opening the Electron window as root/.test(stderr)) {
            clearTimeout(timer)
            resolve()
          }
        })
        p.on('exit', () => reject(new Error(`open exited before the notice:\n${stderr}`)))
      })
    } finally {
      try {
        process.kill(-p.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    expect(stderr).toMatch(/Chromium's sandbox cannot start for root/)
    expect(stderr).toContain('globehop serve')
    expect(existsSync(argsFile)).toBe(false)
  })
})
